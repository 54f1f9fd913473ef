//! `SecretCache`: the read path (one read lock, no allocation on a hit), write-through
//! helpers and invalidation. Fetches and their outcomes live in `flight.rs`.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use azkv_secrets::{DeletedSecret, KeyVaultSecret, Poller, SecretClientApi, SetSecretOptions};
use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::key::{KeyRef, normalize};
use crate::stats::{CacheStats, Counters, bump};
use crate::store::{Outcome, Slot, Store, Value};
use crate::{CacheOptions, store};

/// A cache of Key Vault secrets in front of any [`SecretClientApi`].
///
/// Cheap to clone: clones share one set of entries. Reads return an `Arc<KeyVaultSecret>`
/// whose value is still a redacted, zeroized `Secret`; the cache keeps one reference per
/// entry and drops it on eviction, invalidation or [`SecretCache::clear`], so a value's
/// zeroizing drop runs as soon as the last reader lets go.
///
/// Reads need a tokio runtime (fetches run as tasks on it); see
/// [`blocking::SecretCache`](crate::blocking) for code without one.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> azkv_cache::Result<()> {
/// use std::sync::Arc;
/// use azkv_cache::{CacheOptions, SecretCache};
/// use azkv_secrets::{KeyVaultSecret, MockSecretClientApi, SecretProperties};
///
/// let mut client = MockSecretClientApi::new();
/// client
///     .expect_get_secret()
///     .times(1) // every later read is answered from the cache
///     .returning(|name| Ok(KeyVaultSecret::new(name, "hunter2", SecretProperties::with_name(name))));
/// let cache = SecretCache::new(Arc::new(client), CacheOptions::default())?;
/// for _ in 0..3 {
///     assert_eq!(cache.get("db-password").await?.value(), "hunter2");
/// }
/// assert_eq!((cache.stats().fetches, cache.stats().hits), (1, 2));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SecretCache {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: Arc<dyn SecretClientApi>,
    pub(crate) options: CacheOptions,
    store: RwLock<Store>,
    pub(crate) counters: Counters,
}

/// What a read does next, decided under a lock.
enum Step {
    Hit(Arc<KeyVaultSecret>),
    /// A hit that should start the refresh ahead.
    HitAndRefresh(Arc<KeyVaultSecret>),
    Stale(Arc<KeyVaultSecret>),
    Negative(Arc<azkv_secrets::Error>),
    Join(watch::Receiver<Option<Outcome>>),
    Fetch,
}

