//! Device code sign-in (OAuth 2.0 device authorization grant, RFC 8628): the user signs in on
//! another device while this one polls the token endpoint.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azkv_pipeline::token_cache::TokenCache;
use azkv_pipeline::{AccessToken, Error, Result, Secret, TokenCredential, TokenRequestOptions};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::aad::{AadClient, error_from_response, parse_token_and_refresh, scope_field, validate_tenant_id};
use crate::error::AuthenticationError;
use crate::options::CredentialOptions;

const WHAT: &str = "DeviceCodeCredential";

/// The Azure CLI's public client id, the default application of [`DeviceCodeCredential`] (as
/// in Python's `azure-identity`).
pub const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// The tenant [`DeviceCodeCredential`] signs in to when none is configured: any work or school
/// account.
pub const DEFAULT_DEVICE_CODE_TENANT: &str = "organizations";

/// The device code grant type.
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Scopes asked for besides the caller's, so that the answer carries a refresh token.
const EXTRA_SCOPES: &str = "offline_access openid profile";

/// What the user must do to sign in, given to the [`DeviceCodePrompt`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCodeInfo {
    /// The code the user types at [`Self::verification_uri`].
    pub user_code: String,
    /// Where the user signs in, for example `https://microsoft.com/devicelogin`.
    pub verification_uri: String,
    /// The service's instructions, on one line, without control characters.
    pub message: String,
    /// When the code expires.
    pub expires_on: OffsetDateTime,
}

/// A future returned by an asynchronous [`DeviceCodePrompt`].
pub type PromptFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Tells the user how to sign in: called once per sign-in, before polling starts.
///
/// **When**: a token is needed and neither the cache nor a refresh token can provide it.
/// **Available information**: [`DeviceCodeInfo`]. **Error behaviour**: none; polling starts
/// when the returned future completes.
#[derive(Clone)]
pub struct DeviceCodePrompt(Arc<dyn Fn(DeviceCodeInfo) -> PromptFuture + Send + Sync>);

impl DeviceCodePrompt {
    /// A prompt calling `f`.
    ///
    /// ```
    /// use azkv_identity::DeviceCodePrompt;
    /// let prompt = DeviceCodePrompt::new(|info| println!("open {} and enter {}", info.verification_uri, info.user_code));
    /// ```
    pub fn new(f: impl Fn(&DeviceCodeInfo) + Send + Sync + 'static) -> Self {
        Self(Arc::new(move |info| {
            f(&info);
            Box::pin(std::future::ready(()))
        }))
    }

    /// A prompt awaiting the future `f` returns.
    pub fn new_async<F, Fut>(f: F) -> Self
    where
        F: Fn(DeviceCodeInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self(Arc::new(move |info| Box::pin(f(info))))
    }

    /// The default: prints the service's message as one line to stderr.
    pub fn stderr() -> Self {
        Self::new(|info| eprintln!("{}", info.message))
    }
}

impl fmt::Debug for DeviceCodePrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceCodePrompt")
    }
}

/// Options for [`DeviceCodeCredential`].
///
/// Defaults: tenant [`DEFAULT_DEVICE_CODE_TENANT`] (following the tenant a service names),
/// client [`AZURE_CLI_CLIENT_ID`], [`DeviceCodePrompt::stderr`], waiting as long as the code
/// is valid.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DeviceCodeCredentialOptions {
    /// Transport, authority, environment and clock.
    pub credential: CredentialOptions,
    /// The tenant; `None` signs in to `organizations`, or to the tenant a service asks for.
    pub tenant_id: Option<String>,
    /// The public client application; `None` for [`AZURE_CLI_CLIENT_ID`].
    pub client_id: Option<String>,
    /// How the user is told; `None` for [`DeviceCodePrompt::stderr`].
    pub prompt: Option<DeviceCodePrompt>,
    /// How long to wait for the user; the code's own validity prevails when shorter.
    pub timeout: Option<Duration>,
}

crate::options::setters! { DeviceCodeCredentialOptions {
    /// These options with `credential` (transport, authority, environment, clock).
    fn with_credential(credential: CredentialOptions) => credential = credential;
    /// These options signing in to `tenant_id`.
    fn with_tenant_id(tenant_id: impl Into<String>) => tenant_id = Some(tenant_id.into());
    /// These options signing in to the application `client_id`.
    fn with_client_id(client_id: impl Into<String>) => client_id = Some(client_id.into());
    /// These options telling the user through `prompt`.
    fn with_prompt(prompt: DeviceCodePrompt) => prompt = Some(prompt);
    /// These options waiting at most `timeout` for the user.
    fn with_timeout(timeout: Duration) => timeout = Some(timeout);
}}

