//! Client faults: a misbehaving TCP server of the tests' own (reset, truncated body, invalid
//! JSON, never answering, dripping bytes, 429/503 without `Retry-After`).
//! The emulator's fault controls are exercised in `faults_emulated.rs`.
//!
//! Each case ends in its typed error (or succeeds after retries) within the configured budget;
//! backoff waits go through `ManualTime` and are asserted, and retried requests carry the same
//! body and the same `x-ms-client-request-id`, checked on the server side. Reads are retried
//! after a broken exchange; writes (set, restore, recover, purge, delete) are not, and end in
//! `Error::OutcomeUnknown` after exactly one try that reached the server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azkv_pipeline::ClientOptions;
use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::transport::TransportOptions;
use azkv_secrets::{Error, SecretClient, SecretClientOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{TENANT, TestCredential, V1};

/// Every test here must end well within this; a hang fails instead of blocking CI.
const GUARD: Duration = Duration::from_secs(30);

/// What the scripted server does with one authorized request.
#[derive(Debug, Clone, Copy)]
enum Act {
    /// A complete response: status, body, `Retry-After` seconds.
    Reply(u16, &'static str, Option<u64>),
    /// A secret bundle for `a`.
    Bundle,
    /// Part of a response, then a TCP reset.
    Reset,
    /// `Content-Length: 100`, ten bytes, then a clean close.
    Truncate,
    /// Reads the request and never answers.
    Hang,
    /// The head, then one body byte every interval, forever.
    Drip(Duration),
    /// A chunked body that never ends, as fast as the client reads.
    Endless,
    /// A `Content-Length` of 1 TiB.
    Huge,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    authorized: bool,
    request_id: Option<String>,
    body: Vec<u8>,
}

struct Scripted {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    fn authorized(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().iter().filter(|s| s.authorized).cloned().collect()
    }

    fn all(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A server on 127.0.0.1 that answers unauthenticated requests with a Key Vault challenge and
/// the `n`th authorized request (0-based) with `script(n)`.
async fn scripted(script: impl Fn(usize) -> Act + Send + Sync + 'static) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let counter = Arc::new(AtomicUsize::new(0));
    let script = Arc::new(script);
    let (seen2, url2) = (seen.clone(), url.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (seen, counter, script, url) = (seen2.clone(), counter.clone(), script.clone(), url2.clone());
            tokio::spawn(async move { serve(stream, &seen, &counter, script.as_ref(), &url).await });
        }
    });
    Scripted { url, seen }
}

/// Reads one request (head and `Content-Length` body); `None` at end of stream.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Seen> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let header =
        |name: &str| head.lines().find_map(|l| l.strip_prefix(&format!("{name}:")).map(|v| v.trim().to_owned()));
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    Some(Seen { authorized: header("authorization").is_some(), request_id: header("x-ms-client-request-id"), body })
}

fn response(status: u16, body: &str, extra: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(
    mut stream: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    counter: &AtomicUsize,
    script: &(dyn Fn(usize) -> Act + Send + Sync),
    url: &str,
) {
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buf).await {
        let authorized = request.authorized;
        seen.lock().unwrap().push(request);
        if !authorized {
            let challenge = format!(
                "www-authenticate: Bearer authorization=\"https://login.microsoftonline.com/{TENANT}\", resource=\"https://vault.azure.net\"\r\n"
            );
            if stream.write_all(&response(401, "", &challenge)).await.is_err() {
                return;
            }
            continue;
        }
        let act = script(counter.fetch_add(1, Ordering::SeqCst));
        match act {
            Act::Reply(status, body, retry_after) => {
                let extra = retry_after.map(|s| format!("retry-after: {s}\r\n")).unwrap_or_default();
                let _ = stream.write_all(&response(status, body, &extra)).await;
            }
            Act::Bundle => {
                let body = serde_json::json!({
                    "value": "v", "id": format!("{url}/secrets/a/{V1}"),
                    "attributes": {"enabled": true, "created": 1_700_000_000, "updated": 1_700_000_000}
                })
                .to_string();
                let _ = stream.write_all(&response(200, &body, "")).await;
            }
            Act::Reset => {
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"val",
                    )
                    .await;
                let _ = stream.set_zero_linger();
                return; // dropped with SO_LINGER 0: a TCP reset
            }
            Act::Truncate => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"value\":\"").await;
                let _ = stream.shutdown().await;
                return;
            }
            Act::Hang => {
                std::future::pending::<()>().await;
            }
            Act::Endless => {
                let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head).await.is_err() {
                    return;
                }
                let mut chunk = format!("{:x}\r\n", 64 * 1024).into_bytes();
                chunk.extend(std::iter::repeat_n(b' ', 64 * 1024));
                chunk.extend_from_slice(b"\r\n");
                while stream.write_all(&chunk).await.is_ok() {}
                return;
            }
            Act::Huge => {
                let head =
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1099511627776\r\n\r\n{";
                let _ = stream.write_all(head).await;
                std::future::pending::<()>().await;
            }
            Act::Drip(every) => {
                if stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                loop {
                    if stream.write_all(b" ").await.is_err() {
                        return;
                    }
                    tokio::time::sleep(every).await;
                }
            }
        }
    }
}

