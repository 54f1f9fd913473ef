//! The secret cache's hot `get` on one core and on all cores, and a cold burst: 64 readers of
//! one cold name against an in-memory client, with the number of requests it made.
//!
//! A hot `get` finishes in its first poll, so it is polled once with `now_or_never` and no
//! runtime's scheduling is measured; the cold burst runs on a current-thread runtime.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use azkv_cache::{CacheOptions, SecretCache};
use azkv_secrets::{KeyVaultSecret, MockSecretClientApi, SecretProperties};
use criterion::{Criterion, criterion_group, criterion_main};
use futures::FutureExt;

/// Concurrent readers of the cold burst.
const READERS: usize = 64;

/// A client answering every `get_secret` from memory, counting the calls.
fn client(calls: Arc<AtomicUsize>) -> Arc<MockSecretClientApi> {
    let mut mock = MockSecretClientApi::new();
    mock.expect_get_secret().returning(move |name| {
        calls.fetch_add(1, Ordering::Relaxed);
        let mut properties = SecretProperties::with_name(name);
        properties.version = Some("4387e9f3d6e14c459867679a90fd0f79".into());
        Ok(KeyVaultSecret::new(name, "mysecretvalue", properties))
    });
    Arc::new(mock)
}

fn warm_cache(rt: &tokio::runtime::Runtime) -> SecretCache {
    // An hour's time to live: nothing expires or refreshes while criterion measures.
    let options = CacheOptions::default().with_ttl(Duration::from_secs(3600));
    let cache = SecretCache::new(client(Arc::default()), options).unwrap();
    for i in 0..5 {
        rt.block_on(cache.get(&format!("secret-{i}"))).unwrap();
    }
    cache
}

fn hot_get(cache: &SecretCache) {
    let secret = cache.get("secret-3").now_or_never().expect("a hot get completes in one poll").unwrap();
    std::hint::black_box(secret);
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cache = warm_cache(&rt);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);

    let mut group = c.benchmark_group("secret_cache");
    group.bench_function("hot_get", |b| b.iter(|| hot_get(&cache)));
    // Per-get time with one reader thread per core: `iters` gets split across the threads, timed
    // from a common start, so gets per second on all cores is 1e9 / this figure.
    group.bench_function("hot_get_all_cores", |b| {
        b.iter_custom(|iters| {
            let per_thread = iters.div_ceil(cores as u64);
            let barrier = std::sync::Barrier::new(cores + 1);
            std::thread::scope(|scope| {
                for _ in 0..cores {
                    scope.spawn(|| {
                        barrier.wait();
                        for _ in 0..per_thread {
                            hot_get(&cache);
                        }
                        barrier.wait();
                    });
                }
                barrier.wait();
                let started = Instant::now();
                barrier.wait();
                let elapsed = started.elapsed();
                elapsed.mul_f64(iters as f64 / (per_thread * cores as u64) as f64)
            })
        })
    });

    let calls = Arc::new(AtomicUsize::new(0));
    let cold = SecretCache::new(client(calls.clone()), CacheOptions::default()).unwrap();
    let mut bursts = 0usize;
    group.bench_function("cold_burst_64", |b| {
        b.iter(|| {
            cold.clear();
            bursts += 1;
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..READERS {
                    let cold = cold.clone();
                    tasks.spawn(async move { cold.get("secret-cold").await.map(drop) });
                }
                tasks.join_all().await.into_iter().collect::<Result<Vec<()>, _>>().unwrap();
            })
        })
    });
    group.finish();
    let requests = calls.load(Ordering::Relaxed);
    assert_eq!(requests, bursts, "every cold burst of {READERS} readers made exactly one request");
    write_cold_burst(READERS, requests as f64 / bursts.max(1) as f64);
}

/// Writes the cold-burst count beside criterion's results, for `cargo xtask bench`.
fn write_cold_burst(readers: usize, requests_per_burst: f64) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("criterion");
    let json = format!("{{\"readers\": {readers}, \"requests_per_burst\": {requests_per_burst}}}\n");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("secret_cache_cold_burst.json"), json);
    }
    println!("cold burst: {readers} concurrent readers of a cold name -> {requests_per_burst} request(s) per burst");
}

criterion_group!(benches, bench);
criterion_main!(benches);
