//! One test per rule: time to live, refresh ahead, single flight, stale if error, evicting
//! errors, explicit versions, negative caching.

use std::sync::Arc;

use azkv_pipeline::test_util::ManualTime;
use futures::FutureExt;

use super::{Fake, Fault, MAX_STALE, TTL, cache, options, secs, settle};
use crate::{CacheOptions, Error};

#[tokio::test]
async fn a_fresh_entry_is_served_without_asking_the_vault_until_its_ttl() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time).with_refresh_at_percent(100));
    for _ in 0..5 {
        assert_eq!(cache.get("db").await.unwrap().value(), "one");
    }
    assert_eq!(fake.gets(), 1);
    fake.put("db", "two");
    time.advance(TTL - secs(1));
    assert_eq!(cache.get("db").await.unwrap().value(), "one", "still within the ttl");
    time.advance(secs(1));
    assert_eq!(cache.get("db").await.unwrap().value(), "two", "expired: fetched again");
    assert_eq!(fake.gets(), 2);
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.fetches, stats.entries), (5, 2, 2, 1), "{stats:?}");
}

#[tokio::test]
async fn a_per_secret_ttl_overrides_the_default() {
    let (fake, time) = (Fake::with(&[("flags", "a"), ("db", "a")]), ManualTime::default());
    let cache = cache(&fake, options(&time).with_refresh_at_percent(100).with_ttl_for("FLAGS", secs(10)));
    cache.get("flags").await.unwrap();
    cache.get("db").await.unwrap();
    time.advance(secs(10));
    cache.get("flags").await.unwrap();
    cache.get("db").await.unwrap();
    assert_eq!(fake.gets(), 3, "only flags expired");
}

#[tokio::test]
async fn names_are_case_insensitive() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    cache.get("DB").await.unwrap();
    cache.get("db").await.unwrap();
    cache.get("Db").await.unwrap();
    assert_eq!((fake.gets(), cache.stats().entries), (1, 1));
}

#[tokio::test]
async fn past_the_threshold_one_background_refresh_starts_and_readers_never_wait() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    cache.get("db").await.unwrap();
    let gate = fake.close_gate();
    fake.put("db", "two");
    time.advance(secs(80));
    // Every read completes in its first poll while the refresh waits at the gate.
    for _ in 0..100 {
        let read = cache.get("db").now_or_never().expect("a read never waits for a refresh ahead");
        assert_eq!(read.unwrap().value(), "one");
        settle().await;
    }
    assert_eq!(fake.gets(), 2, "exactly one refresh");
    assert_eq!(cache.stats().refreshes, 1);
    gate.add_permits(1);
    settle().await;
    assert_eq!(cache.get("db").now_or_never().unwrap().unwrap().value(), "two");
    // The refreshed entry's age starts over.
    time.advance(secs(79));
    cache.get("db").now_or_never().unwrap().unwrap();
    settle().await;
    assert_eq!(fake.gets(), 2);
}

#[tokio::test]
async fn an_expired_entry_waits_for_the_refresh_in_flight_instead_of_starting_another() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    cache.get("db").await.unwrap();
    let gate = fake.close_gate();
    fake.put("db", "two");
    time.advance(secs(90));
    cache.get("db").await.unwrap();
    time.advance(secs(10));
    let mut waiting = Box::pin(cache.get("db"));
    assert!((&mut waiting).now_or_never().is_none(), "expired: the read waits");
    gate.add_permits(1);
    assert_eq!(waiting.await.unwrap().value(), "two");
    assert_eq!(fake.gets(), 2);
}

async fn burst(cache: &crate::SecretCache, readers: usize) -> Vec<crate::Result<Arc<azkv_secrets::KeyVaultSecret>>> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..readers {
        let cache = cache.clone();
        tasks.spawn(async move { cache.get("db").await });
    }
    settle().await;
    tasks.join_all().await
}

#[tokio::test]
async fn concurrent_readers_of_a_cold_or_expired_name_share_one_request() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time).with_refresh_at_percent(100));
    let gate = fake.close_gate();
    let cache2 = cache.clone();
    let readers = tokio::spawn(async move { burst(&cache2, 64).await });
    settle().await;
    assert_eq!(fake.gets(), 1, "one request while 64 readers wait");
    gate.add_permits(1);
    let results = readers.await.unwrap();
    assert!(results.iter().all(|r| r.as_ref().unwrap().value() == "one"));
    assert_eq!(cache.stats().misses, 64);

    time.advance(TTL);
    gate.add_permits(1);
    let results = burst(&cache, 64).await;
    assert!(results.iter().all(|r| r.is_ok()));
    assert_eq!(fake.gets(), 2, "one more request for the expired entry");
}

