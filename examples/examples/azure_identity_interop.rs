//! Plugging a credential written for Microsoft's Azure SDK for Rust (an
//! `azure_core::credentials::TokenCredential`) into azkv, through
//! `azkv_identity::AzureCoreToAzkv` (feature `azure-interop` of azkv-identity).
//!
//! Here the `azure_core` credential is a small struct that gets its tokens from the embedded
//! emulator (`EmulatorHandle::issue_token`). An `azure_identity` credential, such as
//! `azure_identity::ManagedIdentityCredential` or `azure_identity::DeveloperToolsCredential`,
//! plugs in the same way: `AzureCoreToAzkv::new(credential)`. The reverse adapter,
//! `AzkvToAzureCore`, hands an azkv credential to `azure_core`-based clients.
//!
//! ```sh
//! cargo run -p examples --example azure_identity_interop --features interop
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use azkv_emulator::EmulatorHandle;
use azkv_identity::AzureCoreToAzkv;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};

/// An `azure_core` credential minting tokens with the emulator's issuer.
#[derive(Debug)]
struct EmulatorIssuer {
    emulator: Arc<EmulatorHandle>,
}

#[async_trait]
impl TokenCredential for EmulatorIssuer {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        println!("  [azure_core credential] token requested for {scopes:?}");
        // The emulator's tokens last one hour.
        let expires_on = time::OffsetDateTime::now_utc() + time::Duration::minutes(59);
        Ok(AccessToken::new(self.emulator.issue_token(), expires_on))
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::report(run().await)
}

async fn run() -> anyhow::Result<()> {
    let emulator = Arc::new(examples::start_emulator().await?);
    println!("Emulator running at {}.", emulator.url());

    let theirs: Arc<dyn TokenCredential> = Arc::new(EmulatorIssuer { emulator: emulator.clone() });
    let ours = Arc::new(AzureCoreToAzkv::new(theirs));
    let client = azkv_secrets::SecretClient::builder(emulator.vault_url(examples::EMULATED_VAULT))
        .credential(ours)
        .transport(examples::emulator_transport(&emulator, examples::EMULATED_VAULT)?)
        .build()?;

    let name = examples::unique_name("interop");
    println!("Setting and getting '{name}' with the azure_core credential ...");
    client.set_secret(&name, "from azure_core", None).await?;
    let secret = client.get_secret(&name).await?;
    println!("  value '{}'", secret.value());
    anyhow::ensure!(secret.value() == "from azure_core");

    drop(client);
    if let Some(emulator) = Arc::into_inner(emulator) {
        emulator.shutdown().await;
    }
    Ok(())
}
