//! Managed identity: App Service, Azure Arc, Cloud Shell and the instance metadata service
//! (IMDS), chosen from the environment.

mod app_service;
mod arc;
mod azure_ml;
mod cloud_shell;
mod imds;
mod service_fabric;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::{AccessToken, Error, HttpClient, Response, Result, Secret, TokenCredential, TokenRequestOptions};
use serde::Deserialize;

use crate::options::CredentialOptions;
use crate::variables::vars;
use azkv_pipeline::token_cache::TokenCache;

pub use imds::DEFAULT_IMDS_ENDPOINT;

/// Which user-assigned identity to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserAssignedId {
    /// By client (application) id.
    ClientId(String),
    /// By object (principal) id.
    ObjectId(String),
    /// By Azure resource id.
    ResourceId(String),
}

/// Options for [`ManagedIdentityCredential`].
///
/// Defaults: the system-assigned identity, or the user-assigned one whose client id is in
/// `AZURE_CLIENT_ID`; IMDS at [`DEFAULT_IMDS_ENDPOINT`]; Arc key files under
/// `/var/opt/azcmagent/tokens/` (Linux) or
/// `C:\ProgramData\AzureConnectedMachineAgent\Tokens\` (Windows); a 1 s IMDS probe when
/// `probe_imds` is set; 6 IMDS retries.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ManagedIdentityCredentialOptions {
    /// Transport, environment and clock (the authority host is not used).
    pub credential: CredentialOptions,
    /// A user-assigned identity; `None` for `AZURE_CLIENT_ID` if set, else system-assigned.
    pub user_assigned_id: Option<UserAssignedId>,
    /// The IMDS token endpoint (tests: the emulator's `imds_endpoint()`); `None` for
    /// `AZURE_POD_IDENTITY_AUTHORITY_HOST` followed by `/metadata/identity/oauth2/token`, else
    /// [`DEFAULT_IMDS_ENDPOINT`].
    pub imds_endpoint: Option<String>,
    /// The directory Azure Arc's challenge key files must be in; `None` for the platform's.
    pub arc_key_directory: Option<PathBuf>,
    /// Probe IMDS once, with `imds_probe_timeout` and no retries, and report "unavailable"
    /// when it cannot be reached (set by `DefaultAzureCredential`, so that a machine outside
    /// Azure moves on fast).
    pub probe_imds: bool,
    /// The time allowed for the IMDS probe.
    pub imds_probe_timeout: Duration,
    /// Retries of an IMDS request answered 404, 410, 429 or 5xx, with exponential backoff
    /// from one second.
    pub imds_max_retries: u32,
}

impl ManagedIdentityCredentialOptions {
    /// These options with `credential` (transport, environment, clock).
    pub fn with_credential(mut self, credential: CredentialOptions) -> Self {
        self.credential = credential;
        self
    }

    /// These options with `user_assigned_id`.
    pub fn with_user_assigned_id(mut self, user_assigned_id: UserAssignedId) -> Self {
        self.user_assigned_id = Some(user_assigned_id);
        self
    }

    /// These options with `imds_endpoint`.
    pub fn with_imds_endpoint(mut self, imds_endpoint: impl Into<String>) -> Self {
        self.imds_endpoint = Some(imds_endpoint.into());
        self
    }

    /// These options with `arc_key_directory`.
    pub fn with_arc_key_directory(mut self, arc_key_directory: impl Into<PathBuf>) -> Self {
        self.arc_key_directory = Some(arc_key_directory.into());
        self
    }

    /// These options with `probe_imds`.
    pub fn with_probe_imds(mut self, probe_imds: bool) -> Self {
        self.probe_imds = probe_imds;
        self
    }

    /// These options with `imds_probe_timeout`.
    pub fn with_imds_probe_timeout(mut self, imds_probe_timeout: Duration) -> Self {
        self.imds_probe_timeout = imds_probe_timeout;
        self
    }

    /// These options with `imds_max_retries`.
    pub fn with_imds_max_retries(mut self, imds_max_retries: u32) -> Self {
        self.imds_max_retries = imds_max_retries;
        self
    }
}

impl Default for ManagedIdentityCredentialOptions {
    fn default() -> Self {
        Self {
            credential: CredentialOptions::default(),
            user_assigned_id: None,
            imds_endpoint: None,
            arc_key_directory: None,
            probe_imds: false,
            imds_probe_timeout: Duration::from_secs(1),
            imds_max_retries: 6,
        }
    }
}

/// A managed identity's token, from whichever managed identity endpoint this environment has:
///
/// | variables | source |
/// |---|---|
/// | `IDENTITY_ENDPOINT`, `IDENTITY_HEADER`, `IDENTITY_SERVER_THUMBPRINT` | Service Fabric (its self-signed certificate trusted by thumbprint) |
/// | `IDENTITY_ENDPOINT`, `IDENTITY_HEADER` | App Service, Functions, Container Apps |
/// | `IDENTITY_ENDPOINT`, `IMDS_ENDPOINT` | Azure Arc |
/// | `MSI_ENDPOINT`, `MSI_SECRET` | Azure Machine Learning |
/// | `MSI_ENDPOINT` | Cloud Shell |
/// | none | IMDS (virtual machines, scale sets, AKS nodes; `AZURE_POD_IDENTITY_AUTHORITY_HOST` moves it) |
///
/// Managed identity takes exactly one scope; its resource is the scope without `/.default`.
#[derive(Debug)]
pub struct ManagedIdentityCredential {
    source: Source,
    cache: TokenCache,
}

