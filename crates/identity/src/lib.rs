//! Credentials for azkv: every way an application authenticates to Microsoft Entra ID.
//!
//! Each credential implements [`azkv_pipeline::TokenCredential`], sends its HTTP requests
//! through an injectable [`azkv_pipeline::HttpClient`], reads environment variables through an
//! injectable [`Env`], and caches tokens in an [`azkv_pipeline::token_cache::TokenCache`]
//! (refreshed ahead of expiry, one request per key at a time). No credential shows a secret,
//! token or assertion in `Debug`, logs or errors; an Entra ID refusal carries an
//! [`AuthenticationError`] with its AAD code.
//!
//! | credential | for |
//! |---|---|
//! | [`DefaultAzureCredential`] | most applications: a chain of the ones below |
//! | [`EnvironmentCredential`] | a service principal from `AZURE_*` variables |
//! | [`ClientSecretCredential`] | a service principal with a client secret |
//! | [`ClientAssertionCredential`] | a service principal with a federated assertion from a callback (GitHub Actions OIDC) |
//! | [`ClientCertificateCredential`] | a service principal with a certificate (PEM, or PKCS#12 with feature `pkcs12`) |
//! | [`DeviceCodeCredential`] | a user signing in on another device (no browser here) |
//! | [`WorkloadIdentityCredential`] | Kubernetes workload identity federation |
//! | [`ManagedIdentityCredential`] | App Service, Azure Arc, Cloud Shell, Service Fabric, Azure ML, virtual machines (IMDS) |
//! | [`AzureCliCredential`] | a developer signed in with `az login` (optionally for a subscription) |
//! | [`AzureDeveloperCliCredential`] | a developer signed in with `azd auth login` |
//! | [`ChainedTokenCredential`] | your own chain |
//! | [`StaticTokenCredential`] | tests and the local emulator |
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> azkv_pipeline::Result<()> {
//! use std::sync::Arc;
//! use azkv_identity::{ChainedTokenCredential, EnvironmentCredential, MapEnv, CredentialOptions, StaticTokenCredential};
//! use azkv_pipeline::{TokenCredential, TokenRequestOptions};
//!
//! // Environment variables are read through `Env`; here, an empty set.
//! let options = CredentialOptions::default().with_env(Arc::new(MapEnv::default()));
//! let chain = ChainedTokenCredential::new(vec![
//!     Arc::new(EnvironmentCredential::new(Some(options))?),
//!     Arc::new(StaticTokenCredential::new("fallback", time::OffsetDateTime::now_utc() + time::Duration::hours(1))),
//! ])?;
//! let token = chain.get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default()).await?;
//! assert_eq!(token.token.expose(), "fallback");
//! # Ok(()) }
//! ```

mod aad;
mod azd;
mod chain;
mod cli;
mod client_assertion;
mod client_certificate;
mod client_secret;
mod default;
mod device_code;
mod environment;
mod error;
mod expiry;
mod http;
#[cfg(feature = "azure-interop")]
mod interop;
mod managed;
mod options;
mod pkcs12;
mod process;
mod static_token;
mod tenant;
mod variables;
mod workload;

pub use aad::authority_hosts;
pub use azd::{AzureDeveloperCliCredential, AzureDeveloperCliCredentialOptions};
pub use chain::ChainedTokenCredential;
pub use cli::{AzureCliCredential, AzureCliCredentialOptions};
pub use client_assertion::{ClientAssertion, ClientAssertionCredential, ClientAssertionFn};
pub use client_certificate::{ClientCertificateCredential, ClientCertificateCredentialOptions};
pub use client_secret::ClientSecretCredential;
pub use default::{DefaultAzureCredential, DefaultAzureCredentialOptions};
pub use device_code::{
    AZURE_CLI_CLIENT_ID, DEFAULT_DEVICE_CODE_TENANT, DeviceCodeCredential, DeviceCodeCredentialOptions, DeviceCodeInfo,
    DeviceCodePrompt, PromptFuture,
};
pub use environment::EnvironmentCredential;
pub use error::{AuthenticationError, AuthenticationErrorKind};
#[cfg(feature = "azure-interop")]
pub use interop::{AzkvToAzureCore, AzureCoreToAzkv};
pub use managed::{DEFAULT_IMDS_ENDPOINT, ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId};
pub use options::CredentialOptions;
pub use static_token::StaticTokenCredential;
pub use variables::{Env, MapEnv, ProcessEnv, vars};
pub use workload::{ASSERTION_REREAD_AFTER, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions};

/// Pins object safety of the seams this crate adds.
#[allow(dead_code)]
fn _object_safe(_: &dyn Env) {}
