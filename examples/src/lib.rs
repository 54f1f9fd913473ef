//! Shared set-up for the runnable examples: a client for a real vault when `KEY_VAULT_NAME` or
//! `VAULT_URL` is set, otherwise for an embedded emulator started in-process.
//!
//! The emulator is reached the way a real deployment is, through `azkv_secrets::emulator` (the
//! `emulator` feature): over HTTPS with the emulator's CA, `https://{name}.vault.azure.net`
//! resolved to the emulator's loopback address, strict token checking with tokens the emulator
//! issued, and challenge resource verification on.

use std::sync::Arc;

use anyhow::Context as _;
use azkv_emulator::{Emulator, EmulatorHandle};
use azkv_identity::DefaultAzureCredential;
use azkv_pipeline::HttpClient;
use azkv_secrets::{SecretClient, SecretClientBuilder};

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
    /// Whether this is the embedded emulator (a fresh, empty vault) rather than a real one.
    pub fn is_emulated(&self) -> bool {
        self.emulator.is_some()
    }

    /// Stops the embedded emulator, if any.
    pub async fn shutdown(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

/// The vault named in the environment: `(url, short name)` from `VAULT_URL`, else from
/// `KEY_VAULT_NAME` (`https://{name}.vault.azure.net`); `None` when neither is set.
pub fn vault_from_env() -> Option<(String, String)> {
    let non_empty = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
    non_empty("VAULT_URL")
        .map(|url| (url.clone(), url))
        .or_else(|| non_empty("KEY_VAULT_NAME").map(|name| (format!("https://{name}.vault.azure.net"), name)))
}

/// The name of the vault the embedded emulator serves to the examples:
/// `https://myvault.vault.azure.net:PORT`.
pub const EMULATED_VAULT: &str = "myvault";

/// The vault named by `VAULT_URL` or `KEY_VAULT_NAME` with `DefaultAzureCredential`; otherwise
/// an embedded emulator, announced in one line on stdout.
///
/// # Errors
/// When the credential, the client or the emulator cannot be set up.
pub async fn open_vault() -> anyhow::Result<Vault> {
    open_vault_with(|builder, _| Ok(builder)).await
}

/// As [`open_vault`], letting `customize` change the client builder before it builds: add
/// policies, logging options or another credential. It gets the embedded emulator, if any.
///
/// # Errors
/// When the credential, the client or the emulator cannot be set up, or `customize` fails.
pub async fn open_vault_with(
    customize: impl FnOnce(SecretClientBuilder, Option<&EmulatorHandle>) -> anyhow::Result<SecretClientBuilder>,
) -> anyhow::Result<Vault> {
    match vault_from_env() {
        Some((url, name)) => {
            let credential = DefaultAzureCredential::new(None).context("setting up DefaultAzureCredential")?;
            let builder = SecretClient::builder(url).credential(Arc::new(credential));
            let client = customize(builder, None)?.build().context("creating the client")?;
            Ok(Vault { client, name, emulator: None })
        }
        None => {
            let emulator = start_emulator().await?;
            let builder = emulated_client_builder(&emulator, EMULATED_VAULT)?;
            let client = customize(builder, Some(&emulator))?.build().context("creating the client")?;
            println!(
                "No KEY_VAULT_NAME or VAULT_URL set: running against a local Key Vault emulator at {}.",
                emulator.url()
            );
            Ok(Vault { client, name: "local emulator".into(), emulator: Some(emulator) })
        }
    }
}

/// Starts an emulator (HTTPS with its own CA, strict tokens) and a client for its vault `name`:
/// `azkv_secrets::emulator::emulated_client_with` with the default emulator.
///
/// # Errors
/// When the emulator or the client cannot start.
pub async fn emulated_vault(name: &str) -> anyhow::Result<(SecretClient, EmulatorHandle)> {
    azkv_secrets::emulator::emulated_client_with(Emulator::builder(), name)
        .await
        .map_err(|e| anyhow::anyhow!(e).context("starting the emulator and its client"))
}

/// Starts an emulator with the defaults: HTTPS with its own CA, strict tokens, in memory.
///
/// # Errors
/// When it cannot bind or generate its certificates.
pub async fn start_emulator() -> anyhow::Result<EmulatorHandle> {
    Emulator::builder().start().await.context("starting the emulator")
}

/// A client builder for the emulator's vault `name`, with the emulator's transport and credential set
/// (`azkv_secrets::emulator::client_builder`): add policies, logging or options, then `build()`.
///
/// # Errors
/// When the transport cannot be built.
pub fn emulated_client_builder(emulator: &EmulatorHandle, name: &str) -> anyhow::Result<SecretClientBuilder> {
    azkv_secrets::emulator::client_builder(emulator, name).map_err(|e| anyhow::anyhow!(e))
}

/// A reqwest transport that ignores proxy variables, trusts the emulator's CA and resolves
/// `{name}.vault.azure.net` to the emulator (`azkv_secrets::emulator::transport`).
///
/// # Errors
/// When the emulator runs without TLS, or the client cannot be built.
pub fn emulator_transport(emulator: &EmulatorHandle, name: &str) -> anyhow::Result<Arc<dyn HttpClient>> {
    azkv_secrets::emulator::transport(emulator, name).map_err(|e| anyhow::anyhow!(e))
}

/// Runs an example's `body` against [`open_vault`]'s vault, stops the embedded emulator once the
/// body succeeds, and ends as [`report`] does.
pub async fn run_example(body: impl AsyncFnOnce(&Vault) -> anyhow::Result<()>) -> std::process::ExitCode {
    report(
        async {
            let vault = open_vault().await?;
            body(&vault).await?;
            vault.shutdown().await;
            Ok(())
        }
        .await,
    )
}

/// Ends an example: `error: ...` in one line on stderr (the causes joined with `: `) and a
/// non-zero exit code on failure.
pub fn report(outcome: anyhow::Result<()>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A name no earlier run used, `{prefix}-{hex}`, so that examples can be re-run against a real
/// vault whose soft-deleted secrets keep their names for the retention period.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}-{:x}", nanos & 0xff_ffff_ffff)
}
