//! A fixed token, for tests and the local emulator.

use async_trait::async_trait;
use azkv_pipeline::{AccessToken, Result, Secret, TokenCredential, TokenRequestOptions};
use time::OffsetDateTime;

/// Always answers the same token, whatever the scopes (for tests and the local emulator).
///
/// `Debug` never shows the token.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> azkv_pipeline::Result<()> {
/// use azkv_identity::StaticTokenCredential;
/// use azkv_pipeline::{TokenCredential, TokenRequestOptions};
/// let credential = StaticTokenCredential::new("emulator-token", time::OffsetDateTime::now_utc() + time::Duration::hours(1));
/// let token = credential.get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default()).await?;
/// assert_eq!(token.token.expose(), "emulator-token");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct StaticTokenCredential {
    token: AccessToken,
}

impl StaticTokenCredential {
    /// A credential answering `token`, valid until `expires_on`.
    pub fn new(token: impl Into<Secret>, expires_on: OffsetDateTime) -> Self {
        Self { token: AccessToken::new(token, expires_on) }
    }

    /// A credential answering `token`.
    pub fn from_access_token(token: AccessToken) -> Self {
        Self { token }
    }
}

#[async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(&self, _scopes: &[&str], _options: &TokenRequestOptions) -> Result<AccessToken> {
        Ok(self.token.clone())
    }
}
