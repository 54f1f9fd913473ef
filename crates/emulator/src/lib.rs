#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

mod app;
mod auth;
mod blob;
mod builder;
#[cfg(feature = "cli")]
pub mod cli;
mod clock;
mod controls;
mod entra;
mod error;
mod faults;
mod files;
mod handle;
mod handlers;
mod names;
mod paging;
mod router;
mod server;
mod store;
mod tls;
mod token;
mod vault;
mod wire;

pub use auth::AuthMode;
pub use builder::{DEFAULT_TENANT, Emulator, EmulatorBuilder};
pub use clock::Clock;
pub use error::{Error, Result};
pub use handle::{EmulatorHandle, Fault, TokenSource, VisibilityDelay};
pub use server::ConnectionLimits;
