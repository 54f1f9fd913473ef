//! Environment variables: the `Env` seam credentials read them through (injectable, so tests
//! never touch the process environment), and the names of the variables they read.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A source of environment variables.
///
/// Credentials read every variable through this trait; the default is [`ProcessEnv`]. Tests
/// pass a [`MapEnv`] so that they never mutate the process environment (tests run in parallel
/// threads).
pub trait Env: Send + Sync + fmt::Debug {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<String>;

    /// The value of `name` when set and not blank, trimmed.
    fn non_empty(&self, name: &str) -> Option<String> {
        self.var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A fixed set of variables. `Debug` shows the names only, never the values (one may be a
/// client secret).
///
/// ```
/// use azkv_identity::{Env, MapEnv};
/// let env = MapEnv::new([("AZURE_TENANT_ID", "contoso")]);
/// assert_eq!(env.var("AZURE_TENANT_ID").as_deref(), Some("contoso"));
/// assert_eq!(env.var("AZURE_CLIENT_ID"), None);
/// ```
#[derive(Clone, Default)]
pub struct MapEnv(HashMap<String, String>);

impl MapEnv {
    /// Variables from `(name, value)` pairs.
    pub fn new<N: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (N, V)>) -> Self {
        Self(vars.into_iter().map(|(n, v)| (n.into(), v.into())).collect())
    }

    /// Sets `name` to `value`.
    pub fn set(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }
}

impl fmt::Debug for MapEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("MapEnv").field(&names).finish()
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// The environment a credential uses: `env` or, when `None`, the process's.
pub(crate) fn or_process(env: Option<Arc<dyn Env>>) -> Arc<dyn Env> {
    env.unwrap_or_else(|| Arc::new(ProcessEnv))
}

/// Names of the variables credentials read.
pub mod vars {
    /// The tenant (directory) id.
    pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
    /// The application (client) id, or the user-assigned managed identity's client id.
    pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
    /// A client secret.
    pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
    /// The path of a PEM file holding a certificate and its private key.
    pub const AZURE_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
    /// The password of a PKCS#12 certificate (not supported).
    pub const AZURE_CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
    /// Whether to send the certificate chain (`x5c`) with a client assertion.
    pub const AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: &str = "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN";
    /// The authority host, for example `https://login.microsoftonline.com`.
    pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
    /// The file holding a federated token (workload identity).
    pub const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
    /// Which credentials `DefaultAzureCredential` tries: `dev`, `prod` or one credential's name.
    pub const AZURE_TOKEN_CREDENTIALS: &str = "AZURE_TOKEN_CREDENTIALS";
    /// Tenants, separated by `;` (or `*`), that `DefaultAzureCredential`'s sources may follow
    /// when a service asks for a token in a tenant other than their own.
    pub const AZURE_ADDITIONALLY_ALLOWED_TENANTS: &str = "AZURE_ADDITIONALLY_ALLOWED_TENANTS";
    /// Set (to any value) to make every credential use its own tenant, whatever a service asks.
    pub const AZURE_IDENTITY_DISABLE_MULTITENANTAUTH: &str = "AZURE_IDENTITY_DISABLE_MULTITENANTAUTH";
    /// App Service, Azure Arc and Service Fabric managed identity endpoint.
    pub const IDENTITY_ENDPOINT: &str = "IDENTITY_ENDPOINT";
    /// App Service (and Service Fabric) managed identity secret header value.
    pub const IDENTITY_HEADER: &str = "IDENTITY_HEADER";
    /// Service Fabric's server certificate thumbprint.
    pub const IDENTITY_SERVER_THUMBPRINT: &str = "IDENTITY_SERVER_THUMBPRINT";
    /// Azure Arc's IMDS endpoint (its presence marks Arc).
    pub const IMDS_ENDPOINT: &str = "IMDS_ENDPOINT";
    /// Cloud Shell (and Azure ML) managed identity endpoint.
    pub const MSI_ENDPOINT: &str = "MSI_ENDPOINT";
    /// Azure ML's managed identity secret.
    pub const MSI_SECRET: &str = "MSI_SECRET";
    /// Azure ML's default user-assigned identity (client id), used when none is configured.
    pub const DEFAULT_IDENTITY_CLIENT_ID: &str = "DEFAULT_IDENTITY_CLIENT_ID";
    /// The IMDS host (`http://169.254.169.254` by default), as Python's `azure-identity` reads
    /// it; the token path `/metadata/identity/oauth2/token` is appended.
    pub const AZURE_POD_IDENTITY_AUTHORITY_HOST: &str = "AZURE_POD_IDENTITY_AUTHORITY_HOST";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_env_debug_shows_names_not_values() {
        let env = MapEnv::new([("AZURE_CLIENT_SECRET", "canary-secret-value")]);
        let shown = format!("{env:?}");
        assert!(shown.contains("AZURE_CLIENT_SECRET"), "{shown}");
        assert!(!shown.contains("canary"), "{shown}");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let env = MapEnv::new([("A", "  "), ("B", " x ")]);
        assert_eq!(env.non_empty("A"), None);
        assert_eq!(env.non_empty("B").as_deref(), Some("x"));
    }
}
