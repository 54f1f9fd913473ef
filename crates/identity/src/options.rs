//! Options every credential shares.

use std::sync::Arc;

use azkv_pipeline::HttpClient;
use azkv_pipeline::time::TimeComponents;

use crate::variables::Env;

/// Settings shared by every credential.
///
/// Defaults: the default transport, the authority host from `AZURE_AUTHORITY_HOST` or the
/// public cloud, the process environment, the system clock.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CredentialOptions {
    /// The transport for token requests; `None` for
    /// `azkv_pipeline::transport::default_transport(&TransportOptions::default())`.
    pub transport: Option<Arc<dyn HttpClient>>,
    /// The Microsoft Entra authority host, for example [`crate::authority_hosts::AZURE_CHINA`];
    /// `None` for `AZURE_AUTHORITY_HOST` or [`crate::authority_hosts::AZURE_PUBLIC_CLOUD`].
    /// Must be `https` (or `http` to a loopback host).
    pub authority_host: Option<String>,
    /// Where environment variables are read; `None` for the process environment.
    pub env: Option<Arc<dyn Env>>,
    /// The clock for expiry and refresh, and the sleep between retries.
    pub time: TimeComponents,
    /// Tenants besides its own that the credential may get tokens for when a service (a Key
    /// Vault challenge) asks; `"*"` allows any. Empty by default: another tenant is refused.
    pub additionally_allowed_tenants: Vec<String>,
}

impl CredentialOptions {
    /// These options with `transport`.
    pub fn with_transport(mut self, transport: Arc<dyn HttpClient>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// These options with `authority_host`.
    pub fn with_authority_host(mut self, authority_host: impl Into<String>) -> Self {
        self.authority_host = Some(authority_host.into());
        self
    }

    /// These options reading variables from `env`.
    pub fn with_env(mut self, env: Arc<dyn Env>) -> Self {
        self.env = Some(env);
        self
    }

    /// These options allowing `tenants` (or `"*"`) besides the credential's own.
    pub fn with_additionally_allowed_tenants(mut self, tenants: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.additionally_allowed_tenants = tenants.into_iter().map(Into::into).collect();
        self
    }

    pub(crate) fn tenant_policy(&self) -> crate::tenant::TenantPolicy {
        crate::tenant::TenantPolicy::new(&self.additionally_allowed_tenants, self.env().as_ref())
    }

    /// These options with an injected clock and sleep.
    pub fn with_time(mut self, time: TimeComponents) -> Self {
        self.time = time;
        self
    }

    pub(crate) fn env(&self) -> Arc<dyn Env> {
        crate::variables::or_process(self.env.clone())
    }

    pub(crate) fn aad_client(&self) -> azkv_pipeline::Result<crate::aad::AadClient> {
        let env = self.env();
        Ok(crate::aad::AadClient {
            http: crate::http::transport_or_default(self.transport.clone())?,
            authority: crate::aad::authority_host(self.authority_host.as_deref(), env.as_ref())?,
            time: self.time.clone(),
        })
    }
}

/// The `with_*` setters of an options struct, one line each: the doc comment, then
/// `fn with_x(x: Type) => field = value;`. Each setter takes the options by value and returns them
/// with the field set.
macro_rules! setters {
    ($options:ty { $($(#[$attr:meta])* fn $setter:ident($arg:ident: $arg_ty:ty) => $field:ident = $value:expr;)* }) => {
        impl $options {
            $(
                $(#[$attr])*
                pub fn $setter(mut self, $arg: $arg_ty) -> Self {
                    self.$field = $value;
                    self
                }
            )*
        }
    };
}
pub(crate) use setters;
