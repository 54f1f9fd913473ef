//! The transport seam.

use std::fmt;

use async_trait::async_trait;

use crate::{Request, Response, Result};

/// Sends one request and buffers the response. The pipeline's last step.
///
/// Implemented by the default transport ([`crate::transport::default_transport`]), by
/// `ReqwestTransport` and any `reqwest::Client` with the `reqwest` feature, by `HyperClient`
/// with the `hyper` feature, and by the test doubles under `test-util`.
///
/// # Errors
/// [`crate::Error::Connection`] when nothing was sent, [`crate::Error::Transport`] when the
/// exchange broke off, [`crate::Error::Timeout`] when a transport timeout fired. A non-2xx
/// status is a response, not an error.
#[async_trait]
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends `request`.
    async fn execute(&self, request: &Request) -> Result<Response>;
}
