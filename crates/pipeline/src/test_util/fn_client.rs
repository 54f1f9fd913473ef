//! Closure-based transport and policy.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{Context, HttpClient, Policy, Request, Response, Result};

type RespondFn = dyn Fn(&Request) -> Result<Response> + Send + Sync;
type EditFn = dyn Fn(&mut Request) + Send + Sync;

/// A transport that answers with a closure.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use azkv_pipeline::{HttpClient, Headers, Method, Request, Response, StatusCode};
/// use azkv_pipeline::test_util::FnHttpClient;
/// let client = FnHttpClient::new(|req| Ok(Response::new(StatusCode::OK, Headers::new(), req.url.path().to_owned())));
/// let resp = client.execute(&Request::new(Method::GET, "https://h/echo".parse().unwrap())).await.unwrap();
/// assert_eq!(&resp.body[..], b"/echo");
/// # }
/// ```
#[derive(Clone)]
pub struct FnHttpClient(Arc<RespondFn>);

impl FnHttpClient {
    /// A transport calling `respond` for each request.
    pub fn new(respond: impl Fn(&Request) -> Result<Response> + Send + Sync + 'static) -> Self {
        Self(Arc::new(respond))
    }
}

impl fmt::Debug for FnHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnHttpClient")
    }
}

#[async_trait]
impl HttpClient for FnHttpClient {
    async fn execute(&self, request: &Request) -> Result<Response> {
        (self.0)(request)
    }
}

/// A policy that edits the request with a closure, then calls the rest of the pipeline.
#[derive(Clone)]
pub struct FnPolicy(Arc<EditFn>);

impl FnPolicy {
    /// A policy calling `edit` on each request it sees.
    pub fn new(edit: impl Fn(&mut Request) + Send + Sync + 'static) -> Self {
        Self(Arc::new(edit))
    }
}

impl fmt::Debug for FnPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnPolicy")
    }
}

#[async_trait]
impl Policy for FnPolicy {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        (self.0)(request);
        crate::policies::policy::next(ctx, request, next).await
    }
}
