//! Sending a credential's requests: the default transport, and the pipeline's retry policy
//! with a classifier for token endpoints, on the injected clock.

use std::sync::Arc;
use std::time::Duration;

use azkv_pipeline::policies::{Attempt, ClassifyRetry, DefaultRetryClassifier, RetryKind, retry_after};
use azkv_pipeline::policies::{RetryOptions, RetryPolicy, SendPolicy};
use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::transport::{TransportOptions, default_transport};
use azkv_pipeline::{Context, HttpClient, Policy, Request, Response, Result, StatusCode};

/// `transport`, or the default transport.
pub(crate) fn transport_or_default(transport: Option<Arc<dyn HttpClient>>) -> Result<Arc<dyn HttpClient>> {
    match transport {
        Some(t) => Ok(t),
        None => default_transport(&TransportOptions::default()),
    }
}

/// How a credential retries its own requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    /// Retries after the first try.
    pub(crate) max_retries: u32,
    /// The first delay; each later one doubles (±20 % jitter), up to `max_delay`.
    pub(crate) initial_delay: Duration,
    /// The longest delay, and the longest `Retry-After` honoured.
    pub(crate) max_delay: Duration,
    /// Which statuses are retried.
    pub(crate) statuses: fn(StatusCode) -> bool,
}

impl Retry {
    /// Retries for token endpoints: 408, 429 and 5xx, three times.
    pub(crate) const AAD: Retry = Retry {
        max_retries: 3,
        initial_delay: Duration::from_millis(800),
        max_delay: Duration::from_secs(10),
        statuses: azkv_pipeline::policies::is_retryable_status,
    };

    fn options(self) -> RetryOptions {
        let mut options = RetryOptions::exponential(self.max_retries, self.initial_delay, self.max_delay)
            .with_classifier(Arc::new(TokenRequestClassifier { statuses: self.statuses, max_delay: self.max_delay }));
        // Room for every wait of the longest schedule (IMDS: 1 + 2 + ... + 32 s).
        options.total_budget = Duration::from_secs(120);
        options
    }
}

/// The pipeline's rules for an idempotent request, with the credential's own list of
/// retried statuses and its cap on `Retry-After`.
#[derive(Debug)]
struct TokenRequestClassifier {
    statuses: fn(StatusCode) -> bool,
    max_delay: Duration,
}

impl ClassifyRetry for TokenRequestClassifier {
    fn classify(&self, attempt: &Attempt<'_>) -> RetryKind {
        match attempt.outcome {
            Ok(response) if !response.is_success() => {
                if (self.statuses)(response.status) {
                    let delay = retry_after(&response.headers, attempt.now).map(|d| d.min(self.max_delay));
                    RetryKind::Transient(delay)
                } else {
                    RetryKind::Fatal
                }
            }
            _ => DefaultRetryClassifier.classify(attempt),
        }
    }
}

/// Sends `request` through the pipeline's [`RetryPolicy`] with the rules of `retry`: refused
/// connections, timeouts, broken exchanges and the statuses `retry` names are retried (a token
/// request is idempotent, whatever its method), waiting on `time`'s sleep and honouring
/// `Retry-After` up to `max_delay`; a certificate that is not trusted or a host that does not
/// exist ends at once.
pub(crate) async fn send(
    http: &Arc<dyn HttpClient>,
    request: &Request,
    time: &TimeComponents,
    retry: Retry,
) -> Result<Response> {
    let policies: [Arc<dyn Policy>; 2] =
        [Arc::new(RetryPolicy::with_time(retry.options(), time.clone())), Arc::new(SendPolicy::new(http.clone()))];
    let mut request = request.clone();
    request.set_idempotent(true);
    let ctx = Context::new().with_operation("token_request");
    azkv_pipeline::policies::next(&ctx, &mut request, &policies).await
}