#[derive(Debug)]
enum Source {
    AppService(app_service::AppService),
    Arc(arc::ArcSource),
    AzureMl(azure_ml::AzureMl),
    ServiceFabric(service_fabric::ServiceFabric),
    CloudShell(cloud_shell::CloudShell),
    Imds(imds::Imds),
}

/// What every source needs.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub(crate) http: Arc<dyn HttpClient>,
    pub(crate) time: TimeComponents,
    pub(crate) user_assigned_id: Option<UserAssignedId>,
}

impl ManagedIdentityCredential {
    /// A credential for the managed identity endpoint the environment names.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an endpoint variable that is not a URL, or a
    /// user-assigned identity on a source that has none (Arc, Cloud Shell).
    pub fn new(options: Option<ManagedIdentityCredentialOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        let env = options.credential.env();
        let user_assigned_id = options
            .user_assigned_id
            .clone()
            .or_else(|| env.non_empty(vars::AZURE_CLIENT_ID).map(UserAssignedId::ClientId));
        let shared = Shared {
            http: crate::http::transport_or_default(options.credential.transport.clone())?,
            time: options.credential.time.clone(),
            user_assigned_id,
        };
        let identity_endpoint = env.non_empty(vars::IDENTITY_ENDPOINT);
        let identity_header = env.var(vars::IDENTITY_HEADER).filter(|h| !h.is_empty());
        let msi_endpoint = env.non_empty(vars::MSI_ENDPOINT);
        let source = if let (Some(endpoint), Some(header)) = (&identity_endpoint, identity_header) {
            if let Some(thumbprint) = env.non_empty(vars::IDENTITY_SERVER_THUMBPRINT) {
                let injected = options.credential.transport.is_some();
                Source::ServiceFabric(service_fabric::ServiceFabric::new(
                    shared,
                    injected,
                    endpoint,
                    Secret::new(header),
                    &thumbprint,
                )?)
            } else {
                Source::AppService(app_service::AppService::new(shared, endpoint, Secret::new(header))?)
            }
        } else if let (Some(endpoint), Some(_)) = (&identity_endpoint, env.non_empty(vars::IMDS_ENDPOINT)) {
            let dir = options.arc_key_directory.clone().unwrap_or_else(arc::default_key_directory);
            Source::Arc(arc::ArcSource::new(shared, endpoint, dir)?)
        } else if let Some(endpoint) = msi_endpoint {
            if let Some(secret) = env.var(vars::MSI_SECRET).filter(|s| !s.is_empty()) {
                let default_client_id = env.non_empty(vars::DEFAULT_IDENTITY_CLIENT_ID);
                Source::AzureMl(azure_ml::AzureMl::new(shared, &endpoint, Secret::new(secret), default_client_id)?)
            } else {
                Source::CloudShell(cloud_shell::CloudShell::new(shared, &endpoint)?)
            }
        } else {
            let endpoint = options.imds_endpoint.clone().or_else(|| {
                env.non_empty(vars::AZURE_POD_IDENTITY_AUTHORITY_HOST)
                    .map(|host| format!("{}{}", host.trim_end_matches('/'), imds::IMDS_TOKEN_PATH))
            });
            Source::Imds(imds::Imds::new(shared, endpoint.as_deref(), &options)?)
        };
        Ok(Self { source, cache: TokenCache::new(options.credential.time) })
    }

    /// Which managed identity source was chosen: `AppService`, `AzureArc`, `CloudShell`,
    /// `ServiceFabric`, `AzureMl` or `Imds`.
    pub fn source_name(&self) -> &'static str {
        match &self.source {
            Source::AppService(_) => "AppService",
            Source::Arc(_) => "AzureArc",
            Source::AzureMl(_) => "AzureMl",
            Source::ServiceFabric(_) => "ServiceFabric",
            Source::CloudShell(_) => "CloudShell",
            Source::Imds(_) => "Imds",
        }
    }

    async fn fetch(&self, resource: &str) -> Result<AccessToken> {
        match &self.source {
            Source::AppService(s) => s.get_token(resource).await,
            Source::Arc(s) => s.get_token(resource).await,
            Source::AzureMl(s) => s.get_token(resource).await,
            Source::ServiceFabric(s) => s.get_token(resource).await,
            Source::CloudShell(s) => s.get_token(resource).await,
            Source::Imds(s) => s.get_token(resource).await,
        }
    }
}

