//! A transport on `reqwest` with rustls (ring; no OpenSSL), behind the `reqwest` feature.

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
    build(options, super::tls::client_config(options)?, options.proxy.to_reqwest()?)
}

/// [`new_reqwest_client`] with its TLS configuration and proxy already made.
pub(crate) fn build(
    options: &TransportOptions,
    tls: rustls::ClientConfig,
    proxy: Option<reqwest::Proxy>,
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout)
        .pool_idle_timeout(options.pool_idle_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .https_only(false)
        .use_preconfigured_tls(tls)
        .no_proxy();
    if let Some(proxy) = proxy {
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

/// A `reqwest::Client` with a response body limit.
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
    if let Some(name) = request.headers.invalid_header() {
        return Err(super::invalid_header(&request.url, name));
    }
    // The headers are a `HeaderMap` already: one clone (the values are reference-counted),
    // no per-header parsing.
    let mut outgoing = reqwest::Request::new(request.method.clone(), request.url.clone());
    *outgoing.headers_mut() = request.headers.as_header_map().clone();
    *outgoing.body_mut() = Some(reqwest::Body::from(request.body.clone()));
    let mut response = client.execute(outgoing).await.map_err(|e| map_send_error(&request.url, e))?;
    let status = response.status();
    let headers = Headers::from(std::mem::take(response.headers_mut()));
    let body = read_body(&request.url, response, limit).await?;
    Ok(Response::new(status, headers, body))
}

async fn read_body(url: &url::Url, mut response: reqwest::Response, limit: usize) -> Result<bytes::Bytes> {
    let mut body = super::body::BodyReader::new(url, limit, response.content_length())?;
    while let Some(chunk) = response.chunk().await.map_err(|e| map_read_error(url, e))? {
        body.push(chunk)?;
    }
    Ok(body.finish())
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

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::Method;

    /// A one-connection HTTP/1.1 server on 127.0.0.1 answering with `response` (raw bytes).
    async fn serve_once(response: &'static [u8]) -> url::Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap()).parse().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            stream.write_all(response).await.unwrap();
            stream.shutdown().await.unwrap();
        });
        url
    }

    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-answer: 42\r\n\r\n\
        5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n";

    #[tokio::test]
    async fn a_body_in_several_chunks_is_read_whole() {
        let url = serve_once(CHUNKED).await;
        let client = new_reqwest_client(&TransportOptions::default()).unwrap();
        let response = send(&client, &Request::new(Method::GET, url), 1024).await.unwrap();
        assert_eq!(&response.body[..], b"hello world");
        assert_eq!(response.headers.get("x-answer"), Some("42"));
    }

    #[tokio::test]
    async fn a_chunked_body_over_the_limit_is_refused_without_a_content_length() {
        let url = serve_once(CHUNKED).await;
        let client = new_reqwest_client(&TransportOptions::default()).unwrap();
        let err = send(&client, &Request::new(Method::GET, url), 8).await.unwrap_err();
        assert!(matches!(err, Error::Transport { .. }) && err.to_string().contains("exceeds 8 bytes"), "{err:?}");
    }

    #[tokio::test]
    async fn a_header_http_does_not_allow_is_refused_before_sending() {
        let client = new_reqwest_client(&TransportOptions::default()).unwrap();
        let mut request = Request::new(Method::GET, "http://127.0.0.1:9/x".parse().unwrap());
        request.headers.insert("x-bad", "line\r\nbreak: canary");
        let err = send(&client, &request, 1024).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::InvalidArgument(_)) && text.contains("x-bad"), "{err:?}");
        assert!(!text.contains("canary"), "the value is never quoted: {text}");
    }
}
