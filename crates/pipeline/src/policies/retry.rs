//! The retry policy: classification (what to retry) kept apart from backoff (how long to wait).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::time::TimeComponents;
use crate::{Context, Error, Policy, Request, Response, Result, StatusCode};

/// Statuses the retry policy retries: 408, 429, 500, 502, 503, 504.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// How an attempt's outcome is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// Worth another try, after at least the given delay if the server asked for one.
    Transient(Option<Duration>),
    /// Not worth retrying: return the outcome as it is.
    Fatal,
    /// A success.
    None,
}

/// Classifies an attempt's outcome; `now` dates an HTTP-date `Retry-After`.
pub fn classify(outcome: &Result<Response>, now: SystemTime) -> RetryKind {
    match outcome {
        Ok(resp) if resp.is_success() => RetryKind::None,
        Ok(resp) if is_retryable_status(resp.status) => RetryKind::Transient(retry_after(&resp.headers, now)),
        Ok(_) => RetryKind::Fatal,
        Err(e) if e.is_retryable() => RetryKind::Transient(None),
        Err(_) => RetryKind::Fatal,
    }
}

/// The server's requested delay: `x-ms-retry-after-ms`, `retry-after-ms`, then `Retry-After`
/// (seconds, or an HTTP date counted from `now`).
pub fn retry_after(headers: &crate::Headers, now: SystemTime) -> Option<Duration> {
    for name in ["x-ms-retry-after-ms", "retry-after-ms"] {
        if let Some(ms) = headers.get(name).and_then(|v| v.trim().parse::<f64>().ok())
            && ms.is_finite()
            && ms >= 0.0
        {
            return Some(Duration::from_millis(ms.min(u64::MAX as f64) as u64));
        }
    }
    let value = headers.get("retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    Some(SystemTime::from(date).duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long to wait between tries.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RetryMode {
    /// `initial * 2^n` with ±20 % jitter, capped at `max_delay`.
    Exponential {
        /// The first delay.
        initial_delay: Duration,
        /// The longest delay.
        max_delay: Duration,
    },
    /// The same delay every time.
    Fixed(Duration),
    /// Never retry.
    None,
}

/// Retry settings.
///
/// Defaults: exponential, 8 retries, 200 ms initial delay, 30 s longest delay, 60 s budget for
/// the whole operation, 30 s per try.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryOptions {
    /// Backoff.
    pub mode: RetryMode,
    /// Retries after the first try.
    pub max_retries: u32,
    /// Time allowed for all tries and waits together.
    pub total_budget: Duration,
    /// Time allowed for one try.
    pub per_try_timeout: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        Self {
            mode: RetryMode::Exponential {
                initial_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(30),
            },
            max_retries: 8,
            total_budget: Duration::from_secs(60),
            per_try_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryOptions {
    /// Exponential backoff with `max_retries`.
    pub fn exponential(max_retries: u32, initial_delay: Duration, max_delay: Duration) -> Self {
        Self { mode: RetryMode::Exponential { initial_delay, max_delay }, max_retries, ..Self::default() }
    }

    /// A fixed delay with `max_retries`.
    pub fn fixed(max_retries: u32, delay: Duration) -> Self {
        Self { mode: RetryMode::Fixed(delay), max_retries, ..Self::default() }
    }

    /// No retries.
    pub fn none() -> Self {
        Self { mode: RetryMode::None, max_retries: 0, ..Self::default() }
    }

    /// The delay before retry number `retry` (0-based), before jitter and `Retry-After`.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        match &self.mode {
            RetryMode::Exponential { initial_delay, max_delay } => {
                let base = initial_delay.saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX));
                base.mul_f64(jitter.clamp(0.8, 1.2)).min(*max_delay)
            }
            RetryMode::Fixed(d) => *d,
            RetryMode::None => Duration::ZERO,
        }
    }
}

/// Retries transient failures; sits between the per-call and per-try policies.
///
/// Each try gets a fresh copy of the original request, so the body is re-sent identically and
/// per-try policies (authentication) start over. The wait is the longer of the backoff and the
/// server's `Retry-After`; a wait that would overrun the budget or the [`Context`] deadline ends
/// the operation with the last outcome instead.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    options: RetryOptions,
    time: TimeComponents,
}

