//! The token cache every fetching credential shares: refresh ahead of expiry, one request per
//! key at a time, and a still-valid token served while a failed refresh backs off.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::time::TimeComponents;
use crate::{AccessToken, Result, TokenRequestOptions};
use time::OffsetDateTime;

/// How long a failed refresh waits before the next try while a still-valid token is served.
pub const REFRESH_RETRY_DELAY: Duration = Duration::from_secs(30);

/// The shortest time between two fetches for one key that the cache starts on its own: a
/// token issued with less than five minutes to live is reused for this long (or half its
/// remaining life, when that is shorter) instead of being fetched again on every call.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// The shortest time between two forced fetches for one key ([`TokenRequestOptions::refresh`]):
/// a server that rejects every token gets one new token per interval, not one per request.
pub const MIN_FORCED_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// How long a failed fetch, with no valid token to fall back on, answers for every caller of
/// that key: concurrent first calls during an outage share one request and its error.
pub const FAILED_FETCH_HOLD: Duration = Duration::from_secs(5);

/// Cached tokens keyed by scopes and tenant.
///
/// A token is served until [`AccessToken::refresh_at`] (its `refresh_on`, else five minutes
/// before `expires_on`); then one caller fetches a new one while concurrent callers keep the
/// still-valid token, or, when there is none, wait for that one fetch (single flight, per
/// key). When a refresh fails while the old token is still valid, the old token is served and
/// the next refresh waits [`REFRESH_RETRY_DELAY`]; when it fails with no valid token, its
/// error answers every caller for [`FAILED_FETCH_HOLD`], waiters included. A short-lived token
/// is reused for [`MIN_REFRESH_INTERVAL`]. A request carrying a claims challenge bypasses the
/// cache (and stores what it gets); one with [`TokenRequestOptions::refresh`] does too, at most
/// once per [`MIN_FORCED_REFRESH_INTERVAL`] (a later one gets the token that refresh fetched).
#[derive(Debug)]
pub struct TokenCache {
    time: TimeComponents,
    retry_delay: Duration,
    entries: Mutex<HashMap<CacheKey, Arc<Entry>>>,
    /// The entry found last, so that a client asking for the same token again and again
    /// neither builds a key nor hashes one.
    last: Mutex<Option<(CacheKey, Arc<Entry>)>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    scopes: Vec<String>,
    tenant_id: Option<String>,
    /// CAE-capable tokens are kept apart from the others.
    cae: bool,
}

#[derive(Debug, Default)]
struct Entry {
    state: Mutex<State>,
    gate: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    token: Option<AccessToken>,
    /// When the cache fetches again on its own (the token's `refresh_at`, held back for a
    /// short-lived token).
    refresh_after: Option<OffsetDateTime>,
    next_attempt: Option<OffsetDateTime>,
    /// When the last forced fetch ran.
    last_forced: Option<OffsetDateTime>,
    /// The last fetch that failed with no valid token to serve: when, and its error.
    failure: Option<(OffsetDateTime, Failure)>,
    /// `Authorization: Bearer {token}` for `token`, built on first use and dropped with it.
    bearer: Option<BearerHeader>,
}

/// The prepared `Authorization` value; `Debug` never shows it (it holds the token).
#[derive(Clone)]
struct BearerHeader(http::HeaderValue);

impl fmt::Debug for BearerHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::redact::REDACTED)
    }
}

/// A failed fetch, kept to answer the callers that share it.
#[derive(Debug, Clone)]
struct Failure {
    message: String,
    unavailable: bool,
}

impl Failure {
    fn of(error: &crate::Error) -> Self {
        let message = match error {
            crate::Error::Credential { message, .. } => message.clone(),
            other => other.to_string(),
        };
        Self { message, unavailable: error.is_credential_unavailable() }
    }

    fn to_error(&self) -> crate::Error {
        crate::Error::Credential { message: self.message.clone(), unavailable: self.unavailable, source: None }
    }
}

