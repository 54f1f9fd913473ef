//! The Azure Developer CLI's signed-in account: `azd auth token`.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::{AccessToken, Error, Result, TokenCredential, TokenRequestOptions};
use serde::Deserialize;

use crate::process::{Tool, check_argument};
use azkv_pipeline::token_cache::TokenCache;

const WHAT: &str = "AzureDeveloperCliCredential";

/// Options for [`AzureDeveloperCliCredential`].
///
/// Defaults: no tenant, `azd` found on `PATH`, a 10 s timeout, the system clock.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AzureDeveloperCliCredentialOptions {
    /// The tenant to request tokens in (`--tenant-id`).
    pub tenant_id: Option<String>,
    /// The program to run; `None` for `azd`.
    pub program: Option<PathBuf>,
    /// How long `azd` may take; it is killed after that.
    pub timeout: Duration,
    /// The clock.
    pub time: TimeComponents,
    /// Tenants besides `tenant_id` that a service may ask for (`"*"` for any); with no
    /// `tenant_id`, the credential follows the service's tenant.
    pub additionally_allowed_tenants: Vec<String>,
}

crate::options::setters! { AzureDeveloperCliCredentialOptions {
    /// These options with `tenant_id`.
    fn with_tenant_id(tenant_id: impl Into<String>) => tenant_id = Some(tenant_id.into());
    /// These options with `program`.
    fn with_program(program: impl Into<PathBuf>) => program = Some(program.into());
    /// These options with `timeout`.
    fn with_timeout(timeout: Duration) => timeout = timeout;
    /// These options with `time`.
    fn with_time(time: TimeComponents) => time = time;
    /// These options with `additionally_allowed_tenants`.
    fn with_additionally_allowed_tenants(tenants: impl IntoIterator<Item = impl Into<String>>) =>
        additionally_allowed_tenants = tenants.into_iter().map(Into::into).collect();
}}

impl Default for AzureDeveloperCliCredentialOptions {
    fn default() -> Self {
        Self {
            tenant_id: None,
            program: None,
            timeout: Duration::from_secs(10),
            time: TimeComponents::default(),
            additionally_allowed_tenants: Vec::new(),
        }
    }
}

/// The Azure Developer CLI's signed-in account: runs
/// `azd auth token --output json --scope <scope>... [--tenant-id <tenant>]` (no shell) and
/// reads `token` and `expiresOn` (RFC 3339).
///
/// "Not installed", "not logged in" and a timeout are "unavailable"; other failures are
/// authentication failures.
#[derive(Debug)]
pub struct AzureDeveloperCliCredential {
    tenant_id: Option<String>,
    tenants: crate::tenant::TenantPolicy,
    program: PathBuf,
    timeout: Duration,
    cache: TokenCache,
}

#[derive(Deserialize)]
struct AzdToken {
    token: String,
    #[serde(rename = "expiresOn")]
    expires_on: serde_json::Value,
}

impl AzureDeveloperCliCredential {
    /// A credential running the Azure Developer CLI.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid tenant id.
    pub fn new(options: Option<AzureDeveloperCliCredentialOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        if let Some(tenant) = &options.tenant_id {
            crate::aad::validate_tenant_id(tenant)?;
        }
        let default_program = if cfg!(windows) { "azd.exe" } else { "azd" };
        let process_env = crate::variables::or_process(None);
        Ok(Self {
            tenants: crate::tenant::TenantPolicy::new(&options.additionally_allowed_tenants, process_env.as_ref()),
            tenant_id: options.tenant_id,
            program: options.program.unwrap_or_else(|| PathBuf::from(default_program)),
            timeout: options.timeout,
            cache: TokenCache::new(options.time),
        })
    }

    async fn fetch(&self, scopes: &[&str], tenant: Option<&str>) -> Result<AccessToken> {
        let mut args = vec!["auth", "token", "--output", "json"];
        for scope in scopes {
            args.extend(["--scope", scope]);
        }
        if let Some(tenant) = tenant {
            args.extend(["--tenant-id", tenant]);
        }
        let tool = Tool {
            what: WHAT,
            tool: "the Azure Developer CLI (azd)",
            install_hint: "install it from https://aka.ms/azd-install",
            login_markers: &["azd auth login", "not logged in"],
            login_hint: "run `azd auth login`",
        };
        let output = tool.run(&self.program, &args, self.timeout).await?;
        let garbage = || Error::credential(format!("{WHAT}: azd printed something that is not a token"));
        let parsed: AzdToken = serde_json::from_slice(&output.stdout).map_err(|_| garbage())?;
        if parsed.token.is_empty() {
            return Err(garbage());
        }
        let expires_on = crate::expiry::parse_expires_on(&parsed.expires_on)
            .ok_or_else(|| Error::credential(format!("{WHAT}: azd's token has no valid expiresOn")))?;
        Ok(AccessToken::new(parsed.token, expires_on))
    }
}

#[async_trait]
impl TokenCredential for AzureDeveloperCliCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        if scopes.is_empty() {
            return Err(Error::invalid_argument("at least one scope is required"));
        }
        for scope in scopes {
            check_argument("a scope", scope)?;
        }
        let key = self.tenants.tool_key("AzureDeveloperCliCredential", self.tenant_id.as_deref(), options)?;
        self.cache.get_or_fetch(scopes, &key, || self.fetch(scopes, key.tenant_id.as_deref())).await
    }
}
