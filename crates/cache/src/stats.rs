//! Counters: what the cache answered and what it asked the vault.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A snapshot of the cache's counters, from [`SecretCache::stats`](crate::SecretCache::stats).
///
/// Every counter only grows, except `entries`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Reads answered from the cache without waiting (refresh-ahead reads included).
    pub hits: u64,
    /// Reads answered with a remembered `NotFound` (negative caching).
    pub negative_hits: u64,
    /// Reads that waited for the vault: cold, expired, or joining a fetch in flight.
    pub misses: u64,
    /// Requests sent to the vault for a value (cold, expired and background fetches).
    pub fetches: u64,
    /// Background refreshes started ahead of expiry (counted in `fetches` too).
    pub refreshes: u64,
    /// Reads answered with a stale value because refreshing it failed.
    pub stale_served: u64,
    /// Fetches that failed.
    pub errors: u64,
    /// Entries evicted to stay within the capacity.
    pub evictions: u64,
    /// Entries held now.
    pub entries: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) negative_hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) fetches: AtomicU64,
    pub(crate) refreshes: AtomicU64,
    pub(crate) stale_served: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) evictions: AtomicU64,
    pub(crate) hits: Sharded,
}

/// A counter bumped from many threads at once: one cache line per shard, a thread always on
/// the same shard, so a hit's increment is not contended.
#[derive(Debug, Default)]
pub(crate) struct Sharded([Padded; SHARDS]);

const SHARDS: usize = 8;

#[derive(Debug, Default)]
#[repr(align(64))]
struct Padded(AtomicU64);

impl Sharded {
    pub(crate) fn bump(&self) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
        }
        let shard = SHARD.with(|s| *s);
        self.0[shard].0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn sum(&self) -> u64 {
        self.0.iter().map(|p| p.0.load(Ordering::Relaxed)).sum()
    }
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self, entries: usize) -> CacheStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            hits: self.hits.sum(),
            negative_hits: get(&self.negative_hits),
            misses: get(&self.misses),
            fetches: get(&self.fetches),
            refreshes: get(&self.refreshes),
            stale_served: get(&self.stale_served),
            errors: get(&self.errors),
            evictions: get(&self.evictions),
            entries: entries as u64,
        }
    }
}
