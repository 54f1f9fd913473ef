//! Throttling and unavailability injected with the emulator's fault controls (the typed form
//! of `/_emulator/faults`): readers get the stale
//! value, with no error, until `max_stale`; then the error; one request per backoff.

use std::time::Duration;

use azkv_cache::CacheOptions;
use azkv_emulator::Fault;
use azkv_pipeline::test_util::ManualTime;

use crate::support::vault;

const TTL: Duration = Duration::from_secs(60);
const MAX_STALE: Duration = Duration::from_secs(600);
const BACKOFF: Duration = Duration::from_secs(30);

async fn stale_until_max_stale(kind: &str, fault: Fault, expect_status: u16) {
    let vault = vault(&format!("{kind}vault")).await;
    vault.put("db-password", "one").await;
    let time = ManualTime::default();
    let options = CacheOptions::default()
        .with_ttl(TTL)
        .with_max_stale(MAX_STALE)
        .with_failure_backoff(BACKOFF)
        .with_refresh_at_percent(100);
    let cache = vault.cache(&time, options);
    cache.get("db-password").await.unwrap();
    vault.inject(fault, 1000);
    let before = vault.served();

    time.advance(TTL);
    let mut requests = 0;
    // Every backoff until max_stale: one request that fails, and stale answers in between.
    while time_since_fetch(&time) < MAX_STALE {
        for _ in 0..20 {
            assert_eq!(cache.get("db-password").await.unwrap().value(), "one", "{kind}: stale, no error");
        }
        requests += 1;
        assert_eq!(vault.served() - before, requests, "{kind}: one request per backoff");
        time.advance(BACKOFF);
    }
    assert_eq!(requests, (MAX_STALE - TTL).as_secs() / BACKOFF.as_secs());
    assert_eq!(1000 - vault.queued(), requests, "each request met a fault");
    let stats = cache.stats();
    assert_eq!((stats.stale_served, stats.errors), (20 * requests, requests), "{stats:?}");

    let err = cache.get("db-password").await.unwrap_err();
    assert_eq!(err.status(), Some(expect_status), "{kind}: past max_stale, the error: {err:?}");
    assert_eq!(cache.stats().entries, 0, "the too-old value is dropped");

    vault.clear_faults();
    assert_eq!(cache.get("db-password").await.unwrap().value(), "one", "{kind}: healed");
}

fn time_since_fetch(time: &ManualTime) -> Duration {
    use azkv_pipeline::time::TimeSource;
    time.now().duration_since(ManualTime::default().now()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_serves_the_stale_value_until_max_stale() {
    stale_until_max_stale("throttle", Fault::Throttle { retry_after_secs: 1 }, 429).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailability_serves_the_stale_value_until_max_stale() {
    stale_until_max_stale("unavailable", Fault::Unavailable { retry_after_secs: 1 }, 503).await;
}
