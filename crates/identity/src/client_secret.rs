//! Authenticates a service principal with a client secret.

use async_trait::async_trait;
use azkv_pipeline::{AccessToken, Error, Result, Secret, TokenCredential, TokenRequestOptions};

use crate::aad::{AadClient, scope_field, validate_tenant_id};
use crate::options::CredentialOptions;
use azkv_pipeline::token_cache::TokenCache;

/// A service principal's client secret, exchanged at
/// `{authority}/{tenant}/oauth2/v2.0/token` (`grant_type=client_credentials`).
///
/// `Debug` never shows the secret.
#[derive(Debug)]
pub struct ClientSecretCredential {
    tenant_id: String,
    client_id: String,
    secret: Secret,
    aad: AadClient,
    cache: TokenCache,
    tenants: crate::tenant::TenantPolicy,
}

impl ClientSecretCredential {
    /// A credential for `client_id` in `tenant_id`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid tenant id, an empty client id or secret, or an
    /// authority host that is not `https`.
    ///
    /// # Examples
    /// ```
    /// use azkv_identity::ClientSecretCredential;
    /// let credential = ClientSecretCredential::new("contoso.onmicrosoft.com", "client-id", "secret", None)?;
    /// # Ok::<(), azkv_pipeline::Error>(())
    /// ```
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        options: Option<CredentialOptions>,
    ) -> Result<Self> {
        let options = options.unwrap_or_default();
        let (tenant_id, client_id, secret) = (tenant_id.into(), client_id.into(), client_secret.into());
        validate_tenant_id(&tenant_id)?;
        if client_id.trim().is_empty() {
            return Err(Error::invalid_argument("client id must not be empty"));
        }
        if secret.is_empty() {
            return Err(Error::invalid_argument("client secret must not be empty"));
        }
        let tenants = options.tenant_policy();
        Ok(Self {
            tenant_id,
            client_id,
            secret,
            aad: options.aad_client()?,
            cache: TokenCache::new(options.time),
            tenants,
        })
    }

    async fn fetch(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let tenant = options.tenant_id.as_deref().unwrap_or(&self.tenant_id);
        let scope = scope_field(scopes)?;
        let credential = [("client_secret", self.secret.expose())];
        let what = "ClientSecretCredential";
        self.aad.request_client_credentials_token(tenant, &self.client_id, &credential, &scope, options, what).await
    }
}

#[async_trait]
impl TokenCredential for ClientSecretCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let options = &self.tenants.apply("ClientSecretCredential", &self.tenant_id, options)?;
        self.cache.get_or_fetch(scopes, options, || self.fetch(scopes, options)).await
    }
}
