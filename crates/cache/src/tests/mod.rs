//! Unit tests of every cache rule against `Fake`, a scripted `SecretClientApi` that counts
//! its calls and can hold fetches at a gate; time is a `ManualTime`.

mod lifecycle;
mod rules;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{Headers, HttpError, StatusCode};
use azkv_secrets::{
    DeletedSecret, KeyVaultSecret, ListOptions, Pager, Poller, SecretClientApi, SecretProperties, SetSecretOptions,
    UpdateSecretProperties,
};
use tokio::sync::Semaphore;

use crate::{CacheOptions, SecretCache};

/// A value planted in tests that check nothing prints it.
pub(crate) const CANARY: &str = "CANARY-cache-7f3a9e";

/// What the next `get_secret` or `get_secret_version` answers instead of the stored value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fault {
    Throttle(Option<u64>),
    Unavailable,
    Timeout,
    NotFound,
    Forbidden,
    Unauthorized,
    BadRequest,
    /// Answers the value, marked disabled.
    Disabled,
    Panic,
}

fn http(status: u16, code: &str, inner: Option<&str>) -> Box<HttpError> {
    Box::new(HttpError {
        status: StatusCode::from_u16(status).unwrap(),
        code: Some(code.into()),
        message: Some(format!("{code} (fake)")),
        inner_code: inner.map(str::to_owned),
        headers: Headers::new(),
    })
}

impl Fault {
    fn error(self) -> azkv_secrets::Error {
        use azkv_secrets::Error as E;
        match self {
            Self::Throttle(secs) => {
                E::Throttled { error: http(429, "Throttled", None), retry_after: secs.map(Duration::from_secs) }
            }
            Self::Unavailable => E::Service(http(503, "ServiceUnavailable", None)),
            Self::Timeout => E::Transport(azkv_pipeline::Error::timeout("per-try timeout")),
            Self::NotFound => E::NotFound(http(404, "SecretNotFound", None)),
            Self::Forbidden => E::Forbidden(http(403, "Forbidden", Some("SecretDisabled"))),
            Self::Unauthorized => E::Unauthorized(http(401, "Unauthorized", None)),
            Self::BadRequest => E::BadRequest(http(400, "BadParameter", None)),
            Self::Disabled | Self::Panic => unreachable!("not an error"),
        }
    }
}

#[derive(Debug, Default)]
struct Vault {
    /// Name → values by version, oldest first.
    secrets: HashMap<String, Vec<String>>,
    faults: VecDeque<Fault>,
}

/// A scripted in-memory vault.
#[derive(Debug, Default)]
pub(crate) struct Fake {
    vault: Mutex<Vault>,
    gets: AtomicUsize,
    version_gets: AtomicUsize,
    /// When set, every fetch waits for one permit.
    gate: Mutex<Option<Arc<Semaphore>>>,
}

impl Fake {
    pub(crate) fn with(secrets: &[(&str, &str)]) -> Arc<Self> {
        let fake = Self::default();
        for (name, value) in secrets {
            fake.put(name, value);
        }
        Arc::new(fake)
    }

    /// Stores a new version of `name`.
    pub(crate) fn put(&self, name: &str, value: &str) {
        self.vault.lock().unwrap().secrets.entry(name.to_owned()).or_default().push(value.to_owned());
    }

    pub(crate) fn remove(&self, name: &str) {
        self.vault.lock().unwrap().secrets.remove(name);
    }

    /// The next `n` fetches answer `fault`.
    pub(crate) fn fail(&self, fault: Fault, n: usize) {
        self.vault.lock().unwrap().faults.extend(std::iter::repeat_n(fault, n));
    }

    pub(crate) fn heal(&self) {
        self.vault.lock().unwrap().faults.clear();
    }

    /// `get_secret` calls so far.
    pub(crate) fn gets(&self) -> usize {
        self.gets.load(Ordering::SeqCst)
    }

    pub(crate) fn version_gets(&self) -> usize {
        self.version_gets.load(Ordering::SeqCst)
    }

    /// From now on every fetch waits at the returned gate for a permit.
    pub(crate) fn close_gate(&self) -> Arc<Semaphore> {
        let gate = Arc::new(Semaphore::new(0));
        *self.gate.lock().unwrap() = Some(gate.clone());
        gate
    }

    async fn pass_gate(&self) {
        let gate = self.gate.lock().unwrap().clone();
        if let Some(gate) = gate {
            gate.acquire().await.unwrap().forget();
        }
    }

