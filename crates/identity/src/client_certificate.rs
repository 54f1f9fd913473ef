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
use azkv_pipeline::TokenCache;

/// How long a client assertion is valid.
const ASSERTION_LIFETIME: time::Duration = time::Duration::minutes(10);

/// Options for [`ClientCertificateCredential`].
#[derive(Debug, Clone, Default)]
pub struct ClientCertificateCredentialOptions {
    /// Transport, authority, environment and clock.
    pub credential: CredentialOptions,
    /// Whether to send the certificate chain (`x5c`) with each assertion, for subject name /
    /// issuer authentication; `None` reads `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN` (`true` or
    /// `1`), else `false`.
    pub send_certificate_chain: Option<bool>,
}

/// A service principal's certificate: each token request carries a client assertion, a JWT
/// signed with the certificate's RSA key (RS256) and naming the certificate by its SHA-256
/// thumbprint (`x5t#S256`).
///
/// The certificate and key come as PEM: one or more `CERTIFICATE` blocks (the first is the
/// client's) and an RSA `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1). PKCS#12 files are
/// not supported; convert them with
/// `openssl pkcs12 -in cert.pfx -out cert.pem -nodes`. `Debug` never shows the key.
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
    /// certificate or an RSA private key, a key ring refuses, or a bad authority host. The
    /// message never quotes the PEM.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate_pem: impl AsRef<[u8]>,
        options: Option<ClientCertificateCredentialOptions>,
    ) -> Result<Self> {
        let options = options.unwrap_or_default();
        let (tenant_id, client_id) = (tenant_id.into(), client_id.into());
        validate_tenant_id(&tenant_id)?;
        if client_id.trim().is_empty() {
            return Err(Error::invalid_argument("client id must not be empty"));
        }
        let pem = certificate_pem.as_ref();
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::invalid_argument(format!("certificate PEM is invalid: {e}")))?;
        let Some(leaf) = certs.first() else {
            return Err(Error::invalid_argument("certificate PEM holds no CERTIFICATE block"));
        };
        let key = match PrivateKeyDer::from_pem_slice(pem) {
            Ok(PrivateKeyDer::Pkcs8(k)) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            Ok(PrivateKeyDer::Pkcs1(k)) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            Ok(_) => return Err(Error::invalid_argument("the private key must be an RSA key (PKCS#8 or PKCS#1 PEM)")),
            Err(_) => {
                return Err(Error::invalid_argument("certificate PEM holds no private key (PKCS#12 is not supported)"));
            }
        }
        .map_err(|e| Error::invalid_argument(format!("the private key is not a usable RSA key: {e}")))?;
        let thumbprint_s256 = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, leaf.as_ref()));
        let chain = certs.iter().map(|c| STANDARD.encode(c.as_ref())).collect();
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
        let path = path.as_ref();
        let pem = std::fs::read(path)
            .map_err(|e| Error::invalid_argument(format!("certificate file {} cannot be read: {e}", path.display())))?;
        Self::new(tenant_id, client_id, pem, options)
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
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion.expose()),
            ("scope", scope.as_str()),
        ];
        let claims = crate::aad::claims_field(options);
        if let Some(claims) = claims.as_deref() {
            form.push(("claims", claims));
        }
        self.aad.request_token(tenant, &form, "ClientCertificateCredential").await
    }
}

#[async_trait]
impl TokenCredential for ClientCertificateCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let options = &self.tenants.apply("ClientCertificateCredential", &self.tenant_id, options)?;
        self.cache.get_or_fetch(scopes, options, || self.fetch(scopes, options)).await
    }
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
        assert!(e.contains("no private key") && e.contains("PKCS#12"), "{e}");
        let key_only = include_str!("../tests/data/key.pem");
        let e = ClientCertificateCredential::new("t", "c", key_only, None).unwrap_err().to_string();
        assert!(e.contains("no CERTIFICATE"), "{e}");
        assert!(!e.contains("MII"), "{e}");
    }
}
