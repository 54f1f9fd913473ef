//! `CacheOptions`: every knob of the cache, checked once at construction.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azkv_pipeline::time::{SystemTimeSource, TimeSource};

use crate::Error;
use crate::key::normalize;

/// How a [`SecretCache`](crate::SecretCache) keeps secrets.
///
/// Start from `CacheOptions::default()` and change what you need with the `with_*` setters;
/// [`SecretCache::new`](crate::SecretCache::new) checks the result and refuses contradictory
/// settings with [`Error::InvalidArgument`]. `docs/cache.md` describes every rule.
///
/// ```
/// use std::time::Duration;
/// use azkv_cache::CacheOptions;
///
/// let options = CacheOptions::default()
///     .with_ttl(Duration::from_secs(60))
///     .with_ttl_for("feature-flags", Duration::from_secs(10))
///     .with_max_stale(Duration::from_secs(15 * 60))
///     .with_negative_ttl(Duration::from_secs(5))
///     .with_capacity(100);
/// assert_eq!(options.ttl(), Duration::from_secs(60));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct CacheOptions {
    pub(crate) ttl: Duration,
    pub(crate) ttl_overrides: HashMap<String, Duration>,
    pub(crate) refresh_at_percent: u8,
    pub(crate) max_stale: Duration,
    pub(crate) failure_backoff: Duration,
    pub(crate) negative_ttl: Option<Duration>,
    pub(crate) capacity: usize,
    pub(crate) time_source: Arc<dyn TimeSource>,
}

/// The default time to live: 5 minutes.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
/// The default bound on the age of a value served after failed refreshes: 1 hour.
pub const DEFAULT_MAX_STALE: Duration = Duration::from_secs(60 * 60);
/// The default wait after a failed refresh before the next attempt: 10 seconds.
pub const DEFAULT_FAILURE_BACKOFF: Duration = Duration::from_secs(10);
/// The default share of the time to live after which a background refresh starts: 80 %.
pub const DEFAULT_REFRESH_AT_PERCENT: u8 = 80;
/// The default capacity: 1,024 entries.
pub const DEFAULT_CAPACITY: usize = 1024;

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            ttl_overrides: HashMap::new(),
            refresh_at_percent: DEFAULT_REFRESH_AT_PERCENT,
            max_stale: DEFAULT_MAX_STALE,
            failure_backoff: DEFAULT_FAILURE_BACKOFF,
            negative_ttl: None,
            capacity: DEFAULT_CAPACITY,
            time_source: Arc::new(SystemTimeSource),
        }
    }
}

impl fmt::Debug for CacheOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut overrides: Vec<_> = self.ttl_overrides.iter().collect();
        overrides.sort();
        f.debug_struct("CacheOptions")
            .field("ttl", &self.ttl)
            .field("ttl_overrides", &overrides)
            .field("refresh_at_percent", &self.refresh_at_percent)
            .field("max_stale", &self.max_stale)
            .field("failure_backoff", &self.failure_backoff)
            .field("negative_ttl", &self.negative_ttl)
            .field("capacity", &self.capacity)
            .field("time_source", &self.time_source)
            .finish()
    }
}

impl CacheOptions {
    /// How long a fetched secret is served before it is fetched again (default 5 minutes).
    ///
    /// Must be above zero and at most [`CacheOptions::with_max_stale`].
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// A time to live for one secret name (case-insensitive, as Key Vault's names), instead of
    /// [`CacheOptions::with_ttl`]'s. The same bounds apply.
    pub fn with_ttl_for(mut self, name: &str, ttl: Duration) -> Self {
        self.ttl_overrides.insert(normalize(name).into_owned(), ttl);
        self
    }

    /// Once an entry is older than this share of its time to live, the next read starts one
    /// background refresh and is answered from the cache without waiting (default 80).
    ///
    /// From 1 to 100; 100 turns refresh ahead off (entries are fetched again on the first read
    /// after they expire, and that read waits).
    pub fn with_refresh_at_percent(mut self, percent: u8) -> Self {
        self.refresh_at_percent = percent;
        self
    }

    /// The oldest a value may be and still be served when refreshing it fails with a transient
    /// error: throttling, a 5xx status, a transport failure, a timeout or a credential
    /// failure (default 1 hour). Measured from when the value was fetched.
    ///
    /// Must be at least every time to live; equal to the time to live turns stale-if-error off.
    pub fn with_max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// After a failed refresh, how long readers are served the stale value before the vault
    /// is asked again (default 10 seconds; a throttled answer's `Retry-After` lengthens it).
    ///
    /// Must be above zero, so that an outage is not met with one request per read.
    pub fn with_failure_backoff(mut self, backoff: Duration) -> Self {
        self.failure_backoff = backoff;
        self
    }

