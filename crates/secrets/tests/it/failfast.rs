//! Failures no retry can fix end at once with one clear line; cancelled calls and restarted
//! servers leave the client usable.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use azkv_emulator::{AuthMode, Emulator, EmulatorHandle};
use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::{ClosedPort, ManualTime};
use azkv_pipeline::transport::{Resolve, ResolveError, TransportOptions};
use azkv_pipeline::{ClientOptions, ConnectionErrorKind, HttpClient};
use azkv_secrets::{Error, SecretClient, SecretClientOptions};
use tokio::net::{TcpListener, TcpStream};

use crate::support::TestCredential;

/// A TCP forwarder on 127.0.0.1 in front of `target`, counting the connections it accepted.
struct CountingForwarder {
    addr: std::net::SocketAddr,
    connections: Arc<AtomicUsize>,
}

async fn forwarder(target: std::net::SocketAddr) -> CountingForwarder {
    forwarder_resetting_first(target, 0).await
}

/// As [`forwarder`], resetting the first `resets` connections at once (before a TLS handshake,
/// so before any request could be sent).
async fn forwarder_resetting_first(target: std::net::SocketAddr, resets: usize) -> CountingForwarder {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            if counted.fetch_add(1, Ordering::SeqCst) < resets {
                let _ = inbound.set_zero_linger();
                drop(inbound); // SO_LINGER 0: a TCP reset
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    CountingForwarder { addr, connections }
}

fn client_for(url: &str, transport: TransportOptions, time: &ManualTime) -> SecretClient {
    let options = SecretClientOptions::default()
        .with_verify_challenge_resource(false)
        .with_client_options(ClientOptions::default().with_transport_options(transport).with_time(time.components()));
    SecretClient::new(url, Arc::new(TestCredential::default()), Some(options)).unwrap()
}

#[tokio::test]
async fn an_untrusted_certificate_fails_on_the_first_try_and_says_which_check() {
    let emulator = Emulator::builder().start().await.unwrap();
    let front = forwarder(emulator.addr()).await;
    let time = ManualTime::default();
    // The emulator's CA is not trusted: only the platform's roots.
    let client = client_for(&format!("https://127.0.0.1:{}", front.addr.port()), TransportOptions::default(), &time);
    let err = client.get_secret("a").await.unwrap_err();
    let pipeline_error = match &err {
        Error::Transport(e) => e,
        other => panic!("expected a transport error, got {other:?}"),
    };
    assert_eq!(pipeline_error.connection_kind(), Some(ConnectionErrorKind::TlsUntrusted), "{err:?}");
    assert_eq!(front.connections.load(Ordering::SeqCst), 1, "a certificate that is not trusted is never retried");
    assert!(time.sleeps().is_empty());
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!(
            "cannot connect to 127.0.0.1:{}: invalid peer certificate: UnknownIssuer",
            front.addr.port()
        )),
        "{shown}"
    );
    assert!(shown.contains("SSL_CERT_FILE"), "{shown}");
    assert_eq!(shown.matches("error sending request").count(), 0, "no repeated prefixes: {shown}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_write_reset_before_it_was_sent_is_retried_and_applied_once() {
    let emulator = Emulator::builder().start().await.unwrap();
    let front = forwarder_resetting_first(emulator.addr(), 2).await;
    // `myvault.vault.azure.net` (the emulator's certificate names it) resolves to the front.
    let transport = TransportOptions::default()
        .without_proxy()
        .with_root_certificate_pem(emulator.ca_pem().unwrap().as_bytes().to_vec())
        .with_resolve(format!("{}.vault.azure.net", azkv_secrets::emulator::VAULT), front.addr);
    let time = ManualTime::default();
    let options = SecretClientOptions::default()
        .with_client_options(ClientOptions::default().with_transport_options(transport).with_time(time.components()));
    let url = format!("https://{}.vault.azure.net:{}", azkv_secrets::emulator::VAULT, front.addr.port());
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let credential = Arc::new(azkv_identity::StaticTokenCredential::new(emulator.issue_token(), expires));
    let client = SecretClient::new(&url, credential, Some(options)).unwrap();
    let served_before = emulator.requests_served();
    client.set_secret("a", "once", None).await.unwrap();
    assert_eq!(time.sleeps().len(), 2, "two connection retries");
    let versions: Vec<_> =
        futures::TryStreamExt::try_collect::<Vec<_>>(client.list_properties_of_secret_versions("a", None))
            .await
            .unwrap();
    assert_eq!(versions.len(), 1, "applied exactly once");
    assert!(emulator.requests_served() > served_before);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_plain_http_server_on_an_https_url_is_a_handshake_error_without_retry() {
    let emulator = Emulator::builder().tls(false).start().await.unwrap();
    let front = forwarder(emulator.addr()).await;
    let time = ManualTime::default();
    let client = client_for(&format!("https://127.0.0.1:{}", front.addr.port()), TransportOptions::default(), &time);
    let err = client.get_secret("a").await.unwrap_err();
    assert!(matches!(&err, Error::Transport(e) if e.connection_kind().is_some_and(|k| k.is_tls())), "{err:?}");
    assert_eq!(front.connections.load(Ordering::SeqCst), 1);
    emulator.shutdown().await;
}

#[derive(Debug, Default)]
struct NoSuchHost(AtomicUsize);

#[async_trait::async_trait]
impl Resolve for NoSuchHost {
    async fn resolve(&self, host: &str) -> Result<Vec<std::net::SocketAddr>, ResolveError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(ResolveError::NotFound { host: host.to_owned() })
    }
}

