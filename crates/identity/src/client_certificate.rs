//! Authenticates a service principal with a certificate: an RS256-signed client assertion.

use std::fmt;
use std::path::Path;

use async_trait::async_trait;
use azkv_pipeline::{AccessToken, Error, Result, Secret, TokenCredential, TokenRequestOptions};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::aad::{AadClient, scope_field, validate_tenant_id};
use crate::client_assertion::JWT_BEARER;
use crate::options::CredentialOptions;
use crate::variables::vars;
use azkv_pipeline::token_cache::TokenCache;

/// How long a client assertion is valid.
const ASSERTION_LIFETIME: time::Duration = time::Duration::minutes(10);

/// Options for [`ClientCertificateCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ClientCertificateCredentialOptions {
    /// Transport, authority, environment and clock.
    pub credential: CredentialOptions,
    /// Whether to send the certificate chain (`x5c`) with each assertion, for subject name /
    /// issuer authentication; `None` reads `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN` (`true` or
    /// `1`), else `false`.
    pub send_certificate_chain: Option<bool>,
}

impl ClientCertificateCredentialOptions {
    /// These options with `credential` (transport, authority, environment, clock).
    pub fn with_credential(mut self, credential: CredentialOptions) -> Self {
        self.credential = credential;
        self
    }

    /// These options sending (or not) the certificate chain (`x5c`).
    pub fn with_send_certificate_chain(mut self, send: bool) -> Self {
        self.send_certificate_chain = Some(send);
        self
    }
}

/// A service principal's certificate: each token request carries a client assertion, a JWT
/// signed with the certificate's RSA key (RS256) and naming the certificate by its SHA-256
/// thumbprint (`x5t#S256`).
///
/// The certificate and key come as PEM (one or more `CERTIFICATE` blocks, the first the
/// client's, and an RSA `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1)), or as a PKCS#12
/// (`.pfx`) file with or without a password (feature `pkcs12`). Only RSA keys: Microsoft Entra
/// ID does not accept EC keys for certificate credentials. `Debug` never shows the key.
pub struct ClientCertificateCredential {
    tenant_id: String,
    client_id: String,
    key: RsaKeyPair,
    thumbprint_s256: String,
    chain: Vec<String>,
    send_chain: bool,
    aad: AadClient,
    cache: TokenCache,
    tenants: crate::tenant::TenantPolicy,
}

impl fmt::Debug for ClientCertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificateCredential")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("thumbprint_s256", &self.thumbprint_s256)
            .field("send_chain", &self.send_chain)
            .finish_non_exhaustive()
    }
}

