//! Authenticates a service principal with a client assertion from a callback (a federated
//! token: GitHub Actions OIDC, another cloud's identity), the token request workload identity
//! shares.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use azkv_pipeline::token_cache::TokenCache;
use azkv_pipeline::{AccessToken, Error, Result, Secret, TokenCredential, TokenRequestOptions};

use crate::aad::{AadClient, scope_field, validate_tenant_id};
use crate::options::CredentialOptions;

/// The `client_assertion_type` of a JWT client assertion.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Produces the client assertion for each token request.
///
/// **When**: each time [`ClientAssertionCredential`] asks Microsoft Entra ID for a token (not
/// for a cached one). **Available information**: none; the assertion's audience is the
/// tenant's token endpoint (federated tokens usually have `api://AzureADTokenExchange`).
/// **Error behaviour**: the error is returned from `get_token` as it is ("unavailable" lets a
/// chain move on).
///
/// ```
/// use azkv_identity::{ClientAssertion, ClientAssertionFn};
/// let source = ClientAssertionFn::new(|| async { Ok("eyJ...".to_owned()) });
/// let _: &dyn ClientAssertion = &source;
/// ```
#[async_trait]
pub trait ClientAssertion: Send + Sync + fmt::Debug {
    /// A fresh assertion.
    async fn assertion(&self) -> Result<Secret>;
}

type AssertionCallback = Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<String>> + Send>> + Send + Sync>;

/// A [`ClientAssertion`] from an async closure returning the assertion.
#[derive(Clone)]
pub struct ClientAssertionFn(AssertionCallback);

impl ClientAssertionFn {
    /// Wraps `f`.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String>> + Send + 'static,
    {
        Self(Arc::new(move || Box::pin(f())))
    }
}

impl fmt::Debug for ClientAssertionFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientAssertionFn")
    }
}

#[async_trait]
impl ClientAssertion for ClientAssertionFn {
    async fn assertion(&self) -> Result<Secret> {
        (self.0)().await.map(Secret::new)
    }
}

/// A service principal authenticated by a client assertion that a [`ClientAssertion`]
/// produces: `grant_type=client_credentials` with
/// `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
///
/// `Debug` never shows an assertion; an empty assertion is refused before it is sent.
///
/// ```
/// use azkv_identity::ClientAssertionCredential;
/// let credential = ClientAssertionCredential::from_fn("contoso.onmicrosoft.com", "client-id", || async {
///     Ok("eyJ...".to_owned()) // for example GitHub Actions' OIDC token
/// }, None)?;
/// # Ok::<(), azkv_pipeline::Error>(())
/// ```
#[derive(Debug)]
pub struct ClientAssertionCredential {
    name: &'static str,
    tenant_id: String,
    client_id: String,
    source: Arc<dyn ClientAssertion>,
    aad: AadClient,
    cache: TokenCache,
    tenants: crate::tenant::TenantPolicy,
}

impl ClientAssertionCredential {
    /// A credential for `client_id` in `tenant_id` whose assertions come from `source`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid tenant id, an empty client id or a bad
    /// authority host.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        source: Arc<dyn ClientAssertion>,
        options: Option<CredentialOptions>,
    ) -> Result<Self> {
        Self::named(
            "ClientAssertionCredential",
            tenant_id.into(),
            client_id.into(),
            source,
            options.unwrap_or_default(),
        )
    }

    /// The same, with an async closure as the source.
    ///
    /// # Errors
    /// As [`Self::new`].
    pub fn from_fn<F, Fut>(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        f: F,
        options: Option<CredentialOptions>,
    ) -> Result<Self>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String>> + Send + 'static,
    {
        Self::new(tenant_id, client_id, Arc::new(ClientAssertionFn::new(f)), options)
    }

    /// A credential that names itself `name` in errors (workload identity).
    pub(crate) fn named(
        name: &'static str,
        tenant_id: String,
        client_id: String,
        source: Arc<dyn ClientAssertion>,
        options: CredentialOptions,
    ) -> Result<Self> {
        validate_tenant_id(&tenant_id)?;
        if client_id.trim().is_empty() {
            return Err(Error::invalid_argument("client id must not be empty"));
        }
        Ok(Self {
            name,
            tenant_id,
            client_id,
            source,
            aad: options.aad_client()?,
            cache: TokenCache::new(options.time.clone()),
            tenants: options.tenant_policy(),
        })
    }

    async fn fetch(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let tenant = options.tenant_id.as_deref().unwrap_or(&self.tenant_id);
        let scope = scope_field(scopes)?;
        let assertion = self.source.assertion().await?;
        if assertion.expose().trim().is_empty() {
            return Err(Error::credential(format!("{}: the client assertion is empty", self.name)));
        }
        let credential = [("client_assertion_type", JWT_BEARER), ("client_assertion", assertion.expose())];
        self.aad
            .request_client_credentials_token(tenant, &self.client_id, &credential, &scope, options, self.name)
            .await
    }
}

#[async_trait]
impl TokenCredential for ClientAssertionCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let options = &self.tenants.apply(self.name, &self.tenant_id, options)?;
        self.cache.get_or_fetch(scopes, options, || self.fetch(scopes, options)).await
    }
}
