//! Back up a secret, delete and purge it, then restore it from the backup.
//!
//! A backup is an opaque, protected blob holding every version of the secret. It can be
//! restored only into a vault of the same subscription and geography, and only while no
//! secret of that name exists, deleted or not.
//!
//! ```sh
//! cargo run -p examples --example backup_restore
//! KEY_VAULT_NAME=myvault cargo run -p examples --example backup_restore  # needs purge permission
//! ```

use std::time::Duration;

use azkv_secrets::Error;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::run_example(run).await
}

async fn run(vault: &examples::Vault) -> anyhow::Result<()> {
    let client = &vault.client;
    let name = examples::unique_name("backup");

    println!("Setting secret '{name}' (two versions) ...");
    client.set_secret(&name, "first", None).await?;
    client.set_secret(&name, "second", None).await?;

    println!("Backing it up ...");
    let backup = client.backup_secret(&name).await?;
    println!("  backup blob: {} bytes", backup.len());

    println!("Deleting and purging it ...");
    client.begin_delete_secret(&name).await?.await?;
    client.purge_deleted_secret(&name).await?;

    // A real vault finishes a purge in the background: until then, restoring answers 409.
    println!("Restoring it from the backup ...");
    let mut attempt = 0;
    let restored = loop {
        match client.restore_secret_backup(&backup).await {
            Err(Error::Conflict(_)) if attempt < 15 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            other => break other?,
        }
    };
    println!("  restored '{}', version {}", restored.name, restored.version.as_deref().unwrap_or("?"));

    let secret = client.get_secret(&name).await?;
    anyhow::ensure!(secret.value() == "second", "the restored secret has a different value");
    let versions = client.list_properties_of_secret_versions(&name, None);
    let count = futures::TryStreamExt::try_collect::<Vec<_>>(versions).await?.len();
    println!("  value '{}', {count} versions", secret.value());
    anyhow::ensure!(count == 2, "expected both versions back");

    client.begin_delete_secret(&name).await?.await?;
    Ok(())
}
