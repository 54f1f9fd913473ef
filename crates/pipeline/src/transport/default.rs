//! The transport a pipeline uses when it is given none.

use std::sync::Arc;

use async_trait::async_trait;

use super::direct::Direct;
use super::{ReqwestTransport, TransportOptions};
use crate::{HttpClient, Request, Response, Result};

/// hyper-util's client directly for every destination that no proxy takes, and reqwest (which
/// owns the proxy handshake) for the others; both on one TLS configuration, with the same
/// timeouts, resolver and body limit. Built by [`super::default_transport`].
#[derive(Clone)]
pub(crate) struct DefaultTransport {
    direct: Direct,
    /// Present when the options name a proxy (explicitly or through the environment): then
    /// every destination but a local one goes through it.
    proxied: Option<ReqwestTransport>,
}

impl std::fmt::Debug for DefaultTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultTransport").field("proxied", &self.proxied.is_some()).finish_non_exhaustive()
    }
}

impl DefaultTransport {
    pub(crate) fn new(options: &TransportOptions) -> Result<Self> {
        let tls = super::tls::client_config(options)?;
        let proxied = match options.proxy.to_reqwest()? {
            Some(proxy) => Some(ReqwestTransport::new(
                super::reqwest::build(options, tls.clone(), Some(proxy))?,
                options.max_response_body,
            )),
            None => None,
        };
        Ok(Self { direct: Direct::new(options, Arc::new(tls)), proxied })
    }
}

#[async_trait]
impl HttpClient for DefaultTransport {
    async fn execute(&self, request: &Request) -> Result<Response> {
        if let Some(name) = request.headers.invalid_header() {
            return Err(super::reqwest::invalid_header(&request.url, name));
        }
        match &self.proxied {
            Some(proxied) if !super::proxy::is_local(&request.url) => proxied.execute(request).await,
            _ => self.direct.execute(request).await,
        }
    }
}