impl ClientCertificateCredential {
    /// A credential for `client_id` in `tenant_id`, from PEM text holding the certificate(s)
    /// and the private key.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid tenant id, an empty client id, PEM without a
    /// certificate or an RSA private key (an EC key is refused: Microsoft Entra ID accepts
    /// only RSA), a key ring refuses, or a bad authority host. The message never quotes the
    /// PEM.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate_pem: impl AsRef<[u8]>,
        options: Option<ClientCertificateCredentialOptions>,
    ) -> Result<Self> {
        let pem = certificate_pem.as_ref();
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::invalid_argument(format!("certificate PEM is invalid: {e}")))?;
        let key = match PrivateKeyDer::from_pem_slice(pem) {
            Ok(key) => key,
            Err(_) if contains(pem, b"ENCRYPTED PRIVATE KEY") => {
                return Err(Error::invalid_argument(
                    "the PEM's private key is encrypted, which is not supported; use the PKCS#12 (.pfx) file with \
                     its password, or decrypt the key with `openssl pkey`",
                ));
            }
            Err(_) => {
                return Err(Error::invalid_argument(
                    "certificate PEM holds no private key (for a PKCS#12 file use from_pkcs12 or from_file)",
                ));
            }
        };
        let certs = certs.iter().map(|c| c.as_ref().to_vec()).collect();
        Self::from_parts(tenant_id.into(), client_id.into(), &key, certs, options.unwrap_or_default())
    }

    /// A credential from a PKCS#12 (`.pfx`) file's bytes, with its `password` (`None` for a
    /// file without one). Needs the `pkcs12` feature.
    ///
    /// # Errors
    /// As [`Self::new`]; [`Error::InvalidArgument`] for a file that is not PKCS#12, a wrong
    /// password, a file without a private key, or when the `pkcs12` feature is off. The
    /// message never quotes the file or the password.
    pub fn from_pkcs12(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        pfx: impl AsRef<[u8]>,
        password: Option<&str>,
        options: Option<ClientCertificateCredentialOptions>,
    ) -> Result<Self> {
        let parts = crate::pkcs12::read(pfx.as_ref(), password.unwrap_or(""))?;
        let key = PrivateKeyDer::Pkcs8(parts.pkcs8.as_slice().into());
        Self::from_parts(tenant_id.into(), client_id.into(), &key, parts.certs, options.unwrap_or_default())
    }

    /// The same, reading the PEM from `path`.
    ///
    /// # Errors
    /// As [`Self::new`], and [`Error::InvalidArgument`] when the file cannot be read.
    pub fn from_pem_file(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        path: impl AsRef<Path>,
        options: Option<ClientCertificateCredentialOptions>,
    ) -> Result<Self> {
        let pem = read_file(path.as_ref())?;
        Self::new(tenant_id, client_id, pem.as_slice(), options)
    }

    /// A credential from a PEM or PKCS#12 file at `path`, told apart by its contents (PEM is
    /// text with `-----BEGIN`); `password` is the PKCS#12 file's.
    ///
    /// # Errors
    /// As [`Self::new`] or [`Self::from_pkcs12`], and [`Error::InvalidArgument`] when the file
    /// cannot be read.
    pub fn from_file(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        path: impl AsRef<Path>,
        password: Option<&str>,
        options: Option<ClientCertificateCredentialOptions>,
    ) -> Result<Self> {
        let bytes = read_file(path.as_ref())?;
        if contains(&bytes, b"-----BEGIN") {
            if password.is_some_and(|p| !p.is_empty()) {
                return Err(Error::invalid_argument(
                    "a certificate password was given for a PEM file; passwords apply to PKCS#12 (.pfx) files only",
                ));
            }
            Self::new(tenant_id, client_id, bytes.as_slice(), options)
        } else {
            Self::from_pkcs12(tenant_id, client_id, bytes.as_slice(), password, options)
        }
    }

    fn from_parts(
        tenant_id: String,
        client_id: String,
        key: &PrivateKeyDer<'_>,
        certs: Vec<Vec<u8>>,
        options: ClientCertificateCredentialOptions,
    ) -> Result<Self> {
        validate_tenant_id(&tenant_id)?;
        if client_id.trim().is_empty() {
            return Err(Error::invalid_argument("client id must not be empty"));
        }
        let Some(leaf) = certs.first() else {
            return Err(Error::invalid_argument("the certificate file holds no certificate"));
        };
        let key = rsa_key(key)?;
        let thumbprint_s256 = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, leaf));
        let chain = certs.iter().map(|c| STANDARD.encode(c)).collect();
        let env = options.credential.env();
        let send_chain = options.send_certificate_chain.unwrap_or_else(|| {
            env.non_empty(vars::AZURE_CLIENT_SEND_CERTIFICATE_CHAIN)
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
        });
        Ok(Self {
            tenant_id,
            client_id,
            key,
            thumbprint_s256,
            chain,
            send_chain,
            aad: options.credential.aad_client()?,
            cache: TokenCache::new(options.credential.time.clone()),
            tenants: options.credential.tenant_policy(),
        })
    }

    /// A signed client assertion for `audience` (the token endpoint).
    fn assertion(&self, audience: &str) -> Result<Secret> {
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t#S256": self.thumbprint_s256});
        if self.send_chain {
            header["x5c"] = serde_json::json!(self.chain);
        }
        let now = self.aad.time.now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "aud": audience,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME.whole_seconds(),
        });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), signing_input.as_bytes(), &mut signature)
            .map_err(|_| Error::credential("ClientCertificateCredential: signing the client assertion failed"))?;
        Ok(Secret::new(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))))
    }

    async fn fetch(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let tenant = options.tenant_id.as_deref().unwrap_or(&self.tenant_id);
        let scope = scope_field(scopes)?;
        let assertion = self.assertion(self.aad.token_endpoint(tenant)?.as_str())?;
        let credential = [("client_assertion_type", JWT_BEARER), ("client_assertion", assertion.expose())];
        let what = "ClientCertificateCredential";
        self.aad.request_client_credentials_token(tenant, &self.client_id, &credential, &scope, options, what).await
    }
}

