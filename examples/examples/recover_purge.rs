//! Soft delete: recover a deleted secret, and purge another for good.
//!
//! In a vault with soft delete (the default), a deleted secret keeps its name for the
//! retention period. It can be recovered, with every version, or purged at once.
//!
//! ```sh
//! cargo run -p examples --example recover_purge
//! KEY_VAULT_NAME=myvault cargo run -p examples --example recover_purge  # needs purge permission
//! ```

use std::time::Duration;

use azkv_secrets::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::run_example(run).await
}

async fn run(vault: &examples::Vault) -> anyhow::Result<()> {
    let client = &vault.client;
    let bank = examples::unique_name("bank-account");
    let storage = examples::unique_name("storage-key");

    println!("Setting '{bank}' and '{storage}' ...");
    client.set_secret(&bank, "account-password", None).await?;
    client.set_secret(&storage, "storage-password", None).await?;

    println!("Deleting both ...");
    for name in [&bank, &storage] {
        let deleted = client.begin_delete_secret(name).await?.await?;
        println!(
            "  '{}' recoverable at {}",
            deleted.name(),
            deleted.recovery_id.as_deref().unwrap_or("(not recoverable)")
        );
    }

    // Setting a deleted-but-recoverable name is refused until it is recovered or purged.
    match client.set_secret(&bank, "new", None).await {
        Err(e @ Error::Conflict(_)) => println!("  setting '{bank}' now: {e}"),
        other => anyhow::bail!("expected a conflict, got {other:?}"),
    }

    println!("Recovering '{bank}' ...");
    let recovered = client.begin_recover_deleted_secret(&bank).await?.await?;
    let secret = client.get_secret(&recovered.name).await?;
    println!("  recovered, value '{}'", secret.value());

    println!("Purging '{storage}' ...");
    client.purge_deleted_secret(&storage).await?;
    // A real vault purges in the background; the emulator at once.
    let mut tries = 0;
    while client.get_deleted_secret(&storage).await.is_ok() {
        tries += 1;
        anyhow::ensure!(tries < 15, "'{storage}' is still in the deleted list");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    match client.get_secret(&storage).await {
        Err(Error::NotFound(_)) => println!("  purged: it can no longer be read or recovered"),
        other => anyhow::bail!("expected not found, got {other:?}"),
    }

    client.begin_delete_secret(&bank).await?.await?;
    Ok(())
}
