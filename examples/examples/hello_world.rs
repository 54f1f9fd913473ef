//! Create, get, update and delete a secret: the basic operations of `SecretClient`.
//!
//! ```sh
//! cargo run -p examples --example hello_world                        # against an embedded emulator
//! KEY_VAULT_NAME=myvault cargo run -p examples --example hello_world  # against a real vault
//! ```

use azkv_secrets::{SetSecretOptions, UpdateSecretProperties};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::run_example(run).await
}

async fn run(vault: &examples::Vault) -> anyhow::Result<()> {
    let client = &vault.client;
    let name = examples::unique_name("hello-world");

    // A new name creates the secret; an existing one gets a new version.
    println!("Setting secret '{name}' ...");
    let options = SetSecretOptions::default().with_content_type("text/plain").with_tag("env", "example");
    let secret = client.set_secret(&name, "hello, world", Some(options)).await?;
    println!("  version {}", secret.properties.version.as_deref().unwrap_or("?"));

    println!("Getting it back ...");
    let secret = client.get_secret(&name).await?;
    println!("  value '{}', content type {:?}", secret.value(), secret.properties.content_type);
    anyhow::ensure!(secret.value() == "hello, world", "read back a different value");

    // Properties change without a new version; the value cannot be changed this way.
    println!("Updating its properties: content type and expiry ...");
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(365);
    let changes = UpdateSecretProperties::default()
        .with_content_type("text/x-greeting")
        .with_expires_on(expires.replace_nanosecond(0)?);
    let properties = client.update_secret_properties(&name, None, changes).await?;
    println!("  content type {:?}, expires {:?}", properties.content_type, properties.expires_on);
    anyhow::ensure!(properties.content_type.as_deref() == Some("text/x-greeting"));

    // Deleting is a long-running operation: the poller has the deleted secret at once, and
    // awaiting it waits until the deletion is visible.
    println!("Deleting it ...");
    let poller = client.begin_delete_secret(&name).await?;
    let deleted = poller.await?;
    println!("  deleted on {:?}, purged after {:?}", deleted.deleted_on, deleted.scheduled_purge_date);

    Ok(())
}
