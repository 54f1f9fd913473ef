//! Bearer token policy: secure transport only, token attached, refresh ahead, single flight.

use std::sync::Arc;
use std::time::Duration;

use azkv_pipeline::policies::{BearerTokenPolicy, RetryOptions};
use azkv_pipeline::test_util::{ManualTime, ReplayTransport};
use azkv_pipeline::{Context, Error, Method, Request, StatusCode};

use crate::support::{CountingCredential, Silent, pipeline_over};

fn setup(credential: Arc<CountingCredential>, time: &ManualTime) -> (Arc<ReplayTransport>, azkv_pipeline::Pipeline) {
    let transport = Arc::new(ReplayTransport::new());
    let policy = BearerTokenPolicy::with_time(credential, ["https://vault.azure.net/.default"], time.components());
    let pipeline = pipeline_over(transport.clone(), RetryOptions::none(), time, vec![Arc::new(policy)]);
    (transport, pipeline)
}

fn req(url: &str) -> Request {
    Request::new(Method::GET, url.parse().unwrap())
}

fn auth(transport: &ReplayTransport, i: usize) -> String {
    transport.requests()[i].headers.get("authorization").unwrap().to_owned()
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_any_token_is_fetched() {
    let time = ManualTime::default();
    let credential = Arc::new(CountingCredential::new(&time));
    let (transport, pipeline) = setup(credential.clone(), &time);
    let err = pipeline.send(&Context::new(), &mut req("http://myvault.vault.azure.net/secrets/a")).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("myvault.vault.azure.net"), "{err}");
    assert_eq!(credential.calls(), 0);
    assert!(transport.requests().is_empty());
}

#[tokio::test]
async fn the_token_is_attached_over_https_and_loopback_http() {
    let time = ManualTime::default();
    let credential = Arc::new(CountingCredential::new(&time));
    let (transport, pipeline) = setup(credential.clone(), &time);
    transport.push_status(StatusCode::OK, Default::default()).push_status(StatusCode::OK, Default::default());
    pipeline.send(&Context::new(), &mut req("https://v.vault.azure.net/x")).await.unwrap();
    pipeline.send(&Context::new(), &mut req("http://127.0.0.1:8443/x")).await.unwrap();
    assert_eq!(auth(&transport, 0), "Bearer token-1");
    assert_eq!(auth(&transport, 1), "Bearer token-1", "the cached token is reused");
    assert_eq!(credential.calls(), 1);
}

#[tokio::test]
async fn the_token_is_refreshed_when_close_to_expiry() {
    let time = ManualTime::default();
    let credential = Arc::new(CountingCredential::new(&time));
    let (transport, pipeline) = setup(credential.clone(), &time);
    for _ in 0..3 {
        transport.push_status(StatusCode::OK, Default::default());
    }
    pipeline.send(&Context::new(), &mut req("https://v/x")).await.unwrap();
    time.advance(Duration::from_secs(54 * 60));
    pipeline.send(&Context::new(), &mut req("https://v/x")).await.unwrap();
    assert_eq!(auth(&transport, 1), "Bearer token-1", "54 minutes in, the 1 h token is still fresh");
    time.advance(Duration::from_secs(2 * 60));
    pipeline.send(&Context::new(), &mut req("https://v/x")).await.unwrap();
    assert_eq!(auth(&transport, 2), "Bearer token-2", "56 minutes in, within 5 minutes of expiry");
}