enum Lookup {
    Fresh(AccessToken),
    Stale(AccessToken),
    Missing,
}

impl State {
    fn lookup(&self, now: OffsetDateTime) -> Lookup {
        match (&self.token, self.fresh(now)) {
            (Some(t), true) => Lookup::Fresh(t.clone()),
            (Some(t), false) if now < t.expires_on => Lookup::Stale(t.clone()),
            _ => Lookup::Missing,
        }
    }

    /// Whether the cached token is served as it is at `now`: before its refresh point, or
    /// after it while a failed refresh waits for its next attempt.
    fn fresh(&self, now: OffsetDateTime) -> bool {
        match &self.token {
            Some(t) if now < t.expires_on => {
                now < self.refresh_after.unwrap_or_else(|| t.refresh_at()) || self.next_attempt.is_some_and(|n| now < n)
            }
            _ => false,
        }
    }
}

impl CacheKey {
    /// Whether `scopes` (sorted, without duplicates), `tenant_id` and `cae` build this key.
    fn is(&self, scopes: &[&str], tenant_id: Option<&str>, cae: bool) -> bool {
        self.cae == cae && self.tenant_id.as_deref() == tenant_id && self.scopes.iter().eq(scopes.iter().copied())
    }
}

impl TokenCache {
    /// An empty cache on `time`'s clock.
    pub fn new(time: TimeComponents) -> Self {
        Self { time, retry_delay: REFRESH_RETRY_DELAY, entries: Mutex::new(HashMap::new()), last: Mutex::new(None) }
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
        let entry = self.entry(scopes, options.tenant_id.as_deref(), options.enable_cae);
        if options.claims.is_some() || options.refresh {
            return self.forced(&entry, options, fetch).await;
        }
        let stale = match lock(&entry.state).lookup(self.time.now_utc()) {
            Lookup::Fresh(t) => return Ok(t),
            Lookup::Stale(t) => Some(t),
            Lookup::Missing => None,
        };
        let asked_at = self.time.now_utc();
        let _gate = match (entry.gate.try_lock(), stale) {
            (Ok(gate), _) => gate,
            // Someone is refreshing already: keep using the still-valid token meanwhile.
            (Err(_), Some(stale)) => return Ok(stale),
            (Err(_), None) => entry.gate.lock().await,
        };
        // Another caller may have fetched while this one waited, or failed recently.
        let now = self.time.now_utc();
        let stale = {
            let state = lock(&entry.state);
            match state.lookup(now) {
                Lookup::Fresh(t) => return Ok(t),
                Lookup::Stale(t) => Some(t),
                Lookup::Missing => {
                    if let Some((at, failure)) = &state.failure
                        && (*at >= asked_at || now < *at + FAILED_FETCH_HOLD)
                    {
                        return Err(failure.to_error());
                    }
                    None
                }
            }
        };
        match fetch().await {
            Ok(token) => {
                self.store(&entry, token.clone(), now);
                Ok(token)
            }
            Err(e) => match stale {
                Some(stale) => {
                    tracing::warn!(error = %e, retry_in = ?self.retry_delay, "token refresh failed; serving the cached token until it expires");
                    lock(&entry.state).next_attempt = Some(now + self.retry_delay);
                    Ok(stale)
                }
                None => {
                    lock(&entry.state).failure = Some((self.time.now_utc(), Failure::of(&e)));
                    Err(e)
                }
            },
        }
    }

