//! Shared set-up for the runnable examples: a client for a real vault when `KEY_VAULT_NAME` or
//! `VAULT_URL` is set, otherwise for an embedded emulator started in-process.

use std::sync::Arc;

use anyhow::Context as _;
use azkv_emulator::{Emulator, EmulatorHandle};
use azkv_identity::{
    CredentialOptions, DefaultAzureCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions, MapEnv,
};
use azkv_pipeline::transport::{TransportOptions, new_reqwest_client};
use azkv_secrets::SecretClient;

/// A vault to run an example against.
#[derive(Debug)]
pub struct Vault {
    /// The client.
    pub client: SecretClient,
    /// A short name to print: the vault's name, or `local emulator`.
    pub name: String,
    /// The embedded emulator, when no real vault was named.
    pub emulator: Option<EmulatorHandle>,
}

impl Vault {
    /// Stops the embedded emulator, if any.
    pub async fn shutdown(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

/// The vault named by `VAULT_URL` or `KEY_VAULT_NAME` with `DefaultAzureCredential`; otherwise
/// an embedded emulator, announced in one line on stderr.
///
/// # Errors
/// When the credential, the client or the emulator cannot be set up.
pub async fn open_vault() -> anyhow::Result<Vault> {
    let named = std::env::var("VAULT_URL").ok().filter(|v| !v.is_empty()).map(|url| (url.clone(), url)).or_else(|| {
        std::env::var("KEY_VAULT_NAME")
            .ok()
            .filter(|v| !v.is_empty())
            .map(|name| (format!("https://{name}.vault.azure.net"), name))
    });
    match named {
        Some((url, name)) => {
            let credential = DefaultAzureCredential::new(None).context("setting up DefaultAzureCredential")?;
            let client = SecretClient::new(&url, Arc::new(credential), None).context("creating the client")?;
            Ok(Vault { client, name, emulator: None })
        }
        None => {
            let (client, emulator) = emulated_vault("quickstart").await?;
            println!(
                "No KEY_VAULT_NAME or VAULT_URL set: running against a local Key Vault emulator at {}.",
                emulator.url()
            );
            Ok(Vault { client, name: "local emulator".into(), emulator: Some(emulator) })
        }
    }
}

/// Starts an emulator (HTTPS with a per-run CA, strict tokens) and a client for its vault
/// `name`, the way a real deployment is reached: `https://{name}.vault.azure.net` resolved to
/// the emulator, the CA trusted, tokens from its managed-identity endpoint, and challenge
/// resource verification on.
///
/// # Errors
/// When the emulator or the client cannot start.
pub async fn emulated_vault(name: &str) -> anyhow::Result<(SecretClient, EmulatorHandle)> {
    let emulator = Emulator::builder().start().await.context("starting the emulator")?;
    let ca = emulator.ca_pem().context("the emulator runs without TLS")?.as_bytes().to_vec();
    let transport_options = TransportOptions::default()
        .with_root_certificate_pem(ca)
        .with_resolve(format!("{name}.vault.azure.net"), emulator.addr());
    let transport = Arc::new(new_reqwest_client(&transport_options)?);
    let env = MapEnv::new([
        ("IDENTITY_ENDPOINT", emulator.token_endpoint()),
        ("IDENTITY_HEADER", emulator.identity_header().to_owned()),
    ]);
    let credential = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
        credential: CredentialOptions::default().with_transport(transport.clone()).with_env(Arc::new(env)),
        ..Default::default()
    }))?;
    let client = SecretClient::builder(emulator.vault_url(name))
        .credential(Arc::new(credential))
        .transport(transport)
        .build()
        .context("creating the client")?;
    Ok((client, emulator))
}
