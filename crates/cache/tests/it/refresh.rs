//! Refresh ahead against the emulator: a refresh in flight never blocks a reader, and a secret
//! deleted in the vault stops being served at its next refresh.

use std::time::Duration;

use azkv_cache::CacheOptions;
use azkv_pipeline::test_util::ManualTime;
use futures::FutureExt;

use crate::support::{until, vault};

const TTL: Duration = Duration::from_secs(100);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_in_flight_never_blocks_a_reader() {
    let vault = vault("refreshvault").await;
    vault.put("db-password", "one").await;
    let time = ManualTime::default();
    let cache = vault.cache(&time, CacheOptions::default().with_ttl(TTL));
    assert_eq!(cache.get("db-password").await.unwrap().value(), "one");
    vault.put("db-password", "two").await;
    let before = vault.served();

    // Past 80 % of the ttl, with the vault's answers held at the gate.
    let gate = vault.gate.close();
    time.advance(Duration::from_secs(80));
    for _ in 0..1000 {
        let read = cache.get("db-password").now_or_never().expect("a reader never waits for the refresh ahead");
        assert_eq!(read.unwrap().value(), "one");
    }
    assert_eq!(cache.stats().refreshes, 1, "one background refresh for 1000 reads");
    assert_eq!(vault.served(), before, "the refresh is still held at the gate");

    gate.add_permits(1);
    until("the refresh to land", || {
        cache.get("db-password").now_or_never().is_some_and(|r| r.unwrap().value() == "two")
    })
    .await;
    assert_eq!(vault.served() - before, 1, "exactly one request for the refresh");
    vault.gate.open();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_read_joins_the_refresh_in_flight() {
    let vault = vault("joinvault").await;
    vault.put("db-password", "one").await;
    let time = ManualTime::default();
    let cache = vault.cache(&time, CacheOptions::default().with_ttl(TTL));
    cache.get("db-password").await.unwrap();
    vault.put("db-password", "two").await;
    let before = vault.served();
    let gate = vault.gate.close();
    time.advance(Duration::from_secs(90));
    assert_eq!(cache.get("db-password").await.unwrap().value(), "one");
    time.advance(Duration::from_secs(10));
    let mut expired = Box::pin(cache.get("db-password"));
    assert!((&mut expired).now_or_never().is_none(), "past the ttl a read waits");
    gate.add_permits(1);
    assert_eq!(expired.await.unwrap().value(), "two");
    assert_eq!(vault.served() - before, 1);
    vault.gate.open();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_deleted_in_the_vault_stops_being_served_at_its_next_refresh() {
    let vault = vault("deletevault").await;
    vault.put("old-key", "one").await;
    let time = ManualTime::default();
    let cache = vault.cache(&time, CacheOptions::default().with_ttl(TTL));
    cache.get("old-key").await.unwrap();
    // Deleted behind the cache's back, straight through the client.
    vault.client.begin_delete_secret("old-key").await.unwrap().await.unwrap();
    time.advance(Duration::from_secs(50));
    assert_eq!(cache.get("old-key").await.unwrap().value(), "one", "before the refresh: still served");
    time.advance(Duration::from_secs(30));
    assert_eq!(cache.get("old-key").await.unwrap().value(), "one", "this read starts the refresh");
    until("the refresh to evict the entry", || cache.stats().entries == 0).await;
    let err = cache.get("old-key").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // Through the cache, a delete takes effect at once.
    vault.put("new-key", "v").await;
    cache.get("new-key").await.unwrap();
    cache.delete("new-key").await.unwrap().await.unwrap();
    assert!(cache.get("new-key").await.unwrap_err().is_not_found());
}