    /// A fetch that bypasses the cached token: a claims challenge always; a rejected token
    /// at most once per [`MIN_FORCED_REFRESH_INTERVAL`].
    async fn forced<F, Fut>(&self, entry: &Entry, options: &TokenRequestOptions, fetch: F) -> Result<AccessToken>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken>>,
    {
        let _gate = entry.gate.lock().await;
        let now = self.time.now_utc();
        if options.claims.is_none() {
            let state = lock(&entry.state);
            if let (Some(last), Some(token)) = (state.last_forced, &state.token)
                && now < last + MIN_FORCED_REFRESH_INTERVAL
                && now < token.expires_on
            {
                tracing::debug!("a forced token refresh ran moments ago; reusing its token");
                return Ok(token.clone());
            }
        }
        let token = fetch().await?;
        self.store(entry, token.clone(), now);
        lock(&entry.state).last_forced = Some(now);
        Ok(token)
    }

    /// Stores `token`, fetched at `now`, holding back the next fetch of a short-lived one.
    fn store(&self, entry: &Entry, token: AccessToken, now: OffsetDateTime) {
        let mut refresh_after = token.refresh_at();
        let floor = now + MIN_REFRESH_INTERVAL.min(positive(token.expires_on - now) / 2);
        if refresh_after < floor {
            refresh_after = floor;
        }
        let mut state = lock(&entry.state);
        state.token = Some(token);
        state.bearer = None;
        state.refresh_after = Some(refresh_after);
        state.next_attempt = None;
        state.failure = None;
    }

    /// Forgets the token cached for `scopes` and `tenant_id`, so the next call fetches (for
    /// example after the service refused it).
    pub fn invalidate(&self, scopes: &[&str], tenant_id: Option<&str>) {
        for cae in [false, true] {
            *lock(&self.entry(scopes, tenant_id, cae).state) = State::default();
        }
    }

    /// Forgets every cached token.
    pub fn clear(&self) {
        lock(&self.entries).clear();
        *lock(&self.last) = None;
    }

    /// `Bearer {token}`, built once per token, when [`TokenCache::get_or_fetch`] would serve
    /// the cached token as it is; `None` when a fetch may be due, for claims or a refresh, or
    /// for a token that is not a valid header value.
    pub(crate) fn fresh_bearer(&self, scopes: &[&str], options: &TokenRequestOptions) -> Option<http::HeaderValue> {
        if options.claims.is_some() || options.refresh {
            return None;
        }
        let entry = self.entry(scopes, options.tenant_id.as_deref(), options.enable_cae);
        let now = self.time.now_utc();
        let mut state = lock(&entry.state);
        if !state.fresh(now) {
            return None;
        }
        if state.bearer.is_none() {
            let token = state.token.as_ref()?;
            state.bearer = bearer_value(token.token.expose()).map(BearerHeader);
        }
        state.bearer.as_ref().map(|b| b.0.clone())
    }

    fn entry(&self, scopes: &[&str], tenant_id: Option<&str>, cae: bool) -> Arc<Entry> {
        let canonical = scopes.windows(2).all(|w| w[0] < w[1]);
        if canonical
            && let Some((key, entry)) = &*lock(&self.last)
            && key.is(scopes, tenant_id, cae)
        {
            return entry.clone();
        }
        let mut scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        scopes.sort();
        scopes.dedup();
        let key = CacheKey { scopes, tenant_id: tenant_id.map(str::to_owned), cae };
        let entry = lock(&self.entries).entry(key.clone()).or_default().clone();
        *lock(&self.last) = Some((key, entry.clone()));
        entry
    }
}

/// `d` as a std duration, zero when negative.
fn positive(d: time::Duration) -> Duration {
    Duration::try_from(d).unwrap_or(Duration::ZERO)
}

