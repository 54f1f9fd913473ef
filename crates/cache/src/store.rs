//! The entries: one map for latest values, one for explicit versions (so that a read of
//! either allocates nothing), least-recently-read eviction, and removals that hand the removed
//! entries back so that their values are dropped (and zeroized) after the lock is released.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use azkv_secrets::KeyVaultSecret;
use tokio::sync::watch;

use crate::error::Error;
use crate::key::KeyRef;

/// What a fetch hands to the readers waiting for it.
pub(crate) type Outcome = Result<Served, Error>;

/// A value handed to a waiting reader, and whether it is stale.
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub(crate) secret: Arc<KeyVaultSecret>,
    pub(crate) stale: bool,
}

/// One fetch in flight; readers subscribe to its outcome.
#[derive(Debug)]
pub(crate) struct Flight {
    pub(crate) tx: watch::Sender<Option<Outcome>>,
}

impl Flight {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self { tx: watch::channel(None).0 })
    }
}

/// What an entry holds.
#[derive(Debug)]
pub(crate) enum Value {
    /// The value, the only strong reference the cache keeps.
    Secret(Arc<KeyVaultSecret>),
    /// A remembered `NotFound` (negative caching).
    Missing(Arc<azkv_secrets::Error>),
    /// Nothing yet: the first fetch is in flight.
    Pending,
}

/// One entry.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) value: Value,
    /// When the value was fetched (for `Pending`, when the entry was made).
    pub(crate) fetched_at: SystemTime,
    /// The entry's time to live (the negative time to live for `Missing`).
    pub(crate) ttl: Duration,
    /// The fetch in flight, if any.
    pub(crate) flight: Option<Arc<Flight>>,
    /// After a failed refresh: no new fetch before this time while the value may be served.
    pub(crate) retry_at: Option<SystemTime>,
    /// Set by the one reader that starts the refresh ahead, so the others skip the write lock.
    pub(crate) refresh_claimed: AtomicBool,
    /// The store's insert epoch at the last read, for least-recently-read eviction.
    pub(crate) last_used: AtomicU64,
}

impl Slot {
    pub(crate) fn new(value: Value, now: SystemTime, ttl: Duration) -> Self {
        Self {
            value,
            fetched_at: now,
            ttl,
            flight: None,
            retry_at: None,
            refresh_claimed: AtomicBool::new(false),
            last_used: AtomicU64::new(0),
        }
    }

    /// Marks the entry read in `epoch`. Written only when the epoch moved, so that readers
    /// on several cores do not bounce the entry's cache line between them.
    pub(crate) fn touch(&self, epoch: u64) {
        if self.last_used.load(Ordering::Relaxed) != epoch {
            self.last_used.store(epoch, Ordering::Relaxed);
        }
    }

    /// The value's age at `now` (zero if the clock went back).
    pub(crate) fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.fetched_at).unwrap_or_default()
    }

    pub(crate) fn is_in(&self, flight: &Arc<Flight>) -> bool {
        self.flight.as_ref().is_some_and(|f| Arc::ptr_eq(f, flight))
    }
}

/// Every entry.
///
/// Recency is counted in insert epochs rather than with a counter bumped by every read: an
/// insert stamps its entry with the current epoch and starts the next; a read stamps the
/// entry with the current epoch. The least recently read entry is the one with the oldest
/// stamp (entries read since the same insert tie), and a hit writes nothing shared.
#[derive(Debug, Default)]
pub(crate) struct Store {
    latest: HashMap<Box<str>, Slot>,
    versions: HashMap<Box<str>, HashMap<Box<str>, Slot>>,
    len: usize,
    epoch: u64,
}

