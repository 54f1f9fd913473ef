//! A blocking face for code without an async runtime (feature `blocking`).
//!
//! The async cache driven by a private runtime with one worker thread, so that background
//! refreshes run between calls, not only while one blocks.
//!
//! ```no_run
//! # fn f(client: &azkv_secrets::blocking::SecretClient) -> azkv_cache::Result<()> {
//! use azkv_cache::CacheOptions;
//! use azkv_cache::blocking::SecretCache;
//!
//! let cache = SecretCache::from_client(client, CacheOptions::default())?;
//! let password = cache.get("db-password")?; // fetched once, then served from memory
//! println!("{} bytes", password.value().len());
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;

use azkv_secrets::{DeletedSecret, KeyVaultSecret, SecretClientApi, SetSecretOptions};

use crate::{CacheOptions, CacheStats, Error, Result};

/// The blocking secret cache; see [`crate::SecretCache`] for the rules.
///
/// Use it from ordinary threads. It also works from a thread of another tokio runtime
/// (`spawn_blocking`); called from an async task it blocks that task's worker thread, so
/// prefer the async cache there.
#[derive(Debug, Clone)]
pub struct SecretCache {
    inner: crate::SecretCache,
    runtime: Arc<Runtime>,
}

/// The private runtime; dropping it inside an async context shuts it down in the background
/// instead of panicking, as tokio would.
#[derive(Debug)]
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            rt.shutdown_background();
        }
    }
}

impl SecretCache {
    /// A blocking cache in front of `client`.
    ///
    /// # Errors
    /// As [`crate::SecretCache::new`], or [`Error::Runtime`] when the runtime cannot start.
    pub fn new(client: Arc<dyn SecretClientApi>, options: CacheOptions) -> Result<Self> {
        let inner = crate::SecretCache::new(client, options)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("azkv-cache")
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(format!("cannot start the blocking cache's runtime: {e}")))?;
        Ok(Self { inner, runtime: Arc::new(Runtime(Some(runtime))) })
    }

    /// A blocking cache in front of the async client inside a blocking
    /// [`azkv_secrets::blocking::SecretClient`].
    ///
    /// # Errors
    /// As [`SecretCache::new`].
    pub fn from_client(client: &azkv_secrets::blocking::SecretClient, options: CacheOptions) -> Result<Self> {
        Self::new(Arc::new(client.as_async().clone()), options)
    }

    /// The async cache inside (sharing the entries).
    pub fn as_async(&self) -> &crate::SecretCache {
        &self.inner
    }

    /// See [`crate::SecretCache::get`].
    ///
    /// # Errors
    /// As the async read.
    pub fn get(&self, name: &str) -> Result<Arc<KeyVaultSecret>> {
        self.run(self.inner.get(name))
    }

    /// See [`crate::SecretCache::get_version`].
    ///
    /// # Errors
    /// As the async read.
    pub fn get_version(&self, name: &str, version: &str) -> Result<Arc<KeyVaultSecret>> {
        self.run(self.inner.get_version(name, version))
    }

    /// See [`crate::SecretCache::set`].
    ///
    /// # Errors
    /// As the async write.
    pub fn set(&self, name: &str, value: &str, options: Option<SetSecretOptions>) -> Result<KeyVaultSecret> {
        self.run(self.inner.set(name, value, options))
    }

    /// Deletes `name` through the client, drops its entries and waits for the deletion to
    /// finish; see [`crate::SecretCache::delete`].
    ///
    /// # Errors
    /// As the async delete, or the poller's error.
    pub fn delete(&self, name: &str) -> Result<DeletedSecret> {
        self.run(async { Ok(self.inner.delete(name).await?.await?) })
    }

    /// See [`crate::SecretCache::invalidate`].
    pub fn invalidate(&self, name: &str) {
        self.inner.invalidate(name);
    }

    /// See [`crate::SecretCache::clear`].
    pub fn clear(&self) {
        self.inner.clear();
    }

    /// See [`crate::SecretCache::stats`].
    pub fn stats(&self) -> CacheStats {
        self.inner.stats()
    }

    /// Drives `future` on the private runtime. Inside another runtime's context it runs on a
    /// scoped helper thread, because tokio forbids nesting runtimes on one thread.
    fn run<T: Send>(&self, future: impl Future<Output = Result<T>> + Send) -> Result<T> {
        let Some(rt) = &self.runtime.0 else {
            return Err(Error::Runtime("the blocking cache's runtime has shut down".into()));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return rt.block_on(future);
        }
        std::thread::scope(|scope| scope.spawn(|| rt.block_on(future)).join())
            .map_err(|_| Error::Runtime("the blocking cache's helper thread panicked".into()))?
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use azkv_pipeline::test_util::ManualTime;

    use super::SecretCache;
    use crate::tests::{Fake, options};

    #[test]
    fn reads_from_a_plain_thread_with_refreshes_on_the_worker() {
        let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
        let cache = SecretCache::new(fake.clone(), options(&time)).unwrap();
        for _ in 0..10 {
            assert_eq!(cache.get("db").unwrap().value(), "one");
        }
        fake.put("db", "two");
        time.advance(Duration::from_secs(100));
        assert_eq!(cache.get("db").unwrap().value(), "two");
        assert_eq!(cache.get_version("db", "v0").unwrap().value(), "one");
        assert_eq!((fake.gets(), cache.stats().fetches), (2, 3));
        cache.set("db", "three", None).unwrap();
        assert_eq!(cache.get("db").unwrap().value(), "three");
        assert_eq!(cache.delete("db").unwrap().name(), "db");
        assert!(cache.get("db").unwrap_err().is_not_found());
        cache.invalidate("db");
        cache.clear();
        assert_eq!(cache.stats().entries, 0);
        assert!(format!("{cache:?}").contains("SecretCache"));
    }

    #[tokio::test]
    async fn works_inside_another_runtime_without_panicking() {
        let (fake, time) = (Fake::with(&[("db", "one")]), ManualTime::default());
        let cache = SecretCache::new(fake.clone(), options(&time)).unwrap();
        assert_eq!(cache.get("db").unwrap().value(), "one");
        assert_eq!(cache.as_async().get("db").await.unwrap().value(), "one", "the entries are shared");
        assert_eq!(fake.gets(), 1);
        // Dropped inside an async context: shut down in the background, no panic.
        drop(cache);
    }
}
