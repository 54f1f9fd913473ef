//! Client and operation options.

use std::collections::HashMap;
use std::time::Duration;

use azkv_pipeline::ClientOptions;
use time::OffsetDateTime;

/// Options for [`crate::SecretClient`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SecretClientOptions {
    /// The `api-version` query parameter; default [`azkv_models::API_VERSION`], the one the
    /// models describe ([`azkv_models::KNOWN_API_VERSIONS`] lists the service's others).
    pub api_version: String,
    /// Pipeline options: transport, retry, logging, custom policies, application id, clock.
    pub client: ClientOptions,
    /// Check that the vault host is a subdomain of the challenge's resource before sending a
    /// token (default on).
    pub verify_challenge_resource: bool,
    /// Ask credentials for tokens that continuous access evaluation can revoke (the `CP1`
    /// client capability), as Python's Key Vault clients do; the client answers the claims
    /// challenges such tokens bring (default on).
    pub enable_cae: bool,
    /// How often pollers check a long-running operation (default 2 s).
    pub poll_interval: Duration,
    /// How long a poller waits before giving up (default 5 minutes).
    pub poll_timeout: Duration,
}

impl Default for SecretClientOptions {
    fn default() -> Self {
        Self {
            api_version: azkv_models::API_VERSION.to_owned(),
            client: ClientOptions::default(),
            verify_challenge_resource: true,
            enable_cae: true,
            poll_interval: Duration::from_secs(2),
            poll_timeout: Duration::from_secs(300),
        }
    }
}

impl SecretClientOptions {
    /// Sends `api_version` (for example `7.6`).
    pub fn with_api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = api_version.into();
        self
    }

    /// Pipeline options.
    pub fn with_client_options(mut self, client: ClientOptions) -> Self {
        self.client = client;
        self
    }

    /// Turns challenge resource verification on or off.
    pub fn with_verify_challenge_resource(mut self, verify: bool) -> Self {
        self.verify_challenge_resource = verify;
        self
    }

    /// Turns the `CP1` client capability (continuous access evaluation) on or off.
    pub fn with_cae(mut self, enable: bool) -> Self {
        self.enable_cae = enable;
        self
    }

    /// Poll interval and timeout for long-running operations.
    pub fn with_polling(mut self, interval: Duration, timeout: Duration) -> Self {
        self.poll_interval = interval;
        self.poll_timeout = timeout;
        self
    }
}

/// Options for [`crate::SecretClient::set_secret`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetSecretOptions {
    /// The value's content type (at most 255 characters).
    pub content_type: Option<String>,
    /// Tags (at most 15; names and values at most 512 characters).
    pub tags: Option<HashMap<String, String>>,
    /// Whether the secret is enabled.
    pub enabled: Option<bool>,
    /// Not valid before.
    pub not_before: Option<OffsetDateTime>,
    /// Not valid after.
    pub expires_on: Option<OffsetDateTime>,
}

impl SetSecretOptions {
    /// Sets the content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Adds a tag.
    pub fn with_tag(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.get_or_insert_with(HashMap::new).insert(name.into(), value.into());
        self
    }

    /// Enables or disables the secret.
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = Some(enabled);
        self
    }

    /// Sets the validity window.
    pub fn with_validity(mut self, not_before: Option<OffsetDateTime>, expires_on: Option<OffsetDateTime>) -> Self {
        self.not_before = not_before;
        self.expires_on = expires_on;
        self
    }
}

/// What [`crate::SecretClient::update_secret_properties`] changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateSecretProperties {
    /// New content type.
    pub content_type: Option<String>,
    /// New tags (replace all tags).
    pub tags: Option<HashMap<String, String>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New not-before.
    pub not_before: Option<OffsetDateTime>,
    /// New expiry.
    pub expires_on: Option<OffsetDateTime>,
}

impl UpdateSecretProperties {
    /// Sets the content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Replaces the tags.
    pub fn with_tags(mut self, tags: HashMap<String, String>) -> Self {
        self.tags = Some(tags);
        self
    }

    /// Enables or disables the secret.
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = Some(enabled);
        self
    }

    /// Sets the expiry.
    pub fn with_expires_on(mut self, expires_on: OffsetDateTime) -> Self {
        self.expires_on = Some(expires_on);
        self
    }

    /// Sets the not-before time.
    pub fn with_not_before(mut self, not_before: OffsetDateTime) -> Self {
        self.not_before = Some(not_before);
        self
    }
}

/// Options for listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Items per page asked of the service (1 to 25).
    pub max_page_size: Option<u32>,
    /// Resume from a page's [`crate::Page::continuation_token`].
    pub continuation_token: Option<String>,
}

impl ListOptions {
    /// Asks for pages of `size` items.
    pub fn with_max_page_size(mut self, size: u32) -> Self {
        self.max_page_size = Some(size);
        self
    }

    /// Resumes from `token`.
    pub fn with_continuation_token(mut self, token: impl Into<String>) -> Self {
        self.continuation_token = Some(token.into());
        self
    }
}
