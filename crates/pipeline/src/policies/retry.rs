//! The retry policy: classification (what to retry) kept apart from backoff (how long to wait).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::time::TimeComponents;
use crate::{ConnectionErrorKind, Context, Error, Policy, Request, Response, Result, StatusCode};

/// Statuses the retry policy retries: 408, 429, 500, 502, 503, 504.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// What the retry policy does with one try's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryKind {
    /// Worth another try, after at least the given delay if the server asked for one;
    /// counted against [`RetryOptions::max_retries`].
    Transient(Option<Duration>),
    /// The request never left (connection refused, reset before sending, connect timeout):
    /// safe to send again whatever the method; counted against
    /// [`RetryOptions::max_connection_retries`] as well as `max_retries`.
    Connection,
    /// The request may have reached the server and been applied, and sending it again is not
    /// safe: the policy returns [`Error::OutcomeUnknown`] without retrying.
    OutcomeUnknown,
    /// Not worth retrying: return the outcome as it is.
    Fatal,
    /// A success.
    None,
}

/// What a [`ClassifyRetry`] sees of one try.
#[derive(Debug)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// The request as the retry policy received it: each try starts from it (what per-try
    /// policies add for one try, such as the token, is not on it).
    pub request: &'a Request,
    /// Its outcome.
    pub outcome: &'a Result<Response>,
    /// 1 for the first try.
    pub number: u32,
    /// Now, by the policy's clock (dates an HTTP-date `Retry-After`).
    pub now: SystemTime,
}