#[async_trait]
impl TokenCredential for ManagedIdentityCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let resource = resource_for(scopes)?;
        // Managed identity has no tenant or claims parameters: one cache entry per resource.
        // A rejected token (`refresh`) still makes the cache fetch anew.
        let mut key = TokenRequestOptions::default();
        key.refresh = options.refresh;
        self.cache.get_or_fetch(&[resource.as_str()], &key, || self.fetch(&resource)).await
    }
}

/// The resource for exactly one scope: the scope without a trailing `/.default`.
///
/// # Errors
/// [`Error::InvalidArgument`] for zero or several scopes, or an empty one.
pub(crate) fn resource_for(scopes: &[&str]) -> Result<String> {
    match scopes {
        [scope] if !scope.trim().is_empty() => Ok(scope.strip_suffix("/.default").unwrap_or(scope).to_owned()),
        _ => Err(Error::invalid_argument(format!(
            "this credential takes exactly one non-empty scope, not {}",
            scopes.len()
        ))),
    }
}

/// `endpoint` queried for a token for `resource`: `api-version`, `resource` and the
/// user-assigned identity, if any, as `client_id`, `object_id` or `resource_id_param` (its name
/// differs between endpoints).
pub(crate) fn token_url(
    endpoint: &azkv_pipeline::Url,
    api_version: &str,
    resource: &str,
    user_assigned_id: Option<&UserAssignedId>,
    resource_id_param: &str,
) -> azkv_pipeline::Url {
    let mut url = endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("api-version", api_version).append_pair("resource", resource);
        match user_assigned_id {
            Some(UserAssignedId::ClientId(id)) => query.append_pair("client_id", id),
            Some(UserAssignedId::ObjectId(id)) => query.append_pair("object_id", id),
            Some(UserAssignedId::ResourceId(id)) => query.append_pair(resource_id_param, id),
            None => &mut query,
        };
    }
    url
}

/// Parses a URL from an endpoint variable or option.
pub(crate) fn endpoint_url(name: &str, value: &str) -> Result<azkv_pipeline::Url> {
    azkv_pipeline::Url::parse(value).map_err(|e| Error::invalid_argument(format!("{name} is not a URL: {e}")))
}

#[derive(Deserialize)]
struct MiTokenResponse {
    access_token: String,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_in: Option<serde_json::Value>,
}

/// A token from a managed identity endpoint's answer; `expires_on` in any of its forms, else
/// `expires_in`.
///
/// # Errors
/// [`Error::Credential`] quoting only `error`/`error_description` of an error body, and
/// nothing of a body that is not a token response.
pub(crate) fn parse_response(response: &Response, now: time::OffsetDateTime, what: &str) -> Result<AccessToken> {
    if !response.is_success() {
        return Err(crate::aad::error_from_response(response, what));
    }
    let Ok(parsed) = serde_json::from_slice::<MiTokenResponse>(&response.body) else {
        return Err(Error::credential(format!(
            "{what}: the managed identity endpoint answered HTTP {} with a body that is not a token response",
            response.status.as_u16()
        )));
    };
    let expires_on = parsed
        .expires_on
        .as_ref()
        .and_then(crate::expiry::parse_expires_on)
        .or_else(|| parsed.expires_in.as_ref().and_then(|v| crate::expiry::parse_expires_in(v, now)))
        .ok_or_else(|| {
            Error::credential(format!("{what}: the token response has no valid expires_on or expires_in"))
        })?;
    let mut token = AccessToken::new(parsed.access_token, expires_on);
    token.refresh_on =
        parsed.refresh_in.as_ref().and_then(|v| crate::expiry::parse_expires_in(v, now)).filter(|r| *r < expires_on);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use azkv_pipeline::StatusCode;
    use time::macros::datetime;

    #[test]
    fn scope_to_resource() {
        assert_eq!(resource_for(&["https://vault.azure.net/.default"]).unwrap(), "https://vault.azure.net");
        assert_eq!(resource_for(&["https://vault.azure.net"]).unwrap(), "https://vault.azure.net");
        assert!(resource_for(&[]).is_err());
        assert!(resource_for(&["a", "b"]).is_err());
    }

    #[test]
    fn every_expiry_form() {
        let now = datetime!(2026-11-23 09:00:00 UTC);
        let exp = datetime!(2026-11-23 10:00:00 UTC);
        let bodies = [
            serde_json::json!({"access_token": "t", "expires_on": 1_795_428_000}),
            serde_json::json!({"access_token": "t", "expires_on": "1795428000", "expires_in": "100"}),
            serde_json::json!({"access_token": "t", "expires_in": "3600"}),
            serde_json::json!({"access_token": "t", "expires_in": 3600}),
            serde_json::json!({"access_token": "t", "expires_on": "11/23/2026 10:00:00 +00:00"}),
        ];
        for body in bodies {
            let t = parse_response(&Response::json_body(StatusCode::OK, &body), now, "x").unwrap();
            assert_eq!(t.expires_on, exp, "{body}");
        }
        let body = serde_json::json!({"access_token": "t"});
        assert!(parse_response(&Response::json_body(StatusCode::OK, &body), now, "x").is_err());
    }
}
