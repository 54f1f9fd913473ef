//! Registered applications: client ids with their secrets and certificates, and how a client proves itself.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::collections::BTreeMap;

/// The client id of the Azure CLI, the default public client of the Azure SDKs' device code credentials,
/// accepted by the device code flow without registration (as the service knows it in every tenant).
pub(crate) const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// Most applications, and credentials per application, the registry holds.
const MAX_APPS: usize = 1024;
const MAX_CREDENTIALS: usize = 64;

/// A registered certificate: its DER and thumbprints (base64url, as `x5t` and `x5t#S256` carry them).
#[derive(Clone)]
pub(crate) struct Certificate {
    pub(crate) der: Vec<u8>,
    pub(crate) x5t: String,
    pub(crate) x5t_s256: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate").field("x5t#S256", &self.x5t_s256).finish_non_exhaustive()
    }
}

impl Certificate {
    /// Parses the first certificate of a PEM text and checks that it holds a usable public key.
    pub(crate) fn from_pem(pem: &str) -> Result<Self, String> {
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| format!("not a PEM certificate: {e}"))?;
        webpki::EndEntityCert::try_from(&der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let der = der.as_ref().to_vec();
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        let sha256 = ring::digest::digest(&ring::digest::SHA256, &der);
        Ok(Self { x5t: B64.encode(sha1), x5t_s256: B64.encode(sha256), der })
    }
}

/// A registered application's credentials. `Debug` shows no secret.
#[derive(Clone, Default)]
pub(crate) struct RegisteredApp {
    secrets: Vec<String>,
    pub(crate) certificates: Vec<Certificate>,
}

impl std::fmt::Debug for RegisteredApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredApp")
            .field("secrets", &self.secrets.len())
            .field("certificates", &self.certificates)
            .finish()
    }
}

impl RegisteredApp {
    /// Whether `secret` is one of the app's secrets, compared in constant time.
    pub(crate) fn secret_matches(&self, secret: &str) -> bool {
        // Every secret is compared, so the time does not tell which one (or whether any) matched.
        self.secrets.iter().fold(false, |hit, s| crate::auth::constant_time_eq(s.as_bytes(), secret.as_bytes()) | hit)
    }

    /// The certificate whose thumbprint `x5t#S256` (preferred) or `x5t` names. Padding and the standard
    /// base64 alphabet are accepted too (MSAL for Python sends `x5t` padded).
    pub(crate) fn certificate(&self, x5t_s256: Option<&str>, x5t: Option<&str>) -> Option<&Certificate> {
        let norm = |t: &str| -> String {
            t.trim_end_matches('=')
                .chars()
                .map(|c| match c {
                    '+' => '-',
                    '/' => '_',
                    c => c,
                })
                .collect()
        };
        let (s256, s1) = (x5t_s256.map(norm), x5t.map(norm));
        self.certificates.iter().find(|c| match (&s256, &s1) {
            (Some(s), _) => c.x5t_s256 == *s,
            (None, Some(t)) => c.x5t == *t,
            (None, None) => false,
        })
    }

    /// What the app has, for listings: `(secrets, certificate thumbprints)`.
    pub(crate) fn summary(&self) -> (usize, Vec<String>) {
        (self.secrets.len(), self.certificates.iter().map(|c| c.x5t_s256.clone()).collect())
    }
}

/// The tenant's applications by client id.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    apps: BTreeMap<String, RegisteredApp>,
}

impl Registry {
    /// The app registered as `client_id`.
    pub(crate) fn get(&self, client_id: &str) -> Option<&RegisteredApp> {
        self.apps.get(client_id)
    }

    /// Every app, by client id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &RegisteredApp)> {
        self.apps.iter()
    }

    fn entry(&mut self, client_id: &str) -> Result<&mut RegisteredApp, String> {
        check_client_id(client_id)?;
        if !self.apps.contains_key(client_id) && self.apps.len() >= MAX_APPS {
            return Err(format!("at most {MAX_APPS} applications can be registered"));
        }
        let app = self.apps.entry(client_id.to_owned()).or_default();
        if app.secrets.len() + app.certificates.len() >= MAX_CREDENTIALS {
            return Err(format!("at most {MAX_CREDENTIALS} credentials per application"));
        }
        Ok(app)
    }

    /// Adds a secret to `client_id` (registering it if new).
    pub(crate) fn add_secret(&mut self, client_id: &str, secret: &str) -> Result<(), String> {
        if secret.is_empty() || secret.len() > 1024 {
            return Err("a client secret has 1 to 1024 bytes".into());
        }
        let app = self.entry(client_id)?;
        if !app.secret_matches(secret) {
            app.secrets.push(secret.to_owned());
        }
        Ok(())
    }

    /// Adds a certificate (PEM) to `client_id` (registering it if new).
    pub(crate) fn add_certificate(&mut self, client_id: &str, pem: &str) -> Result<(), String> {
        let cert = Certificate::from_pem(pem)?;
        let app = self.entry(client_id)?;
        if !app.certificates.iter().any(|c| c.der == cert.der) {
            app.certificates.push(cert);
        }
        Ok(())
    }
}

/// A client id is 1 to 256 printable ASCII characters (a GUID in the service).
pub(crate) fn check_client_id(client_id: &str) -> Result<(), String> {
    if client_id.is_empty() || client_id.len() > 256 || !client_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a client id has 1 to 256 printable ASCII characters".into());
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A self-signed RSA certificate (PEM) and its PKCS#8 key (DER), made at test time: the key with the
    /// `rsa` crate (once per test binary, it takes a moment), a fresh certificate with rcgen on each call.
    pub(crate) fn rsa_cert() -> (String, Vec<u8>) {
        static KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let der = KEY.get_or_init(|| {
            use rsa::pkcs8::EncodePrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
            key.to_pkcs8_der().unwrap().as_bytes().to_vec()
        });
        let key = rcgen::KeyPair::try_from(der.as_slice()).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client.test".into()]).unwrap().self_signed(&key).unwrap();
        (cert.pem(), der.clone())
    }

    #[test]
    fn secrets_and_certificates() {
        let mut r = Registry::default();
        r.add_secret("app", "s3cret").unwrap();
        r.add_secret("app", "s3cret").unwrap();
        r.add_secret("app", "other").unwrap();
        let app = r.get("app").unwrap();
        assert!(app.secret_matches("s3cret") && app.secret_matches("other") && !app.secret_matches("s3cre"));
        assert_eq!(app.summary().0, 2, "a repeated secret is kept once");
        assert!(!format!("{r:?}").contains("s3cret"), "{r:?}");
        assert!(r.add_secret("", "s").is_err() && r.add_secret("a b", "s").is_err() && r.add_secret("a", "").is_err());
        assert!(r.add_certificate("app", "not pem").is_err());
        let (pem, _) = rsa_cert();
        r.add_certificate("app", &pem).unwrap();
        let c = r.get("app").unwrap().certificates[0].clone();
        assert_eq!((c.x5t.len(), c.x5t_s256.len()), (27, 43), "base64url of SHA-1 and SHA-256");
        let app = r.get("app").unwrap();
        assert!(app.certificate(Some(&c.x5t_s256), None).is_some());
        assert!(app.certificate(None, Some(&c.x5t)).is_some());
        assert!(app.certificate(None, Some(&format!("{}=", c.x5t))).is_some(), "padded, as MSAL for Python sends it");
        assert!(app.certificate(Some(&c.x5t), Some(&c.x5t)).is_none(), "x5t#S256 wins when both are sent");
        assert!(app.certificate(None, None).is_none());
    }
}