#[tokio::test]
async fn a_cancelled_reader_does_not_cancel_the_fetch() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    let gate = fake.close_gate();
    assert!(cache.get("db").now_or_never().is_none());
    gate.add_permits(1);
    settle().await;
    assert_eq!(cache.get("db").now_or_never().unwrap().unwrap().value(), "one");
    assert_eq!(fake.gets(), 1);
}

#[tokio::test]
async fn transient_failures_serve_the_stale_value_until_max_stale_then_the_error() {
    for fault in [Fault::Throttle(None), Fault::Unavailable, Fault::Timeout] {
        let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
        let cache = cache(&fake, options(&time).with_refresh_at_percent(100));
        cache.get("db").await.unwrap();
        fake.fail(fault, 1000);
        time.advance(TTL);
        assert_eq!(cache.get("db").await.unwrap().value(), "one", "{fault:?}: stale, no error");
        assert_eq!(fake.gets(), 2);
        // Within the backoff the vault is not asked again.
        for _ in 0..10 {
            assert_eq!(cache.get("db").await.unwrap().value(), "one");
        }
        assert_eq!(fake.gets(), 2, "{fault:?}: backing off");
        time.advance(secs(10));
        assert_eq!(cache.get("db").await.unwrap().value(), "one");
        assert_eq!(fake.gets(), 3);
        assert_eq!(cache.stats().stale_served, 12);
        assert_eq!(cache.stats().errors, 2);
        time.advance(MAX_STALE - TTL - secs(10));
        let err = cache.get("db").await.unwrap_err();
        assert!(err.vault_error().is_some(), "{fault:?}: past max_stale, the error: {err:?}");
        assert_eq!(cache.stats().entries, 0, "{fault:?}: the too-old value is dropped");
        fake.heal();
        assert_eq!(cache.get("db").await.unwrap().value(), "one");
    }
}

#[tokio::test]
async fn a_failed_refresh_ahead_keeps_the_fresh_value_and_backs_off() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    cache.get("db").await.unwrap();
    fake.fail(Fault::Unavailable, 1);
    time.advance(secs(80));
    assert_eq!(cache.get("db").await.unwrap().value(), "one");
    settle().await;
    assert_eq!((fake.gets(), cache.stats().errors, cache.stats().stale_served), (2, 1, 0));
    cache.get("db").await.unwrap();
    settle().await;
    assert_eq!(fake.gets(), 2, "no retry within the backoff");
    time.advance(secs(10));
    cache.get("db").await.unwrap();
    settle().await;
    assert_eq!(fake.gets(), 3, "retried after the backoff");
}

#[tokio::test]
async fn retry_after_lengthens_the_backoff() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time).with_refresh_at_percent(100));
    cache.get("db").await.unwrap();
    fake.fail(Fault::Throttle(Some(30)), 1);
    time.advance(TTL);
    cache.get("db").await.unwrap();
    time.advance(secs(29));
    cache.get("db").await.unwrap();
    assert_eq!(fake.gets(), 2, "the vault asked for 30 s");
    time.advance(secs(1));
    cache.get("db").await.unwrap();
    assert_eq!(fake.gets(), 3);
}

#[tokio::test]
async fn not_found_forbidden_and_disabled_evict_at_once_and_return_the_error() {
    for fault in [Fault::NotFound, Fault::Forbidden, Fault::Unauthorized, Fault::BadRequest, Fault::Disabled] {
        let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
        let cache = cache(&fake, options(&time).with_refresh_at_percent(100));
        cache.get("db").await.unwrap();
        cache.get_version("db", "v0").await.unwrap();
        fake.fail(fault, 1);
        time.advance(TTL);
        let err = cache.get("db").await.unwrap_err();
        match fault {
            Fault::NotFound => assert!(err.is_not_found(), "{err:?}"),
            Fault::Forbidden | Fault::Disabled => assert!(err.is_disabled(), "{err:?}"),
            _ => assert!(err.status().is_some(), "{err:?}"),
        }
        assert_eq!(cache.stats().entries, 0, "{fault:?}: the name's entries, versions too, are gone");
        assert_eq!(cache.get("db").await.unwrap().value(), "one", "{fault:?}: the next read asks again");
        assert_eq!(fake.gets(), 3);
    }
}