/// Decides whether a try is retried, in the spirit of smithy-rs's `ClassifyRetry`: kept
/// apart from the backoff, so that a client or credential can change *what* is retried
/// without touching *how long* it waits.
///
/// ```
/// use azkv_pipeline::policies::{Attempt, ClassifyRetry, DefaultRetryClassifier, RetryKind};
///
/// /// Also retries 404, which a freshly started token endpoint may answer.
/// #[derive(Debug)]
/// struct RetryNotFound;
///
/// impl ClassifyRetry for RetryNotFound {
///     fn classify(&self, attempt: &Attempt<'_>) -> RetryKind {
///         match attempt.outcome {
///             Ok(response) if response.status.as_u16() == 404 => RetryKind::Transient(None),
///             _ => DefaultRetryClassifier.classify(attempt),
///         }
///     }
/// }
/// ```
pub trait ClassifyRetry: Send + Sync + std::fmt::Debug {
    /// What to do with `attempt`.
    fn classify(&self, attempt: &Attempt<'_>) -> RetryKind;
}

/// The built-in rules.
///
/// - A 2xx is a success; 4xx other than 408 and 429 is final.
/// - A request that never left ([`Error::Connection`] of a retryable kind) is retried
///   whatever its method; a certificate that is not trusted or a name that does not exist
///   is final, and a temporary resolver failure is retried once.
/// - An idempotent request (GET, HEAD, OPTIONS, TRACE, or one marked with
///   [`Request::set_idempotent`]) is retried on a timeout, a broken exchange, and 408, 429,
///   500, 502, 503 and 504.
/// - Any other request (PUT, POST, PATCH, DELETE) is retried only on the answers that say it
///   was not processed: 429, and 503 with `Retry-After`. After a timeout or a broken
///   exchange it may have been applied: [`RetryKind::OutcomeUnknown`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRetryClassifier;

impl ClassifyRetry for DefaultRetryClassifier {
    fn classify(&self, attempt: &Attempt<'_>) -> RetryKind {
        let idempotent = attempt.request.is_idempotent();
        match attempt.outcome {
            Ok(resp) if resp.is_success() => RetryKind::None,
            Ok(resp) => {
                let delay = retry_after(&resp.headers, attempt.now);
                let retry = if idempotent {
                    is_retryable_status(resp.status)
                } else {
                    resp.status == StatusCode::TOO_MANY_REQUESTS
                        || (resp.status == StatusCode::SERVICE_UNAVAILABLE && delay.is_some())
                };
                if retry { RetryKind::Transient(delay) } else { RetryKind::Fatal }
            }
            Err(Error::Connection { kind, .. }) => match kind {
                ConnectionErrorKind::NameLookupFailed if attempt.number > 1 => RetryKind::Fatal,
                kind if kind.is_retryable() => RetryKind::Connection,
                _ => RetryKind::Fatal,
            },
            Err(Error::Transport { .. } | Error::Timeout { .. }) if idempotent => RetryKind::Transient(None),
            Err(Error::Transport { .. } | Error::Timeout { .. }) => RetryKind::OutcomeUnknown,
            Err(e) if e.is_retryable() && idempotent => RetryKind::Transient(None),
            Err(_) => RetryKind::Fatal,
        }
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
/// Defaults: exponential, 8 retries of which at most 3 for connections that could not be
/// made (so a closed port fails within about 2 s), 200 ms initial delay, 30 s longest delay,
/// 60 s budget for the whole operation, 30 s per try, [`DefaultRetryClassifier`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryOptions {
    /// Backoff.
    pub mode: RetryMode,
    /// Retries after the first try.
    pub max_retries: u32,
    /// Of those, retries after a connection could not be made ([`RetryKind::Connection`]).
    pub max_connection_retries: u32,
    /// What is retried.
    pub classifier: Arc<dyn ClassifyRetry>,
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
            max_connection_retries: 3,
            classifier: Arc::new(DefaultRetryClassifier),
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

    /// Uses `classifier` to decide what is retried.
    pub fn with_classifier(mut self, classifier: Arc<dyn ClassifyRetry>) -> Self {
        self.classifier = classifier;
        self
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
                let jittered = Duration::try_from_secs_f64(base.as_secs_f64() * jitter.clamp(0.8, 1.2));
                jittered.unwrap_or(Duration::MAX).min(*max_delay)
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
        let (mut retry, mut connection_retries) = (0u32, 0u32);
        // Each try sends `request` itself (it has the spare header capacity the client gave it,
        // so the policies below insert without regrowing). When they all restore what they
        // change, nothing else is needed; otherwise an untouched copy waits, and the guard puts
        // it back when the call ends, is cancelled, or tries again. Either way every try starts
        // from the request as received and the caller gets it back unchanged.
        let mut request = Pristine::new(request, next.iter().all(|p| p.restores_request()));
        loop {
            let left = self.remaining(start, ctx.deadline());
            if left.is_zero() {
                return Err(Error::timeout(format!(
                    "the retry budget or the call's deadline ran out before try {} to {}",
                    retry + 1,
                    crate::transport::host_port(&request.url)
                )));
            }
            let try_ctx = ctx.clone().with_attempt(retry + 1);
            let limit = self.options.per_try_timeout.min(left);
            // So that arming this try's timeout does not wake the I/O driver (see the module).
            super::timer_anchor::ensure(limit);
            let outcome = match tokio::time::timeout(
                limit,
                crate::policies::policy::next(&try_ctx, request.sent(), next),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) => Err(Error::timeout(format!(
                    "no response from {} within {limit:?}",
                    crate::transport::host_port(&request.url)
                ))),
            };
            let seen = Attempt {
                request: request.received(),
                outcome: &outcome,
                number: retry + 1,
                now: self.time.time_source.now(),
            };
            let within = retry < self.options.max_retries;
            let server_delay = match self.options.classifier.classify(&seen) {
                RetryKind::Transient(delay) if within => delay,
                RetryKind::Connection if within && connection_retries < self.options.max_connection_retries => {
                    connection_retries += 1;
                    None
                }
                RetryKind::OutcomeUnknown => return outcome.map_err(|e| outcome_unknown(&request, e)),
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

/// The request a retry policy was given, lent to one try at a time. Unless the policies below
/// restore it themselves, a copy is taken on entry: [`Pristine::sent`] restores the request
/// from it before every try but the first, and dropping the guard restores it for the caller.
struct Pristine<'a> {
    request: &'a mut Request,
    copy: Option<Request>,
    dirty: bool,
}

impl<'a> Pristine<'a> {
    /// `restored`: the policies below give the request back as they found it.
    fn new(request: &'a mut Request, restored: bool) -> Self {
        let copy = if restored { None } else { Some(request.clone()) };
        Self { request, copy, dirty: false }
    }

    /// The request for the next try, as the policy received it.
    fn sent(&mut self) -> &mut Request {
        if std::mem::replace(&mut self.dirty, true)
            && let Some(copy) = &self.copy
        {
            *self.request = copy.clone();
        }
        self.request
    }

    /// The request as the policy received it.
    fn received(&self) -> &Request {
        self.copy.as_ref().unwrap_or(self.request)
    }
}

impl std::ops::Deref for Pristine<'_> {
    type Target = Request;

    fn deref(&self) -> &Request {
        self.received()
    }
}

impl Drop for Pristine<'_> {
    fn drop(&mut self) {
        if self.dirty
            && let Some(copy) = &mut self.copy
        {
            std::mem::swap(self.request, copy);
        }
    }
}

/// `error` of a request that may have been applied.
fn outcome_unknown(request: &Request, error: Error) -> Error {
    match error {
        e @ Error::OutcomeUnknown { .. } => e,
        e => Error::OutcomeUnknown {
            method: request.method.clone(),
            host: crate::transport::host_port(&request.url),
            error: Box::new(e),
        },
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

    fn classify(method: crate::Method, outcome: &Result<Response>, number: u32) -> RetryKind {
        let request = Request::new(method, "https://v.vault.azure.net/x".parse().unwrap());
        DefaultRetryClassifier.classify(&Attempt { request: &request, outcome, number, now: SystemTime::UNIX_EPOCH })
    }

    fn status(s: u16, headers: Headers) -> Result<Response> {
        Ok(Response::new(StatusCode::from_u16(s).unwrap(), headers, ""))
    }

    #[test]
    fn statuses_are_retried_by_method() {
        use crate::Method;
        for s in [408, 429, 500, 502, 503, 504] {
            assert_eq!(classify(Method::GET, &status(s, Headers::new()), 1), RetryKind::Transient(None), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 501] {
            assert_eq!(classify(Method::GET, &status(s, Headers::new()), 1), RetryKind::Fatal, "{s}");
        }
        assert_eq!(classify(Method::GET, &status(200, Headers::new()), 1), RetryKind::None);
        for m in [Method::PUT, Method::POST, Method::PATCH, Method::DELETE] {
            assert_eq!(classify(m.clone(), &status(429, Headers::new()), 1), RetryKind::Transient(None), "{m}");
            let waited = headers(&[("Retry-After", "2")]);
            assert_eq!(
                classify(m.clone(), &status(503, waited), 1),
                RetryKind::Transient(Some(Duration::from_secs(2)))
            );
            for s in [408, 500, 502, 503, 504] {
                assert_eq!(classify(m.clone(), &status(s, Headers::new()), 1), RetryKind::Fatal, "{m} {s}");
            }
        }
    }

    #[test]
    fn errors_are_retried_by_kind_and_method() {
        use crate::Method;
        let conn = |kind| Err(Error::connection(kind, "h:443", "x"));
        for m in [Method::GET, Method::PUT, Method::POST, Method::DELETE] {
            assert_eq!(classify(m.clone(), &conn(ConnectionErrorKind::Refused), 1), RetryKind::Connection);
            assert_eq!(classify(m.clone(), &conn(ConnectionErrorKind::Reset), 1), RetryKind::Connection);
            assert_eq!(classify(m.clone(), &conn(ConnectionErrorKind::TlsUntrusted), 1), RetryKind::Fatal);
            assert_eq!(classify(m.clone(), &conn(ConnectionErrorKind::NameNotFound), 1), RetryKind::Fatal);
            assert_eq!(classify(m.clone(), &conn(ConnectionErrorKind::NameLookupFailed), 1), RetryKind::Connection);
            assert_eq!(classify(m.clone(), &conn(ConnectionErrorKind::NameLookupFailed), 2), RetryKind::Fatal);
            assert_eq!(classify(m.clone(), &Err(Error::invalid_argument("x")), 1), RetryKind::Fatal);
        }
        for e in [Error::timeout("t"), Error::Transport { message: "reset".into(), cause: None }] {
            let e = Err(e);
            assert_eq!(classify(Method::GET, &e, 1), RetryKind::Transient(None));
            assert_eq!(classify(Method::PUT, &e, 1), RetryKind::OutcomeUnknown);
            assert_eq!(classify(Method::DELETE, &e, 1), RetryKind::OutcomeUnknown);
            let mut marked = Request::new(Method::POST, "https://v/backup".parse().unwrap());
            marked.set_idempotent(true);
            let seen = Attempt { request: &marked, outcome: &e, number: 1, now: SystemTime::UNIX_EPOCH };
            assert_eq!(DefaultRetryClassifier.classify(&seen), RetryKind::Transient(None), "marked idempotent");
        }
    }

    #[test]
    fn absurd_delays_do_not_panic() {
        let o = RetryOptions::exponential(5, Duration::MAX, Duration::MAX);
        assert_eq!(o.backoff(4, 1.2), Duration::MAX);
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            retry_after(&headers(&[("x-ms-retry-after-ms", "1e300")]), now),
            Some(Duration::from_millis(u64::MAX))
        );
        assert_eq!(retry_after(&headers(&[("Retry-After", "-3")]), now), None);
        assert_eq!(retry_after(&headers(&[("Retry-After", "99999999999999999999999")]), now), None);
    }
}