impl RetryPolicy {
    /// A retry policy with the system clock and tokio's sleep.
    pub fn new(options: RetryOptions) -> Self {
        Self::with_time(options, TimeComponents::default())
    }

    /// A retry policy with an injected clock and sleep.
    pub fn with_time(options: RetryOptions, time: TimeComponents) -> Self {
        Self { options, time }
    }

    fn remaining(&self, start: SystemTime, deadline: Option<SystemTime>) -> Duration {
        let now = self.time.time_source.now();
        let used = now.duration_since(start).unwrap_or(Duration::ZERO);
        let mut left = self.options.total_budget.saturating_sub(used);
        if let Some(deadline) = deadline {
            left = left.min(deadline.duration_since(now).unwrap_or(Duration::ZERO));
        }
        left
    }
}

#[async_trait]
impl Policy for RetryPolicy {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        let start = self.time.time_source.now();
        let mut retry = 0u32;
        loop {
            let left = self.remaining(start, ctx.deadline());
            if left.is_zero() {
                return Err(Error::timeout("the retry budget or the call's deadline ran out"));
            }
            let try_ctx = ctx.clone().with_attempt(retry + 1);
            let mut attempt = request.clone();
            let limit = self.options.per_try_timeout.min(left);
            let outcome = match tokio::time::timeout(limit, crate::policy::next(&try_ctx, &mut attempt, next)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Error::timeout(format!("no response within {limit:?}"))),
            };
            let server_delay = match classify(&outcome, self.time.time_source.now()) {
                RetryKind::Transient(delay) if retry < self.options.max_retries => delay,
                _ => return outcome,
            };
            let delay = self.options.backoff(retry, jitter()).max(server_delay.unwrap_or_default());
            if delay >= self.remaining(start, ctx.deadline()) {
                tracing::debug!(?delay, "retry wait would overrun the budget; giving up");
                return outcome;
            }
            tracing::debug!(attempt = retry + 1, ?delay, "retrying");
            self.time.sleep.sleep(delay).await;
            retry += 1;
        }
    }
}

/// A factor in [0.8, 1.2]; jitter needs no cryptography.
fn jitter() -> f64 {
    0.8 + crate::fast_rand::unit_f64() * 0.4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Headers;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs.iter().map(|(n, v)| (*n, v.to_string())).collect()
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(retry_after(&headers(&[("x-ms-retry-after-ms", "1500")]), now), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "250")]), now), Some(Duration::from_millis(250)));
        assert_eq!(retry_after(&headers(&[("Retry-After", "7")]), now), Some(Duration::from_secs(7)));
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        let date = headers(&[("Retry-After", "Tue, 14 Nov 2023 22:13:30 GMT")]);
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(10)));
        assert_eq!(retry_after(&headers(&[("Retry-After", "soon")]), now), None);
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "-5")]), now), None);
    }

    #[test]
    fn exponential_backoff_is_capped_and_jittered_within_bounds() {
        let o = RetryOptions::default();
        assert_eq!(o.backoff(0, 1.0), Duration::from_millis(200));
        assert_eq!(o.backoff(3, 1.0), Duration::from_millis(1600));
        assert_eq!(o.backoff(40, 1.0), Duration::from_secs(30));
        assert_eq!(o.backoff(0, 5.0), Duration::from_millis(240));
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.8..=1.2).contains(&j), "{j}");
        }
    }

    #[test]
    fn classification() {
        let resp = |s: u16| Ok(Response::new(StatusCode::from_u16(s).unwrap(), Headers::new(), ""));
        for s in [408, 429, 500, 502, 503, 504] {
            assert_eq!(classify(&resp(s), SystemTime::UNIX_EPOCH), RetryKind::Transient(None), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 501] {
            assert_eq!(classify(&resp(s), SystemTime::UNIX_EPOCH), RetryKind::Fatal, "{s}");
        }
        assert_eq!(classify(&resp(200), SystemTime::UNIX_EPOCH), RetryKind::None);
        assert_eq!(classify(&Err(Error::invalid_argument("x")), SystemTime::UNIX_EPOCH), RetryKind::Fatal);
    }
}
