//! The transport a pipeline uses when it is given none.

use std::sync::Arc;

use async_trait::async_trait;

use super::TransportOptions;
use super::direct::Direct;
use crate::{HttpClient, Request, Response, Result};

/// hyper-util's client on azkv's connector, for every destination (a proxy's too), after a
/// check that the request's headers are ones HTTP allows. Built by
/// [`super::default_transport`].
#[derive(Clone)]
pub(crate) struct DefaultTransport {
    direct: Direct,
}

impl std::fmt::Debug for DefaultTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultTransport").finish_non_exhaustive()
    }
}

impl DefaultTransport {
    pub(crate) fn new(options: &TransportOptions) -> Result<Self> {
        let tls = super::tls::client_config(options)?;
        Ok(Self { direct: Direct::new(options, Arc::new(tls))? })
    }
}

#[async_trait]
impl HttpClient for DefaultTransport {
    async fn execute(&self, request: &Request) -> Result<Response> {
        if let Some(name) = request.headers.invalid_header() {
            return Err(super::invalid_header(&request.url, name));
        }
        self.direct.execute(request).await
    }
}
