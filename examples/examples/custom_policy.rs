//! Adding your own pipeline policies: a per-call policy implementing `azkv_pipeline::Policy`
//! that stamps a header and counts operations, and a per-try `FnPolicy` that counts HTTP
//! attempts and checks the header is there.
//!
//! Per-call policies run once per operation; per-try policies run for every request sent,
//! after authentication, so they also see the first request's challenge round trip.
//!
//! ```sh
//! cargo run -p examples --example custom_policy --features test-util
//! KEY_VAULT_NAME=myvault cargo run -p examples --example custom_policy --features test-util
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use azkv_pipeline::test_util::FnPolicy;
use azkv_pipeline::{Context, Policy, Request, Response, Result};

/// Stamps `x-app-operation: {n}` on each operation and counts them.
#[derive(Debug, Default)]
struct OperationCounter {
    calls: AtomicUsize,
}

#[async_trait]
impl Policy for OperationCounter {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        request.headers.insert("x-app-operation", n.to_string());
        let response = azkv_pipeline::policies::next(ctx, request, next).await?;
        println!("  operation {n} ({}): {}", ctx.operation().unwrap_or("?"), response.status);
        Ok(response)
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::report(run().await)
}

async fn run() -> anyhow::Result<()> {
    let operations = Arc::new(OperationCounter::default());
    let attempts = Arc::new(AtomicUsize::new(0));
    let per_try = {
        let attempts = attempts.clone();
        FnPolicy::new(move |request| {
            assert!(request.headers.contains("x-app-operation"), "the per-call policy ran first");
            attempts.fetch_add(1, Ordering::SeqCst);
        })
    };
    let vault = examples::open_vault_with(|builder, _| {
        Ok(builder.per_call_policy(operations.clone()).per_try_policy(Arc::new(per_try)))
    })
    .await?;
    let client = &vault.client;
    let name = examples::unique_name("custom-policy");

    println!("Setting, getting and deleting '{name}' ...");
    client.set_secret(&name, "value", None).await?;
    client.get_secret(&name).await?;
    let poller = client.begin_delete_secret(&name).await?;
    poller.await?;

    let (calls, tries) = (operations.calls.load(Ordering::SeqCst), attempts.load(Ordering::SeqCst));
    println!("{calls} operations (the poller's status checks included), {tries} HTTP requests.");
    anyhow::ensure!(tries > calls, "the first operation's challenge round trip should be seen per try");
    vault.shutdown().await;
    Ok(())
}
