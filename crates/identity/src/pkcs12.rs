//! Reading a PKCS#12 (`.pfx`) file: its private key (PKCS#8) and certificate chain, through
//! `p12-keystore` (feature `pkcs12`).

use azkv_pipeline::{Error, Result};
use zeroize::Zeroizing;

/// A private key and its certificates, leaf first.
pub(crate) struct KeyAndChain {
    /// The private key, PKCS#8 DER.
    pub(crate) pkcs8: Zeroizing<Vec<u8>>,
    /// The certificates, DER, the client's first.
    pub(crate) certs: Vec<Vec<u8>>,
}

/// Reads `der` with `password` (`""` for none).
///
/// # Errors
/// [`Error::InvalidArgument`] for a file that is not PKCS#12, a wrong password, or one without
/// a private key and its certificate; without the `pkcs12` feature, always, naming it. The
/// message never quotes the file or the password.
#[cfg(feature = "pkcs12")]
pub(crate) fn read(der: &[u8], password: &str) -> Result<KeyAndChain> {
    use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
    let store = KeyStore::from_pkcs12(der, password, Pkcs12ImportPolicy::Strict).map_err(|e| {
        let why = match e {
            p12_keystore::error::Error::MacError(_) => "the password is wrong (or the file is damaged)".to_owned(),
            other => other.to_string(),
        };
        Error::invalid_argument(format!("the PKCS#12 certificate cannot be read: {why}"))
    })?;
    let Some((_, chain)) = store.private_key_chain() else {
        return Err(Error::invalid_argument(
            "the PKCS#12 file holds no private key with its certificate (a certificate-only .pfx cannot sign)",
        ));
    };
    Ok(KeyAndChain {
        pkcs8: Zeroizing::new(chain.key().as_der().to_vec()),
        certs: chain.certs().iter().map(|c| c.as_der().to_vec()).collect(),
    })
}

/// Without the `pkcs12` feature: an error naming it.
#[cfg(not(feature = "pkcs12"))]
pub(crate) fn read(_der: &[u8], _password: &str) -> Result<KeyAndChain> {
    Err(Error::invalid_argument(
        "PKCS#12 (.pfx) certificates need azkv-identity's `pkcs12` feature; enable it, or convert the file with \
         `openssl pkcs12 -in cert.pfx -out cert.pem -nodes`",
    ))
}

#[cfg(test)]
mod tests {
    #[cfg(not(feature = "pkcs12"))]
    #[test]
    fn without_the_feature_the_error_names_it() {
        let e = super::read(include_bytes!("../tests/data/cert_no_password.pfx"), "").err().unwrap().to_string();
        assert!(e.contains("`pkcs12` feature"), "{e}");
    }

    #[cfg(feature = "pkcs12")]
    #[test]
    fn the_chain_starts_with_the_client_certificate() {
        let parts = super::read(include_bytes!("../tests/data/cert_no_password.pfx"), "").ok().unwrap();
        let pem = include_bytes!("../tests/data/cert.pem");
        use rustls_pki_types::pem::PemObject;
        let leaf = rustls_pki_types::CertificateDer::from_pem_slice(pem).unwrap();
        assert_eq!(parts.certs[0], leaf.as_ref());
    }
}