impl Store {
    /// The current insert epoch.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, key: KeyRef<'_>) -> Option<&Slot> {
        match key.version {
            None => self.latest.get(key.name),
            Some(v) => self.versions.get(key.name)?.get(v),
        }
    }

    pub(crate) fn get_mut(&mut self, key: KeyRef<'_>) -> Option<&mut Slot> {
        match key.version {
            None => self.latest.get_mut(key.name),
            Some(v) => self.versions.get_mut(key.name)?.get_mut(v),
        }
    }

    /// Inserts a new entry (the key must be absent), first evicting the least recently read
    /// entries to stay within `capacity`; the evicted entries go to `graveyard`. Returns how
    /// many were evicted.
    pub(crate) fn insert(&mut self, key: KeyRef<'_>, slot: Slot, capacity: usize, graveyard: &mut Vec<Slot>) -> u64 {
        let mut evicted = 0;
        while self.len >= capacity && self.get(key).is_none() {
            let Some(victim) = self.least_recently_used() else { break };
            evicted += 1;
            tracing::debug!(secret = %victim.as_ref(), "secret cache: evicted to stay within capacity");
            graveyard.extend(self.remove(victim.as_ref()));
        }
        slot.last_used.store(self.epoch, Ordering::Relaxed);
        self.epoch += 1;
        let old = match key.version {
            None => self.latest.insert(key.name.into(), slot),
            Some(v) => self.versions.entry(key.name.into()).or_default().insert(v.into(), slot),
        };
        match old {
            Some(old) => graveyard.push(old),
            None => self.len += 1,
        }
        evicted
    }

    pub(crate) fn remove(&mut self, key: KeyRef<'_>) -> Option<Slot> {
        let removed = match key.version {
            None => self.latest.remove(key.name),
            Some(v) => {
                let versions = self.versions.get_mut(key.name)?;
                let removed = versions.remove(v);
                if versions.is_empty() {
                    self.versions.remove(key.name);
                }
                removed
            }
        };
        self.len -= usize::from(removed.is_some());
        removed
    }

    /// Removes the latest value and every cached version of `name`.
    pub(crate) fn remove_name(&mut self, name: &str, graveyard: &mut Vec<Slot>) {
        graveyard.extend(self.latest.remove(name));
        if let Some(versions) = self.versions.remove(name) {
            graveyard.extend(versions.into_values());
        }
        self.len = self.latest.len() + self.versions.values().map(HashMap::len).sum::<usize>();
    }

    /// Removes everything.
    pub(crate) fn clear(&mut self, graveyard: &mut Vec<Slot>) {
        graveyard.extend(std::mem::take(&mut self.latest).into_values());
        graveyard.extend(std::mem::take(&mut self.versions).into_values().flat_map(HashMap::into_values));
        self.len = 0;
    }

    /// The key of the entry read least recently. A scan: the cache holds a few hundred
    /// secrets at most, and an eviction follows a request to the vault anyway.
    fn least_recently_used(&self) -> Option<crate::key::Key> {
        let latest = self.latest.iter().map(|(n, s)| (s.last_used.load(Ordering::Relaxed), n.as_ref(), None));
        let versions = self.versions.iter().flat_map(|(n, vs)| {
            vs.iter().map(move |(v, s)| (s.last_used.load(Ordering::Relaxed), n.as_ref(), Some(v.as_ref())))
        });
        latest
            .chain(versions)
            .min_by_key(|(stamp, _, _)| *stamp)
            .map(|(_, name, version)| KeyRef { name, version }.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot() -> Slot {
        Slot::new(Value::Pending, SystemTime::UNIX_EPOCH, Duration::from_secs(1))
    }

    fn key<'a>(name: &'a str, version: Option<&'a str>) -> KeyRef<'a> {
        KeyRef { name, version }
    }

    #[test]
    fn capacity_evicts_the_least_recently_read() {
        let mut store = Store::default();
        let mut graveyard = Vec::new();
        store.insert(key("a", None), slot(), 2, &mut graveyard);
        store.insert(key("a", Some("v1")), slot(), 2, &mut graveyard);
        store.get(key("a", None)).unwrap().touch(store.epoch());
        store.insert(key("b", None), slot(), 2, &mut graveyard);
        assert_eq!(graveyard.len(), 1);
        assert!(store.get(key("a", Some("v1"))).is_none());
        assert!(store.get(key("a", None)).is_some() && store.get(key("b", None)).is_some());
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn remove_name_takes_every_version() {
        let mut store = Store::default();
        let mut graveyard = Vec::new();
        for k in [key("a", None), key("a", Some("1")), key("a", Some("2")), key("b", Some("1"))] {
            store.insert(k, slot(), 10, &mut graveyard);
        }
        store.remove_name("a", &mut graveyard);
        assert_eq!((graveyard.len(), store.len()), (3, 1));
        assert!(store.remove(key("b", Some("1"))).is_some());
        assert_eq!(store.len(), 0);
        assert!(store.remove(key("b", Some("1"))).is_none());
        store.clear(&mut graveyard);
        assert_eq!(store.len(), 0);
    }
}