#[tokio::test]
async fn a_secret_deleted_in_the_vault_stops_being_served_at_its_next_refresh() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    cache.get("db").await.unwrap();
    fake.remove("db");
    time.advance(secs(80));
    assert!(cache.get("db").await.is_ok(), "the refresh ahead has not answered yet");
    settle().await;
    assert!(cache.get("db").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn explicit_versions_are_never_refreshed() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    fake.put("db", "two");
    assert_eq!(cache.get_version("db", "v0").await.unwrap().value(), "one");
    time.advance(MAX_STALE * 10);
    assert_eq!(cache.get_version("db", "V0").await.unwrap().value(), "one");
    settle().await;
    assert_eq!((fake.version_gets(), fake.gets()), (1, 0));
    assert_eq!(cache.get("db").await.unwrap().value(), "two", "the latest is another entry");
}

#[tokio::test]
async fn not_found_is_remembered_only_with_negative_caching_on() {
    let (fake, time) = (Fake::with(&[]), ManualTime::default());
    let off = cache(&fake, options(&time));
    assert!(off.get("nope").await.unwrap_err().is_not_found());
    assert!(off.get("nope").await.unwrap_err().is_not_found());
    assert_eq!((fake.gets(), off.stats().entries), (2, 0));

    let (fake, time) = (Fake::with(&[]), ManualTime::default());
    let on = cache(&fake, options(&time).with_negative_ttl(secs(5)));
    assert!(on.get("nope").await.unwrap_err().is_not_found());
    assert!(on.get("nope").await.unwrap_err().is_not_found());
    assert_eq!((fake.gets(), on.stats().negative_hits), (1, 1));
    fake.put("nope", "now");
    time.advance(secs(5));
    assert_eq!(on.get("nope").await.unwrap().value(), "now");
    time.advance(secs(50));
    assert_eq!(on.get("nope").await.unwrap().value(), "now");
    assert_eq!(fake.gets(), 2, "a found value gets the full ttl, not the negative one");
}

#[tokio::test]
async fn a_transient_failure_of_a_cold_read_is_returned_and_not_cached() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    fake.fail(Fault::Unavailable, 1);
    assert_eq!(cache.get("db").await.unwrap_err().status(), Some(503));
    assert_eq!(cache.stats().entries, 0);
    assert_eq!(cache.get("db").await.unwrap().value(), "one");
}

#[tokio::test]
async fn a_panicking_client_ends_the_read_with_an_error_and_the_next_read_fetches_again() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    fake.fail(Fault::Panic, 1);
    assert!(matches!(cache.get("db").await, Err(Error::Runtime(_))));
    assert_eq!(cache.stats().entries, 0);
    assert_eq!(cache.get("db").await.unwrap().value(), "one");
}

#[test]
fn a_read_outside_a_runtime_is_an_error_not_a_panic() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let cache = cache(&fake, options(&time));
    let result = cache.get("db").now_or_never().expect("answers at once");
    assert!(matches!(result, Err(Error::Runtime(_))), "{result:?}");
    assert_eq!(cache.stats().entries, 0);
}

#[tokio::test]
async fn huge_durations_do_not_overflow() {
    let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
    let max = std::time::Duration::MAX;
    let options = options(&time).with_ttl(max).with_max_stale(max).with_failure_backoff(max).with_negative_ttl(max);
    let cache = cache(&fake, options.with_refresh_at_percent(99).with_ttl_for("other", secs(1)));
    cache.get("db").await.unwrap();
    assert!(cache.get("nope").await.unwrap_err().is_not_found());
    fake.fail(Fault::Throttle(Some(u64::MAX)), 1);
    time.advance(secs(2));
    assert_eq!(cache.get("other").await.unwrap_err().status(), Some(429), "the error, not a panicked fetch");
    assert_eq!(cache.get("db").await.unwrap().value(), "one");
    assert!(cache.get("nope").await.unwrap_err().is_not_found());
}

#[test]
fn contradictory_options_are_refused_at_construction() {
    let fake = Fake::with(&[]);
    for options in [
        CacheOptions::default().with_ttl(secs(0)),
        CacheOptions::default().with_ttl(secs(600)).with_max_stale(secs(300)),
        CacheOptions::default().with_capacity(0),
    ] {
        let err = crate::SecretCache::new(fake.clone(), options).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
}

#[tokio::test]
async fn the_mockall_mock_works_as_a_client() {
    let mut mock = azkv_secrets::MockSecretClientApi::new();
    mock.expect_get_secret().times(1).returning(|name| {
        Ok(azkv_secrets::KeyVaultSecret::new(name, "v", azkv_secrets::SecretProperties::with_name(name)))
    });
    let cache = crate::SecretCache::new(Arc::new(mock), CacheOptions::default()).unwrap();
    for _ in 0..3 {
        assert_eq!(cache.get("db").await.unwrap().value(), "v");
    }
}
