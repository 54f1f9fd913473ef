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
    super::ensure_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout)
        .pool_idle_timeout(options.pool_idle_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .https_only(false);
    let mut roots = Vec::new();
    for pem in &options.root_certificates_pem {
        for der in super::parse_pem_certs(pem)? {
            let cert = reqwest::Certificate::from_der(&der)
                .map_err(|e| Error::invalid_argument(format!("root certificate is invalid: {e}")))?;
            roots.push(cert);
        }
    }
    builder = if options.only_given_roots { builder.tls_certs_only(roots) } else { builder.tls_certs_merge(roots) };
    if !options.use_env_proxy {
        builder = builder.no_proxy();
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
    let response = builder.body(request.body.clone()).send().await.map_err(map_send_error)?;
    let status = response.status();
    let headers: Headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = read_body(response, limit).await?;
    Ok(Response::new(status, headers, body))
}

async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<bytes::Bytes> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Error::Transport { message: format!("response body exceeds {limit} bytes"), source: None });
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(map_read_error)? {
        if body.len() + chunk.len() > limit {
            return Err(Error::Transport { message: format!("response body exceeds {limit} bytes"), source: None });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn map_send_error(e: reqwest::Error) -> Error {
    if e.is_builder() {
        Error::invalid_argument(format!("request cannot be built: {}", e.without_url()))
    } else if e.is_timeout() {
        Error::timeout(format!("transport timeout: {}", strip_url(e)))
    } else if e.is_connect() {
        let e = e.without_url();
        Error::connection(e.to_string(), e)
    } else {
        let e = e.without_url();
        Error::transport(e.to_string(), e)
    }
}

fn map_read_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::timeout(format!("reading the response: {}", strip_url(e)))
    } else {
        let e = e.without_url();
        Error::transport(format!("reading the response: {e}"), e)
    }
}

/// The error's text without its URL, whose query could hold something secret.
fn strip_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}
