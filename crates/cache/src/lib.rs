//! A secret cache for azkv: read secrets on every request without hitting Key Vault's limits.
//!
//! [`SecretCache`] sits in front of any [`SecretClientApi`](azkv_secrets::SecretClientApi)
//! (the async client, the blocking client's inner client, a mock) and answers
//! [`get`](SecretCache::get) from memory while a value is fresh:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> azkv_cache::Result<()> {
//! # let client = std::sync::Arc::new({
//! #     let mut m = azkv_secrets::MockSecretClientApi::new();
//! #     m.expect_get_secret().returning(|n| Ok(azkv_secrets::KeyVaultSecret::new(n, "hunter2", azkv_secrets::SecretProperties::with_name(n))));
//! #     m
//! # });
//! use std::time::Duration;
//! use azkv_cache::{CacheOptions, SecretCache};
//!
//! // `client`: an `Arc<azkv_secrets::SecretClient>`, or anything implementing `SecretClientApi`.
//! let cache = SecretCache::new(client, CacheOptions::default().with_ttl(Duration::from_secs(60)))?;
//! let password = cache.get("db-password").await?; // an Arc<KeyVaultSecret>
//! assert_eq!(password.value(), "hunter2");
//! # Ok(()) }
//! ```
//!
//! # Rules
//!
//! - **Time to live**: an entry is fetched again once it is older than its time to live
//!   (default 5 minutes; [`CacheOptions::with_ttl_for`] overrides it per secret).
//! - **Refresh ahead**: past a share of the time to live (default 80 %), the next read starts
//!   one background refresh and is answered from the cache at once; no reader waits for it.
//! - **Single flight**: concurrent readers of a cold or expired name share one request.
//! - **Stale if error**: when a refresh fails with a transient error (throttled, 5xx,
//!   transport, timeout, credential), the cached value is served, with a warning event, until
//!   it is `max_stale` old (default 1 hour); the vault is asked again after a backoff (default
//!   10 seconds, longer if it said `Retry-After`). `NotFound`, `Forbidden` (a disabled secret
//!   among them), `Unauthorized` and every other error evict the entry at once and return the
//!   error.
//! - **Explicit versions** ([`SecretCache::get_version`]) never change: cached until evicted,
//!   never refreshed.
//! - **Negative caching** of `NotFound`, for a short time, when turned on.
//! - **Bounded capacity**: past it, the least recently read entry is evicted.
//! - **Write-through** [`SecretCache::set`] and [`SecretCache::delete`] drop the entries of
//!   the name they wrote; [`SecretCache::invalidate`] and [`SecretCache::clear`] drop entries
//!   by hand. An invalidated fetch in flight still answers its readers but is not cached.
//! - **Observability**: [`SecretCache::stats`] counters, and `tracing` events on fetches,
//!   failures and evictions; never a value.
//!
//! Settings that contradict each other (a zero time to live, `max_stale` shorter than a time
//! to live, a capacity of 0) are refused by [`SecretCache::new`] with
//! [`Error::InvalidArgument`]. A negative time to live cannot be written: times are
//! [`std::time::Duration`]s.
//!
//! # Values and zeroizing
//!
//! A read returns an `Arc<KeyVaultSecret>`; the value inside is still a redacted `Secret`,
//! zeroized when dropped. The cache holds one reference per entry and never clones a value, so
//! when an entry is evicted, invalidated or cleared, the value is dropped (and zeroized) as
//! soon as the last reader drops its `Arc`.
//!
//! # Time
//!
//! Ages are read from the pipeline's [`TimeSource`](azkv_pipeline::time::TimeSource)
//! ([`CacheOptions::with_time_source`]); nothing in the cache sleeps. Tests drive it with
//! `ManualTime`.
//!
//! # Design: why not moka
//!
//! The issue suggested a well-kept cache crate such as `moka` for eviction and expiry. It does
//! not fit here, for three reasons:
//! - **Time cannot be injected.** moka reads `std::time::Instant` (or `quanta`) internally; its
//!   mock clock is `#[cfg(test)]`, private to moka. Every test of this cache runs on a manual
//!   clock, and its expiry would have to be rebuilt on top anyway.
//! - **Its expiry is the wrong shape.** moka removes an entry when it expires, while
//!   stale-if-error must keep an expired value (up to `max_stale`), refresh ahead must serve
//!   it while one fetch runs, and failure rules decide an entry's fate from the fetch's error.
//!   What would be left to moka is a bounded map; its eviction runs as deferred maintenance, so
//!   "an evicted value is dropped at once" would need explicit `run_pending_tasks` calls.
//! - **Build time.** moka's `future` cache brings about a dozen crates (crossbeam-channel,
//!   -epoch and -utils, parking_lot, portable-atomic, tagptr, uuid, event-listener, async-lock,
//!   futures-util, ...) to a workspace built on a 2-core machine.
//!
//! So the cache is small and hand-written: one `std::sync::RwLock` over two hash maps
//! (latest values, and versions by name, so that neither read allocates), least-recently-read
//! eviction by insert epochs (a scan when full: a cache holds hundreds of secrets, and an
//! eviction follows a request to the vault anyway), and single flight through a
//! `tokio::sync::watch` channel per fetch. A hit takes the read lock, bumps a per-thread shard
//! of the hit counter and clones one `Arc`; it writes nothing else that other cores read.
//! `docs/benchmarks.md` has the figures.
//!
//! # Features
//!
//! - `blocking`: [`blocking::SecretCache`], for code without an async runtime.

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
