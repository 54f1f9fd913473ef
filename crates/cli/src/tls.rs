//! Which CA certificates to trust besides the system's: `--ca-file` and `SSL_CERT_FILE`.
//!
//! Both are added to the system's roots, never instead of them. The platform verifier that the
//! pipeline's transport uses reads `SSL_CERT_FILE` itself on Linux and then trusts that file alone,
//! so when the variable is set the system's bundle is added back from its usual place.

use std::path::{Path, PathBuf};

use crate::error::{CliError, Result};

/// The system bundles the platform verifier would read without `SSL_CERT_FILE`, in the order
/// OpenSSL's probe tries them.
#[cfg(all(unix, not(target_os = "macos")))]
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/ssl/cert.pem",
];

/// The extra roots (PEM) to give the transport: `--ca-file`, then `SSL_CERT_FILE` (with the
/// system bundle it hides), each checked to hold a certificate.
pub(crate) fn extra_roots(ca_file: Option<&Path>, ssl_cert_file: Option<PathBuf>) -> Result<Vec<Vec<u8>>> {
    let mut roots = Vec::new();
    if let Some(path) = ca_file {
        roots.push(read_pem(&format!("--ca-file {}", path.display()), path)?);
    }
    if let Some(path) = ssl_cert_file.filter(|p| !p.as_os_str().is_empty()) {
        roots.push(read_pem(&format!("SSL_CERT_FILE {}", path.display()), &path)?);
        #[cfg(all(unix, not(target_os = "macos")))]
        if let Some(bundle) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
            // A bundle that cannot be read leaves only the given roots, as before this addition.
            if let Ok(pem) = std::fs::read(bundle) {
                roots.push(pem);
            }
        }
    }
    Ok(roots)
}

/// The PEM in `path`, if it holds at least one certificate; `what` names it in errors.
fn read_pem(what: &str, path: &Path) -> Result<Vec<u8>> {
    let pem = std::fs::read(path).map_err(|e| CliError::io(format!("{what}: cannot read"), e))?;
    let marker = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(marker.len()).any(|w| w == marker) {
        return Err(CliError::arg(what, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_empty_files_name_their_source() {
        let e = extra_roots(Some(Path::new("/nonexistent/ca.pem")), None).map(|_| ()).unwrap_err().to_string();
        assert!(e.starts_with("--ca-file /nonexistent/ca.pem: cannot read: "), "{e}");
        let e = extra_roots(None, Some("/nonexistent/b.pem".into())).map(|_| ()).unwrap_err().to_string();
        assert!(e.starts_with("SSL_CERT_FILE /nonexistent/b.pem: cannot read"), "{e}");
        let not_pem = std::env::temp_dir().join(format!("azkv-cli-not-pem-{}", std::process::id()));
        std::fs::write(&not_pem, "not a certificate").unwrap();
        let e = extra_roots(Some(&not_pem), None).map(|_| ()).unwrap_err().to_string();
        let _ = std::fs::remove_file(&not_pem);
        assert!(e.ends_with("holds no PEM certificate (-----BEGIN CERTIFICATE-----)"), "{e}");
        assert!(extra_roots(None, Some(PathBuf::new())).is_ok_and(|r| r.is_empty()));
        assert!(extra_roots(None, None).unwrap().is_empty());
    }

    #[test]
    fn ssl_cert_file_keeps_the_system_bundle() {
        let ca = std::env::temp_dir().join(format!("azkv-cli-ca-{}.pem", std::process::id()));
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        let with_file = extra_roots(Some(&ca), None).map(|r| r.len());
        let with_var = extra_roots(None, Some(ca.clone())).map(|r| r.len());
        let _ = std::fs::remove_file(&ca);
        let _ = &with_var; // Checked below where the platform verifier reads SSL_CERT_FILE.
        assert_eq!(with_file.ok(), Some(1), "--ca-file adds one file; the verifier keeps the system roots");
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            let bundle = SYSTEM_BUNDLES.iter().any(|p| Path::new(p).is_file());
            assert_eq!(with_var.ok(), Some(1 + usize::from(bundle)), "SSL_CERT_FILE brings the system bundle back");
        }
    }
}
