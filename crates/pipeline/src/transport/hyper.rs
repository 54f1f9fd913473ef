//! A second transport on hyper-util's pooled client with rustls (feature `hyper`).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::TransportOptions;
use crate::{Error, Headers, HttpClient, Request, Response, Result};

/// A transport on hyper 1.x through hyper-util's pooled client, with rustls (ring) and the
/// platform's roots plus any given.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> azkv_pipeline::Result<()> {
/// use azkv_pipeline::transport::{HyperClient, TransportOptions};
/// let client = HyperClient::new(&TransportOptions::default())?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HyperClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    max_response_body: usize,
}

impl fmt::Debug for HyperClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperClient").field("max_response_body", &self.max_response_body).finish()
    }
}

impl HyperClient {
    /// A client built from `options` (connect timeout, roots, pool idle timeout; DNS overrides
    /// are not supported by this transport and are refused).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad root certificate or unsupported option.
    pub fn new(options: &TransportOptions) -> Result<Self> {
        if !options.resolve.is_empty() {
            return Err(Error::invalid_argument(
                "HyperClient does not support DNS overrides; use the default transport",
            ));
        }
        let mut roots = rustls::RootCertStore::empty();
        if !options.only_given_roots {
            let native = rustls_native_roots();
            roots.add_parsable_certificates(native);
        }
        for pem in &options.root_certificates_pem {
            for der in super::parse_pem_certs(pem)? {
                roots.add(der).map_err(|e| Error::invalid_argument(format!("root certificate is invalid: {e}")))?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(super::tls::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::invalid_argument(format!("TLS settings are refused: {e}")))?
            .with_root_certificates(Arc::new(roots))
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(options.connect_timeout));
        // As reqwest does: without it a request whose headers and body go out in separate
        // writes waits for the server's delayed ACK (about 40 ms on Linux) before its body.
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(options.pool_idle_timeout).build(https);
        Ok(Self { client, max_response_body: options.max_response_body })
    }
}

fn rustls_native_roots() -> Vec<rustls_pki_types::CertificateDer<'static>> {
    // The platform's bundle, read from the usual Debian/RHEL locations when present.
    let mut certs = Vec::new();
    for path in ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"] {
        if let Ok(pem) = std::fs::read(path)
            && let Ok(found) = super::parse_pem_certs(&pem)
        {
            certs.extend(found);
            break;
        }
    }
    certs
}

#[async_trait]
impl HttpClient for HyperClient {
    async fn execute(&self, request: &Request) -> Result<Response> {
        if let Some(name) = request.headers.invalid_header() {
            return Err(super::invalid_header(&request.url, name));
        }
        let mut req = http::Request::builder()
            .method(request.method.clone())
            .uri(request.url.as_str())
            .body(Full::new(request.body.clone()))
            .map_err(|e| Error::invalid_argument(format!("request cannot be built: {e}")))?;
        *req.headers_mut() = request.headers.as_header_map().clone();
        let response = self.client.request(req).await.map_err(|e| super::direct::send_error(&request.url, e))?;
        let (parts, body) = response.into_parts();
        let headers = Headers::from(parts.headers);
        let body = Limited::new(body, self.max_response_body)
            .collect()
            .await
            .map_err(|e| super::diagnose::exchange_error(&request.url, "reading the response from", &*e))?
            .to_bytes();
        Ok(Response::new(parts.status, headers, body))
    }
}
