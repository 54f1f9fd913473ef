//! A service principal configured through environment variables.

use async_trait::async_trait;
use azkv_pipeline::{AccessToken, Error, Result, TokenCredential, TokenRequestOptions};

use crate::client_certificate::{ClientCertificateCredential, ClientCertificateCredentialOptions};
use crate::client_secret::ClientSecretCredential;
use crate::options::CredentialOptions;
use crate::variables::vars;

/// A service principal from environment variables: `AZURE_TENANT_ID` and `AZURE_CLIENT_ID`,
/// with `AZURE_CLIENT_SECRET` ([`ClientSecretCredential`]) or, failing that,
/// `AZURE_CLIENT_CERTIFICATE_PATH` (a PEM file, or a PKCS#12 file with the `pkcs12` feature and
/// `AZURE_CLIENT_CERTIFICATE_PASSWORD` when it has one: [`ClientCertificateCredential`];
/// `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true` sends its chain).
///
/// When neither set is complete, `get_token` answers "unavailable" naming the missing
/// variables.
#[derive(Debug)]
pub struct EnvironmentCredential {
    inner: std::result::Result<Inner, (String, bool)>,
}

#[derive(Debug)]
enum Inner {
    Secret(Box<ClientSecretCredential>),
    Certificate(Box<ClientCertificateCredential>),
}

impl EnvironmentCredential {
    /// A credential configured from `options.env` (default: the process environment).
    ///
    /// Missing variables are reported by `get_token`, not here, so that a chain can hold this
    /// credential everywhere.
    ///
    /// # Errors
    /// None at present; the signature leaves room for checks at construction.
    pub fn new(options: Option<CredentialOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        Ok(Self { inner: Self::configure(options) })
    }

    fn configure(options: CredentialOptions) -> std::result::Result<Inner, (String, bool)> {
        const WHAT: &str = "EnvironmentCredential";
        let env = options.env();
        let tenant = env.non_empty(vars::AZURE_TENANT_ID);
        let client = env.non_empty(vars::AZURE_CLIENT_ID);
        let secret = env.var(vars::AZURE_CLIENT_SECRET).filter(|s| !s.is_empty());
        let cert_path = env.non_empty(vars::AZURE_CLIENT_CERTIFICATE_PATH);
        let invalid = |e: Error| (format!("{WHAT}: {e}"), false);
        match (tenant, client, secret, cert_path) {
            (Some(t), Some(c), Some(s), _) => {
                ClientSecretCredential::new(t, c, s, Some(options)).map(|c| Inner::Secret(Box::new(c))).map_err(invalid)
            }
            (Some(t), Some(c), None, Some(path)) => {
                let password = env.var(vars::AZURE_CLIENT_CERTIFICATE_PASSWORD).map(azkv_pipeline::Secret::new);
                let password = password.as_ref().map(|p| p.expose()).filter(|p| !p.is_empty());
                let options = ClientCertificateCredentialOptions::default().with_credential(options);
                ClientCertificateCredential::from_file(t, c, path, password, Some(options))
                    .map(|c| Inner::Certificate(Box::new(c)))
                    .map_err(invalid)
            }
            (t, c, _, _) => {
                let mut missing: Vec<&str> = Vec::new();
                if t.is_none() {
                    missing.push(vars::AZURE_TENANT_ID);
                }
                if c.is_none() {
                    missing.push(vars::AZURE_CLIENT_ID);
                }
                if t.is_some() && c.is_some() {
                    missing.push("AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
                } else {
                    missing.push("and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
                }
                Err((format!("{WHAT} is not configured: set {}", missing.join(", ")), true))
            }
        }
    }
}

#[async_trait]
impl TokenCredential for EnvironmentCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        match &self.inner {
            Ok(Inner::Secret(c)) => c.get_token(scopes, options).await,
            Ok(Inner::Certificate(c)) => c.get_token(scopes, options).await,
            Err((message, true)) => Err(Error::credential_unavailable(message.clone())),
            Err((message, false)) => Err(Error::credential(message.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MapEnv;
    use std::sync::Arc;

    fn with_env(pairs: &[(&str, &str)]) -> EnvironmentCredential {
        let options = CredentialOptions::default().with_env(Arc::new(MapEnv::new(pairs.iter().copied())));
        EnvironmentCredential::new(Some(options)).unwrap()
    }

    async fn error(c: &EnvironmentCredential) -> Error {
        c.get_token(&["s"], &TokenRequestOptions::default()).await.unwrap_err()
    }

    #[tokio::test]
    async fn nothing_set_names_every_variable() {
        let e = error(&with_env(&[])).await;
        assert!(e.is_credential_unavailable());
        assert_eq!(
            e.to_string(),
            "credential error: EnvironmentCredential is not configured: set AZURE_TENANT_ID, AZURE_CLIENT_ID, \
             and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH"
        );
    }

    #[tokio::test]
    async fn only_the_secret_missing() {
        let e = error(&with_env(&[("AZURE_TENANT_ID", "t"), ("AZURE_CLIENT_ID", "c")])).await;
        assert!(e.is_credential_unavailable());
        assert!(e.to_string().ends_with("set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH"), "{e}");
    }

    #[tokio::test]
    async fn secret_wins_over_certificate() {
        let c = with_env(&[
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_SECRET", "canary-secret"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent.pem"),
        ]);
        assert!(matches!(c.inner, Ok(Inner::Secret(_))));
        assert!(!format!("{c:?}").contains("canary"));
    }

    #[tokio::test]
    async fn a_password_for_a_pem_file_is_a_clear_error() {
        let pem = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cert_and_key.pem");
        let c = with_env(&[
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", pem),
            ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "canary-password"),
        ]);
        let e = error(&c).await;
        assert!(!e.is_credential_unavailable());
        let text = e.to_string();
        assert!(text.contains("PKCS#12") && text.contains("PEM") && !text.contains("canary"), "{text}");
    }

    #[tokio::test]
    async fn unreadable_certificate_is_an_authentication_failure() {
        let c = with_env(&[
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/c.pem"),
        ]);
        let e = error(&c).await;
        assert!(!e.is_credential_unavailable());
        assert!(e.to_string().contains("/nonexistent/c.pem"), "{e}");
    }
}