    async fn answer(&self, name: &str, version: Option<&str>) -> azkv_secrets::Result<KeyVaultSecret> {
        self.pass_gate().await;
        let mut vault = self.vault.lock().unwrap();
        let fault = vault.faults.pop_front();
        if let Some(fault @ (Fault::Throttle(_) | Fault::Unavailable | Fault::Timeout)) = fault {
            return Err(fault.error());
        }
        if let Some(fault @ (Fault::NotFound | Fault::Forbidden | Fault::Unauthorized | Fault::BadRequest)) = fault {
            return Err(fault.error());
        }
        if let Some(Fault::Panic) = fault {
            drop(vault);
            panic!("the fake client panics (scripted)");
        }
        let versions = vault.secrets.get(name).ok_or_else(|| Fault::NotFound.error())?;
        let index = match version {
            None => versions.len() - 1,
            Some(v) => v
                .strip_prefix('v')
                .and_then(|n| n.parse().ok())
                .filter(|i| *i < versions.len())
                .ok_or_else(|| Fault::NotFound.error())?,
        };
        let mut properties = SecretProperties::with_name(name);
        properties.version = Some(format!("v{index}"));
        properties.enabled = Some(!matches!(fault, Some(Fault::Disabled)));
        Ok(KeyVaultSecret::new(name, versions[index].as_str(), properties))
    }
}

#[async_trait]
impl SecretClientApi for Fake {
    async fn set_secret(
        &self,
        name: &str,
        value: &str,
        _: Option<SetSecretOptions>,
    ) -> azkv_secrets::Result<KeyVaultSecret> {
        self.put(name, value);
        let n = self.vault.lock().unwrap().secrets[name].len() - 1;
        let mut properties = SecretProperties::with_name(name);
        properties.version = Some(format!("v{n}"));
        Ok(KeyVaultSecret::new(name, value, properties))
    }
    async fn get_secret(&self, name: &str) -> azkv_secrets::Result<KeyVaultSecret> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.answer(name, None).await
    }
    async fn get_secret_version<'a>(
        &self,
        name: &str,
        version: Option<&'a str>,
        _: Option<&'a str>,
    ) -> azkv_secrets::Result<KeyVaultSecret> {
        self.version_gets.fetch_add(1, Ordering::SeqCst);
        self.answer(name, version).await
    }
    async fn update_secret_properties<'a>(
        &self,
        _: &str,
        _: Option<&'a str>,
        _: UpdateSecretProperties,
    ) -> azkv_secrets::Result<SecretProperties> {
        unimplemented!("not used by the cache")
    }
    async fn begin_delete_secret(&self, name: &str) -> azkv_secrets::Result<Poller<DeletedSecret>> {
        self.remove(name);
        let mut deleted = DeletedSecret::default();
        deleted.properties = SecretProperties::with_name(name);
        Ok(Poller::done(deleted))
    }
    async fn begin_recover_deleted_secret(&self, _: &str) -> azkv_secrets::Result<Poller<SecretProperties>> {
        unimplemented!("not used by the cache")
    }
    async fn get_deleted_secret(&self, _: &str) -> azkv_secrets::Result<DeletedSecret> {
        unimplemented!("not used by the cache")
    }
    async fn purge_deleted_secret(&self, _: &str) -> azkv_secrets::Result<()> {
        unimplemented!("not used by the cache")
    }
    async fn backup_secret(&self, _: &str) -> azkv_secrets::Result<Vec<u8>> {
        unimplemented!("not used by the cache")
    }
    async fn restore_secret_backup(&self, _: &[u8]) -> azkv_secrets::Result<SecretProperties> {
        unimplemented!("not used by the cache")
    }
    fn list_properties_of_secrets(&self, _: Option<ListOptions>) -> Pager<SecretProperties> {
        Pager::from_vec(Vec::new())
    }
    fn list_properties_of_secret_versions(&self, _: &str, _: Option<ListOptions>) -> Pager<SecretProperties> {
        Pager::from_vec(Vec::new())
    }
    fn list_deleted_secrets(&self, _: Option<ListOptions>) -> Pager<DeletedSecret> {
        Pager::from_vec(Vec::new())
    }
}

/// The TTL the rule tests use: 100 s, refreshing from 80 s, stale up to 300 s, 10 s backoff.
pub(crate) const TTL: Duration = Duration::from_secs(100);
pub(crate) const MAX_STALE: Duration = Duration::from_secs(300);

pub(crate) fn options(time: &ManualTime) -> CacheOptions {
    CacheOptions::default()
        .with_ttl(TTL)
        .with_max_stale(MAX_STALE)
        .with_failure_backoff(Duration::from_secs(10))
        .with_time_source(Arc::new(time.clone()))
}

pub(crate) fn cache(fake: &Arc<Fake>, options: CacheOptions) -> SecretCache {
    SecretCache::new(fake.clone(), options).unwrap()
}

/// Lets the spawned fetch tasks of a current-thread runtime run to completion.
pub(crate) async fn settle() {
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}

pub(crate) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
