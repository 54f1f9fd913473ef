//! Key Vault challenge authentication: discover the tenant and scope from a 401, then send
//! tokens only to a vault the challenge proved.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use azkv_pipeline::policies::bearer::ensure_secure_for_tokens;
use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::{
    Context, Error, Policy, Request, Response, Result, StatusCode, TokenCache, TokenCredential, TokenRequestOptions,
};
use base64::Engine;
use bytes::Bytes;

use super::parse::parse_challenges;

/// What a vault's challenge told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultChallenge {
    /// The token scope, e.g. `https://vault.azure.net/.default`.
    pub scope: String,
    /// The tenant named by the authorization URL, if any.
    pub tenant_id: Option<String>,
}

impl VaultChallenge {
    /// Reads a Key Vault challenge (`Bearer authorization|authorization_uri=..., resource|scope=...`)
    /// from a `WWW-Authenticate` value.
    ///
    /// # Errors
    /// [`Error::Credential`] when the value holds no usable Bearer challenge.
    pub fn parse(header: &str) -> Result<Self> {
        let challenges = parse_challenges(header);
        let bearer = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
            .ok_or_else(|| Error::credential("the vault's 401 challenge has no Bearer scheme"))?;
        let scope = match (bearer.param("scope"), bearer.param("resource")) {
            (Some(scope), _) if !scope.is_empty() => scope.to_owned(),
            (_, Some(resource)) if !resource.is_empty() => format!("{}/.default", resource.trim_end_matches('/')),
            _ => return Err(Error::credential("the vault's 401 challenge names no resource or scope")),
        };
        let tenant_id = bearer
            .param("authorization")
            .or_else(|| bearer.param("authorization_uri"))
            .and_then(|uri| url::Url::parse(uri).ok())
            .and_then(|u| u.path_segments()?.find(|s| !s.is_empty()).map(str::to_owned));
        Ok(Self { scope, tenant_id })
    }

    /// The scope's host: `vault.azure.net` for `https://vault.azure.net/.default`.
    pub fn resource_host(&self) -> Option<String> {
        url::Url::parse(&self.scope).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    }
}

/// Checks that `vault_host` is a subdomain of the challenge's resource host.
///
/// # Errors
/// [`Error::Credential`] naming both hosts.
pub fn verify_resource(vault_host: &str, challenge: &VaultChallenge) -> Result<()> {
    let resource = challenge.resource_host().unwrap_or_default();
    let vault = vault_host.to_ascii_lowercase();
    if !resource.is_empty() && vault.ends_with(&format!(".{resource}")) {
        Ok(())
    } else {
        Err(Error::credential(format!(
            "the challenge resource host `{resource}` does not match the vault host `{vault}`; \
             no token was sent (set verify_challenge_resource to false only for a trusted vault)"
        )))
    }
}

/// A per-try policy for Key Vault's challenge-based authentication.
///
/// The first request to a vault goes without a token and without its body; the 401 answer's
/// `WWW-Authenticate` challenge names the tenant and the resource. The resource host must be
/// a parent domain of the vault host (unless verification is off). The challenge is cached per
/// vault, so later requests carry a token at once. A later 401 (revoked token, or a claims
/// challenge from continuous access evaluation) refreshes the token once and resends.
#[derive(Debug)]
pub struct ChallengeAuthPolicy {
    credential: Arc<dyn TokenCredential>,
    verify_resource: bool,
    /// Tokens keyed by scope and tenant, shared by every vault this client talks to.
    tokens: TokenCache,
    /// The challenge each vault (`host:port`) answered with.
    vaults: Mutex<HashMap<String, Arc<VaultChallenge>>>,
}

impl ChallengeAuthPolicy {
    /// A policy getting tokens from `credential`.
    pub fn new(credential: Arc<dyn TokenCredential>, verify_resource: bool, time: TimeComponents) -> Self {
        Self { credential, verify_resource, tokens: TokenCache::new(time), vaults: Mutex::new(HashMap::new()) }
    }

    fn vault_key(request: &Request) -> String {
        format!("{}:{}", request.url.host_str().unwrap_or_default(), request.url.port_or_known_default().unwrap_or(0))
    }

