//! The emulator's certificate authority and leaf certificate (generated in-process, kept in the data
//! directory when there is one), an own certificate from files, and the rustls server config.

use crate::Error;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::Path;
use std::sync::Arc;

/// Name of the CA certificate file in a data directory or private temp directory.
pub(crate) const CA_FILE: &str = "ca.pem";

/// Names the leaf certificate is valid for.
pub(crate) const SANS: &[&str] = &["localhost", "127.0.0.1", "::1", "*.localhost", "*.vault.azure.net"];

/// The CA and the server's TLS configuration.
#[derive(Debug)]
pub(crate) struct Tls {
    /// The certificate clients trust: the emulator's CA, or the last certificate of an own chain.
    pub(crate) ca_pem: String,
    pub(crate) config: Arc<rustls::ServerConfig>,
    /// The served (leaf) certificate's SHA-1 thumbprint, uppercase hex: what Service Fabric clients pin
    /// (`IDENTITY_SERVER_THUMBPRINT`).
    pub(crate) leaf_sha1: String,
}

fn sha1_hex(chain: &[CertificateDer<'static>]) -> String {
    chain
        .first()
        .map(|c| ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, c.as_ref()))
        .map(|d| d.as_ref().iter().map(|b| format!("{b:02X}")).collect())
        .unwrap_or_default()
}

fn tls_err(e: impl std::fmt::Display) -> Error {
    Error::Tls(e.to_string())
}

const CA_KEY_FILE: &str = "ca.key";
const LEAF_KEY_FILE: &str = "leaf.key";

/// The CA's parameters. Its distinguished name must never change: a persisted CA is re-created as an
/// issuer from these parameters and its stored key.
fn ca_params() -> crate::Result<CertificateParams> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
    ca_params.distinguished_name.push(DnType::CommonName, "azkv-emulator CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    Ok(ca_params)
}

/// Reads a key from `dir`, or generates one and stores it there (0600); `None` for `dir` generates one.
fn load_or_create_key(dir: Option<&Path>, file: &str) -> crate::Result<(KeyPair, bool)> {
    let Some(dir) = dir else { return Ok((KeyPair::generate().map_err(tls_err)?, true)) };
    let path = dir.join(file);
    let perr = |e: std::io::Error| Error::Persistence(format!("{}: {e}", path.display()));
    match crate::files::read_optional(&path).map_err(perr)? {
        Some(bytes) => {
            let pem =
                String::from_utf8(bytes).map_err(|_| Error::Tls(format!("{} is not a PEM key", path.display())))?;
            let key = KeyPair::from_pem(&pem).map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
            Ok((key, false))
        }
        None => {
            let key = KeyPair::generate().map_err(tls_err)?;
            crate::files::write_new(&path, key.serialize_pem().as_bytes(), crate::files::FILE_MODE).map_err(perr)?;
            Ok((key, true))
        }
    }
}

