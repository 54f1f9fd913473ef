#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
