//! Sending a credential's requests: the default transport and a small retry loop on the
//! injected clock.

use std::sync::Arc;
use std::time::Duration;

use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::transport::{TransportOptions, default_transport};
use azkv_pipeline::{HttpClient, Request, Response, Result, StatusCode};

/// `transport`, or the default reqwest transport.
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
    /// The first delay; each later one doubles, up to `max_delay`.
    pub(crate) initial_delay: Duration,
    /// The longest delay.
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
        statuses: azkv_pipeline::policies::retry::is_retryable_status,
    };

    fn delay(&self, retry: u32) -> Duration {
        self.initial_delay.saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX)).min(self.max_delay)
    }
}

/// Sends `request`, retrying connection failures, timeouts and the statuses `retry` names;
/// waits on `time`'s sleep, honouring `Retry-After` up to `max_delay`.
pub(crate) async fn send(
    http: &dyn HttpClient,
    request: &Request,
    time: &TimeComponents,
    retry: Retry,
) -> Result<Response> {
    let mut attempt = 0;
    loop {
        let outcome = http.execute(request).await;
        let retryable = match &outcome {
            Ok(resp) => (retry.statuses)(resp.status),
            Err(e) => e.is_retryable(),
        };
        if !retryable || attempt >= retry.max_retries {
            return outcome;
        }
        let server = match &outcome {
            Ok(resp) => azkv_pipeline::policies::retry::retry_after(&resp.headers, time.time_source.now()),
            Err(_) => None,
        };
        let delay = retry.delay(attempt).max(server.unwrap_or_default().min(retry.max_delay));
        tracing::debug!(attempt = attempt + 1, ?delay, host = request.url.host_str(), "retrying a token request");
        time.sleep.sleep(delay).await;
        attempt += 1;
    }
}