    /// Remembers a `NotFound` answer for `ttl`, answering the same error without asking the
    /// vault again (off by default). Must be above zero.
    pub fn with_negative_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = Some(ttl);
        self
    }

    /// Turns negative caching off (the default).
    pub fn without_negative_cache(mut self) -> Self {
        self.negative_ttl = None;
        self
    }

    /// The most entries kept (latest values, explicit versions and remembered `NotFound`s
    /// together; default 1,024). Past it, the least recently read entry is evicted. Must be
    /// above zero.
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// The clock the cache reads ages from (default the system clock); tests pass a
    /// `ManualTime`.
    pub fn with_time_source(mut self, time_source: Arc<dyn TimeSource>) -> Self {
        self.time_source = time_source;
        self
    }

    /// The default time to live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The time to live of `name`: its override, else the default.
    pub fn ttl_of(&self, name: &str) -> Duration {
        self.ttl_overrides.get(normalize(name).as_ref()).copied().unwrap_or(self.ttl)
    }

    /// The refresh-ahead threshold, in percent of the time to live.
    pub fn refresh_at_percent(&self) -> u8 {
        self.refresh_at_percent
    }

    /// The bound on a stale value's age.
    pub fn max_stale(&self) -> Duration {
        self.max_stale
    }

    /// The wait after a failed refresh.
    pub fn failure_backoff(&self) -> Duration {
        self.failure_backoff
    }

    /// How long a `NotFound` is remembered, if at all.
    pub fn negative_ttl(&self) -> Option<Duration> {
        self.negative_ttl
    }

    /// The most entries kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Refuses contradictory or degenerate settings.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let invalid = |message: String| Err(Error::InvalidArgument(message));
        let mut ttls: Vec<(&str, Duration)> = vec![("ttl", self.ttl)];
        let mut names: Vec<_> = self.ttl_overrides.iter().collect();
        names.sort();
        ttls.extend(names.into_iter().map(|(name, ttl)| (name.as_str(), *ttl)));
        for (what, ttl) in ttls {
            let what = if what == "ttl" { "ttl".to_owned() } else { format!("the ttl of `{what}`") };
            if ttl.is_zero() {
                return invalid(format!("{what} must be above zero"));
            }
            if self.max_stale < ttl {
                return invalid(format!(
                    "max_stale ({:?}) is shorter than {what} ({ttl:?}): raise max_stale, or set it equal to the ttl to serve no stale values",
                    self.max_stale
                ));
            }
        }
        if !(1..=100).contains(&self.refresh_at_percent) {
            return invalid(format!(
                "refresh_at_percent must be from 1 to 100 (100 turns refresh ahead off), not {}",
                self.refresh_at_percent
            ));
        }
        if self.failure_backoff.is_zero() {
            return invalid("failure_backoff must be above zero".into());
        }
        if self.negative_ttl.is_some_and(|t| t.is_zero()) {
            return invalid("negative_ttl must be above zero (use without_negative_cache to turn it off)".into());
        }
        if self.capacity == 0 {
            return invalid("capacity must be at least 1".into());
        }
        Ok(())
    }

    /// When an entry with time to live `ttl` should start refreshing in the background.
    pub(crate) fn refresh_after(&self, ttl: Duration) -> Duration {
        if self.refresh_at_percent >= 100 {
            return ttl;
        }
        ttl.mul_f64(f64::from(self.refresh_at_percent) / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(options: CacheOptions) -> String {
        match options.validate() {
            Err(Error::InvalidArgument(message)) => message,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid() {
        let o = CacheOptions::default();
        o.validate().unwrap();
        assert_eq!((o.ttl(), o.max_stale(), o.capacity()), (DEFAULT_TTL, DEFAULT_MAX_STALE, DEFAULT_CAPACITY));
        assert_eq!(o.refresh_after(Duration::from_secs(100)), Duration::from_secs(80));
        assert_eq!(o.with_refresh_at_percent(100).refresh_after(Duration::from_secs(100)), Duration::from_secs(100));
    }

    #[test]
    fn bad_settings_are_refused_with_a_message() {
        assert_eq!(refused(CacheOptions::default().with_ttl(Duration::ZERO)), "ttl must be above zero");
        let m =
            refused(CacheOptions::default().with_ttl(Duration::from_secs(120)).with_max_stale(Duration::from_secs(60)));
        assert!(m.starts_with("max_stale (60s) is shorter than ttl (120s)"), "{m}");
        assert_eq!(refused(CacheOptions::default().with_capacity(0)), "capacity must be at least 1");
        let m = refused(CacheOptions::default().with_ttl_for("Big", Duration::from_secs(2 * 3600)));
        assert!(m.contains("the ttl of `big`"), "{m}");
        assert!(refused(CacheOptions::default().with_ttl_for("x", Duration::ZERO)).contains("above zero"));
        assert!(refused(CacheOptions::default().with_refresh_at_percent(0)).contains("from 1 to 100"));
        assert!(refused(CacheOptions::default().with_refresh_at_percent(101)).contains("from 1 to 100"));
        assert!(refused(CacheOptions::default().with_failure_backoff(Duration::ZERO)).contains("failure_backoff"));
        assert!(refused(CacheOptions::default().with_negative_ttl(Duration::ZERO)).contains("negative_ttl"));
    }

    #[test]
    fn equal_ttl_and_max_stale_is_allowed() {
        let t = Duration::from_secs(30);
        CacheOptions::default().with_ttl(t).with_max_stale(t).validate().unwrap();
    }

    #[test]
    fn overrides_are_case_insensitive() {
        let o = CacheOptions::default().with_ttl_for("DB-Password", Duration::from_secs(7));
        assert_eq!(o.ttl_of("db-password"), Duration::from_secs(7));
        assert_eq!(o.ttl_of("other"), DEFAULT_TTL);
    }
}
