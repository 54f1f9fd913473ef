//! A per-run certificate authority and leaf certificate, generated in-process, and the rustls server config.

use crate::Error;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// Name of the CA certificate file in a data directory or private temp directory.
pub(crate) const CA_FILE: &str = "ca.pem";

/// Names the leaf certificate is valid for.
pub(crate) const SANS: &[&str] = &["localhost", "127.0.0.1", "::1", "*.localhost", "*.vault.azure.net"];

/// The generated CA and the server's TLS configuration.
#[derive(Debug)]
pub(crate) struct Tls {
    pub(crate) ca_pem: String,
    pub(crate) config: Arc<rustls::ServerConfig>,
}

fn tls_err(e: impl std::fmt::Display) -> Error {
    Error::Tls(e.to_string())
}

/// Generates a fresh CA and a leaf signed by it (valid for [`SANS`] and `extra_hosts`), and builds a server config (ring provider, HTTP/2 and HTTP/1.1 ALPN).
pub(crate) fn generate(extra_hosts: &[String]) -> crate::Result<Tls> {
    let ca_key = KeyPair::generate().map_err(tls_err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
    ca_params.distinguished_name.push(DnType::CommonName, "azkv-emulator per-run CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_err)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(tls_err)?;
    let mut leaf_params = CertificateParams::new(
        SANS.iter().map(|s| s.to_string()).chain(extra_hosts.iter().cloned()).collect::<Vec<_>>(),
    )
    .map_err(tls_err)?;
    leaf_params.distinguished_name.push(DnType::CommonName, "azkv-emulator");
    leaf_params.use_authority_key_identifier_extension = true;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer).map_err(tls_err)?;

    let chain = vec![CertificateDer::from(leaf_cert.der().to_vec()), CertificateDer::from(ca_cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_err)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Tls { ca_pem: ca_cert.pem(), config: Arc::new(config) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn generates_a_pem_ca() {
        let tls = super::generate(&["v.localhost".to_owned()]).unwrap();
        assert!(tls.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(tls.config.alpn_protocols.len(), 2);
    }
}
