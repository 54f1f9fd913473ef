//! Many operations at once on one client: 50 sets with `futures::future::join_all`, then 50
//! gets on tokio tasks, each holding a clone of the client (clones share one pipeline, one
//! connection pool and one token cache).
//!
//! ```sh
//! cargo run -p examples --example concurrent
//! KEY_VAULT_NAME=myvault cargo run -p examples --example concurrent
//! ```

use std::time::Instant;

use futures::future::join_all;

const COUNT: usize = 50;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::run_example(run).await
}

async fn run(vault: &examples::Vault) -> anyhow::Result<()> {
    let client = &vault.client;
    let prefix = examples::unique_name("concurrent");
    let names: Vec<String> = (0..COUNT).map(|i| format!("{prefix}-{i}")).collect();

    // Futures polled together on this task.
    let started = Instant::now();
    let sets = join_all(names.iter().map(|name| client.set_secret(name, name, None))).await;
    let ok = sets.iter().filter(|r| r.is_ok()).count();
    println!("set: {ok}/{COUNT} succeeded in {:?}", started.elapsed());
    if let Some(Err(e)) = sets.into_iter().find(Result::is_err) {
        return Err(e.into());
    }

    // Tasks spread over the runtime's worker threads.
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for name in names.clone() {
        let client = client.clone();
        tasks.spawn(async move {
            let secret = client.get_secret(&name).await?;
            anyhow::ensure!(secret.value() == name, "'{name}' has the wrong value");
            Ok(())
        });
    }
    let results = tasks.join_all().await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    println!("get: {ok}/{COUNT} succeeded in {:?}", started.elapsed());
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;

    let started = Instant::now();
    let deletes = join_all(names.iter().map(|name| async move { client.begin_delete_secret(name).await?.await })).await;
    let ok = deletes.iter().filter(|r| r.is_ok()).count();
    println!("delete: {ok}/{COUNT} succeeded in {:?}", started.elapsed());
    anyhow::ensure!(ok == COUNT, "some deletes failed");

    Ok(())
}