/// The CA (generated, or the one kept in `data_dir`) and a leaf it signs for [`SANS`] and `extra_hosts`.
///
/// With a data directory the CA key, CA certificate and leaf key are generated once and stored (0600),
/// and every start re-issues the leaf from the same CA for the names asked for, so a client that trusts
/// the CA once keeps trusting every restart, whatever `--host` names are added.
pub(crate) fn generate(data_dir: Option<&Path>, extra_hosts: &[String]) -> crate::Result<Tls> {
    let ca_pem_path = data_dir.map(|d| d.join(CA_FILE));
    let stored_ca = match &ca_pem_path {
        Some(p) => crate::files::read_optional(p).map_err(|e| Error::Persistence(format!("{}: {e}", p.display())))?,
        None => None,
    };
    let key_exists = data_dir.is_some_and(|d| d.join(CA_KEY_FILE).exists());
    if data_dir.is_some() && stored_ca.is_some() != key_exists {
        return Err(Error::Tls(format!(
            "incomplete TLS identity in {}: remove {CA_FILE} and {CA_KEY_FILE} to generate a new CA",
            data_dir.map(|d| d.display().to_string()).unwrap_or_default()
        )));
    }
    let (ca_key, fresh) = load_or_create_key(data_dir, CA_KEY_FILE)?;
    let params = ca_params()?;
    let ca_pem = match stored_ca {
        Some(bytes) if !fresh => String::from_utf8(bytes).map_err(|_| Error::Tls(format!("{CA_FILE} is not PEM")))?,
        _ => {
            let pem = params.self_signed(&ca_key).map_err(tls_err)?.pem();
            if let Some(p) = &ca_pem_path {
                crate::files::replace(p, pem.as_bytes(), crate::files::FILE_MODE)
                    .map_err(|e| Error::Persistence(format!("{}: {e}", p.display())))?;
            }
            pem
        }
    };
    let issuer = Issuer::new(params, ca_key);
    let (leaf_key, _) = load_or_create_key(data_dir, LEAF_KEY_FILE)?;
    let mut leaf_params = CertificateParams::new(
        SANS.iter().map(|s| s.to_string()).chain(extra_hosts.iter().cloned()).collect::<Vec<_>>(),
    )
    .map_err(tls_err)?;
    leaf_params.distinguished_name.push(DnType::CommonName, "azkv-emulator");
    leaf_params.use_authority_key_identifier_extension = true;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer).map_err(tls_err)?;
    let ca_der = CertificateDer::pem_slice_iter(ca_pem.as_bytes())
        .next()
        .ok_or_else(|| Error::Tls(format!("{CA_FILE} holds no certificate")))?
        .map_err(tls_err)?;
    let chain = vec![CertificateDer::from(leaf_cert.der().to_vec()), ca_der];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let leaf_sha1 = sha1_hex(&chain);
    Ok(Tls { ca_pem, config: server_config(chain, key)?, leaf_sha1 })
}

/// An own certificate chain and key (PEM files), for `--tls-cert` / `--tls-key`.
pub(crate) fn from_files(cert: &Path, key: &Path) -> crate::Result<Tls> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| Error::Tls(format!("cannot read {}: {e}", p.display())));
    let cert_pem = read(cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(Error::Tls(format!("{} holds no certificate", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|e| Error::Tls(format!("{}: {e}", key.display())))?;
    let text = String::from_utf8_lossy(&cert_pem);
    let begin = "-----BEGIN CERTIFICATE-----";
    let ca_pem = text.rfind(begin).map(|i| text[i..].trim_end().to_owned() + "\n").unwrap_or_default();
    let leaf_sha1 = sha1_hex(&chain);
    Ok(Tls { ca_pem, config: server_config(chain, key)?, leaf_sha1 })
}

/// A server config (ring provider, HTTP/2 and HTTP/1.1 ALPN).
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> crate::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_err)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    #[test]
    fn generates_a_pem_ca() {
        let tls = super::generate(None, &["v.localhost".to_owned()]).unwrap();
        assert!(tls.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(tls.config.alpn_protocols.len(), 2);
    }

    #[test]
    fn a_data_directory_keeps_the_ca_and_the_leaf_key() {
        let tmp = crate::files::PrivateTempDir::new().unwrap();
        let first = super::generate(Some(tmp.path()), &[]).unwrap();
        let key = std::fs::read(tmp.path().join(super::LEAF_KEY_FILE)).unwrap();
        let second = super::generate(Some(tmp.path()), &["new.localhost".to_owned()]).unwrap();
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_eq!(std::fs::read(tmp.path().join(super::LEAF_KEY_FILE)).unwrap(), key);
        assert_ne!(first.ca_pem, super::generate(None, &[]).unwrap().ca_pem);
        std::fs::remove_file(tmp.path().join(super::CA_FILE)).unwrap();
        let e = super::generate(Some(tmp.path()), &[]).unwrap_err();
        assert!(e.to_string().contains("incomplete"), "{e}");
    }
}