/// A client for `url` with `retry`, a manual clock and `transport` settings.
pub(crate) fn client(url: &str, time: &ManualTime, retry: RetryOptions, transport: TransportOptions) -> SecretClient {
    let options = SecretClientOptions::default().with_verify_challenge_resource(false).with_client_options(
        ClientOptions::default().with_retry(retry).with_time(time.components()).with_transport_options(transport),
    );
    SecretClient::new(url, Arc::new(TestCredential::default()), Some(options)).unwrap()
}

fn retry_fixed(retries: u32, per_try: Duration) -> RetryOptions {
    let mut retry = RetryOptions::fixed(retries, Duration::from_secs(1));
    retry.per_try_timeout = per_try;
    retry
}

/// Every authorized try carried the same body and client request id as the first, and the
/// discovery request (no token, no body) the same id.
fn assert_same_request(server: &Scripted, tries: usize, body: &[u8]) {
    let all = server.all();
    let authorized = server.authorized();
    assert_eq!(authorized.len(), tries, "tries seen by the server: {all:?}");
    let id = authorized[0].request_id.clone().expect("a client request id");
    for s in &all {
        assert_eq!(s.request_id.as_deref(), Some(id.as_str()), "one id for every try: {all:?}");
        if s.authorized {
            assert_eq!(s.body, body, "the body is re-sent identically");
        } else {
            assert!(s.body.is_empty(), "the discovery request carries no body");
        }
    }
}

const SET_BODY: &[u8] = br#"{"value":"payload-42"}"#;

pub(crate) async fn set(client: &SecretClient) -> azkv_secrets::Result<azkv_secrets::KeyVaultSecret> {
    tokio::time::timeout(GUARD, client.set_secret("a", "payload-42", None)).await.expect("no hang")
}

pub(crate) async fn get(client: &SecretClient) -> azkv_secrets::Result<azkv_secrets::KeyVaultSecret> {
    tokio::time::timeout(GUARD, client.get_secret("a")).await.expect("no hang")
}

/// A GET carries no body.
const NO_BODY: &[u8] = b"";

#[tokio::test]
async fn a_reset_mid_response_is_retried_then_a_transport_error() {
    let server = scripted(|_| Act::Reset).await;
    let time = ManualTime::default();
    let client = client(&server.url, &time, retry_fixed(2, Duration::from_secs(10)), TransportOptions::default());
    let err = get(&client).await.unwrap_err();
    assert!(matches!(err, Error::Transport(azkv_pipeline::Error::Transport { .. })), "{err:?}");
    assert_eq!(time.sleeps(), [Duration::from_secs(1); 2]);
    assert_same_request(&server, 3, NO_BODY);
}

