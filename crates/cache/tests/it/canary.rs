//! Canary: a distinctive value goes through every path of the cache (cold read, hit, refresh
//! ahead, stale after injected faults, write-through, a refused read, delete) with `tracing`
//! captured at TRACE; the value appears nowhere in the logs, nor in `Debug` or `Display` of the
//! cache, its stats, its options or its errors.

use std::time::Duration;

use azkv_cache::CacheOptions;
use azkv_pipeline::test_util::{LogCapture, ManualTime};
use futures::FutureExt;

use crate::support::{until, vault};

const CANARY: &str = "CANARYVALUE-cache-4d2b8f";

// Current-thread runtime: the cache's fetch tasks run on this thread, where the capture is.
#[tokio::test]
async fn no_value_reaches_logs_debug_or_errors() {
    let logs = LogCapture::start();
    let vault = vault("canaryvault").await;
    vault.put("warmup", "x").await;
    let time = ManualTime::default();
    let ttl = Duration::from_secs(60);
    let cache = vault
        .cache(&time, CacheOptions::default().with_ttl(ttl).with_negative_ttl(Duration::from_secs(5)).with_capacity(2));
    let mut shown = String::new();

    cache.set("db-password", CANARY, None).await.unwrap();
    let secret = cache.get("db-password").await.unwrap();
    assert_eq!(secret.value(), CANARY);
    cache.get("db-password").await.unwrap();
    time.advance(Duration::from_secs(50));
    let before_refresh = cache.get("db-password").await.unwrap();
    // Until the refresh ahead has landed, not only started: a fetch still in flight would be
    // joined by the expired read below, which must meet the injected faults instead.
    until("the refresh ahead to land", || {
        cache
            .get("db-password")
            .now_or_never()
            .is_some_and(|read| read.is_ok_and(|s| !std::sync::Arc::ptr_eq(&s, &before_refresh)))
    })
    .await;
    assert_eq!((cache.stats().refreshes, cache.stats().fetches), (1, 2));
    // A version, and its eviction at capacity.
    let version = secret.properties.version.clone().unwrap();
    cache.get_version("db-password", &version).await.unwrap();
    cache.get("db-password").await.unwrap();
    cache.get("warmup").await.unwrap();
    assert_eq!(cache.stats().evictions, 1);
    // Stale after an injected fault.
    vault.inject(azkv_emulator::Fault::Unavailable { retry_after_secs: 1 }, 10);
    time.advance(ttl);
    assert_eq!(cache.get("db-password").await.unwrap().value(), CANARY);
    vault.clear_faults();
    // A missing secret, remembered.
    for _ in 0..2 {
        let err = cache.get("no-such-secret").await.unwrap_err();
        shown.push_str(&format!("{err} {err:?}\n"));
    }
    // Deleted, then refused.
    cache.delete("db-password").await.unwrap().await.unwrap();
    let err = cache.get("db-password").await.unwrap_err();
    shown.push_str(&format!("{err} {err:?}\n"));
    shown.push_str(&format!(
        "{cache:?}\n{cache:#?}\n{:?}\n{:?}\n{secret:?}\n{secret}\n",
        cache.stats(),
        cache.options()
    ));

    let logs = logs.contents();
    assert!(logs.contains("secret cache: fetching"), "the capture works: {logs}");
    assert!(logs.contains("serving the cached value"), "the stale warning was logged: {logs}");
    assert!(!logs.contains(CANARY), "a value reached the logs:\n{logs}");
    assert!(!shown.contains(CANARY), "a value reached Debug or Display:\n{shown}");
}
