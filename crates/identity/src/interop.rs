//! Adapters between `azure_core::credentials::TokenCredential` (Microsoft's Azure SDK for
//! Rust) and azkv's [`TokenCredential`] (feature `azure-interop`).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use azkv_pipeline::{AccessToken, Error, Result, TokenCredential, TokenRequestOptions};
use azure_core::credentials as az;

/// An Azure SDK credential (for example `azure_identity::DeveloperToolsCredential`) used as
/// an azkv [`TokenCredential`].
///
/// The Azure SDK's options carry no tenant or claims: a requested tenant or claims challenge is
/// not passed on. Its errors become authentication failures (not "unavailable"), quoting the
/// Azure SDK's message.
#[derive(Clone)]
pub struct AzureCoreToAzkv(Arc<dyn az::TokenCredential>);

impl AzureCoreToAzkv {
    /// Wraps `credential`.
    pub fn new(credential: Arc<dyn az::TokenCredential>) -> Self {
        Self(credential)
    }
}

impl fmt::Debug for AzureCoreToAzkv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AzureCoreToAzkv").field(&self.0).finish()
    }
}

#[async_trait]
impl TokenCredential for AzureCoreToAzkv {
    async fn get_token(&self, scopes: &[&str], _options: &TokenRequestOptions) -> Result<AccessToken> {
        let token = self.0.get_token(scopes, None).await.map_err(|e| Error::Credential {
            message: format!("Azure SDK credential failed: {e}"),
            unavailable: false,
            source: Some(Box::new(e)),
        })?;
        Ok(AccessToken::new(token.token.secret().to_owned(), token.expires_on))
    }
}

/// An azkv [`TokenCredential`] used as an Azure SDK credential, for clients built on
/// `azure_core`.
///
/// Errors become `azure_core` errors of kind `Credential`, with the azkv error as source.
#[derive(Clone)]
pub struct AzkvToAzureCore(Arc<dyn TokenCredential>);

impl AzkvToAzureCore {
    /// Wraps `credential`.
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        Self(credential)
    }
}

impl fmt::Debug for AzkvToAzureCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AzkvToAzureCore").field(&self.0).finish()
    }
}

#[async_trait]
impl az::TokenCredential for AzkvToAzureCore {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<az::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<az::AccessToken> {
        let token = self
            .0
            .get_token(scopes, &TokenRequestOptions::default())
            .await
            .map_err(|e| azure_core::Error::new(azure_core::error::ErrorKind::Credential, e))?;
        Ok(az::AccessToken::new(az::Secret::new(token.token.expose().to_owned()), token.expires_on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StaticTokenCredential;
    use time::macros::datetime;

    #[tokio::test]
    async fn round_trip_both_ways() {
        let ours = Arc::new(StaticTokenCredential::new("canary-token", datetime!(2026-11-23 10:00:00 UTC)));
        let theirs = AzkvToAzureCore::new(ours);
        let token = az::TokenCredential::get_token(&theirs, &["s"], None).await.unwrap();
        assert_eq!(token.token.secret(), "canary-token");
        let back = AzureCoreToAzkv::new(Arc::new(theirs));
        let token = back.get_token(&["s"], &TokenRequestOptions::default()).await.unwrap();
        assert_eq!(token.token.expose(), "canary-token");
        assert_eq!(token.expires_on, datetime!(2026-11-23 10:00:00 UTC));
        assert!(!format!("{back:?} {token:?}").contains("canary"));
    }

    #[derive(Debug)]
    struct Failing;

    #[async_trait]
    impl TokenCredential for Failing {
        async fn get_token(&self, _: &[&str], _: &TokenRequestOptions) -> Result<AccessToken> {
            Err(Error::credential("nope"))
        }
    }

    #[tokio::test]
    async fn errors_cross_over() {
        let theirs = AzkvToAzureCore::new(Arc::new(Failing));
        let e = az::TokenCredential::get_token(&theirs, &["s"], None).await.unwrap_err();
        assert_eq!(*e.kind(), azure_core::error::ErrorKind::Credential);
        let back = AzureCoreToAzkv::new(Arc::new(theirs));
        let e = back.get_token(&["s"], &TokenRequestOptions::default()).await.unwrap_err();
        assert!(!e.is_credential_unavailable());
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