/// Signs a user in with a device code: asks `{authority}/{tenant}/oauth2/v2.0/devicecode` for
/// a code, shows it through the [`DeviceCodePrompt`], then polls the token endpoint at the
/// interval the service gives (slower after `slow_down`) until the user signs in, declines or
/// the code expires.
///
/// Access tokens are cached, and the refresh token the service returns gets later tokens (for
/// other scopes too) without prompting again. Failures carry an [`AuthenticationError`]:
/// `authorization_declined`, `expired_token`, `bad_verification_code`. `Debug` shows no token.
///
/// ```no_run
/// # async fn f() -> azkv_pipeline::Result<()> {
/// use azkv_identity::{DeviceCodeCredential, DeviceCodeCredentialOptions};
/// use azkv_pipeline::TokenCredential;
/// let credential = DeviceCodeCredential::new(Some(DeviceCodeCredentialOptions::default().with_tenant_id("contoso.onmicrosoft.com")))?;
/// let token = credential.get_token(&["https://vault.azure.net/.default"], &Default::default()).await?;
/// # Ok(()) }
/// ```
pub struct DeviceCodeCredential {
    tenant_id: Option<String>,
    client_id: String,
    prompt: DeviceCodePrompt,
    timeout: Option<Duration>,
    aad: AadClient,
    cache: TokenCache,
    tenants: crate::tenant::TenantPolicy,
    /// Refresh tokens by tenant; the lock also keeps two sign-ins from running at once.
    refresh_tokens: tokio::sync::Mutex<HashMap<String, Secret>>,
}

