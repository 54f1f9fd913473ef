//! The credential seam: anything that can produce an access token.

use std::fmt;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{Result, Secret};

/// Options for one token request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequestOptions {
    /// The tenant to authenticate in, when it differs from the credential's own (for example
    /// the tenant named in a Key Vault challenge).
    pub tenant_id: Option<String>,
    /// Claims challenge from the service (continuous access evaluation), as sent by it.
    pub claims: Option<String>,
    /// The service rejected the token it was last given (a 401 carrying it): a cache must
    /// not answer with that token again, and a credential fetches a new one. Caches still
    /// bound how often this forces a fetch (see [`crate::token_cache::TokenCache`]).
    pub refresh: bool,
    /// Ask for a token that continuous access evaluation can revoke: the credential declares
    /// the `CP1` client capability (claim `xms_cc`), as Python's `enable_cae` does. The
    /// client must then handle claims challenges, as the bearer policy does.
    pub enable_cae: bool,
}

impl TokenRequestOptions {
    /// Options for `tenant_id`.
    pub fn with_tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Options carrying a claims challenge.
    pub fn with_claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    /// Options asking for a CAE-capable token ([`TokenRequestOptions::enable_cae`]).
    pub fn with_cae(mut self) -> Self {
        self.enable_cae = true;
        self
    }

    /// Options saying that the previous token was rejected: fetch a new one.
    pub fn with_refresh(mut self) -> Self {
        self.refresh = true;
        self
    }
}

/// A bearer token with its expiry. `Debug` never shows the token; its memory is zeroized on
/// drop.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The token.
    pub token: Secret,
    /// When it stops being valid.
    pub expires_on: OffsetDateTime,
    /// When to fetch a new one, if the issuer said.
    pub refresh_on: Option<OffsetDateTime>,
}

impl AccessToken {
    /// A token valid until `expires_on`.
    pub fn new(token: impl Into<Secret>, expires_on: OffsetDateTime) -> Self {
        Self { token: token.into(), expires_on, refresh_on: None }
    }

    /// When a cache should fetch a new token: `refresh_on` if set, else five minutes before
    /// `expires_on`.
    pub fn refresh_at(&self) -> OffsetDateTime {
        self.refresh_on.unwrap_or(self.expires_on - time::Duration::minutes(5))
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("expires_on", &self.expires_on)
            .field("refresh_on", &self.refresh_on)
            .finish()
    }
}

/// Produces access tokens for scopes.
///
/// Implemented by every credential in `azkv-identity`; implement it to plug in your own.
///
/// ```
/// use async_trait::async_trait;
/// use azkv_pipeline::{AccessToken, Result, TokenCredential, TokenRequestOptions};
///
/// #[derive(Debug)]
/// struct Fixed;
///
/// #[async_trait]
/// impl TokenCredential for Fixed {
///     async fn get_token(&self, _scopes: &[&str], _options: &TokenRequestOptions) -> Result<AccessToken> {
///         Ok(AccessToken::new("token", time::OffsetDateTime::now_utc() + time::Duration::hours(1)))
///     }
/// }
/// ```
#[async_trait]
pub trait TokenCredential: Send + Sync + fmt::Debug {
    /// A token for `scopes`.
    ///
    /// # Errors
    /// [`crate::Error::Credential`]: `unavailable` when this source is not set up here (a
    /// chain moves on), otherwise an authentication failure.
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let t = AccessToken::new("eyJ.secret", OffsetDateTime::UNIX_EPOCH);
        assert!(!format!("{t:?}").contains("eyJ"));
    }

    #[test]
    fn refresh_defaults_to_five_minutes_before_expiry() {
        let exp = OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1);
        let mut t = AccessToken::new("x", exp);
        assert_eq!(t.refresh_at(), exp - time::Duration::minutes(5));
        t.refresh_on = Some(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(t.refresh_at(), OffsetDateTime::UNIX_EPOCH);
    }
}
