//! The credential `--auth` picks, sending its token requests through the CLI's transport (so a
//! token endpoint served with the emulator's CA is trusted as the vault is).

use std::sync::Arc;

use azkv_identity::{
    AzureCliCredential, AzureDeveloperCliCredential, CredentialOptions, DefaultAzureCredential,
    DefaultAzureCredentialOptions, DeviceCodeCredential, DeviceCodeCredentialOptions, EnvironmentCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use azkv_pipeline::{HttpClient, TokenCredential};

use crate::args::Auth;
use crate::error::{CliError, Result};

/// The credential for `auth`.
pub(crate) fn credential(auth: Auth, transport: Arc<dyn HttpClient>) -> Result<Arc<dyn TokenCredential>> {
    let common = CredentialOptions::default().with_transport(transport);
    let built: azkv_pipeline::Result<Arc<dyn TokenCredential>> = match auth {
        Auth::Default => DefaultAzureCredential::new(Some({
            let mut o = DefaultAzureCredentialOptions::default();
            o.credential = common;
            o
        }))
        .map(|c| Arc::new(c) as _),
        Auth::Cli => AzureCliCredential::new(None).map(|c| Arc::new(c) as _),
        Auth::Azd => AzureDeveloperCliCredential::new(None).map(|c| Arc::new(c) as _),
        Auth::ManagedIdentity => ManagedIdentityCredential::new(Some({
            let mut o = ManagedIdentityCredentialOptions::default();
            o.credential = common;
            o
        }))
        .map(|c| Arc::new(c) as _),
        Auth::Environment => EnvironmentCredential::new(Some(common)).map(|c| Arc::new(c) as _),
        Auth::WorkloadIdentity => WorkloadIdentityCredential::new(Some({
            let mut o = WorkloadIdentityCredentialOptions::default();
            o.credential = common;
            o
        }))
        .map(|c| Arc::new(c) as _),
        Auth::DeviceCode => {
            DeviceCodeCredential::new(Some(DeviceCodeCredentialOptions::default().with_credential(common)))
                .map(|c| Arc::new(c) as _)
        }
    };
    built.map_err(|error| CliError::setup("--auth", error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_auth_choice_builds_without_sending_anything() {
        let transport = azkv_pipeline::transport::default_transport(&Default::default()).unwrap();
        for auth in Auth::value_variants() {
            let credential = credential(*auth, transport.clone());
            assert!(credential.is_ok(), "{auth:?}: {:?}", credential.err());
        }
    }
}
