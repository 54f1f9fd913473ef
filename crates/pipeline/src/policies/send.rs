//! The last policy: hands the request to the transport.

use std::sync::Arc;

use async_trait::async_trait;

use crate::{Context, HttpClient, Policy, Request, Response, Result};

/// Sends the request with an [`HttpClient`]; ignores any policy after it.
#[derive(Debug, Clone)]
pub struct SendPolicy {
    client: Arc<dyn HttpClient>,
}

impl SendPolicy {
    /// A transport policy over `client`.
    pub fn new(client: Arc<dyn HttpClient>) -> Self {
        Self { client }
    }
}

#[async_trait]
impl Policy for SendPolicy {
    async fn send(&self, _ctx: &Context, request: &mut Request, _next: &[Arc<dyn Policy>]) -> Result<Response> {
        self.client.execute(request).await
    }
}
