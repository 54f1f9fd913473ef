//! Listing: secrets, the versions of one secret, deleted secrets, and paging by hand with a
//! continuation token.
//!
//! ```sh
//! cargo run -p examples --example list_operations
//! KEY_VAULT_NAME=myvault cargo run -p examples --example list_operations
//! ```

use azkv_secrets::ListOptions;
use futures::{StreamExt, TryStreamExt};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::run_example(run).await
}

async fn run(vault: &examples::Vault) -> anyhow::Result<()> {
    let client = &vault.client;
    let prefix = examples::unique_name("list");
    let names: Vec<String> = (0..7).map(|i| format!("{prefix}-{i}")).collect();

    println!("Setting {} secrets, and two more versions of the first ...", names.len());
    for name in &names {
        client.set_secret(name, "v1", None).await?;
    }
    client.set_secret(&names[0], "v2", None).await?;
    client.set_secret(&names[0], "v3", None).await?;

    // A `Pager` is a `Stream` of items; pages are fetched as it is polled. Values are never listed.
    let mine: Vec<String> = client
        .list_properties_of_secrets(None)
        .map_ok(|p| p.name)
        .try_filter(|n| futures::future::ready(n.starts_with(&prefix)))
        .try_collect()
        .await?;
    println!("Listed {} of our secrets: {}", mine.len(), mine.join(", "));
    anyhow::ensure!(mine.len() == names.len(), "expected {} secrets", names.len());

    let versions: Vec<_> = client.list_properties_of_secret_versions(&names[0], None).try_collect().await?;
    println!("'{}' has {} versions:", names[0], versions.len());
    for v in &versions {
        println!("  {} created {:?}", v.version.as_deref().unwrap_or("?"), v.created_on);
    }
    anyhow::ensure!(versions.len() == 3, "expected 3 versions");

    // Pages instead of items: each page carries the token to resume after it, which can be
    // stored and used later, by another process.
    let options = ListOptions::default().with_max_page_size(3);
    let mut pages = client.list_properties_of_secrets(Some(options)).into_pages().boxed();
    let first = pages.try_next().await?.expect("at least one page");
    println!("First page: {} items; continuation token: {}", first.items.len(), first.continuation_token.is_some());
    drop(pages);
    if let Some(token) = first.continuation_token {
        let resumed = ListOptions::default().with_continuation_token(token);
        let rest: Vec<_> = client.list_properties_of_secrets(Some(resumed)).try_collect().await?;
        println!("Resumed from the token: {} more items", rest.len());
        if vault.is_emulated() {
            anyhow::ensure!(first.items.len() + rest.len() == names.len(), "paging lost or repeated items");
        }
    }

    println!("Deleting two secrets ...");
    for name in &names[..2] {
        client.begin_delete_secret(name).await?.await?;
    }
    let deleted: Vec<String> = client
        .list_deleted_secrets(None)
        .map_ok(|d| d.name().to_owned())
        .try_filter(|n| futures::future::ready(n.starts_with(&prefix)))
        .try_collect()
        .await?;
    println!("Deleted secrets of ours: {}", deleted.join(", "));
    anyhow::ensure!(deleted.len() == 2, "expected 2 deleted secrets");

    println!("Cleaning up ...");
    for name in &names[2..] {
        client.begin_delete_secret(name).await?.await?;
    }
    Ok(())
}