/// Every write whose response is lost: sent once, never again, and reported as possibly applied.
#[tokio::test]
async fn a_lost_response_to_a_write_is_outcome_unknown_after_one_application() {
    let backup = b"opaque-backup".to_vec();
    let cases = [Act::Reset, Act::Truncate, Act::Hang]
        .into_iter()
        .flat_map(|act| ["set", "restore", "recover", "purge", "delete"].map(|op| (op, act)));
    for (operation, lost) in cases {
        let server = scripted(move |_| lost).await;
        let time = ManualTime::default();
        let client =
            client(&server.url, &time, retry_fixed(3, Duration::from_millis(400)), TransportOptions::default());
        let outcome = tokio::time::timeout(GUARD, async {
            match operation {
                "set" => client.set_secret("a", "payload-42", None).await.map(drop),
                "restore" => client.restore_secret_backup(&backup).await.map(drop),
                "recover" => client.begin_recover_deleted_secret("a").await.map(drop),
                "purge" => client.purge_deleted_secret("a").await,
                _ => client.begin_delete_secret("a").await.map(drop),
            }
        })
        .await
        .expect("no hang");
        let err = outcome.unwrap_err();
        assert!(matches!(err, Error::OutcomeUnknown(_)), "{operation} after {lost:?}: {err:?}");
        assert!(err.to_string().contains("may have been applied"), "{operation}: {err}");
        assert_eq!(server.authorized().len(), 1, "{operation} after {lost:?}: applied once, never re-sent");
        assert!(time.sleeps().is_empty(), "{operation}: no retry wait");
    }
}

#[tokio::test]
async fn a_truncated_body_is_retried_and_the_next_try_succeeds() {
    let server = scripted(|n| if n == 0 { Act::Truncate } else { Act::Bundle }).await;
    let time = ManualTime::default();
    let client = client(&server.url, &time, retry_fixed(2, Duration::from_secs(10)), TransportOptions::default());
    let secret = get(&client).await.unwrap();
    assert_eq!(secret.properties.version.as_deref(), Some(V1));
    assert_eq!(time.sleeps(), [Duration::from_secs(1)]);
    assert_same_request(&server, 2, NO_BODY);
}

#[tokio::test]
async fn a_truncated_body_on_every_try_is_a_transport_error() {
    let server = scripted(|_| Act::Truncate).await;
    let time = ManualTime::default();
    let client = client(&server.url, &time, retry_fixed(1, Duration::from_secs(10)), TransportOptions::default());
    let err = get(&client).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_retryable_transport(), "{err:?}");
    assert_same_request(&server, 2, NO_BODY);
}

