//! The logging policy: an event per attempt, with headers, query and bodies redacted.

use std::sync::Arc;
use std::time::Instant;

use crate::redact::{self, DEFAULT_ALLOWED_HEADERS, DEFAULT_ALLOWED_QUERY};
use crate::{Context, Policy, Request, Response, Result};

/// Logging settings.
///
/// Headers and query parameters outside the allow-lists print as `REDACTED`; `Authorization`
/// can never be allowed. Bodies are off by default; when on, JSON `value` fields (and token
/// fields) are still redacted and non-JSON bodies show only their length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggingOptions {
    /// Extra header names (any case) whose values may be logged.
    pub additional_allowed_headers: Vec<String>,
    /// Extra query parameter names whose values may be logged.
    pub additional_allowed_query_params: Vec<String>,
    /// Log request and response bodies (redacted) at `trace` level.
    pub log_bodies: bool,
}

impl LoggingOptions {
    /// Turns body logging (redacted, at `trace`) on or off.
    pub fn with_log_bodies(mut self, enabled: bool) -> Self {
        self.log_bodies = enabled;
        self
    }

    /// Allows logging the values of `header`; `Authorization` is never allowed.
    pub fn with_allowed_header(mut self, header: impl Into<String>) -> Self {
        self.additional_allowed_headers.push(header.into());
        self
    }
}

/// Logs each attempt at `debug` (method, redacted URL, status, attempt, duration) and headers
/// at `trace`.
#[derive(Debug, Clone)]
pub struct LoggingPolicy {
    headers: Vec<String>,
    query: Vec<String>,
    log_bodies: bool,
}

impl LoggingPolicy {
    /// A logging policy with `options`.
    pub fn new(options: &LoggingOptions) -> Self {
        let mut headers: Vec<String> = DEFAULT_ALLOWED_HEADERS.iter().map(|s| s.to_string()).collect();
        headers.extend(
            options
                .additional_allowed_headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .filter(|h| h != "authorization" && h != "proxy-authorization"),
        );
        let mut query: Vec<String> = DEFAULT_ALLOWED_QUERY.iter().map(|s| s.to_string()).collect();
        query.extend(options.additional_allowed_query_params.iter().cloned());
        Self { headers, query, log_bodies: options.log_bodies }
    }

    fn allowed_headers(&self) -> Vec<&str> {
        self.headers.iter().map(String::as_str).collect()
    }
}

/// Headers redacted by this policy's allow-list, printed as they are (`Headers`' own `Debug`
/// would redact them again by the default list, hiding the extra allowed headers).
struct Shown(crate::Headers);

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

// Nothing to format when no subscriber wants these events: the next policy's future is
// handed back as it is, and the policy costs one check. It only reads the request.
crate::policies::policy::impl_policy_without_future!(
    LoggingPolicy,
    restores_request = true,
    |this, ctx, request, next| {
        if tracing::enabled!(tracing::Level::DEBUG) {
            Box::pin(this.send_logged(ctx, request, next))
        } else {
            crate::policies::policy::next(ctx, request, next)
        }
    }
);

impl LoggingPolicy {
    async fn send_logged(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        let query: Vec<&str> = self.query.iter().map(String::as_str).collect();
        let url = redact::redact_url(&request.url, &query);
        let log_body = ctx.log_body().unwrap_or(self.log_bodies);
        let attempt = ctx.attempt();
        if tracing::enabled!(tracing::Level::TRACE) {
            let headers = Shown(request.headers.redacted(&self.allowed_headers()));
            tracing::trace!(method = %request.method, %url, attempt, headers = ?headers, "request headers");
            if log_body {
                tracing::trace!(body = %redact::redact_body(&request.body), "request body");
            }
        }
        let started = Instant::now();
        let outcome = crate::policies::policy::next(ctx, request, next).await;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &outcome {
            Ok(resp) => {
                tracing::debug!(method = %request.method, %url, status = resp.status.as_u16(), attempt, duration_ms, "HTTP attempt");
                if tracing::enabled!(tracing::Level::TRACE) {
                    let headers = Shown(resp.headers.redacted(&self.allowed_headers()));
                    tracing::trace!(status = resp.status.as_u16(), headers = ?headers, "response headers");
                    if log_body {
                        tracing::trace!(body = %redact::redact_body(&resp.body), "response body");
                    }
                }
            }
            Err(e) => {
                tracing::debug!(method = %request.method, %url, attempt, duration_ms, error = %e, "HTTP attempt failed");
            }
        }
        outcome
    }
}
