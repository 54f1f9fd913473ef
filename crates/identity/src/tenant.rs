//! Which tenant a token request goes to, when a service (a Key Vault challenge) names one.

use azkv_pipeline::{Error, Result, TokenRequestOptions};

use crate::variables::{Env, vars};

/// The tenants a credential may follow besides its own, and whether it may follow any.
///
/// As in Python's `azure-identity`: a request for the credential's own tenant, or naming
/// none, uses the credential's tenant; a credential configured without a tenant (the CLIs)
/// follows the request; another tenant is followed only when it is in
/// `additionally_allowed_tenants` or that list holds `"*"`, and is otherwise refused before any
/// token is requested. With `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH` set (to any value, as
/// Python reads it), the credential's own tenant is always used.
#[derive(Debug, Clone, Default)]
pub(crate) struct TenantPolicy {
    allowed: Vec<String>,
    disabled: bool,
}

impl TenantPolicy {
    /// The policy for `allowed`, with the disable switch read from `env`.
    pub(crate) fn new(allowed: &[String], env: &dyn Env) -> Self {
        Self {
            allowed: allowed.to_vec(),
            disabled: env.non_empty(vars::AZURE_IDENTITY_DISABLE_MULTITENANTAUTH).is_some(),
        }
    }

    /// The tenant to ask for: `own` (the configured tenant) or `requested`.
    ///
    /// # Errors
    /// [`Error::Credential`] naming both tenants when `requested` is another tenant that is not
    /// allowed.
    pub(crate) fn resolve<'a>(
        &self,
        credential: &str,
        own: Option<&'a str>,
        requested: Option<&'a str>,
    ) -> Result<Option<&'a str>> {
        let Some(requested) = requested else { return Ok(own) };
        match own {
            Some(own) if own.eq_ignore_ascii_case(requested) => Ok(Some(own)),
            Some(own) if self.disabled => {
                tracing::info!(
                    credential,
                    configured = own,
                    requested,
                    "multitenant authentication is disabled; using the configured tenant"
                );
                Ok(Some(own))
            }
            None => Ok(Some(requested)),
            Some(_) if self.allowed.iter().any(|t| t == "*" || t.eq_ignore_ascii_case(requested)) => {
                Ok(Some(requested))
            }
            Some(own) => Err(Error::credential(format!(
                "{credential} is configured for tenant `{own}` and may not get a token for tenant `{requested}`, \
                 which the service asked for: add `{requested}` to additionally_allowed_tenants \
                 (AZURE_ADDITIONALLY_ALLOWED_TENANTS for DefaultAzureCredential), or \"*\" for any tenant"
            ))),
        }
    }
}

impl TenantPolicy {
    /// `options` with the tenant [`TenantPolicy::resolve`] picks for a credential configured
    /// for `own`.
    ///
    /// # Errors
    /// As [`TenantPolicy::resolve`].
    pub(crate) fn apply(
        &self,
        credential: &str,
        own: &str,
        options: &TokenRequestOptions,
    ) -> Result<TokenRequestOptions> {
        let tenant = self.resolve(credential, Some(own), options.tenant_id.as_deref())?.map(str::to_owned);
        let mut options = options.clone();
        options.tenant_id = tenant;
        Ok(options)
    }
}

impl TenantPolicy {
    /// The cache key of a developer-tool credential (the CLIs), which sends a tenant and
    /// nothing else: the resolved tenant, checked, and the refresh signal.
    ///
    /// # Errors
    /// As [`TenantPolicy::resolve`]; [`Error::InvalidArgument`] for a tenant id with
    /// characters a tenant id cannot have.
    pub(crate) fn tool_key(
        &self,
        credential: &str,
        own: Option<&str>,
        options: &TokenRequestOptions,
    ) -> Result<TokenRequestOptions> {
        let mut key = TokenRequestOptions::default();
        if let Some(tenant) = self.resolve(credential, own, options.tenant_id.as_deref())? {
            crate::aad::validate_tenant_id(tenant)?;
            key.tenant_id = Some(tenant.to_owned());
        }
        key.refresh = options.refresh;
        Ok(key)
    }
}

/// The tenants listed in `AZURE_ADDITIONALLY_ALLOWED_TENANTS` (separated by `;`).
pub(crate) fn allowed_from_env(env: &dyn Env) -> Vec<String> {
    env.non_empty(vars::AZURE_ADDITIONALLY_ALLOWED_TENANTS)
        .map(|v| v.split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MapEnv;

    #[test]
    fn tenants_are_followed_only_when_allowed() {
        let none = MapEnv::default();
        let strict = TenantPolicy::new(&[], &none);
        assert_eq!(strict.resolve("C", Some("home"), None).unwrap(), Some("home"));
        assert_eq!(strict.resolve("C", Some("home"), Some("HOME")).unwrap(), Some("home"));
        assert_eq!(strict.resolve("C", None, Some("other")).unwrap(), Some("other"), "no tenant configured: follow");
        let err = strict.resolve("ClientSecretCredential", Some("home"), Some("other")).unwrap_err().to_string();
        assert!(
            err.contains("`home`") && err.contains("`other`") && err.contains("additionally_allowed_tenants"),
            "{err}"
        );
        let listed = TenantPolicy::new(&["other".into()], &none);
        assert_eq!(listed.resolve("C", Some("home"), Some("other")).unwrap(), Some("other"));
        assert!(listed.resolve("C", Some("home"), Some("third")).is_err());
        let any = TenantPolicy::new(&["*".into()], &none);
        assert_eq!(any.resolve("C", Some("home"), Some("third")).unwrap(), Some("third"));
        let disabled =
            TenantPolicy::new(&["*".into()], &MapEnv::new([(vars::AZURE_IDENTITY_DISABLE_MULTITENANTAUTH, "true")]));
        assert_eq!(disabled.resolve("C", Some("home"), Some("other")).unwrap(), Some("home"));
    }

    #[test]
    fn the_allowed_list_from_the_environment() {
        let env = MapEnv::new([(vars::AZURE_ADDITIONALLY_ALLOWED_TENANTS, "a; b;;*")]);
        assert_eq!(allowed_from_env(&env), ["a", "b", "*"]);
        assert!(allowed_from_env(&MapEnv::default()).is_empty());
    }
}