#[tokio::test]
async fn invalid_json_is_a_decode_error_without_retry() {
    let server = scripted(|_| Act::Reply(200, r#"{"value": "canary-body", "id": [}"#, None)).await;
    let time = ManualTime::default();
    let client = client(&server.url, &time, retry_fixed(3, Duration::from_secs(10)), TransportOptions::default());
    let err = set(&client).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("canary"), "{err:?}");
    assert!(time.sleeps().is_empty(), "a decode error is not retried");
    assert_same_request(&server, 1, SET_BODY);
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_per_try_timeout() {
    let server = scripted(|_| Act::Hang).await;
    let time = ManualTime::default();
    let per_try = Duration::from_millis(400);
    let client = client(&server.url, &time, retry_fixed(2, per_try), TransportOptions::default());
    let err = get(&client).await.unwrap_err();
    assert!(matches!(err, Error::Transport(azkv_pipeline::Error::Timeout { .. })), "{err:?}");
    assert!(err.to_string().contains("400ms"), "{err}");
    assert_eq!(time.sleeps(), [Duration::from_secs(1); 2], "backoff on the manual clock");
    assert_same_request(&server, 3, NO_BODY);
}

#[tokio::test]
async fn a_slow_drip_is_cut_by_the_per_try_timeout() {
    let server = scripted(|_| Act::Drip(Duration::from_millis(50))).await;
    let time = ManualTime::default();
    let client = client(&server.url, &time, retry_fixed(1, Duration::from_millis(400)), TransportOptions::default());
    let err = get(&client).await.unwrap_err();
    assert!(matches!(err, Error::Transport(azkv_pipeline::Error::Timeout { .. })), "{err:?}");
    assert_same_request(&server, 2, NO_BODY);
}

#[tokio::test]
async fn a_slow_drip_is_cut_by_the_read_timeout() {
    let server = scripted(|_| Act::Drip(Duration::from_secs(5))).await;
    let time = ManualTime::default();
    let mut transport = TransportOptions::default();
    transport.read_timeout = Duration::from_millis(200);
    let client = client(&server.url, &time, retry_fixed(1, Duration::from_secs(20)), transport);
    let err = get(&client).await.unwrap_err();
    assert!(matches!(err, Error::Transport(azkv_pipeline::Error::Timeout { .. })), "{err:?}");
    assert!(err.to_string().contains("read timeout"), "the read timeout, not the 20 s per-try timeout: {err}");
    assert_same_request(&server, 2, NO_BODY);
}

#[tokio::test]
async fn an_endless_or_huge_body_is_refused_at_the_limit_not_buffered() {
    for act in [Act::Endless, Act::Huge] {
        let server = scripted(move |_| act).await;
        let time = ManualTime::default();
        let client = client(&server.url, &time, retry_fixed(0, Duration::from_secs(20)), TransportOptions::default());
        let err = get(&client).await.unwrap_err();
        assert!(matches!(err, Error::Transport(azkv_pipeline::Error::Transport { .. })), "{act:?}: {err:?}");
        assert!(err.to_string().contains("exceeds 33554432 bytes"), "{act:?}: {err}");
    }
}

#[tokio::test]
async fn throttling_and_unavailability_without_retry_after_wait_the_backoff() {
    let server = scripted(|n| match n {
        0 => Act::Reply(429, r#"{"error":{"code":"Throttled","message":"slow down"}}"#, None),
        1 => Act::Reply(503, "", None),
        _ => Act::Bundle,
    })
    .await;
    let time = ManualTime::default();
    let client = client(&server.url, &time, retry_fixed(3, Duration::from_secs(10)), TransportOptions::default());
    get(&client).await.unwrap();
    assert_eq!(time.sleeps(), [Duration::from_secs(1); 2], "the fixed backoff, nothing longer");
    assert_same_request(&server, 3, NO_BODY);
}

#[tokio::test]
async fn a_write_is_retried_on_429_but_not_on_a_503_without_retry_after() {
    let server = scripted(|n| match n {
        0 => Act::Reply(429, r#"{"error":{"code":"Throttled","message":"slow down"}}"#, None),
        1 => Act::Reply(503, r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#, None),
        _ => Act::Bundle,
    })
    .await;
    let time = ManualTime::default();
    let client = client(&server.url, &time, retry_fixed(3, Duration::from_secs(10)), TransportOptions::default());
    let err = set(&client).await.unwrap_err();
    assert_eq!(err.status(), Some(503), "a 503 without Retry-After may have been processed: {err:?}");
    assert_eq!(time.sleeps(), [Duration::from_secs(1)], "only the 429 was retried");
    assert_same_request(&server, 2, SET_BODY);
}

#[tokio::test]
async fn retry_after_on_a_503_from_the_scripted_server_is_honoured() {
    let server = scripted(|n| if n < 2 { Act::Reply(503, "", Some(12)) } else { Act::Bundle }).await;
    let time = ManualTime::default();
    let client = client(&server.url, &time, retry_fixed(3, Duration::from_secs(10)), TransportOptions::default());
    set(&client).await.unwrap();
    assert_eq!(time.sleeps(), [Duration::from_secs(12); 2]);
    assert_same_request(&server, 3, SET_BODY);
}

/// `azkv_secrets::Error` has no helper for this; a local one keeps the assertions readable.
pub(crate) trait RetryableTransport {
    fn is_retryable_transport(&self) -> bool;
}

impl RetryableTransport for Error {
    fn is_retryable_transport(&self) -> bool {
        matches!(self, Error::Transport(e) if e.is_retryable())
    }
}
