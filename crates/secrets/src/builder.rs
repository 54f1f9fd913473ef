//! `SecretClientBuilder`: the common cases in a few calls.

use std::sync::Arc;

use azkv_pipeline::policies::{LoggingOptions, RetryOptions};
use azkv_pipeline::transport::TransportOptions;
use azkv_pipeline::{HttpClient, Policy, TokenCredential};

use crate::{Error, Result, SecretClient, SecretClientOptions};

/// Builds a [`SecretClient`].
///
/// ```
/// # fn f(credential: std::sync::Arc<dyn azkv_pipeline::TokenCredential>) -> azkv_secrets::Result<()> {
/// let client = azkv_secrets::SecretClient::builder("https://myvault.vault.azure.net")
///     .credential(credential)
///     .api_version("7.6")
///     .application_id("billing-service")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub struct SecretClientBuilder {
    vault_url: String,
    credential: Option<Arc<dyn TokenCredential>>,
    options: SecretClientOptions,
}

impl SecretClientBuilder {
    pub(crate) fn new(vault_url: impl Into<String>) -> Self {
        Self { vault_url: vault_url.into(), credential: None, options: SecretClientOptions::default() }
    }

    /// The credential (required).
    pub fn credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The `api-version` to send.
    pub fn api_version(mut self, api_version: impl Into<String>) -> Self {
        self.options.api_version = api_version.into();
        self
    }

    /// A transport instead of the default one.
    pub fn transport(mut self, transport: Arc<dyn HttpClient>) -> Self {
        self.options.client.transport = Some(transport);
        self
    }

    /// Settings for the default transport (timeouts, extra roots, DNS overrides).
    pub fn transport_options(mut self, options: TransportOptions) -> Self {
        self.options.client.transport_options = options;
        self
    }

    /// Retry settings.
    pub fn retry(mut self, retry: RetryOptions) -> Self {
        self.options.client.retry = retry;
        self
    }

    /// Logging settings.
    pub fn logging(mut self, logging: LoggingOptions) -> Self {
        self.options.client.logging = logging;
        self
    }

    /// Adds a policy run once per call.
    pub fn per_call_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.options.client.per_call_policies.push(policy);
        self
    }

    /// Adds a policy run once per try.
    pub fn per_try_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.options.client.per_try_policies.push(policy);
        self
    }

    /// Prefixes the User-Agent.
    pub fn application_id(mut self, id: impl Into<String>) -> Self {
        self.options.client.application_id = Some(id.into());
        self
    }

    /// Turns the `CP1` client capability (continuous access evaluation) on or off (default on).
    pub fn enable_cae(mut self, enable: bool) -> Self {
        self.options.enable_cae = enable;
        self
    }

    /// Turns challenge resource verification on or off (default on).
    pub fn verify_challenge_resource(mut self, verify: bool) -> Self {
        self.options.verify_challenge_resource = verify;
        self
    }

    /// Replaces all options at once.
    pub fn options(mut self, options: SecretClientOptions) -> Self {
        self.options = options;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without a credential, or as [`SecretClient::new`].
    pub fn build(self) -> Result<SecretClient> {
        let credential = self.credential.ok_or_else(|| Error::InvalidArgument("a credential is required".into()))?;
        SecretClient::new(&self.vault_url, credential, Some(self.options))
    }
}
