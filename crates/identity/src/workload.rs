//! Workload identity: a federated token from a file (Kubernetes projected service account
//! token) exchanged as a client assertion.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::{AccessToken, Error, Result, Secret, TokenCredential, TokenRequestOptions};
use time::OffsetDateTime;

use crate::client_assertion::{ClientAssertion, ClientAssertionCredential};
use crate::options::CredentialOptions;
use crate::variables::vars;

const WHAT: &str = "WorkloadIdentityCredential";

/// How long a federated token read from the file is used before the file is read again,
/// even when its modification time did not change.
pub const ASSERTION_REREAD_AFTER: time::Duration = time::Duration::minutes(10);

/// Options for [`WorkloadIdentityCredential`]. Each `None` field falls back to its variable.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WorkloadIdentityCredentialOptions {
    /// Transport, authority, environment and clock.
    pub credential: CredentialOptions,
    /// The tenant; `None` for `AZURE_TENANT_ID`.
    pub tenant_id: Option<String>,
    /// The application (client) id; `None` for `AZURE_CLIENT_ID`.
    pub client_id: Option<String>,
    /// The federated token file; `None` for `AZURE_FEDERATED_TOKEN_FILE`.
    pub token_file_path: Option<PathBuf>,
}

crate::options::setters! { WorkloadIdentityCredentialOptions {
    /// These options with `credential` (transport, authority, environment, clock).
    fn with_credential(credential: CredentialOptions) => credential = credential;
    /// These options with `tenant_id`.
    fn with_tenant_id(tenant_id: impl Into<String>) => tenant_id = Some(tenant_id.into());
    /// These options with `client_id`.
    fn with_client_id(client_id: impl Into<String>) => client_id = Some(client_id.into());
    /// These options with `token_file_path`.
    fn with_token_file_path(token_file_path: impl Into<PathBuf>) => token_file_path = Some(token_file_path.into());
}}

/// Workload identity federation (AKS and other Kubernetes): the federated token in
/// `AZURE_FEDERATED_TOKEN_FILE` is sent as the client assertion for `AZURE_CLIENT_ID` in
/// `AZURE_TENANT_ID`, through [`ClientAssertionCredential`]'s token request.
///
/// The file is read again when its modification time changes, or after
/// [`ASSERTION_REREAD_AFTER`]. When a setting is missing, `get_token` answers "unavailable"
/// naming it, so a chain moves on.
#[derive(Debug)]
pub struct WorkloadIdentityCredential {
    inner: std::result::Result<ClientAssertionCredential, String>,
}

/// The federated token file as a [`ClientAssertion`].
#[derive(Debug)]
struct TokenFile {
    path: PathBuf,
    time: TimeComponents,
    cached: tokio::sync::Mutex<Option<CachedAssertion>>,
}

#[derive(Debug)]
struct CachedAssertion {
    value: Secret,
    modified: Option<SystemTime>,
    read_at: OffsetDateTime,
}

impl WorkloadIdentityCredential {
    /// A credential from `options` and the environment.
    ///
    /// Missing settings are reported by `get_token` (as "unavailable"), not here.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid tenant id or authority host.
    pub fn new(options: Option<WorkloadIdentityCredentialOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        let env = options.credential.env();
        let tenant_id = options.tenant_id.or_else(|| env.non_empty(vars::AZURE_TENANT_ID));
        let client_id = options.client_id.or_else(|| env.non_empty(vars::AZURE_CLIENT_ID));
        let token_file =
            options.token_file_path.or_else(|| env.non_empty(vars::AZURE_FEDERATED_TOKEN_FILE).map(PathBuf::from));
        let inner = match (tenant_id, client_id, token_file) {
            (Some(tenant_id), Some(client_id), Some(path)) => {
                let source =
                    TokenFile { path, time: options.credential.time.clone(), cached: tokio::sync::Mutex::new(None) };
                Ok(ClientAssertionCredential::named(WHAT, tenant_id, client_id, Arc::new(source), options.credential)?)
            }
            (t, c, f) => {
                let missing: Vec<&str> = [
                    (t.is_none(), vars::AZURE_TENANT_ID),
                    (c.is_none(), vars::AZURE_CLIENT_ID),
                    (f.is_none(), vars::AZURE_FEDERATED_TOKEN_FILE),
                ]
                .into_iter()
                .filter_map(|(m, n)| m.then_some(n))
                .collect();
                Err(format!("{WHAT} is not configured: {} not set", missing.join(", ")))
            }
        };
        Ok(Self { inner })
    }
}

#[async_trait]
impl ClientAssertion for TokenFile {
    async fn assertion(&self) -> Result<Secret> {
        let now = self.time.now_utc();
        let path = &self.path;
        let modified = tokio::fs::metadata(path).await.ok().and_then(|m| m.modified().ok());
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.modified == modified
            && now - c.read_at < ASSERTION_REREAD_AFTER
        {
            return Ok(c.value.clone());
        }
        let text = tokio::fs::read_to_string(path).await.map_err(|e| {
            Error::credential(format!("{WHAT}: the federated token file {} cannot be read: {e}", path.display()))
        })?;
        let value = Secret::new(text.trim());
        if value.is_empty() {
            return Err(Error::credential(format!("{WHAT}: the federated token file {} is empty", path.display())));
        }
        *cached = Some(CachedAssertion { value: value.clone(), modified, read_at: now });
        Ok(value)
    }
}

#[async_trait]
impl TokenCredential for WorkloadIdentityCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        match &self.inner {
            Ok(credential) => credential.get_token(scopes, options).await,
            Err(message) => Err(Error::credential_unavailable(message.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MapEnv;
    use std::sync::Arc;

    #[tokio::test]
    async fn missing_variables_are_named() {
        let env = MapEnv::new([("AZURE_CLIENT_ID", "c")]);
        let options = WorkloadIdentityCredentialOptions {
            credential: CredentialOptions::default().with_env(Arc::new(env)),
            ..Default::default()
        };
        let c = WorkloadIdentityCredential::new(Some(options)).unwrap();
        let e = c.get_token(&["s"], &TokenRequestOptions::default()).await.unwrap_err();
        assert!(e.is_credential_unavailable());
        let text = e.to_string();
        assert!(text.contains("AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE not set"), "{text}");
    }
}
