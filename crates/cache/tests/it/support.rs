//! The emulator as a real deployment reaches Key Vault (HTTPS with a per-run CA, strict tokens
//! from its managed-identity endpoint, `https://{name}.vault.azure.net` resolved to it,
//! challenge resource verification on), a client without retries behind a gate the tests can
//! close, the emulator's typed fault controls, and a cache on a manual clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use azkv_cache::{CacheOptions, SecretCache};
use azkv_emulator::{Emulator, EmulatorHandle, Fault};
use azkv_identity::{CredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions, MapEnv};
use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::transport::{TransportOptions, default_transport};
use azkv_pipeline::{HttpClient, Request, Response};
use azkv_secrets::SecretClient;
use tokio::sync::Semaphore;

/// A hang guard: every wait for the cache's background work ends well within this.
pub(crate) const GUARD: Duration = Duration::from_secs(60);

/// Holds requests to the vault's `/secrets` API while closed; everything else passes.
#[derive(Debug)]
pub(crate) struct GateTransport {
    inner: Arc<dyn HttpClient>,
    gate: Mutex<Option<Arc<Semaphore>>>,
}

impl GateTransport {
    /// From now on each `/secrets` request waits for one permit of the returned gate.
    pub(crate) fn close(&self) -> Arc<Semaphore> {
        let gate = Arc::new(Semaphore::new(0));
        *self.gate.lock().unwrap() = Some(gate.clone());
        gate
    }

    /// Lets every request through again.
    pub(crate) fn open(&self) {
        if let Some(gate) = self.gate.lock().unwrap().take() {
            gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }
}

#[async_trait]
impl HttpClient for GateTransport {
    async fn execute(&self, request: &Request) -> azkv_pipeline::Result<Response> {
        let gate = self.gate.lock().unwrap().clone();
        if let Some(gate) = gate
            && request.url.path().starts_with("/secrets")
        {
            gate.acquire().await.expect("the gate is never closed for good").forget();
        }
        self.inner.execute(request).await
    }
}

/// An emulator, a client of its vault `name` (no retries: each fault is one request) and the
/// client's gate.
pub(crate) struct Vault {
    pub(crate) client: Arc<SecretClient>,
    pub(crate) emulator: EmulatorHandle,
    pub(crate) gate: Arc<GateTransport>,
}

pub(crate) async fn vault(name: &str) -> Vault {
    let emulator = Emulator::builder().start().await.unwrap();
    let (client, gate) = client_for(&emulator, name);
    Vault { client: Arc::new(client), emulator, gate }
}

/// A client of the emulator's vault `name` on a transport (and connection pool) of its own.
fn client_for(emulator: &EmulatorHandle, name: &str) -> (SecretClient, Arc<GateTransport>) {
    let transport_options = TransportOptions::default()
        .without_proxy()
        .with_root_certificate_pem(emulator.ca_pem().unwrap().as_bytes().to_vec())
        .with_resolve(format!("{name}.vault.azure.net"), emulator.addr());
    let transport: Arc<dyn HttpClient> = default_transport(&transport_options).unwrap();
    let env = MapEnv::new([
        (azkv_identity::vars::IDENTITY_ENDPOINT, emulator.token_endpoint()),
        (azkv_identity::vars::IDENTITY_HEADER, emulator.identity_header().to_owned()),
    ]);
    let credential = ManagedIdentityCredential::new(Some(
        ManagedIdentityCredentialOptions::default()
            .with_credential(CredentialOptions::default().with_transport(transport.clone()).with_env(Arc::new(env))),
    ))
    .unwrap();
    let gate = Arc::new(GateTransport { inner: transport.clone(), gate: Mutex::new(None) });
    let client = SecretClient::builder(emulator.vault_url(name))
        .credential(Arc::new(credential))
        .transport(gate.clone())
        .retry(RetryOptions::none())
        .build()
        .unwrap();
    (client, gate)
}

impl Vault {
    /// Another client of the same vault, sharing no connection with the first (connections
    /// belong to the runtime that opened them).
    pub(crate) fn fresh_client(&self, name: &str) -> SecretClient {
        client_for(&self.emulator, name).0
    }

    /// Key Vault requests the emulator has answered so far (challenges included).
    pub(crate) fn served(&self) -> u64 {
        self.emulator.requests_served()
    }

    /// A cache over this vault's client on `time`.
    pub(crate) fn cache(&self, time: &ManualTime, options: CacheOptions) -> SecretCache {
        SecretCache::new(self.client.clone(), options.with_time_source(Arc::new(time.clone()))).unwrap()
    }

    /// Sets `name` through the client (the first call also answers the vault's challenge).
    pub(crate) async fn put(&self, name: &str, value: &str) {
        self.client.set_secret(name, value, None).await.unwrap();
    }

    /// Queues `count` faults (the typed form of `POST /_emulator/faults`).
    pub(crate) fn inject(&self, fault: Fault, count: u32) {
        self.emulator.inject_fault(fault, count).unwrap();
    }

    /// Faults still queued.
    pub(crate) fn queued(&self) -> u64 {
        self.emulator.queued_faults()
    }

    pub(crate) fn clear_faults(&self) {
        self.emulator.clear_faults();
    }
}

/// Waits (yielding, never sleeping) until `done` holds; fails after [`GUARD`] instead of
/// hanging.
pub(crate) async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let wait = async {
        while !done() {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(GUARD, wait).await.unwrap_or_else(|_| panic!("gave up waiting for {what}"));
}
