//! The token cache every fetching credential shares: refresh ahead of expiry, one request per
//! key at a time, and a still-valid token served while a failed refresh backs off.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::time::TimeComponents;
use crate::{AccessToken, Result, TokenRequestOptions};
use time::OffsetDateTime;

/// How long a failed refresh waits before the next try while a still-valid token is served.
pub const REFRESH_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Cached tokens keyed by scopes and tenant.
///
/// A token is served until [`AccessToken::refresh_at`] (its `refresh_on`, else five minutes
/// before `expires_on`); then one caller fetches a new one while concurrent callers keep the
/// still-valid token, or, when there is none, wait for that one fetch (single flight, per
/// key). When a refresh fails while the old token is still valid, the old token is served and
/// the next refresh waits [`REFRESH_RETRY_DELAY`]. A request carrying a claims challenge
/// bypasses the cache (and stores what it gets).
#[derive(Debug)]
pub struct TokenCache {
    time: TimeComponents,
    retry_delay: Duration,
    entries: Mutex<HashMap<CacheKey, Arc<Entry>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    scopes: Vec<String>,
    tenant_id: Option<String>,
}

#[derive(Debug, Default)]
struct Entry {
    state: Mutex<State>,
    gate: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    token: Option<AccessToken>,
    next_attempt: Option<OffsetDateTime>,
}

enum Lookup {
    Fresh(AccessToken),
    Stale(AccessToken),
    Missing,
}

impl State {
    fn lookup(&self, now: OffsetDateTime) -> Lookup {
        match &self.token {
            Some(t) if now < t.refresh_at() => Lookup::Fresh(t.clone()),
            Some(t) if now < t.expires_on => {
                if self.next_attempt.is_some_and(|n| now < n) {
                    Lookup::Fresh(t.clone())
                } else {
                    Lookup::Stale(t.clone())
                }
            }
            _ => Lookup::Missing,
        }
    }
}

impl TokenCache {
    /// An empty cache on `time`'s clock.
    pub fn new(time: TimeComponents) -> Self {
        Self { time, retry_delay: REFRESH_RETRY_DELAY, entries: Mutex::new(HashMap::new()) }
    }