#[tokio::test]
async fn a_vault_name_that_does_not_resolve_fails_at_once_with_a_hint() {
    let resolver = Arc::new(NoSuchHost::default());
    let time = ManualTime::default();
    let transport = TransportOptions::default().without_proxy().with_resolver(resolver.clone());
    let client = client_for("https://mytypo.vault.azure.net", transport, &time);
    let err = client.set_secret("a", "b", None).await.unwrap_err();
    assert_eq!(resolver.0.load(Ordering::SeqCst), 1, "looked up once");
    assert!(time.sleeps().is_empty());
    assert_eq!(
        err.to_string(),
        "cannot connect to mytypo.vault.azure.net:443: no such host `mytypo.vault.azure.net`; check the host name in the URL (is KEY_VAULT_NAME or the vault URL right?)"
    );
}

#[tokio::test]
async fn a_closed_port_is_retried_three_times_with_a_short_backoff() {
    let closed = ClosedPort::new();
    let time = ManualTime::default();
    let client = client_for(&closed.http_url(), TransportOptions::default(), &time);
    let err = client.set_secret("a", "b", None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport(e) if e.connection_kind() == Some(ConnectionErrorKind::Refused)),
        "{err:?}"
    );
    let sleeps = time.sleeps();
    assert_eq!(sleeps.len(), 3, "{sleeps:?}");
    assert!(sleeps.iter().sum::<Duration>() <= Duration::from_millis(1700), "{sleeps:?}");
    assert!(err.to_string().contains("check the URL's port"), "{err}");
}

/// An emulator over plain HTTP on `addr` (port 0 for any).
async fn emulator_on(addr: std::net::SocketAddr) -> EmulatorHandle {
    Emulator::builder().tls(false).auth(AuthMode::Any).bind(addr).start().await.unwrap()
}

