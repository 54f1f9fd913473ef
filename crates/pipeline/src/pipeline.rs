//! The pipeline: policies in a fixed order, ending in a transport.

use std::sync::Arc;

use tracing::Instrument;

use crate::policies::{
    LoggingOptions, LoggingPolicy, RequestIdPolicy, RetryOptions, RetryPolicy, SendPolicy, UserAgentPolicy,
};
use crate::time::TimeComponents;
use crate::transport::{TransportOptions, default_transport};
use crate::{Context, HttpClient, Policy, Request, Response, Result};

/// What a client's user may set on its pipeline.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The transport; default: [`crate::transport::default_transport`] built from
    /// [`ClientOptions::transport_options`].
    pub transport: Option<Arc<dyn HttpClient>>,
    /// Settings for the default transport (ignored when `transport` is set).
    pub transport_options: TransportOptions,
    /// Retry settings.
    pub retry: RetryOptions,
    /// Logging settings.
    pub logging: LoggingOptions,
    /// Policies run once per call, after the client's own per-call policies.
    pub per_call_policies: Vec<Arc<dyn Policy>>,
    /// Policies run once per try, after the client's own per-try policies (authentication).
    pub per_try_policies: Vec<Arc<dyn Policy>>,
    /// Prefix for the User-Agent header.
    pub application_id: Option<String>,
    /// Clock and sleep for retries and token expiry; default: system clock and tokio sleep.
    pub time: TimeComponents,
}

impl ClientOptions {
    /// Uses `transport` instead of the default transport.
    pub fn with_transport(mut self, transport: Arc<dyn HttpClient>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Settings for the default transport.
    pub fn with_transport_options(mut self, options: TransportOptions) -> Self {
        self.transport_options = options;
        self
    }

    /// Retry settings.
    pub fn with_retry(mut self, retry: RetryOptions) -> Self {
        self.retry = retry;
        self
    }

    /// Logging settings.
    pub fn with_logging(mut self, logging: LoggingOptions) -> Self {
        self.logging = logging;
        self
    }

    /// Adds a policy run once per call.
    pub fn with_per_call_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.per_call_policies.push(policy);
        self
    }

    /// Adds a policy run once per try.
    pub fn with_per_try_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.per_try_policies.push(policy);
        self
    }

    /// Prefixes the User-Agent with `application_id`.
    pub fn with_application_id(mut self, application_id: impl Into<String>) -> Self {
        self.application_id = Some(application_id.into());
        self
    }

    /// Uses an injected clock and sleep.
    pub fn with_time(mut self, time: TimeComponents) -> Self {
        self.time = time;
        self
    }
}

/// A request pipeline:
///
/// 1. per-call: User-Agent, client request id, the client's per-call policies, the user's;
/// 2. retry;
/// 3. per-try: the client's per-try policies (authentication), the user's;
/// 4. logging (one event per attempt);
/// 5. transport.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> azkv_pipeline::Result<()> {
/// use std::sync::Arc;
/// use azkv_pipeline::{ClientOptions, Context, Method, Pipeline, Request, StatusCode};
/// use azkv_pipeline::test_util::ReplayTransport;
///
/// let transport = Arc::new(ReplayTransport::new());
/// transport.push_json(StatusCode::OK, &serde_json::json!({"ok": true}));
/// let options = ClientOptions::default().with_transport(transport.clone());
/// let pipeline = Pipeline::new("my-client", "0.1.0", options, vec![], vec![])?;
/// let mut request = Request::new(Method::GET, "https://example.com/x".parse().unwrap());
/// let response = pipeline.send(&Context::new(), &mut request).await?;
/// assert_eq!(response.status, StatusCode::OK);
/// assert!(transport.requests()[0].headers.contains("x-ms-client-request-id"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Pipeline {
    policies: Arc<[Arc<dyn Policy>]>,
    transport: Arc<dyn HttpClient>,
}

impl Pipeline {
    /// Builds the pipeline for the client `crate_name`/`crate_version` with the client's own
    /// per-call and per-try policies and the user's `options`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when the default transport cannot be built.
    pub fn new(
        crate_name: &str,
        crate_version: &str,
        options: ClientOptions,
        client_per_call: Vec<Arc<dyn Policy>>,
        client_per_try: Vec<Arc<dyn Policy>>,
    ) -> Result<Self> {
        let transport: Arc<dyn HttpClient> = match options.transport {
            Some(t) => t,
            None => default_transport(&options.transport_options)?,
        };
        let mut policies: Vec<Arc<dyn Policy>> = vec![
            Arc::new(UserAgentPolicy::new(crate_name, crate_version, options.application_id.as_deref())),
            Arc::new(RequestIdPolicy),
        ];
        policies.extend(client_per_call);
        policies.extend(options.per_call_policies);
        policies.push(Arc::new(RetryPolicy::with_time(options.retry, options.time)));
        policies.extend(client_per_try);
        policies.extend(options.per_try_policies);
        policies.push(Arc::new(LoggingPolicy::new(&options.logging)));
        policies.push(Arc::new(SendPolicy::new(transport.clone())));
        Ok(Self { policies: policies.into(), transport })
    }

    /// Sends `request` through every policy, inside a tracing span named for the operation.
    ///
    /// # Errors
    /// Whatever the policies or the transport return. A non-2xx status is a response; see
    /// [`Response::error_for_status`].
    pub async fn send(&self, ctx: &Context, request: &mut Request) -> Result<Response> {
        let span = tracing::debug_span!("azkv", operation = ctx.operation().unwrap_or("request"));
        crate::policies::policy::next(ctx, request, &self.policies).instrument(span).await
    }

    /// The transport at the end of the pipeline.
    pub fn transport(&self) -> &Arc<dyn HttpClient> {
        &self.transport
    }

    /// The policies in order, transport last.
    pub fn policies(&self) -> &[Arc<dyn Policy>] {
        &self.policies
    }
}
