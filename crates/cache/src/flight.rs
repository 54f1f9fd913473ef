//! One fetch: a task on the caller's runtime, so that it completes (and fills the cache) even
//! when the reader that started it gives up; its outcome decides the entry's fate by the
//! failure rules, and is handed to every reader that waited for it.

use azkv_secrets::KeyVaultSecret;
use std::sync::Arc;

use crate::cache::Inner;
use crate::error::{Error, Failure, classify};
use crate::key::{Key, KeyRef};
use crate::stats::bump;
use crate::store::{Flight, Outcome, Served, Slot, Value};

/// Runs the fetch of `key` for `flight` on `handle`.
pub(crate) fn spawn(inner: &Arc<Inner>, handle: &tokio::runtime::Handle, key: Key, flight: Arc<Flight>) {
    let guard = Guard { inner: inner.clone(), key, flight: Some(flight) };
    handle.spawn(run(guard));
}

async fn run(mut guard: Guard) {
    let inner = guard.inner.clone();
    bump(&inner.counters.fetches);
    let result = match &guard.key.version {
        None => inner.client.get_secret(&guard.key.name).await,
        Some(version) => inner.client.get_secret_version(&guard.key.name, Some(version), None).await,
    };
    let Some(flight) = guard.flight.take() else { return };
    let outcome = inner.complete(guard.key.as_ref(), &flight, result);
    flight.tx.send_replace(Some(outcome));
}

/// Clears the entry's flight if the task ends without completing (a panicking client, a
/// runtime shutting down), so that the next read fetches again instead of waiting forever.
struct Guard {
    inner: Arc<Inner>,
    key: Key,
    flight: Option<Arc<Flight>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Some(flight) = self.flight.take() else { return };
        let mut store = self.inner.write();
        let key = self.key.as_ref();
        let Some(slot) = store.get_mut(key) else { return };
        if !slot.is_in(&flight) {
            return;
        }
        slot.flight = None;
        slot.refresh_claimed.store(false, std::sync::atomic::Ordering::Release);
        let removed = matches!(slot.value, Value::Pending).then(|| store.remove(key));
        drop(store);
        drop(removed);
    }
}

/// `now + by`, saturating instead of panicking on a huge duration.
fn later(now: std::time::SystemTime, by: std::time::Duration) -> std::time::SystemTime {
    const CENTURY: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(by).or_else(|| now.checked_add(CENTURY)).unwrap_or(now)
}

impl Inner {
    /// Applies a fetch's result to the entry (when the entry is still the one that started
    /// it: an invalidation or eviction meanwhile leaves the cache alone) and returns what the
    /// waiting readers get.
    fn complete(&self, key: KeyRef<'_>, flight: &Arc<Flight>, result: azkv_secrets::Result<KeyVaultSecret>) -> Outcome {
        let now = self.now();
        let mut graveyard: Vec<Slot> = Vec::new();
        let mut replaced = None;
        let mut store = self.write();
        let ours = store.get(key).is_some_and(|slot| slot.is_in(flight));
        // Drops the entry (and, for a latest value, every cached version of the name).
        let evict = |store: &mut crate::store::Store, graveyard: &mut Vec<Slot>| {
            if !ours {
                return;
            }
            match key.version {
                None => store.remove_name(key.name, graveyard),
                Some(_) => graveyard.extend(store.remove(key)),
            }
        };
        let outcome = match result {
            Ok(secret) if secret.properties.enabled == Some(false) => {
                bump(&self.counters.errors);
                evict(&mut store, &mut graveyard);
                tracing::info!(secret = %key, "secret cache: the secret is disabled; evicted");
                Err(Error::Disabled { name: key.name.to_owned() })
            }
            Ok(secret) => {
                let secret = Arc::new(secret);
                if ours && let Some(slot) = store.get_mut(key) {
                    replaced = Some(std::mem::replace(&mut slot.value, Value::Secret(secret.clone())));
                    slot.fetched_at = now;
                    // A remembered `NotFound` had the negative time to live.
                    slot.ttl = match key.version {
                        None => self.options.ttl_of(key.name),
                        Some(_) => self.options.max_stale,
                    };
                    slot.flight = None;
                    slot.retry_at = None;
                    slot.refresh_claimed.store(false, std::sync::atomic::Ordering::Release);
                }
                Ok(Served { secret, stale: false })
            }
            Err(error) => {
                bump(&self.counters.errors);
                let failure = classify(&error);
                let retry_after = match &error {
                    azkv_secrets::Error::Throttled { retry_after, .. } => *retry_after,
                    _ => None,
                };
                let error = Arc::new(error);
                match failure {
                    Failure::Transient => {
                        let kept = if ours { store.get_mut(key) } else { None }.and_then(|slot| {
                            slot.flight = None;
                            slot.refresh_claimed.store(false, std::sync::atomic::Ordering::Release);
                            let backoff = self.options.failure_backoff.max(retry_after.unwrap_or_default());
                            slot.retry_at = Some(later(now, backoff));
                            let age = slot.age(now);
                            match &slot.value {
                                Value::Secret(s) if key.version.is_none() && age < self.options.max_stale => {
                                    Some(Served { secret: s.clone(), stale: age >= slot.ttl })
                                }
                                _ => None,
                            }
                        });
                        match kept {
                            Some(served) => {
                                tracing::warn!(
                                    secret = %key,
                                    error = %error,
                                    retry_in_secs = self.options.failure_backoff.max(retry_after.unwrap_or_default()).as_secs(),
                                    "secret cache: refresh failed; serving the cached value until max_stale"
                                );
                                Ok(served)
                            }
                            None => {
                                if ours {
                                    graveyard.extend(store.remove(key));
                                }
                                tracing::warn!(secret = %key, error = %error, "secret cache: fetch failed");
                                Err(Error::Vault(error))
                            }
                        }
                    }
                    Failure::NotFound => {
                        evict(&mut store, &mut graveyard);
                        if ours && let Some(ttl) = self.options.negative_ttl {
                            let slot = Slot::new(Value::Missing(error.clone()), now, ttl);
                            let evicted = store.insert(key, slot, self.options.capacity, &mut graveyard);
                            self.counters.evictions.fetch_add(evicted, std::sync::atomic::Ordering::Relaxed);
                        }
                        tracing::info!(secret = %key, "secret cache: not found; evicted");
                        Err(Error::Vault(error))
                    }
                    Failure::Evict => {
                        evict(&mut store, &mut graveyard);
                        tracing::warn!(secret = %key, error = %error, "secret cache: fetch refused; evicted");
                        Err(Error::Vault(error))
                    }
                }
            }
        };
        drop(store);
        drop((graveyard, replaced));
        outcome
    }
}
