//! Reading secrets on every request through `azkv_cache::SecretCache`: thousands of reads, a
//! burst of concurrent readers of a cold name, write-through and invalidation, and the
//! counters; against the embedded emulator it also prints how many requests the vault served.
//!
//! ```sh
//! cargo run -p examples --example cached_reads --features cache
//! KEY_VAULT_NAME=myvault cargo run -p examples --example cached_reads --features cache
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use azkv_cache::{CacheOptions, SecretCache};

const READS: usize = 10_000;
const READERS: usize = 64;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::report(run().await)
}

async fn run() -> anyhow::Result<()> {
    let vault = examples::open_vault().await?;
    let served = || vault.emulator.as_ref().map(|e| e.requests_served());
    let name = examples::unique_name("cached-reads");
    vault.client.set_secret(&name, "first value", None).await?;

    // The cache wraps anything implementing `SecretClientApi`; here the async client.
    let options = CacheOptions::default()
        .with_ttl(Duration::from_secs(5 * 60))
        .with_max_stale(Duration::from_secs(60 * 60))
        .with_capacity(100);
    let cache = SecretCache::new(Arc::new(vault.client.clone()), options)?;

    let before = served();
    let started = Instant::now();
    for _ in 0..READS {
        let secret = cache.get(&name).await?;
        anyhow::ensure!(secret.value() == "first value", "read a different value");
    }
    println!("{READS} reads in {:?}", started.elapsed());
    let requests = report("after the reads", &cache, before, served());
    anyhow::ensure!(requests.is_none_or(|n| n == 1), "{READS} reads took {requests:?} requests");

    // A burst of readers of a name the cache has not seen: one request for all of them.
    let burst = examples::unique_name("cached-burst");
    vault.client.set_secret(&burst, "burst value", None).await?;
    let before = served();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..READERS {
        let cache = cache.clone();
        let burst = burst.clone();
        tasks.spawn(async move { cache.get(&burst).await.map(|s| s.value() == "burst value") });
    }
    let all_ok = tasks.join_all().await.into_iter().collect::<Result<Vec<bool>, _>>()?.into_iter().all(|ok| ok);
    anyhow::ensure!(all_ok, "a reader of the burst read a different value");
    let requests = report(&format!("after {READERS} concurrent cold reads"), &cache, before, served());
    anyhow::ensure!(requests.is_none_or(|n| n == 1), "{READERS} cold readers took {requests:?} requests");

    // Writes through the cache drop the cached entry; the next read fetches the new value.
    cache.set(&name, "second value", None).await?;
    anyhow::ensure!(cache.get(&name).await?.value() == "second value", "the write was not seen");
    println!("after set: the next read fetched the new value");

    // Errors are typed and carry no value.
    match cache.get("no-such-secret").await {
        Err(e) if e.is_not_found() => println!("a missing secret: {e}"),
        other => anyhow::bail!("expected NotFound, got {other:?}"),
    }

    for n in [&name, &burst] {
        cache.delete(n).await?.await?;
    }
    anyhow::ensure!(cache.get(&name).await.is_err_and(|e| e.is_not_found()), "deleted but still served");
    println!("{:?}", cache.stats());
    vault.shutdown().await;
    Ok(())
}

/// Prints the counters and, against the emulator, the requests it served since `before`.
fn report(when: &str, cache: &SecretCache, before: Option<u64>, after: Option<u64>) -> Option<u64> {
    let stats = cache.stats();
    print!("{when}: {} hits, {} misses, {} fetches", stats.hits, stats.misses, stats.fetches);
    let requests = before.zip(after).map(|(b, a)| a - b);
    match requests {
        Some(n) => println!("; the emulator served {n} request(s)"),
        None => println!(),
    }
    requests
}
