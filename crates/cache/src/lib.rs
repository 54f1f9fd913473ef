#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "blocking")]
pub mod blocking;
mod cache;
mod error;
mod flight;
mod key;
mod options;
mod stats;
mod store;

pub use cache::SecretCache;
pub use error::{Error, Result};
pub use options::{
    CacheOptions, DEFAULT_CAPACITY, DEFAULT_FAILURE_BACKOFF, DEFAULT_MAX_STALE, DEFAULT_REFRESH_AT_PERCENT, DEFAULT_TTL,
};
pub use stats::CacheStats;

#[cfg(test)]
mod tests;