    fn cached(&self, key: &str) -> Option<Arc<VaultChallenge>> {
        self.vaults.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    fn learn(&self, key: String, request: &Request, response: &Response) -> Result<Arc<VaultChallenge>> {
        let header = response
            .headers
            .get("www-authenticate")
            .ok_or_else(|| Error::credential("the vault answered 401 without a WWW-Authenticate challenge"))?;
        let challenge = VaultChallenge::parse(header)?;
        if self.verify_resource {
            verify_resource(request.url.host_str().unwrap_or_default(), &challenge)?;
        }
        let challenge = Arc::new(challenge);
        self.vaults.lock().unwrap_or_else(|p| p.into_inner()).insert(key, challenge.clone());
        Ok(challenge)
    }

    /// Sends `request` with a token for `challenge`. With `refresh`, the cached token is not
    /// used: a claims challenge goes to the credential, otherwise the cached token is dropped.
    async fn send_with_token(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
        challenge: &VaultChallenge,
        refresh: Option<Option<String>>,
    ) -> Result<Response> {
        let scopes = [challenge.scope.as_str()];
        let mut options = TokenRequestOptions::default();
        options.tenant_id = challenge.tenant_id.clone();
        match refresh {
            Some(Some(claims)) => options.claims = Some(claims),
            Some(None) => self.tokens.invalidate(&scopes, options.tenant_id.as_deref()),
            None => {}
        }
        let token =
            self.tokens.get_or_fetch(&scopes, &options, || self.credential.get_token(&scopes, &options)).await?;
        request.headers.insert("authorization", format!("Bearer {}", token.token.expose()));
        azkv_pipeline::policy::next(ctx, request, next).await
    }
}

/// The claims of a CAE challenge, base64-decoded when encoded.
fn claims_of(response: &Response) -> Option<String> {
    let header = response.headers.get("www-authenticate")?;
    let challenges = parse_challenges(header);
    let claims = challenges.iter().find_map(|c| c.param("claims"))?;
    let decoded = [base64::engine::general_purpose::STANDARD, base64::engine::general_purpose::URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(claims.trim_end_matches('=')).ok().or_else(|| e.decode(claims).ok()))
        .and_then(|b| String::from_utf8(b).ok());
    Some(decoded.unwrap_or_else(|| claims.to_owned()))
}

#[async_trait]
impl Policy for ChallengeAuthPolicy {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        ensure_secure_for_tokens(request)?;
        let key = Self::vault_key(request);
        let challenge = match self.cached(&key) {
            Some(challenge) => challenge,
            None => {
                // Discover the challenge with a bodiless request, so that no payload travels
                // before the vault has proved who it is.
                let body = std::mem::replace(&mut request.body, Bytes::new());
                let content_type = request.headers.get("content-type").map(str::to_owned);
                request.headers.remove("content-type");
                request.headers.insert("content-length", "0");
                let response = azkv_pipeline::policy::next(ctx, request, next).await?;
                request.headers.remove("content-length");
                request.body = body;
                if let Some(ct) = content_type {
                    request.headers.insert("content-type", ct);
                }
                if response.status != StatusCode::UNAUTHORIZED {
                    return Ok(response);
                }
                self.learn(key.clone(), request, &response)?
            }
        };
        let response = self.send_with_token(ctx, request, next, &challenge, None).await?;
        if response.status != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        // A 401 with a token: revoked, expired early, or a claims challenge. Re-read the
        // challenge (the vault may have moved tenant) and try once more with a fresh token.
        let claims = claims_of(&response);
        let challenge = match response.headers.get("www-authenticate").map(VaultChallenge::parse) {
            Some(Ok(fresh)) if fresh != *challenge => self.learn(key, request, &response)?,
            _ => challenge,
        };
        self.send_with_token(ctx, request, next, &challenge, Some(claims)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_scope_and_tenant() {
        let c = VaultChallenge::parse(
            r#"Bearer authorization="https://login.microsoftonline.com/tenant-1/", resource="https://vault.azure.net""#,
        )
        .unwrap();
        assert_eq!(c.scope, "https://vault.azure.net/.default");
        assert_eq!(c.tenant_id.as_deref(), Some("tenant-1"));
        let c =
            VaultChallenge::parse(r#"Bearer authorization_uri="https://login/t2", scope="https://vault.azure.net/x""#)
                .unwrap();
        assert_eq!(c.scope, "https://vault.azure.net/x");
        assert_eq!(c.tenant_id.as_deref(), Some("t2"));
        assert!(VaultChallenge::parse(r#"Basic realm="x""#).is_err());
        assert!(VaultChallenge::parse(r#"Bearer authorization="https://login/t""#).is_err());
    }

    #[test]
    fn resource_verification() {
        let c = VaultChallenge { scope: "https://vault.azure.net/.default".into(), tenant_id: None };
        assert!(verify_resource("myvault.vault.azure.net", &c).is_ok());
        assert!(verify_resource("MyVault.Vault.Azure.Net", &c).is_ok());
        for bad in ["vault.azure.net", "evil.com", "myvault.vault.azure.net.evil.com", "evilvault.azure.net"] {
            let err = verify_resource(bad, &c).unwrap_err().to_string();
            assert!(err.contains("vault.azure.net") && err.contains(bad), "{err}");
        }
    }
}
