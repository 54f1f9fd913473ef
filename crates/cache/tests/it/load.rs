//! 64 tasks reading 5 names, 10,000 reads each, over three time-to-live windows on a manual
//! clock: the emulator serves exactly one request per name per window.

use azkv_cache::CacheOptions;
use azkv_pipeline::test_util::ManualTime;

use crate::support::vault;

const TASKS: usize = 64;
const READS_PER_TASK: usize = 10_000;
const WINDOWS: usize = 3;
const NAMES: [&str; 5] = ["db-password", "api-key", "storage-key", "signing-key", "feature-flags"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_readers_make_one_request_per_name_per_ttl_window() {
    let vault = vault("loadvault").await;
    for name in NAMES {
        vault.put(name, &format!("value of {name}")).await;
    }
    let time = ManualTime::default();
    let ttl = std::time::Duration::from_secs(60);
    // Refresh ahead off: each window starts with the expiry of every entry.
    let cache = vault.cache(&time, CacheOptions::default().with_ttl(ttl).with_refresh_at_percent(100));
    let before = vault.served();
    for window in 1..=WINDOWS {
        let mut tasks = tokio::task::JoinSet::new();
        for task in 0..TASKS {
            let cache = cache.clone();
            tasks.spawn(async move {
                for read in 0..READS_PER_TASK / WINDOWS {
                    let name = NAMES[(task + read) % NAMES.len()];
                    let secret = cache.get(name).await.unwrap();
                    assert_eq!(secret.value(), format!("value of {name}"));
                }
            });
        }
        tasks.join_all().await;
        let served = vault.served() - before;
        assert_eq!(served, (NAMES.len() * window) as u64, "window {window}: one request per name per window");
        time.advance(ttl);
    }
    let stats = cache.stats();
    let reads = (TASKS * (READS_PER_TASK / WINDOWS) * WINDOWS) as u64;
    assert_eq!(stats.fetches, (NAMES.len() * WINDOWS) as u64, "{stats:?}");
    assert_eq!(stats.hits + stats.misses, reads, "{stats:?}");
    assert_eq!((stats.errors, stats.stale_served, stats.entries), (0, 0, NAMES.len() as u64), "{stats:?}");
}