#[tokio::test]
async fn a_restarted_server_under_pooled_connections_is_invisible_to_reads_and_safe_writes() {
    let first = emulator_on("127.0.0.1:0".parse().unwrap()).await;
    let addr = first.addr();
    let time = ManualTime::default();
    let client = client_for(first.url(), TransportOptions::default(), &time);
    client.set_secret("a", "before", None).await.unwrap();
    assert_eq!(client.get_secret("a").await.unwrap().value(), "before");
    first.shutdown().await; // closes the pooled keep-alive connection under the client
    let second = emulator_on(addr).await;
    // The pooled connection is gone: the read reconnects without surfacing an error ...
    assert!(matches!(client.get_secret("a").await, Err(Error::NotFound(_))), "a fresh emulator has no `a`");
    // ... and so does a write whose connection was refused or closed before it was sent.
    client.set_secret("a", "after", None).await.unwrap();
    assert_eq!(client.get_secret("a").await.unwrap().value(), "after");
    second.shutdown().await;
}

/// A transport that parks the `n`th request (0-based) forever, before or after the real
/// exchange, and says when it has parked.
#[derive(Debug)]
struct ParkNth {
    inner: Arc<dyn HttpClient>,
    park: usize,
    after_exchange: bool,
    seen: AtomicUsize,
    parked: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl HttpClient for ParkNth {
    async fn execute(&self, request: &azkv_pipeline::Request) -> azkv_pipeline::Result<azkv_pipeline::Response> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        if n == self.park && !self.after_exchange {
            self.parked.notify_one();
            std::future::pending::<()>().await;
        }
        let outcome = self.inner.execute(request).await;
        if n == self.park && self.after_exchange {
            self.parked.notify_one();
            std::future::pending::<()>().await;
        }
        outcome
    }
}

fn parking_client(emulator: &EmulatorHandle, park: usize, after_exchange: bool) -> (SecretClient, Arc<ParkNth>) {
    let real = azkv_pipeline::transport::default_transport(&TransportOptions::default().without_proxy()).unwrap();
    let transport =
        Arc::new(ParkNth { inner: real, park, after_exchange, seen: AtomicUsize::new(0), parked: Default::default() });
    let options = SecretClientOptions::default().with_verify_challenge_resource(false).with_client_options(
        ClientOptions::default().with_transport(transport.clone()).with_retry(RetryOptions::none()),
    );
    (SecretClient::new(emulator.url(), Arc::new(TestCredential::default()), Some(options)).unwrap(), transport)
}

/// Starts `set_secret("a", ..)` and drops it once the transport has parked it.
async fn cancel_when_parked(client: &SecretClient, transport: &ParkNth) {
    tokio::select! {
        outcome = client.set_secret("a", "lost", None) => panic!("the call was to park, not end: {outcome:?}"),
        () = transport.parked.notified() => {}
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_cancelled_at_any_await_point_leaves_the_client_usable() {
    let emulator = emulator_on("127.0.0.1:0".parse().unwrap()).await;
    // A fresh client: cancelled in its discovery request, or in its first authorized request.
    for (park, after_exchange) in [(0, false), (0, true), (1, false), (1, true)] {
        let (client, transport) = parking_client(&emulator, park, after_exchange);
        cancel_when_parked(&client, &transport).await;
        client.set_secret("a", "kept", None).await.unwrap();
        assert_eq!(client.get_secret("a").await.unwrap().value(), "kept", "park {park} after {after_exchange}");
    }
    // A warm client (pooled connection, cached challenge): nothing is left running after the
    // dropped call, before or after its exchange.
    for after_exchange in [false, true] {
        let (client, transport) = parking_client(&emulator, 2, after_exchange);
        client.set_secret("warm", "up", None).await.unwrap();
        let tasks = tokio::runtime::Handle::current().metrics().num_alive_tasks();
        cancel_when_parked(&client, &transport).await;
        tokio::task::yield_now().await;
        assert_eq!(tokio::runtime::Handle::current().metrics().num_alive_tasks(), tasks, "after {after_exchange}");
        client.set_secret("a", "kept", None).await.unwrap();
        assert_eq!(client.get_secret("a").await.unwrap().value(), "kept", "after {after_exchange}");
    }
    emulator.shutdown().await;
}
