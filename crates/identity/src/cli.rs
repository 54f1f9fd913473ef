//! The Azure CLI's signed-in account: `az account get-access-token`.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::{AccessToken, Error, Result, TokenCredential, TokenRequestOptions};
use serde::Deserialize;
use time::UtcOffset;

use crate::managed::resource_for;
use crate::process::{Tool, check_argument};
use azkv_pipeline::token_cache::TokenCache;

const WHAT: &str = "AzureCliCredential";

/// Options for [`AzureCliCredential`].
///
/// Defaults: no tenant (the CLI's default), `az` (`az.cmd` on Windows) found on `PATH`, a 10 s
/// timeout, the system clock, the machine's UTC offset for `expiresOn`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AzureCliCredentialOptions {
    /// The tenant to request tokens in (`--tenant`).
    pub tenant_id: Option<String>,
    /// The subscription (name or id) whose tenant the token is for (`--subscription`); checked
    /// like the tenant, and ignored when a tenant is sent (`az` takes only one of them).
    pub subscription: Option<String>,
    /// The program to run; `None` for `az`.
    pub program: Option<PathBuf>,
    /// How long `az` may take; it is killed after that.
    pub timeout: Duration,
    /// The clock.
    pub time: TimeComponents,
    /// Tenants besides `tenant_id` that a service may ask for (`"*"` for any); with no
    /// `tenant_id`, the credential follows the service's tenant.
    pub additionally_allowed_tenants: Vec<String>,
    /// The UTC offset of the CLI's local-time `expiresOn`, used only when its output has no
    /// `expires_on`; `None` for this machine's offset (UTC when it cannot be found).
    pub local_offset: Option<UtcOffset>,
}

crate::options::setters! { AzureCliCredentialOptions {
    /// These options with `tenant_id`.
    fn with_tenant_id(tenant_id: impl Into<String>) => tenant_id = Some(tenant_id.into());
    /// These options with `subscription` (`--subscription`, a name or id).
    fn with_subscription(subscription: impl Into<String>) => subscription = Some(subscription.into());
    /// These options with `program`.
    fn with_program(program: impl Into<PathBuf>) => program = Some(program.into());
    /// These options with `timeout`.
    fn with_timeout(timeout: Duration) => timeout = timeout;
    /// These options with `time`.
    fn with_time(time: TimeComponents) => time = time;
    /// These options with `additionally_allowed_tenants`.
    fn with_additionally_allowed_tenants(tenants: impl IntoIterator<Item = impl Into<String>>) =>
        additionally_allowed_tenants = tenants.into_iter().map(Into::into).collect();
    /// These options with `local_offset`.
    fn with_local_offset(local_offset: UtcOffset) => local_offset = Some(local_offset);
}}

impl Default for AzureCliCredentialOptions {
    fn default() -> Self {
        Self {
            tenant_id: None,
            subscription: None,
            program: None,
            timeout: Duration::from_secs(10),
            time: TimeComponents::default(),
            local_offset: None,
            additionally_allowed_tenants: Vec::new(),
        }
    }
}

/// The Azure CLI's signed-in account: runs
/// `az account get-access-token --output json --resource <resource> [--tenant <tenant> |
/// --subscription <subscription>]` (no shell) and reads `accessToken` and `expires_on`.
///
/// "Not installed", "not logged in" and a timeout are "unavailable" (a chain moves on); other
/// failures are authentication failures. The CLI's stderr is quoted only when it cannot hold a
/// token.
#[derive(Debug)]
pub struct AzureCliCredential {
    tenant_id: Option<String>,
    subscription: Option<String>,
    tenants: crate::tenant::TenantPolicy,
    program: PathBuf,
    timeout: Duration,
    local_offset: UtcOffset,
    cache: TokenCache,
}

#[derive(Deserialize)]
struct CliToken {
    #[serde(rename = "accessToken")]
    access_token: String,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    #[serde(default, rename = "expiresOn")]
    expires_on_local: Option<String>,
}

