//! Transports: the default on `reqwest`, and a second on `hyper` behind the `hyper` feature.

mod diagnose;
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

/// The default transport for `options`: a [`ReqwestTransport`] with the options' body limit.
///
/// # Errors
/// As [`new_reqwest_client`].
pub fn default_transport(options: &TransportOptions) -> crate::Result<std::sync::Arc<dyn crate::HttpClient>> {
    Ok(std::sync::Arc::new(ReqwestTransport::from_options(options)?))
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
