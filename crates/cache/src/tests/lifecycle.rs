//! Entries' lives: capacity, write-through, invalidation (also during a fetch), and what the
//! cache still holds afterwards (counted with `Weak`), and what its `Debug` shows.

use std::sync::{Arc, Weak};

use azkv_pipeline::test_util::ManualTime;
use futures::FutureExt;

use super::{CANARY, Fake, Fault, TTL, cache, options, secs, settle};

/// Reads `name` and keeps only a weak reference to the value.
async fn weak(cache: &crate::SecretCache, name: &str) -> Weak<azkv_secrets::KeyVaultSecret> {
    Arc::downgrade(&cache.get(name).await.unwrap())
}

#[tokio::test]
async fn capacity_evicts_the_least_recently_read_and_drops_its_value() {
    let (fake, time) = (Fake::with(&[("a", "1"), ("b", "2"), ("c", "3")]), ManualTime::default());
    let cache = cache(&fake, options(&time).with_capacity(2));
    let a = weak(&cache, "a").await;
    let b = weak(&cache, "b").await;
    cache.get("a").await.unwrap();
    let c = weak(&cache, "c").await;
    assert!(b.upgrade().is_none(), "b was read least recently: evicted, and no clone is kept");
    assert!(a.upgrade().is_some() && c.upgrade().is_some());
    let stats = cache.stats();
    assert_eq!((stats.entries, stats.evictions), (2, 1));
    cache.get("b").await.unwrap();
    assert_eq!(fake.gets(), 4, "b is fetched again");
}

#[tokio::test]
async fn clear_and_invalidate_keep_no_clone_of_a_value() {
    let (fake, time) = (Fake::with(&[("a", "1"), ("b", "2")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    let a = weak(&cache, "a").await;
    let a0 = Arc::downgrade(&cache.get_version("a", "v0").await.unwrap());
    let b = weak(&cache, "b").await;
    assert!(a.upgrade().is_some() && a0.upgrade().is_some() && b.upgrade().is_some(), "the cache holds them");
    cache.invalidate("A");
    assert!(a.upgrade().is_none() && a0.upgrade().is_none(), "invalidate drops the latest and the versions");
    assert!(b.upgrade().is_some());
    cache.clear();
    assert!(b.upgrade().is_none(), "clear drops everything");
    assert_eq!(cache.stats().entries, 0);
}

#[tokio::test]
async fn a_refreshed_or_failed_entry_drops_the_old_value() {
    let (fake, time) = (Fake::with(&[("a", "1")]), ManualTime::default());
    let cache = cache(&fake, options(&time).with_refresh_at_percent(100));
    let old = weak(&cache, "a").await;
    fake.put("a", "2");
    time.advance(TTL);
    let new = weak(&cache, "a").await;
    assert!(old.upgrade().is_none(), "replaced by the refresh");
    fake.fail(Fault::Forbidden, 1);
    time.advance(TTL);
    assert!(cache.get("a").await.is_err());
    assert!(new.upgrade().is_none(), "evicted by the refused refresh");
}

#[tokio::test]
async fn a_reader_keeps_its_value_alive_after_eviction() {
    let (fake, time) = (Fake::with(&[("a", "1")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    let held = cache.get("a").await.unwrap();
    cache.clear();
    assert_eq!(Arc::strong_count(&held), 1, "only the reader's reference is left");
    assert_eq!(held.value(), "1");
}

#[tokio::test]
async fn set_and_delete_write_through_and_invalidate() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    assert_eq!(cache.get("db").await.unwrap().value(), "one");
    let set = cache.set("db", "two", None).await.unwrap();
    assert_eq!(set.value(), "two");
    assert_eq!(cache.get("db").await.unwrap().value(), "two", "the next read fetches the new value");
    assert_eq!(fake.gets(), 2);
    let poller = cache.delete("db").await.unwrap();
    assert_eq!(poller.await.unwrap().name(), "db");
    assert!(cache.get("db").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn an_invalidated_fetch_answers_its_readers_but_is_not_cached() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    let gate = fake.close_gate();
    let mut reader = Box::pin(cache.get("db"));
    assert!((&mut reader).now_or_never().is_none());
    fake.put("db", "two");
    cache.invalidate("db");
    gate.add_permits(2);
    assert_eq!(reader.await.unwrap().value(), "two");
    assert_eq!(cache.stats().entries, 0, "not cached after the invalidation");
    settle().await;
    cache.get("db").await.unwrap();
    assert_eq!(fake.gets(), 2);
}

#[tokio::test]
async fn clear_during_a_refresh_ahead_leaves_the_cache_empty() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    cache.get("db").await.unwrap();
    let gate = fake.close_gate();
    time.advance(secs(80));
    cache.get("db").await.unwrap();
    settle().await;
    cache.clear();
    gate.add_permits(1);
    settle().await;
    assert_eq!(cache.stats().entries, 0);
}

#[tokio::test]
async fn no_value_reaches_debug_of_the_cache_its_stats_or_its_errors() {
    let (fake, time) = (Fake::with(&[("db", CANARY)]), ManualTime::default());
    let cache = cache(&fake, options(&time).with_ttl_for("db", secs(50)));
    let secret = cache.get("db").await.unwrap();
    assert_eq!(secret.value(), CANARY);
    fake.fail(Fault::Forbidden, 1);
    time.advance(TTL);
    let err = cache.get("db").await.unwrap_err();
    let shown = format!(
        "{cache:?} {cache:#?} {:?} {err} {err:?} {secret:?} {:?}",
        cache.stats(),
        crate::Error::Disabled { name: "db".into() }
    );
    assert!(!shown.contains(CANARY), "{shown}");
    assert!(shown.contains("SecretCache") && shown.contains("hits"), "{shown}");
}
