//! The last policy: hands the request to the transport.

use std::sync::Arc;

use crate::HttpClient;

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

// The transport's own future is handed back, not wrapped in another; the transport only reads
// the request.
crate::policies::policy::impl_policy_without_future!(
    SendPolicy,
    restores_request = true,
    |this, _ctx, request, _next| { this.client.execute(request) }
);