impl fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(WHAT)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct DeviceCodeResponse {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    expires_in: serde_json::Value,
    #[serde(default)]
    interval: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

/// Seconds in a JSON number or string.
fn seconds(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `text` on one line, without control characters (it came from the network and goes to a
/// terminal).
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

impl DeviceCodeCredential {
    /// A credential signing in through device codes.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid tenant id, an empty client id or a bad
    /// authority host.
    pub fn new(options: Option<DeviceCodeCredentialOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        if let Some(tenant) = &options.tenant_id {
            validate_tenant_id(tenant)?;
        }
        let client_id = options.client_id.unwrap_or_else(|| AZURE_CLI_CLIENT_ID.to_owned());
        if client_id.trim().is_empty() {
            return Err(Error::invalid_argument("client id must not be empty"));
        }
        Ok(Self {
            tenant_id: options.tenant_id,
            client_id,
            prompt: options.prompt.unwrap_or_else(DeviceCodePrompt::stderr),
            timeout: options.timeout,
            aad: options.credential.aad_client()?,
            cache: TokenCache::new(options.credential.time.clone()),
            tenants: options.credential.tenant_policy(),
            refresh_tokens: Default::default(),
        })
    }

    async fn fetch(&self, scopes: &[&str], tenant: &str, options: &TokenRequestOptions) -> Result<AccessToken> {
        let scope = format!("{} {EXTRA_SCOPES}", scope_field(scopes)?);
        let claims = crate::aad::claims_field(options);
        let mut refresh_tokens = self.refresh_tokens.lock().await;
        if let Some(refresh_token) = refresh_tokens.get(tenant).cloned() {
            let mut form = vec![
                ("grant_type", "refresh_token"),
                ("client_id", self.client_id.as_str()),
                ("refresh_token", refresh_token.expose()),
                ("scope", scope.as_str()),
            ];
            if let Some(claims) = claims.as_deref() {
                form.push(("claims", claims));
            }
            let response = self.aad.post_form(self.aad.token_endpoint(tenant)?, &form).await?;
            match parse_token_and_refresh(&response, self.aad.time.now_utc(), WHAT) {
                Ok((token, next)) => {
                    if let Some(next) = next {
                        refresh_tokens.insert(tenant.to_owned(), next);
                    }
                    return Ok(token);
                }
                // The refresh token was refused (expired, revoked): sign in again.
                Err(e) if AuthenticationError::of(&e).is_some() => {
                    tracing::debug!(error = %e, "the refresh token was refused; signing in with a new device code");
                    refresh_tokens.remove(tenant);
                }
                Err(e) => return Err(e),
            }
        }
        let (token, refresh_token) = self.sign_in(tenant, &scope, claims.as_deref()).await?;
        if let Some(refresh_token) = refresh_token {
            refresh_tokens.insert(tenant.to_owned(), refresh_token);
        }
        Ok(token)
    }

    /// The device code flow: request a code, prompt, poll.
    async fn sign_in(&self, tenant: &str, scope: &str, claims: Option<&str>) -> Result<(AccessToken, Option<Secret>)> {
        let mut form = vec![("client_id", self.client_id.as_str()), ("scope", scope)];
        if let Some(claims) = claims {
            form.push(("claims", claims));
        }
        let response = self.aad.post_form(self.aad.endpoint(tenant, "devicecode")?, &form).await?;
        if !response.is_success() {
            return Err(error_from_response(&response, WHAT));
        }
        let not_a_code = || {
            Error::credential(format!(
                "{WHAT}: the devicecode endpoint answered HTTP {} with a body that is not a device code",
                response.status.as_u16()
            ))
        };
        let code: DeviceCodeResponse = serde_json::from_slice(&response.body).map_err(|_| not_a_code())?;
        let device_code = Secret::new(code.device_code);
        let lifetime = seconds(&code.expires_in).filter(|s| *s > 0).ok_or_else(not_a_code)?;
        let mut interval = Duration::from_secs(code.interval.as_ref().and_then(seconds).unwrap_or(5).clamp(1, 60));
        let started = self.aad.time.now_utc();
        let expires_on = started.saturating_add(time::Duration::seconds(lifetime.min(i64::MAX as u64) as i64));
        let give_up = match self.timeout {
            Some(t) => {
                expires_on.min(started.saturating_add(time::Duration::try_from(t).unwrap_or(time::Duration::MAX)))
            }
            None => expires_on,
        };
        let verification_uri = one_line(&code.verification_uri);
        let user_code = one_line(&code.user_code);
        let message = code.message.as_deref().map(one_line).filter(|m| !m.is_empty()).unwrap_or_else(|| {
            format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate.")
        });
        (self.prompt.0)(DeviceCodeInfo { user_code, verification_uri, message, expires_on }).await;

        let token_endpoint = self.aad.token_endpoint(tenant)?;
        loop {
            self.aad.time.sleep.sleep(interval).await;
            let form = [
                ("grant_type", DEVICE_CODE_GRANT),
                ("client_id", self.client_id.as_str()),
                ("device_code", device_code.expose()),
            ];
            let response = self.aad.post_form(token_endpoint.clone(), &form).await?;
            if response.is_success() {
                return parse_token_and_refresh(&response, self.aad.time.now_utc(), WHAT);
            }
            let kind =
                AuthenticationError::parse(response.status.as_u16(), &response.body).map(|e| e.error().to_owned());
            match kind.as_deref() {
                Some("authorization_pending") => {}
                Some("slow_down") => interval = (interval + Duration::from_secs(5)).min(Duration::from_secs(60)),
                _ => return Err(error_from_response(&response, WHAT)),
            }
            let now = self.aad.time.now_utc();
            if now >= expires_on {
                return Err(Error::credential(format!(
                    "{WHAT}: the device code expired before the user signed in (expired_token)"
                )));
            }
            if now >= give_up {
                return Err(Error::timeout(format!("{WHAT}: the user did not sign in within {:?}", self.timeout)));
            }
        }
    }
}

#[async_trait]
impl TokenCredential for DeviceCodeCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let tenant = self
            .tenants
            .resolve(WHAT, self.tenant_id.as_deref(), options.tenant_id.as_deref())?
            .unwrap_or(DEFAULT_DEVICE_CODE_TENANT)
            .to_owned();
        validate_tenant_id(&tenant)?;
        let mut key = options.clone();
        key.tenant_id = Some(tenant.clone());
        self.cache.get_or_fetch(scopes, &key, || self.fetch(scopes, &tenant, &key)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_text_is_one_clean_line() {
        assert_eq!(one_line(" a\r\nb\u{1b}[31m "), "a  b [31m");
        assert_eq!(seconds(&serde_json::json!("900")), Some(900));
        assert_eq!(seconds(&serde_json::json!(-1)), None);
    }

    #[test]
    fn defaults() {
        let c = DeviceCodeCredential::new(None).unwrap();
        assert_eq!(c.client_id, AZURE_CLI_CLIENT_ID);
        assert!(DeviceCodeCredential::new(Some(DeviceCodeCredentialOptions::default().with_tenant_id("a/b"))).is_err());
        assert!(format!("{c:?}").starts_with("DeviceCodeCredential"));
    }
}
