//! Transports: the default (hyper-util's client driven directly, proxies included), one on
//! reqwest behind the `reqwest` feature, and one on `hyper-rustls` behind the `hyper` feature.

mod body;
mod default;
mod diagnose;
mod direct;
pub(crate) mod http_client;
#[cfg(feature = "hyper")]
mod hyper;
mod options;
mod proxy;
#[cfg(feature = "reqwest")]
mod reqwest;
mod resolve;
mod tls;
mod tunnel;

#[cfg(feature = "hyper")]
pub use self::hyper::HyperClient;
pub use self::proxy::{ExplicitProxy, ProxySettings};
#[cfg(feature = "reqwest")]
pub use self::reqwest::{ReqwestTransport, new_reqwest_client};
pub use self::resolve::{Resolve, ResolveError};
pub(crate) use diagnose::host_port;

/// The default transport for `options`: hyper-util's pooled client, driven directly, on a
/// connector of azkv's own: rustls with ring (HTTP/2 by ALPN), the options' timeouts,
/// resolver, overrides and body limit, and their proxy (an explicit one, or one the
/// environment names): a `CONNECT` tunnel for https destinations, absolute-form requests for
/// http ones, never for a loopback or link-local destination.
///
/// Skipping reqwest's request and redirect layers saves about a quarter of the client's
/// instructions per request (`docs/benchmarks.md`).
///
/// # Errors
/// [`crate::Error::InvalidArgument`] for a bad root certificate, a verifier that cannot be
/// built, or a proxy that is neither http nor https.
///
/// ```
/// use std::sync::Arc;
/// use azkv_pipeline::{HttpClient, transport::{TransportOptions, default_transport}};
/// let transport: Arc<dyn HttpClient> = default_transport(&TransportOptions::default())?;
/// # Ok::<(), azkv_pipeline::Error>(())
/// ```
pub fn default_transport(options: &TransportOptions) -> crate::Result<std::sync::Arc<dyn crate::HttpClient>> {
    Ok(std::sync::Arc::new(default::DefaultTransport::new(options)?))
}
pub use options::{DEFAULT_MAX_RESPONSE_BODY, TransportOptions};

/// Parses one or more PEM certificates.
pub(crate) fn parse_pem_certs(pem: &[u8]) -> crate::Result<Vec<rustls_pki_types::CertificateDer<'static>>> {
    use rustls_pki_types::pem::PemObject;
    let certs = rustls_pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| crate::Error::invalid_argument(format!("root certificate PEM is invalid: {e}")))?;
    if certs.is_empty() {
        return Err(crate::Error::invalid_argument("root certificate PEM holds no certificate"));
    }
    Ok(certs)
}

/// The error for a request carrying a header that HTTP does not allow; the value is never
/// quoted.
pub(crate) fn invalid_header(url: &url::Url, name: &str) -> crate::Error {
    crate::Error::invalid_argument(format!(
        "request to {} cannot be built: header `{name}` has a name or value that HTTP does not allow",
        host_port(url)
    ))
}