/// `Bearer {token}` as a header value marked sensitive (so that no HTTP/2 peer or proxy is
/// invited to index it; h2 never indexes an `Authorization` value anyway), or `None` for a
/// token that is not a valid header value.
pub(crate) fn bearer_value(token: &str) -> Option<http::HeaderValue> {
    let mut value = http::HeaderValue::try_from(format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
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

    fn counting(clock: &ManualTime, calls: &AtomicUsize, valid_for: Duration) -> Result<AccessToken> {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        Ok(token(&format!("t{n}"), clock, valid_for))
    }

    #[tokio::test]
    async fn a_short_lived_token_is_reused_for_the_minimum_interval() {
        let clock = ManualTime::default();
        let cache = TokenCache::new(clock.components());
        let calls = AtomicUsize::new(0);
        let opts = TokenRequestOptions::default();
        let get = || async { counting(&clock, &calls, Duration::from_secs(120)) };
        for _ in 0..10 {
            assert_eq!(cache.get_or_fetch(&["s"], &opts, get).await.unwrap().token.expose(), "t0");
        }
        clock.advance(MIN_REFRESH_INTERVAL - Duration::from_secs(1));
        assert_eq!(cache.get_or_fetch(&["s"], &opts, get).await.unwrap().token.expose(), "t0");
        clock.advance(Duration::from_secs(2));
        assert_eq!(cache.get_or_fetch(&["s"], &opts, get).await.unwrap().token.expose(), "t1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A token with 20 s to live is reused for half of that, never past its expiry.
        let brief = || async { counting(&clock, &calls, Duration::from_secs(20)) };
        cache.get_or_fetch(&["b"], &opts, brief).await.unwrap();
        clock.advance(Duration::from_secs(9));
        cache.get_or_fetch(&["b"], &opts, brief).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        clock.advance(Duration::from_secs(2));
        cache.get_or_fetch(&["b"], &opts, brief).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_rejected_token_forces_one_fetch_per_interval() {
        let clock = ManualTime::default();
        let cache = TokenCache::new(clock.components());
        let calls = AtomicUsize::new(0);
        let get = || async { counting(&clock, &calls, Duration::from_secs(3600)) };
        let normal = TokenRequestOptions::default();
        let forced = TokenRequestOptions::default().with_refresh();
        assert_eq!(cache.get_or_fetch(&["s"], &normal, get).await.unwrap().token.expose(), "t0");
        assert_eq!(cache.get_or_fetch(&["s"], &forced, get).await.unwrap().token.expose(), "t1", "never t0 again");
        for _ in 0..20 {
            assert_eq!(cache.get_or_fetch(&["s"], &forced, get).await.unwrap().token.expose(), "t1", "no storm");
        }
        assert_eq!(cache.get_or_fetch(&["s"], &normal, get).await.unwrap().token.expose(), "t1");
        clock.advance(MIN_FORCED_REFRESH_INTERVAL);
        assert_eq!(cache.get_or_fetch(&["s"], &forced, get).await.unwrap().token.expose(), "t2");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_first_calls_share_one_failing_fetch_per_window() {
        let clock = ManualTime::default();
        let cache = Arc::new(TokenCache::new(clock.components()));
        let calls = Arc::new(AtomicUsize::new(0));
        let round = |cache: Arc<TokenCache>, calls: Arc<AtomicUsize>| async move {
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let (cache, calls) = (cache.clone(), calls.clone());
                    tokio::spawn(async move {
                        let fetch = || async {
                            calls.fetch_add(1, Ordering::SeqCst);
                            // Let the other callers pile up behind this fetch.
                            tokio::task::yield_now().await;
                            Err::<AccessToken, _>(Error::credential("429 from the token endpoint"))
                        };
                        cache.get_or_fetch(&["s"], &TokenRequestOptions::default(), fetch).await
                    })
                })
                .collect();
            for task in tasks {
                let err = task.await.unwrap().unwrap_err();
                assert!(err.to_string().contains("429 from the token endpoint"), "{err}");
            }
        };
        round(cache.clone(), calls.clone()).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "64 callers, one request");
        clock.advance(FAILED_FETCH_HOLD - Duration::from_secs(1));
        round(cache.clone(), calls.clone()).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "still inside the window");
        clock.advance(Duration::from_secs(1));
        round(cache.clone(), calls.clone()).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2, "one more request per window");
    }
}