impl AzureCliCredential {
    /// A credential running the Azure CLI.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a tenant id with characters a tenant id cannot have.
    pub fn new(options: Option<AzureCliCredentialOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        if let Some(tenant) = &options.tenant_id {
            crate::aad::validate_tenant_id(tenant)?;
        }
        if let Some(subscription) = &options.subscription {
            check_subscription(subscription)?;
        }
        let default_program = if cfg!(windows) { "az.cmd" } else { "az" };
        let process_env = crate::variables::or_process(None);
        Ok(Self {
            tenants: crate::tenant::TenantPolicy::new(&options.additionally_allowed_tenants, process_env.as_ref()),
            tenant_id: options.tenant_id,
            subscription: options.subscription,
            program: options.program.unwrap_or_else(|| PathBuf::from(default_program)),
            timeout: options.timeout,
            local_offset: options
                .local_offset
                .unwrap_or_else(|| UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC)),
            cache: TokenCache::new(options.time),
        })
    }

    async fn fetch(&self, resource: &str, tenant: Option<&str>) -> Result<AccessToken> {
        let mut args = vec!["account", "get-access-token", "--output", "json", "--resource", resource];
        if let Some(tenant) = tenant {
            args.extend(["--tenant", tenant]);
        } else if let Some(subscription) = &self.subscription {
            args.extend(["--subscription", subscription.as_str()]);
        }
        let tool = Tool {
            what: WHAT,
            tool: "the Azure CLI (az)",
            install_hint: "install it from https://aka.ms/azure-cli",
            login_markers: &["az login", "az account set"],
            login_hint: "run `az login`",
        };
        let output = tool.run(&self.program, &args, self.timeout).await?;
        parse_output(&output.stdout, self.local_offset)
    }
}

/// Checks a subscription name or id: non-empty, no leading `-` or space, only letters, digits,
/// `.`, `_`, `-` and spaces (it is passed as one argument, never through a shell).
///
/// # Errors
/// [`Error::InvalidArgument`].
fn check_subscription(subscription: &str) -> Result<()> {
    let ok = !subscription.trim().is_empty()
        && !subscription.starts_with(['-', ' '])
        && subscription.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ' '));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            "the subscription must hold only letters, digits, '.', '_', '-' and spaces, and not start with '-'",
        ))
    }
}

fn parse_output(stdout: &[u8], local_offset: UtcOffset) -> Result<AccessToken> {
    let garbage = || Error::credential(format!("{WHAT}: the Azure CLI printed something that is not a token"));
    let parsed: CliToken = serde_json::from_slice(stdout).map_err(|_| garbage())?;
    let expires_on = parsed
        .expires_on
        .as_ref()
        .and_then(crate::expiry::parse_expires_on)
        .or_else(|| {
            parsed.expires_on_local.as_deref().and_then(|s| crate::expiry::parse_local_date_time(s, local_offset))
        })
        .ok_or_else(|| Error::credential(format!("{WHAT}: the Azure CLI's token has no valid expiry")))?;
    if parsed.access_token.is_empty() {
        return Err(garbage());
    }
    Ok(AccessToken::new(parsed.access_token, expires_on))
}

#[async_trait]
impl TokenCredential for AzureCliCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let resource = resource_for(scopes)?;
        check_argument("the scope", &resource)?;
        let key = self.tenants.tool_key("AzureCliCredential", self.tenant_id.as_deref(), options)?;
        self.cache.get_or_fetch(&[resource.as_str()], &key, || self.fetch(&resource, key.tenant_id.as_deref())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn subscriptions() {
        for ok in ["My Subscription", "00000000-0000-0000-0000-000000000000", "dev_sub.1"] {
            assert!(check_subscription(ok).is_ok(), "{ok}");
        }
        for bad in ["", " ", "--debug", "a;b", "a$(x)", "a\nb", "a|b", "a'b"] {
            assert!(check_subscription(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expires_on_then_local_expires_on() {
        let plus1 = UtcOffset::from_hms(1, 0, 0).unwrap();
        let both = br#"{"accessToken": "t", "expiresOn": "2026-11-23 11:00:00.000000", "expires_on": 1795428000}"#;
        assert_eq!(parse_output(both, UtcOffset::UTC).unwrap().expires_on, datetime!(2026-11-23 10:00:00 UTC));
        let local = br#"{"accessToken": "t", "expiresOn": "2026-11-23 11:00:00.000000"}"#;
        assert_eq!(parse_output(local, plus1).unwrap().expires_on, datetime!(2026-11-23 10:00:00 UTC));
        let text = parse_output(b"canary-garbage", plus1).unwrap_err().to_string();
        assert!(!text.contains("canary"), "{text}");
    }
}
