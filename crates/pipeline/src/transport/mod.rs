//! Transports: the default (hyper-util's client driven directly, reqwest for proxied
//! destinations), reqwest alone, and a second on `hyper-rustls` behind the `hyper` feature.

mod body;
mod default;
mod diagnose;
mod direct;
pub(crate) mod http_client;
#[cfg(feature = "hyper")]
mod hyper;
mod options;
mod proxy;
mod reqwest;
mod resolve;
mod tls;

#[cfg(feature = "hyper")]
pub use self::hyper::HyperClient;
pub use self::proxy::{ExplicitProxy, ProxySettings};
pub use self::reqwest::{ReqwestTransport, new_reqwest_client};
pub use self::resolve::{Resolve, ResolveError};
pub(crate) use diagnose::host_port;

/// The default transport for `options`: hyper-util's pooled client, driven directly, for every
/// destination no proxy takes, and a [`ReqwestTransport`] for those a proxy takes (an explicit
/// proxy, or one the environment names); one TLS configuration (rustls with ring, HTTP/2 by
/// ALPN), the options' timeouts, resolver, overrides and body limit on both.
///
/// Skipping reqwest's request and redirect layers on the direct path saves about a quarter of
/// the client's instructions per request (`docs/benchmarks.md`).
///
/// # Errors
/// As [`new_reqwest_client`].
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
