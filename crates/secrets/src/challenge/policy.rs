//! Key Vault's challenge protocol: discover the tenant and scope from a 401, and send tokens
//! only to a vault the challenge proved. The bearer flow itself (cache, header, https check,
//! one retry after a rejected token) is the pipeline's `BearerTokenPolicy`.

use std::sync::{Arc, Mutex};

use azkv_pipeline::policies::{OnChallenge, TokenTarget};
use azkv_pipeline::www_authenticate::parse_challenges;
use azkv_pipeline::{Error, Request, Response, Result};

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

/// Key Vault's challenge protocol, for [`azkv_pipeline::policies::BearerTokenPolicy`].
///
/// The first request to a vault goes without a token and without its body; the 401 answer's
/// `WWW-Authenticate` challenge names the tenant and the resource. The resource host must be
/// a parent domain of the vault host (unless verification is off). The challenge is cached per
/// vault (`host:port`), so later requests carry a token at once; a later 401 re-reads it (the
/// vault may have moved tenant) and the bearer policy retries once with a new token.
///
/// A client builds one per vault, so the cache is a short list, looked up without allocating.
#[derive(Debug)]
pub struct KeyVaultChallenge {
    verify_resource: bool,
    enable_cae: bool,
    /// The challenge each vault answered with.
    vaults: Mutex<Vec<KnownVault>>,
}

/// One vault's challenge and the token target it stands for.
#[derive(Debug)]
struct KnownVault {
    host: String,
    port: u16,
    challenge: Arc<VaultChallenge>,
    target: Arc<TokenTarget>,
}

impl KeyVaultChallenge {
    /// The protocol, checking the challenge's resource against the vault host when
    /// `verify_resource` is on, and asking for CAE-capable tokens when `enable_cae` is.
    pub fn new(verify_resource: bool, enable_cae: bool) -> Self {
        Self { verify_resource, enable_cae, vaults: Mutex::new(Vec::new()) }
    }

    fn target_of(&self, challenge: &VaultChallenge) -> TokenTarget {
        let mut target = challenge.target();
        target.options.enable_cae = self.enable_cae;
        target
    }

    /// The vault `request` goes to: its host and port.
    fn vault_of(request: &Request) -> (&str, u16) {
        (request.url.host_str().unwrap_or_default(), request.url.port_or_known_default().unwrap_or(0))
    }

    /// `pick` of what `vault` answered with last.
    fn cached<T>(&self, (host, port): (&str, u16), pick: impl FnOnce(&KnownVault) -> T) -> Option<T> {
        let vaults = self.vaults.lock().unwrap_or_else(|p| p.into_inner());
        vaults.iter().find(|v| v.port == port && v.host == host).map(pick)
    }

    fn remember(&self, (host, port): (&str, u16), challenge: Arc<VaultChallenge>, target: Arc<TokenTarget>) {
        let mut vaults = self.vaults.lock().unwrap_or_else(|p| p.into_inner());
        vaults.retain(|v| !(v.port == port && v.host == host));
        vaults.push(KnownVault { host: host.to_owned(), port, challenge, target });
    }
}

impl VaultChallenge {
    fn target(&self) -> TokenTarget {
        TokenTarget::new([self.scope.as_str()]).with_tenant(self.tenant_id.clone())
    }
}

impl OnChallenge for KeyVaultChallenge {
    fn target(&self, request: &Request) -> Option<Arc<TokenTarget>> {
        self.cached(Self::vault_of(request), |known| known.target.clone())
    }

    fn on_challenge(&self, request: &Request, response: &Response) -> Result<TokenTarget> {
        let vault = Self::vault_of(request);
        let parsed = match response.headers.get("www-authenticate") {
            Some(header) => VaultChallenge::parse(header),
            None => Err(Error::credential("the vault answered 401 without a WWW-Authenticate challenge")),
        };
        let known = self.cached(vault, |known| (known.challenge.clone(), known.target.clone()));
        let target = match (parsed, known) {
            (Ok(fresh), Some((challenge, target))) if fresh == *challenge => target,
            (Ok(fresh), _) => {
                if self.verify_resource {
                    verify_resource(vault.0, &fresh)?;
                }
                let target = Arc::new(self.target_of(&fresh));
                self.remember(vault, Arc::new(fresh), target.clone());
                target
            }
            // A 401 to a token without a usable challenge: keep the vault's known one.
            (Err(_), Some((_, target))) => target,
            (Err(e), None) => return Err(e),
        };
        Ok(TokenTarget::clone(&target))
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