#[tokio::test]
async fn a_failed_refresh_keeps_serving_a_still_valid_token() {
    let time = ManualTime::default();
    let mut credential = CountingCredential::new(&time);
    credential.fail_after = Some(1);
    let credential = Arc::new(credential);
    let (transport, pipeline) = setup(credential.clone(), &time);
    for _ in 0..2 {
        transport.push_status(StatusCode::OK, Default::default());
    }
    pipeline.send(&Context::new(), &mut req("https://v/x")).await.unwrap();
    time.advance(Duration::from_secs(57 * 60));
    pipeline.send(&Context::new(), &mut req("https://v/x")).await.unwrap();
    assert_eq!(auth(&transport, 1), "Bearer token-1");
    time.advance(Duration::from_secs(4 * 60));
    let err = pipeline.send(&Context::new(), &mut req("https://v/x")).await.unwrap_err();
    assert!(matches!(err, Error::Credential { .. }), "expired and refresh failing: {err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_requests_share_one_token_fetch() {
    let time = ManualTime::default();
    let credential = Arc::new(CountingCredential::new(&time));
    let (transport, pipeline) = setup(credential.clone(), &time);
    for _ in 0..50 {
        transport.push_status(StatusCode::OK, Default::default());
    }
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let pipeline = pipeline.clone();
            tokio::spawn(async move { pipeline.send(&Context::new(), &mut req("https://v/x")).await.map(|r| r.status) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), StatusCode::OK);
    }
    assert_eq!(credential.calls(), 1);
    assert_eq!(transport.requests().len(), 50);
}

/// A challenge protocol that never knows the target in advance: every call starts with a
/// bodiless send, and learns the scopes from the `401`.
#[derive(Debug)]
struct AlwaysAsk;

impl azkv_pipeline::policies::OnChallenge for AlwaysAsk {
    fn target(&self, _request: &Request) -> Option<Arc<azkv_pipeline::policies::TokenTarget>> {
        None
    }

    fn on_challenge(
        &self,
        _request: &Request,
        _response: &azkv_pipeline::Response,
    ) -> azkv_pipeline::Result<azkv_pipeline::policies::TokenTarget> {
        Ok(azkv_pipeline::policies::TokenTarget::new(["https://vault.azure.net/.default"]))
    }
}