impl SecretCache {
    /// A cache in front of `client`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the options contradict themselves: a zero time to live,
    /// `max_stale` shorter than a time to live, a capacity of 0, a refresh threshold outside
    /// 1..=100, a zero failure backoff or a zero negative time to live.
    pub fn new(client: Arc<dyn SecretClientApi>, options: CacheOptions) -> Result<Self> {
        options.validate()?;
        let inner = Inner { client, options, store: RwLock::new(Store::default()), counters: Counters::default() };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The latest value of `name`: from the cache while it is fresh, else fetched once for
    /// every concurrent reader.
    ///
    /// Past the refresh threshold, the cached value is returned at once and one background
    /// refresh starts. Past the time to live, the read waits for a fetch; when that fails with
    /// a transient error, the cached value is returned while it is younger than `max_stale`.
    ///
    /// # Errors
    /// The vault's error ([`Error::Vault`]), shared by every reader of the failed fetch;
    /// [`Error::Disabled`]; [`Error::Runtime`] outside a tokio runtime.
    pub async fn get(&self, name: &str) -> Result<Arc<KeyVaultSecret>> {
        let name = normalize(name);
        self.inner.read(KeyRef { name: &name, version: None }).await
    }

    /// One explicit version of `name`. Versions never change, so a cached version is served
    /// until it is evicted or invalidated, and never refreshed.
    ///
    /// # Errors
    /// As [`SecretCache::get`].
    pub async fn get_version(&self, name: &str, version: &str) -> Result<Arc<KeyVaultSecret>> {
        let (name, version) = (normalize(name), normalize(version));
        self.inner.read(KeyRef { name: &name, version: Some(&version) }).await
    }

    /// Sets a new value through the client, then drops the cached entries of `name` (a
    /// fetch in flight when the write completes is not cached either), so the next read
    /// fetches the new value.
    ///
    /// # Errors
    /// The client's error; the entries are dropped even then, since the write may have
    /// happened.
    pub async fn set(&self, name: &str, value: &str, options: Option<SetSecretOptions>) -> Result<KeyVaultSecret> {
        let result = self.inner.client.set_secret(name, value, options).await;
        self.invalidate(name);
        Ok(result?)
    }

    /// Starts deleting `name` through the client, then drops its cached entries. Await the
    /// poller to wait for the deletion to finish.
    ///
    /// # Errors
    /// The client's error; the entries are dropped even then.
    pub async fn delete(&self, name: &str) -> Result<Poller<DeletedSecret>> {
        let result = self.inner.client.begin_delete_secret(name).await;
        self.invalidate(name);
        Ok(result?)
    }

    /// Drops the cached latest value and every cached version of `name`. A fetch in flight
    /// still answers the readers waiting for it, but its result is not cached.
    pub fn invalidate(&self, name: &str) {
        let mut graveyard = Vec::new();
        self.inner.write().remove_name(&normalize(name), &mut graveyard);
        drop(graveyard);
    }

    /// Drops every entry.
    pub fn clear(&self) {
        let mut graveyard = Vec::new();
        self.inner.write().clear(&mut graveyard);
        drop(graveyard);
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        let entries = self.inner.read_lock().len();
        self.inner.counters.snapshot(entries)
    }

    /// The options in force.
    pub fn options(&self) -> &CacheOptions {
        &self.inner.options
    }

    /// The client the cache reads through.
    pub fn client(&self) -> &Arc<dyn SecretClientApi> {
        &self.inner.client
    }
}

impl fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretCache")
            .field("options", &self.inner.options)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Inner {
    pub(crate) fn read_lock(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.options.time_source.now()
    }

    async fn read(self: &Arc<Self>, key: KeyRef<'_>) -> Result<Arc<KeyVaultSecret>> {
        let now = self.now();
        let step = self.decide(&self.read_lock(), key, now);
        match step {
            Step::Hit(secret) => {
                self.counters.hits.bump();
                Ok(secret)
            }
            Step::HitAndRefresh(secret) => {
                self.counters.hits.bump();
                self.start_refresh(key, &secret);
                Ok(secret)
            }
            Step::Stale(secret) => {
                bump(&self.counters.stale_served);
                Ok(secret)
            }
            Step::Negative(error) => {
                bump(&self.counters.negative_hits);
                Err(Error::Vault(error))
            }
            Step::Join(rx) => {
                bump(&self.counters.misses);
                self.wait(rx).await
            }
            Step::Fetch => {
                bump(&self.counters.misses);
                let rx = match self.fetch(key) {
                    Ok(Ok(rx)) => rx,
                    // Decided again under the write lock: another reader's fetch completed.
                    Ok(Err(secret)) => return Ok(secret),
                    Err(e) => return Err(e),
                };
                self.wait(rx).await
            }
        }
    }

    /// What to do with `key` at `now`: the cache's rules in one place.
    fn decide(&self, store: &Store, key: KeyRef<'_>, now: SystemTime) -> Step {
        let Some(slot) = store.get(key) else { return Step::Fetch };
        slot.touch(store.epoch());
        let join_or_fetch = |slot: &Slot| match &slot.flight {
            Some(flight) => Step::Join(flight.tx.subscribe()),
            None => Step::Fetch,
        };
        let secret = match &slot.value {
            Value::Pending => return join_or_fetch(slot),
            Value::Missing(error) if slot.age(now) < slot.ttl => return Step::Negative(error.clone()),
            Value::Missing(_) => return join_or_fetch(slot),
            Value::Secret(secret) => secret,
        };
        if key.version.is_some() {
            return Step::Hit(secret.clone());
        }
        let age = slot.age(now);
        if age < self.options.refresh_after(slot.ttl) {
            return Step::Hit(secret.clone());
        }
        let backing_off = slot.retry_at.is_some_and(|at| now < at);
        if age < slot.ttl {
            let start = slot.flight.is_none() && !backing_off && !slot.refresh_claimed.swap(true, Ordering::AcqRel);
            return if start { Step::HitAndRefresh(secret.clone()) } else { Step::Hit(secret.clone()) };
        }
        if slot.flight.is_none() && backing_off && age < self.options.max_stale {
            return Step::Stale(secret.clone());
        }
        join_or_fetch(slot)
    }

    /// Starts the fetch `decide` asked for, unless the rules say otherwise now that the write
    /// lock is held: `Ok(Err(value))` when a fetch completed meanwhile.
    fn fetch(
        self: &Arc<Self>,
        key: KeyRef<'_>,
    ) -> Result<Result<watch::Receiver<Option<Outcome>>, Arc<KeyVaultSecret>>> {
        let handle = runtime()?;
        let mut graveyard = Vec::new();
        let mut store = self.write();
        let now = self.now();
        match self.decide(&store, key, now) {
            Step::Fetch => {}
            Step::Join(rx) => return Ok(Ok(rx)),
            Step::Hit(s) | Step::Stale(s) => return Ok(Err(s)),
            Step::HitAndRefresh(s) => {
                // Not started from here: leave the refresh to the next read.
                if let Some(slot) = store.get(key) {
                    slot.refresh_claimed.store(false, Ordering::Release);
                }
                return Ok(Err(s));
            }
            Step::Negative(e) => return Err(Error::Vault(e)),
        }
        let flight = store::Flight::new();
        let rx = flight.tx.subscribe();
        let reason = match store.get_mut(key) {
            Some(slot) => {
                slot.flight = Some(flight.clone());
                if matches!(slot.value, Value::Secret(_)) { "expired" } else { "miss" }
            }
            None => {
                let ttl = match key.version {
                    None => self.options.ttl_of(key.name),
                    Some(_) => self.options.max_stale,
                };
                let mut slot = Slot::new(Value::Pending, now, ttl);
                slot.flight = Some(flight.clone());
                let evicted = store.insert(key, slot, self.options.capacity, &mut graveyard);
                self.counters.evictions.fetch_add(evicted, Ordering::Relaxed);
                "miss"
            }
        };
        drop(store);
        drop(graveyard);
        tracing::debug!(secret = %key, reason, "secret cache: fetching");
        crate::flight::spawn(self, &handle, key.to_owned(), flight);
        Ok(Ok(rx))
    }

    /// Starts one background refresh of `key`, if the entry still holds `seen` and nothing
    /// else is fetching it.
    fn start_refresh(self: &Arc<Self>, key: KeyRef<'_>, seen: &Arc<KeyVaultSecret>) {
        let Ok(handle) = runtime() else {
            if let Some(slot) = self.read_lock().get(key) {
                slot.refresh_claimed.store(false, Ordering::Release);
            }
            return;
        };
        let mut store = self.write();
        let Some(slot) = store.get_mut(key) else { return };
        let same = matches!(&slot.value, Value::Secret(s) if Arc::ptr_eq(s, seen));
        if !same || slot.flight.is_some() {
            return;
        }
        let flight = store::Flight::new();
        slot.flight = Some(flight.clone());
        drop(store);
        bump(&self.counters.refreshes);
        tracing::debug!(secret = %key, reason = "refresh-ahead", "secret cache: fetching");
        crate::flight::spawn(self, &handle, key.to_owned(), flight);
    }

    async fn wait(&self, mut rx: watch::Receiver<Option<Outcome>>) -> Result<Arc<KeyVaultSecret>> {
        let outcome = match rx.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone(),
            Err(_) => None,
        };
        match outcome {
            Some(Ok(served)) => {
                if served.stale {
                    bump(&self.counters.stale_served);
                }
                Ok(served.secret)
            }
            Some(Err(e)) => Err(e),
            None => {
                Err(Error::Runtime("the fetch ended without an answer (its task panicked or was cancelled)".into()))
            }
        }
    }
}

fn runtime() -> Result<tokio::runtime::Handle> {
    tokio::runtime::Handle::try_current()
        .map_err(|_| Error::Runtime("a secret cache read needs a tokio runtime (or use azkv_cache::blocking)".into()))
}