#[async_trait]
impl TokenCredential for ClientCertificateCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let options = &self.tenants.apply("ClientCertificateCredential", &self.tenant_id, options)?;
        self.cache.get_or_fetch(scopes, options, || self.fetch(scopes, options)).await
    }
}

/// Why a key that is not RSA is refused.
const NOT_RSA: &str = "Microsoft Entra ID does not accept it for certificate credentials: client assertions are \
signed RS256 or PS256, with an RSA key; use a certificate with an RSA key";

/// The RSA key pair of `key`; EC and Ed25519 keys are refused, saying why.
fn rsa_key(key: &PrivateKeyDer<'_>) -> Result<RsaKeyPair> {
    // DER encodings of the OIDs id-ecPublicKey (1.2.840.10045.2.1) and Ed25519 (1.3.101.112).
    const EC_OID: &[u8] = &[0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
    const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2B, 0x65, 0x70];
    let not_rsa = |what: &str| Error::invalid_argument(format!("the private key is {what}, and {NOT_RSA}"));
    let parsed = match key {
        PrivateKeyDer::Pkcs8(k) => {
            let der = k.secret_pkcs8_der();
            let head = &der[..der.len().min(32)];
            if contains(head, EC_OID) {
                return Err(not_rsa("an elliptic-curve (EC) key"));
            }
            if contains(head, ED25519_OID) {
                return Err(not_rsa("an Ed25519 key"));
            }
            RsaKeyPair::from_pkcs8(der)
        }
        PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(_) => return Err(not_rsa("an elliptic-curve (EC) key")),
        _ => return Err(Error::invalid_argument("the private key must be an RSA key (PKCS#8 or PKCS#1)")),
    };
    parsed.map_err(|e| Error::invalid_argument(format!("the private key is not a usable RSA key: {e}")))
}

/// Whether `haystack` holds `needle`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A certificate file's bytes, wiped when dropped.
fn read_file(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    std::fs::read(path)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| Error::invalid_argument(format!("certificate file {} cannot be read: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = include_str!("../tests/data/cert_and_key.pem");

    #[test]
    fn thumbprint_matches_openssl() {
        let c = ClientCertificateCredential::new("t", "c", PEM, None).unwrap();
        // `openssl x509 -outform DER | openssl dgst -sha256 -binary | base64url`.
        assert_eq!(c.thumbprint_s256, "6vheGTkXVTwTJdniu8i-6d7eSCIFuXtBSvcNIuyxkxo");
        let shown = format!("{c:?}");
        assert!(!shown.contains("PRIVATE") && shown.contains("6vheGT"), "{shown}");
    }

    #[test]
    fn pem_without_key_or_certificate_is_refused_without_quoting_it() {
        let cert_only = include_str!("../tests/data/cert.pem");
        let e = ClientCertificateCredential::new("t", "c", cert_only, None).unwrap_err().to_string();
        assert!(e.contains("no private key") && e.contains("from_pkcs12"), "{e}");
        let key_only = include_str!("../tests/data/key.pem");
        let e = ClientCertificateCredential::new("t", "c", key_only, None).unwrap_err().to_string();
        assert!(e.contains("no certificate"), "{e}");
        assert!(!e.contains("MII"), "{e}");
    }
}
