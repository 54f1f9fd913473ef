//! The default transport, on `reqwest` with rustls (ring; no OpenSSL).

use async_trait::async_trait;

use super::TransportOptions;
use crate::{Error, Headers, HttpClient, Request, Response, Result};

/// A `reqwest::Client` (rustls with ring, HTTP/1.1 and HTTP/2, pooled connections) built from
/// `options`.
///
/// Use it, or any `reqwest::Client` you configure yourself, as the pipeline's transport.
///
/// # Errors
/// [`Error::InvalidArgument`] for a bad root certificate or a client that cannot be built.
///
/// ```
/// use std::sync::Arc;
/// use azkv_pipeline::{HttpClient, transport::{TransportOptions, new_reqwest_client}};
/// let client: Arc<dyn HttpClient> = Arc::new(new_reqwest_client(&TransportOptions::default())?);
/// # Ok::<(), azkv_pipeline::Error>(())
/// ```
pub fn new_reqwest_client(options: &TransportOptions) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout)
        .pool_idle_timeout(options.pool_idle_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .https_only(false)
        .use_preconfigured_tls(super::tls::client_config(options)?)
        .no_proxy();
    if let Some(proxy) = options.proxy.to_reqwest()? {
        builder = builder.proxy(proxy);
    }
    if let Some(resolver) = &options.resolver {
        builder = builder.dns_resolver(std::sync::Arc::new(super::resolve::ReqwestResolver(resolver.clone())));
    }
    for (host, addr) in &options.resolve {
        builder = builder.resolve(host, *addr);
    }
    builder.build().map_err(|e| Error::invalid_argument(format!("HTTP client cannot be built: {e}")))
}

/// A `reqwest::Client` with a response body limit: what a pipeline uses when no transport is
/// given, built by [`super::default_transport`].
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_response_body: usize,
}

impl ReqwestTransport {
    /// `client`, refusing response bodies over `max_response_body` bytes.
    pub fn new(client: reqwest::Client, max_response_body: usize) -> Self {
        Self { client, max_response_body }
    }

    /// A client built from `options`, with its body limit.
    ///
    /// # Errors
    /// As [`new_reqwest_client`].
    pub fn from_options(options: &TransportOptions) -> Result<Self> {
        Ok(Self::new(new_reqwest_client(options)?, options.max_response_body))
    }
}

#[async_trait]
impl HttpClient for ReqwestTransport {
    async fn execute(&self, request: &Request) -> Result<Response> {
        send(&self.client, request, self.max_response_body).await
    }
}

/// A plain `reqwest::Client` (for example one you configured yourself), with
/// [`super::DEFAULT_MAX_RESPONSE_BODY`] as its body limit.
#[async_trait]
impl HttpClient for reqwest::Client {
    async fn execute(&self, request: &Request) -> Result<Response> {
        send(self, request, super::DEFAULT_MAX_RESPONSE_BODY).await
    }
}

async fn send(client: &reqwest::Client, request: &Request, limit: usize) -> Result<Response> {
    let mut builder = client.request(request.method.clone(), request.url.clone());
    for (name, value) in request.headers.iter() {
        builder = builder.header(name, value);
    }
    let response = builder.body(request.body.clone()).send().await.map_err(|e| map_send_error(&request.url, e))?;
    let status = response.status();
    let headers: Headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = read_body(&request.url, response, limit).await?;
    Ok(Response::new(status, headers, body))
}

async fn read_body(url: &url::Url, mut response: reqwest::Response, limit: usize) -> Result<bytes::Bytes> {
    let too_large = || Error::Transport {
        message: format!("response body from {} exceeds {limit} bytes", super::host_port(url)),
        cause: None,
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| map_read_error(url, e))? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Classifies a failed send: refused before sending (`Connection`, with its kind), timed out,
/// or broken off after the request may have gone (`Transport`). The URL, whose query could hold
/// something secret, is stripped from the underlying error.
fn map_send_error(url: &url::Url, e: reqwest::Error) -> Error {
    let host = super::host_port(url);
    if e.is_builder() {
        return Error::invalid_argument(format!("request to {host} cannot be built: {}", e.without_url()));
    }
    let e = e.without_url();
    if e.is_connect() {
        return super::diagnose::connect_error(url, &e, e.is_timeout()).with_cause(e);
    }
    if e.is_timeout() {
        return Error::timeout(format!("the transport's timeout fired waiting for {host}"));
    }
    super::diagnose::exchange_error(url, "exchange with", &e).with_cause(e)
}

fn map_read_error(url: &url::Url, e: reqwest::Error) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        return Error::timeout(format!("the read timeout fired reading the response from {}", super::host_port(url)));
    }
    super::diagnose::exchange_error(url, "reading the response from", &e).with_cause(e)
}
