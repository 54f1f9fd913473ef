//! The blocking face, from a plain thread, over the blocking client.

use azkv_cache::CacheOptions;
use azkv_cache::blocking::SecretCache;

use crate::support::vault;

#[test]
fn the_blocking_cache_reads_once_and_writes_through() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let vault = rt.block_on(vault("blockingvault"));
    rt.block_on(vault.put("db-password", "one"));
    // A client of its own: the first one's connections live on `rt`, which does not run now.
    let client = azkv_secrets::blocking::SecretClient::from_async(vault.fresh_client("blockingvault")).unwrap();
    let cache = SecretCache::from_client(&client, CacheOptions::default()).unwrap();
    let before = vault.served();
    for _ in 0..100 {
        assert_eq!(cache.get("db-password").unwrap().value(), "one");
    }
    assert_eq!(vault.served() - before, 2, "the new client's challenge, then one read");
    cache.set("db-password", "two", None).unwrap();
    assert_eq!(cache.get("db-password").unwrap().value(), "two");
    assert_eq!(cache.stats().fetches, 2);
    cache.delete("db-password").unwrap();
    assert!(cache.get("db-password").unwrap_err().is_not_found());
    assert!(matches!(
        SecretCache::new(vault.client.clone(), CacheOptions::default().with_capacity(0)),
        Err(azkv_cache::Error::InvalidArgument(_))
    ));
}
