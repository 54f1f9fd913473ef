//! The emulated Microsoft Entra ID (v2 endpoints) and the managed-identity endpoints beside it.
//!
//! - `routes`: which paths are served here, the tenant check, dispatch;
//! - `grants`: the token endpoint's grants (client credentials with a secret or an assertion, device
//!   code, refresh token) and the devicecode endpoint;
//! - `apps`: registered applications; `assertion`: client-assertion checks; `device`: device codes;
//!   `refresh`: refresh tokens; `scopes`: scope to resource;
//! - `metadata`: the OpenID configuration and keys; `managed`: IMDS, Service Fabric and Azure ML;
//! - `controls`: the `/_emulator/` controls for apps and device codes; `api`: the builder and handle methods;
//! - `error`: the service's error JSON.
//!
//! Tokens come from the emulator's one `TokenIssuer`, so strict mode accepts exactly what it issues.

pub(crate) mod api;
pub(crate) mod apps;
pub(crate) mod assertion;
pub(crate) mod controls;
pub(crate) mod device;
pub(crate) mod error;
pub(crate) mod grants;
pub(crate) mod managed;
pub(crate) mod metadata;
pub(crate) mod refresh;
pub(crate) mod routes;
pub(crate) mod scopes;

use std::sync::Mutex;

/// Applications and options given to the builder, applied at start. `Debug` shows no secret.
#[derive(Clone, Default)]
pub(crate) struct EntraConfig {
    pub(crate) secrets: Vec<(String, String)>,
    pub(crate) certificates: Vec<(String, String)>,
    pub(crate) auto_approve: bool,
}

impl std::fmt::Debug for EntraConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntraConfig")
            .field("secret_apps", &self.secrets.iter().map(|(c, _)| c).collect::<Vec<_>>())
            .field("certificate_apps", &self.certificates.iter().map(|(c, _)| c).collect::<Vec<_>>())
            .field("auto_approve", &self.auto_approve)
            .finish()
    }
}

/// The emulated tenant's state: applications, device codes and refresh tokens.
#[derive(Debug, Default)]
pub(crate) struct Entra {
    pub(crate) apps: Mutex<apps::Registry>,
    pub(crate) devices: Mutex<device::DeviceCodes>,
    pub(crate) refresh: Mutex<refresh::RefreshTokens>,
    pub(crate) auto_approve: bool,
}

/// Locks `m`, recovering from a poisoned lock (the state stays consistent: every update is one step).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Entra {
    /// The state for `config`; a bad client id, secret or certificate is an `InvalidOption`.
    pub(crate) fn new(config: &EntraConfig) -> crate::Result<Self> {
        let mut registry = apps::Registry::default();
        for (client_id, secret) in &config.secrets {
            registry
                .add_secret(client_id, secret)
                .map_err(|e| crate::Error::InvalidOption(format!("app {client_id:?}: {e}")))?;
        }
        for (client_id, pem) in &config.certificates {
            registry
                .add_certificate(client_id, pem)
                .map_err(|e| crate::Error::InvalidOption(format!("app certificate {client_id:?}: {e}")))?;
        }
        Ok(Self { apps: Mutex::new(registry), auto_approve: config.auto_approve, ..Self::default() })
    }
}

/// A request to one of these endpoints, with the body read (at most the router's limit).
#[derive(Debug)]
pub(crate) struct EntraRequest<'a> {
    pub(crate) method: &'a http::Method,
    pub(crate) headers: &'a http::HeaderMap,
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: &'a [u8],
    /// `scheme://host:port` as the client addressed the emulator.
    pub(crate) base: String,
}

impl EntraRequest<'_> {
    /// The first non-empty query parameter `name`.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    /// A header's value, if it is text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