    /// The cached token for `scopes` and `options.tenant_id` while it is fresh; else the
    /// result of `fetch`, stored.
    ///
    /// # Errors
    /// `fetch`'s error, when no still-valid token is cached.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        fetch: F,
    ) -> Result<AccessToken>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken>>,
    {
        let entry = self.entry(scopes, options.tenant_id.as_deref());
        if options.claims.is_some() {
            let _gate = entry.gate.lock().await;
            let token = fetch().await?;
            let mut state = lock(&entry.state);
            state.token = Some(token.clone());
            state.next_attempt = None;
            return Ok(token);
        }
        let stale = match lock(&entry.state).lookup(self.time.now_utc()) {
            Lookup::Fresh(t) => return Ok(t),
            Lookup::Stale(t) => Some(t),
            Lookup::Missing => None,
        };
        let _gate = match (entry.gate.try_lock(), stale) {
            (Ok(gate), _) => gate,
            // Someone is refreshing already: keep using the still-valid token meanwhile.
            (Err(_), Some(stale)) => return Ok(stale),
            (Err(_), None) => entry.gate.lock().await,
        };
        // Another caller may have fetched while this one waited.
        let now = self.time.now_utc();
        let stale = match lock(&entry.state).lookup(now) {
            Lookup::Fresh(t) => return Ok(t),
            Lookup::Stale(t) => Some(t),
            Lookup::Missing => None,
        };
        match fetch().await {
            Ok(token) => {
                let mut state = lock(&entry.state);
                state.token = Some(token.clone());
                state.next_attempt = None;
                Ok(token)
            }
            Err(e) => match stale {
                Some(stale) => {
                    tracing::warn!(error = %e, retry_in = ?self.retry_delay, "token refresh failed; serving the cached token until it expires");
                    lock(&entry.state).next_attempt = Some(now + self.retry_delay);
                    Ok(stale)
                }
                None => Err(e),
            },
        }
    }

    /// Forgets the token cached for `scopes` and `tenant_id`, so the next call fetches (for
    /// example after the service refused it).
    pub fn invalidate(&self, scopes: &[&str], tenant_id: Option<&str>) {
        let entry = self.entry(scopes, tenant_id);
        let mut state = lock(&entry.state);
        state.token = None;
        state.next_attempt = None;
    }

    /// Forgets every cached token.
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }

    fn entry(&self, scopes: &[&str], tenant_id: Option<&str>) -> Arc<Entry> {
        let mut scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        scopes.sort();
        scopes.dedup();
        let key = CacheKey { scopes, tenant_id: tenant_id.map(str::to_owned) };
        lock(&self.entries).entry(key).or_default().clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::test_util::ManualTime;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn token(name: &str, time: &ManualTime, valid_for: Duration) -> AccessToken {
        AccessToken::new(name, OffsetDateTime::from(time.components().time_source.now() + valid_for))
    }

    #[tokio::test]
    async fn serves_until_refresh_at_then_refreshes() {
        let clock = ManualTime::default();
        let cache = TokenCache::new(clock.components());
        let calls = AtomicUsize::new(0);
        let get = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(token(&format!("t{n}"), &clock, Duration::from_secs(3600)))
        };
        let opts = TokenRequestOptions::default();
        assert_eq!(cache.get_or_fetch(&["s"], &opts, get).await.unwrap().token.expose(), "t0");
        clock.advance(Duration::from_secs(3600 - 301));
        assert_eq!(cache.get_or_fetch(&["s"], &opts, get).await.unwrap().token.expose(), "t0");
        clock.advance(Duration::from_secs(2));
        assert_eq!(cache.get_or_fetch(&["s"], &opts, get).await.unwrap().token.expose(), "t1");
        // Another key, another token; scope order does not matter.
        assert_eq!(cache.get_or_fetch(&["s", "u"], &opts, get).await.unwrap().token.expose(), "t2");
        assert_eq!(cache.get_or_fetch(&["u", "s"], &opts, get).await.unwrap().token.expose(), "t2");
        let tenant = TokenRequestOptions::default().with_tenant("other");
        assert_eq!(cache.get_or_fetch(&["s"], &tenant, get).await.unwrap().token.expose(), "t3");
    }

    #[tokio::test]
    async fn failed_refresh_serves_the_valid_token_and_backs_off() {
        let clock = ManualTime::default();
        let cache = TokenCache::new(clock.components());
        let opts = TokenRequestOptions::default();
        cache
            .get_or_fetch(&["s"], &opts, || async { Ok(token("old", &clock, Duration::from_secs(600))) })
            .await
            .unwrap();
        clock.advance(Duration::from_secs(400)); // Inside the five-minute refresh window.
        let calls = AtomicUsize::new(0);
        let failing = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::credential("down"))
        };
        for _ in 0..5 {
            assert_eq!(cache.get_or_fetch(&["s"], &opts, failing).await.unwrap().token.expose(), "old");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "backs off after a failed refresh");
        clock.advance(Duration::from_secs(31));
        cache.get_or_fetch(&["s"], &opts, failing).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "tries again after the back-off");
        clock.advance(Duration::from_secs(200)); // Expired now.
        let err = cache.get_or_fetch(&["s"], &opts, failing).await.unwrap_err();
        assert!(err.to_string().contains("down"), "{err}");
    }

    #[tokio::test]
    async fn claims_bypass_the_cache() {
        let clock = ManualTime::default();
        let cache = TokenCache::new(clock.components());
        let opts = TokenRequestOptions::default();
        cache
            .get_or_fetch(&["s"], &opts, || async { Ok(token("a", &clock, Duration::from_secs(3600))) })
            .await
            .unwrap();
        let claims = TokenRequestOptions::default().with_claims("{}");
        let t = cache.get_or_fetch(&["s"], &claims, || async { Ok(token("b", &clock, Duration::from_secs(3600))) });
        assert_eq!(t.await.unwrap().token.expose(), "b");
        let t = cache.get_or_fetch(&["s"], &opts, || async { Ok(token("c", &clock, Duration::from_secs(3600))) });
        assert_eq!(t.await.unwrap().token.expose(), "b");
    }
}