/// A write with its own `Authorization` and `Content-Length`, as a caller might hand one over.
fn write_request() -> Request {
    let mut request = Request::new(Method::PUT, "https://myvault.vault.azure.net/secrets/a".parse().unwrap());
    request.body = bytes::Bytes::from_static(br#"{"value":"v"}"#);
    request.headers.insert("content-type", "application/json");
    request.headers.insert("content-length", "13");
    request.headers.insert("authorization", "caller's own");
    request.headers.append("authorization", "and another");
    request
}

fn assert_as_handed_over(request: &Request) {
    assert_eq!(&request.body[..], br#"{"value":"v"}"#);
    assert_eq!(request.headers.get("content-type"), Some("application/json"));
    assert_eq!(request.headers.get("content-length"), Some("13"));
    assert_eq!(request.headers.get_all("authorization").collect::<Vec<_>>(), ["caller's own", "and another"]);
}

#[tokio::test]
async fn each_retry_carries_one_token_and_the_caller_gets_its_request_back() {
    let time = ManualTime::default();
    let credential = Arc::new(CountingCredential::new(&time));
    let transport = Arc::new(ReplayTransport::new());
    let challenge = Arc::new(AlwaysAsk);
    let policy = BearerTokenPolicy::with_challenge(credential, challenge, time.components());
    let pipeline = pipeline_over(transport.clone(), RetryOptions::default(), &time, vec![Arc::new(policy)]);
    // Try 1: the bodiless send is challenged, then the token is refused with 429 (retried);
    // try 2: challenged again, then accepted.
    let challenged = || {
        let mut h = azkv_pipeline::Headers::new();
        h.insert(
            "www-authenticate",
            r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net""#,
        );
        h
    };
    transport.push_status(StatusCode::UNAUTHORIZED, challenged());
    transport.push_status(StatusCode::TOO_MANY_REQUESTS, Default::default());
    transport.push_status(StatusCode::UNAUTHORIZED, challenged());
    transport.push_status(StatusCode::OK, Default::default());

    let mut request = write_request();
    let response = pipeline.send(&Context::new(), &mut request).await.unwrap();
    assert_eq!(response.status, StatusCode::OK);

    let sent = transport.requests();
    assert_eq!(sent.len(), 4);
    for (i, r) in sent.iter().enumerate() {
        let tokens: Vec<&str> = r.headers.get_all("authorization").collect();
        if i % 2 == 0 {
            assert!(r.body.is_empty() && r.headers.get("content-length") == Some("0"), "send {i}: {:?}", r.headers);
            assert!(!r.headers.contains("content-type"), "send {i}: {:?}", r.headers);
            assert_eq!(tokens, ["caller's own", "and another"], "send {i}: the bodiless send adds no token");
        } else {
            assert_eq!(&r.body[..], br#"{"value":"v"}"#, "send {i}");
            assert_eq!(r.headers.get("content-length"), Some("13"), "send {i}");
            assert_eq!(tokens.len(), 1, "send {i}: {tokens:?}");
            assert!(tokens[0].starts_with("Bearer token-"), "send {i}: {tokens:?}");
        }
    }
    assert_as_handed_over(&request);
}

#[tokio::test(start_paused = true)]
async fn a_call_cancelled_during_either_send_leaves_the_callers_request_as_it_was() {
    let time = ManualTime::default();
    for challenge in [
        Arc::new(AlwaysAsk) as Arc<dyn azkv_pipeline::policies::OnChallenge>,
        Arc::new(azkv_pipeline::policies::FixedScopes::new(["https://vault.azure.net/.default"])),
    ] {
        let credential = Arc::new(CountingCredential::new(&time));
        let policy = BearerTokenPolicy::with_challenge(credential, challenge.clone(), time.components());
        let pipeline = pipeline_over(Arc::new(Silent), RetryOptions::default(), &time, vec![Arc::new(policy)]);
        let mut request = write_request();
        let cancelled =
            tokio::time::timeout(Duration::from_millis(10), pipeline.send(&Context::new(), &mut request)).await;
        assert!(cancelled.is_err(), "{challenge:?}: the send was still waiting when the call was dropped");
        assert_as_handed_over(&request);
    }
}

/// Learns its target from the first `401` and remembers it, as Key Vault's challenge does.
#[derive(Debug, Default)]
struct Learns(std::sync::Mutex<Option<Arc<azkv_pipeline::policies::TokenTarget>>>);

impl azkv_pipeline::policies::OnChallenge for Learns {
    fn target(&self, _request: &Request) -> Option<Arc<azkv_pipeline::policies::TokenTarget>> {
        self.0.lock().unwrap().clone()
    }

    fn on_challenge(
        &self,
        _request: &Request,
        _response: &azkv_pipeline::Response,
    ) -> azkv_pipeline::Result<azkv_pipeline::policies::TokenTarget> {
        let target = azkv_pipeline::policies::TokenTarget::new(["https://vault.azure.net/.default"]);
        *self.0.lock().unwrap() = Some(Arc::new(target.clone()));
        Ok(target)
    }
}

/// A server that takes 10 ms (of tokio's clock) per request: `401` to a request without a
/// token, `200` to one with. `first_bodiless` answers the first tokenless request instead, or
/// `None` never answers it.
#[derive(Debug)]
struct SlowServer {
    bodiless: std::sync::atomic::AtomicUsize,
    with_token: std::sync::atomic::AtomicUsize,
    first_bodiless: Option<StatusCode>,
}

impl SlowServer {
    fn new(first_bodiless: Option<StatusCode>) -> Arc<Self> {
        Arc::new(Self { bodiless: Default::default(), with_token: Default::default(), first_bodiless })
    }

    fn counts(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering::SeqCst;
        (self.bodiless.load(SeqCst), self.with_token.load(SeqCst))
    }
}

#[async_trait::async_trait]
impl azkv_pipeline::HttpClient for SlowServer {
    async fn execute(&self, request: &Request) -> azkv_pipeline::Result<azkv_pipeline::Response> {
        use std::sync::atomic::Ordering::SeqCst;
        let status = if request.headers.contains("authorization") {
            self.with_token.fetch_add(1, SeqCst);
            StatusCode::OK
        } else if self.bodiless.fetch_add(1, SeqCst) == 0 && self.first_bodiless != Some(StatusCode::UNAUTHORIZED) {
            match self.first_bodiless {
                Some(status) => status,
                None => std::future::pending().await,
            }
        } else {
            StatusCode::UNAUTHORIZED
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let mut headers = azkv_pipeline::Headers::new();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert("www-authenticate", r#"Bearer authorization="https://login.microsoftonline.com/t""#);
        }
        Ok(azkv_pipeline::Response::new(status, headers, ""))
    }
}

/// `n` concurrent GETs through a bearer policy over `server`, each a task of its own: their
/// statuses, in order.
async fn burst(server: Arc<SlowServer>, n: usize) -> Vec<azkv_pipeline::Result<StatusCode>> {
    let time = ManualTime::default();
    let credential = Arc::new(CountingCredential::new(&time));
    let policy = BearerTokenPolicy::with_challenge(credential, Arc::new(Learns::default()), time.components());
    let pipeline = Arc::new(pipeline_over(server, RetryOptions::none(), &time, vec![Arc::new(policy)]));
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let pipeline = pipeline.clone();
            tokio::spawn(async move {
                let mut request = req("https://myvault.vault.azure.net/secrets/a");
                pipeline.send(&Context::new(), &mut request).await.map(|r| r.status)
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap());
    }
    statuses
}

#[tokio::test(start_paused = true)]
async fn a_burst_on_a_new_client_learns_the_challenge_with_one_bodiless_request() {
    let server = SlowServer::new(Some(StatusCode::UNAUTHORIZED));
    let statuses = burst(server.clone(), 16).await;
    assert!(statuses.iter().all(|s| matches!(s, Ok(StatusCode::OK))), "{statuses:?}");
    assert_eq!(server.counts(), (1, 16), "(bodiless sends, sends with a token)");
}

#[tokio::test(start_paused = true)]
async fn when_the_learning_request_learns_nothing_the_others_learn_for_themselves() {
    let server = SlowServer::new(Some(StatusCode::INTERNAL_SERVER_ERROR));
    let statuses = burst(server.clone(), 8).await;
    let failed = statuses.iter().filter(|s| matches!(s, Ok(StatusCode::INTERNAL_SERVER_ERROR))).count();
    let passed = statuses.iter().filter(|s| matches!(s, Ok(StatusCode::OK))).count();
    assert_eq!((failed, passed), (1, 7), "{statuses:?}");
    // The seven waiters were released together and each sent its own bodiless request.
    assert_eq!(server.counts(), (8, 7));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_learning_request_releases_the_waiters() {
    let time = ManualTime::default();
    let server = SlowServer::new(None);
    let credential = Arc::new(CountingCredential::new(&time));
    let policy = BearerTokenPolicy::with_challenge(credential, Arc::new(Learns::default()), time.components());
    let pipeline = Arc::new(pipeline_over(server.clone(), RetryOptions::none(), &time, vec![Arc::new(policy)]));
    let learner = {
        let pipeline = pipeline.clone();
        tokio::spawn(async move { pipeline.send(&Context::new(), &mut req("https://myvault.vault.azure.net/a")).await })
    };
    tokio::time::sleep(Duration::from_millis(1)).await;
    let waiter = {
        let pipeline = pipeline.clone();
        tokio::spawn(async move { pipeline.send(&Context::new(), &mut req("https://myvault.vault.azure.net/b")).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished(), "the waiter waits for the learning request");
    learner.abort();
    let answered = tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("released").unwrap().unwrap();
    assert_eq!(answered.status, StatusCode::OK);
    assert_eq!(server.counts(), (2, 1));
}
