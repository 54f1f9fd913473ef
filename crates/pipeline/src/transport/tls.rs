//! The TLS client configuration of the built-in transports, with an explicit crypto provider.
//!
//! rustls looks for a process-wide default provider when none is given, and installing one is
//! a process-wide change that an application may want to make itself (an `install_default()`
//! that finds ring already installed fails). The transports therefore build their
//! configuration with ring passed explicitly and leave the process default alone.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use super::TransportOptions;
use crate::{Error, Result};

/// The crypto provider of every built-in transport: ring.
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The roots given in `options`, parsed.
fn given_roots(options: &TransportOptions) -> Result<Vec<CertificateDer<'static>>> {
    let mut roots = Vec::new();
    for pem in &options.root_certificates_pem {
        roots.extend(super::parse_pem_certs(pem)?);
    }
    Ok(roots)
}

/// A client configuration trusting the platform's roots (through the platform verifier, which
/// honours `SSL_CERT_FILE` and `SSL_CERT_DIR` on Linux) plus `options`' roots, or only the
/// given roots, or what `options`' own verifier accepts; ALPN offers HTTP/2 and HTTP/1.1.
///
/// # Errors
/// [`Error::InvalidArgument`] for a bad root certificate or a verifier that cannot be built.
pub(crate) fn client_config(options: &TransportOptions) -> Result<rustls::ClientConfig> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::invalid_argument(format!("TLS settings are refused: {e}")))?;
    let roots = given_roots(options)?;
    let mut config = if let Some(verifier) = &options.server_verifier {
        builder.dangerous().with_custom_certificate_verifier(verifier.clone()).with_no_client_auth()
    } else if options.only_given_roots {
        let mut store = rustls::RootCertStore::empty();
        for root in roots {
            store.add(root).map_err(|e| Error::invalid_argument(format!("root certificate is invalid: {e}")))?;
        }
        builder.with_root_certificates(store).with_no_client_auth()
    } else {
        let verifier = if roots.is_empty() {
            rustls_platform_verifier::Verifier::new(provider)
        } else {
            rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider)
        }
        .map_err(|e| Error::invalid_argument(format!("root certificate is invalid: {e}")))?;
        builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
