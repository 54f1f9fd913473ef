//! Retry policy against wiremock: counts, Retry-After forms, refused connections, timeouts.

use std::sync::Arc;
use std::time::Duration;

use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{Context, Error, Method, Request, StatusCode};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::reqwest_pipeline;

fn get(server: &MockServer) -> Request {
    Request::new(Method::GET, format!("{}/x", server.uri()).parse().unwrap())
}

#[tokio::test]
async fn retryable_statuses_are_retried_up_to_the_limit() {
    for status in [408u16, 429, 500, 502, 503, 504] {
        let server = MockServer::start().await;
        Mock::given(path("/x")).respond_with(ResponseTemplate::new(status)).expect(4).mount(&server).await;
        let time = ManualTime::default();
        let pipeline = reqwest_pipeline(
            RetryOptions::exponential(3, Duration::from_millis(100), Duration::from_secs(1)),
            &time,
            vec![],
        );
        let resp = pipeline.send(&Context::new(), &mut get(&server)).await.unwrap();
        assert_eq!(resp.status.as_u16(), status);
        assert_eq!(time.sleeps().len(), 3, "status {status}");
        server.verify().await;
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [400u16, 401, 403, 404, 409] {
        let server = MockServer::start().await;
        Mock::given(path("/x")).respond_with(ResponseTemplate::new(status)).expect(1).mount(&server).await;
        let time = ManualTime::default();
        let pipeline = reqwest_pipeline(RetryOptions::default(), &time, vec![]);
        let resp = pipeline.send(&Context::new(), &mut get(&server)).await.unwrap();
        assert_eq!(resp.status.as_u16(), status);
        assert!(time.sleeps().is_empty(), "status {status} slept {:?}", time.sleeps());
        server.verify().await;
    }
}

#[tokio::test]
async fn exponential_delays_grow_within_jitter() {
    let server = MockServer::start().await;
    Mock::given(path("/x")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let time = ManualTime::default();
    let mut retry = RetryOptions::default();
    retry.total_budget = Duration::from_secs(600);
    let pipeline = reqwest_pipeline(retry, &time, vec![]);
    pipeline.send(&Context::new(), &mut get(&server)).await.unwrap();
    let sleeps = time.sleeps();
    assert_eq!(sleeps.len(), 8, "{sleeps:?}");
    for (i, d) in sleeps.iter().enumerate() {
        let base = (Duration::from_millis(200) * 2u32.pow(i as u32)).min(Duration::from_secs(30));
        assert!(
            *d >= base.mul_f64(0.8).min(Duration::from_secs(30))
                && *d <= base.mul_f64(1.2).min(Duration::from_secs(30)),
            "retry {i}: {d:?}"
        );
    }
}

async fn delay_for(header: (&str, String)) -> Vec<Duration> {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(429).insert_header(header.0, header.1.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/x")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let time = ManualTime::default();
    let pipeline = reqwest_pipeline(RetryOptions::default(), &time, vec![]);
    let resp = pipeline.send(&Context::new(), &mut get(&server)).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    time.sleeps()
}

#[tokio::test]
async fn retry_after_forms_are_honoured() {
    assert_eq!(delay_for(("x-ms-retry-after-ms", "1500".into())).await, [Duration::from_millis(1500)]);
    assert_eq!(delay_for(("retry-after-ms", "2500".into())).await, [Duration::from_millis(2500)]);
    assert_eq!(delay_for(("Retry-After", "7".into())).await, [Duration::from_secs(7)]);
    // ManualTime::default() reads 2023-11-14 22:13:20 UTC.
    assert_eq!(delay_for(("Retry-After", "Tue, 14 Nov 2023 22:13:32 GMT".into())).await, [Duration::from_secs(12)]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_ends_the_call_with_the_last_response() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "120"))
        .expect(1)
        .mount(&server)
        .await;
    let time = ManualTime::default();
    let pipeline = reqwest_pipeline(RetryOptions::default(), &time, vec![]);
    let resp = pipeline.send(&Context::new(), &mut get(&server)).await.unwrap();
    assert_eq!(resp.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(time.sleeps().is_empty());
}

#[tokio::test]
async fn connection_refused_is_retried_then_a_typed_error() {
    let closed = azkv_pipeline::test_util::ClosedPort::new();
    let time = ManualTime::default();
    let pipeline = reqwest_pipeline(RetryOptions::fixed(2, Duration::from_millis(10)), &time, vec![]);
    let mut req = Request::new(Method::GET, format!("{}/x?sig=hidden", closed.http_url()).parse().unwrap());
    let err = pipeline.send(&Context::new(), &mut req).await.unwrap_err();
    assert_eq!(err.connection_kind(), Some(azkv_pipeline::ConnectionErrorKind::Refused), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(time.sleeps(), [Duration::from_millis(10); 2]);
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("cannot connect to {}: ", closed.addr())), "{shown}");
    assert!(!shown.contains("sig") && !shown.contains("error sending request"), "{shown}");
}

#[tokio::test]
async fn a_refused_write_is_retried_too_but_only_the_connection_retries() {
    let closed = azkv_pipeline::test_util::ClosedPort::new();
    let time = ManualTime::default();
    let pipeline = reqwest_pipeline(RetryOptions::default(), &time, vec![]);
    let mut req = Request::new(Method::PUT, format!("{}/secrets/a", closed.http_url()).parse().unwrap());
    let err = pipeline.send(&Context::new(), &mut req).await.unwrap_err();
    assert_eq!(err.connection_kind(), Some(azkv_pipeline::ConnectionErrorKind::Refused), "{err:?}");
    let sleeps = time.sleeps();
    assert_eq!(sleeps.len(), 3, "the default allows 3 connection retries: {sleeps:?}");
    assert!(sleeps.iter().sum::<Duration>() < Duration::from_secs(2), "{sleeps:?}");
}

/// A transport that takes every request and never answers, counting them.
#[derive(Debug, Default)]
struct NeverAnswers(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl azkv_pipeline::HttpClient for NeverAnswers {
    async fn execute(&self, _request: &Request) -> azkv_pipeline::Result<azkv_pipeline::Response> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::future::pending().await
    }
}

// In memory, not against a server: on tokio's paused clock a timer fires whenever the runtime
// waits, so against a real socket the timeout would fire before the server read the request,
// and the pooled wiremock server would answer that stale request in the next test to use it.
#[tokio::test(start_paused = true)]
async fn per_try_timeout_fires_against_a_server_that_never_answers() {
    let transport = std::sync::Arc::new(NeverAnswers::default());
    let time = ManualTime::default();
    let mut retry = RetryOptions::fixed(1, Duration::from_millis(10));
    retry.per_try_timeout = Duration::from_secs(5);
    let pipeline = crate::support::pipeline_over(transport.clone(), retry, &time, vec![]);
    let started = tokio::time::Instant::now();
    let err = pipeline
        .send(&Context::new(), &mut Request::new(Method::GET, "https://v/x".parse().unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("no response from v:443 within 5s"), "{err}");
    assert_eq!(time.sleeps().len(), 1, "the timed-out try is retried once");
    assert_eq!(transport.0.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(started.elapsed(), Duration::from_secs(10), "two per-try timeouts on the paused clock");
}

#[tokio::test]
async fn the_callers_deadline_bounds_the_retries() {
    let server = MockServer::start().await;
    Mock::given(path("/x")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let time = ManualTime::default();
    let pipeline = reqwest_pipeline(RetryOptions::fixed(100, Duration::from_secs(1)), &time, vec![]);
    let now = azkv_pipeline::time::TimeSource::now(&time);
    let ctx = Context::new().with_deadline(now + Duration::from_millis(3500));
    let resp = pipeline.send(&ctx, &mut get(&server)).await.unwrap();
    assert_eq!(resp.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(time.sleeps().len(), 3, "three 1 s waits fit in 3.5 s");
}

#[tokio::test]
async fn the_body_and_request_id_are_resent_identically() {
    let server = MockServer::start().await;
    // A write is retried on 429 (not processed), never on a 500 (it may have been applied).
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(429)).up_to_n_times(2).mount(&server).await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let time = ManualTime::default();
    let pipeline = reqwest_pipeline(RetryOptions::default(), &time, vec![]);
    let mut req = Request::new(Method::PUT, format!("{}/secrets/a", server.uri()).parse().unwrap());
    req.set_json(&serde_json::json!({"value": "v", "tags": {"a": "b"}})).unwrap();
    let resp = pipeline.send(&Context::new(), &mut req).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen.len(), 3);
    for r in &seen {
        assert_eq!(r.body, seen[0].body);
        assert_eq!(r.headers.get("x-ms-client-request-id"), seen[0].headers.get("x-ms-client-request-id"));
    }
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&seen[0].body).unwrap()["value"], "v");
}

#[tokio::test]
async fn a_write_answered_500_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(500)).expect(1).mount(&server).await;
    let time = ManualTime::default();
    let pipeline = reqwest_pipeline(RetryOptions::default(), &time, vec![]);
    let mut req = Request::new(Method::PUT, format!("{}/secrets/a", server.uri()).parse().unwrap());
    let resp = pipeline.send(&Context::new(), &mut req).await.unwrap();
    assert_eq!(resp.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(time.sleeps().is_empty());
    server.verify().await;
}

#[tokio::test]
async fn the_context_request_id_is_sent() {
    let server = MockServer::start().await;
    Mock::given(path("/x")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let time = ManualTime::default();
    let pipeline = reqwest_pipeline(RetryOptions::default(), &time, vec![]);
    pipeline.send(&Context::new().with_client_request_id("my-id"), &mut get(&server)).await.unwrap();
    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen[0].headers.get("x-ms-client-request-id").unwrap(), "my-id");
    assert!(seen[0].headers.get("user-agent").unwrap().to_str().unwrap().starts_with("azsdk-rust-test/0.0.1"));
}

#[tokio::test]
async fn a_generated_request_id_is_a_fresh_uuid_kept_out_of_the_hpack_table() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let transport = azkv_pipeline::test_util::FnHttpClient::new(move |request| {
        let value = request.headers.as_header_map().get("x-ms-client-request-id").unwrap();
        log.lock().unwrap().push((value.to_str().unwrap().to_owned(), value.is_sensitive()));
        Ok(azkv_pipeline::Response::new(StatusCode::OK, Default::default(), ""))
    });
    let time = ManualTime::default();
    let pipeline = crate::support::pipeline_over(Arc::new(transport), RetryOptions::default(), &time, vec![]);
    for _ in 0..2 {
        let mut request = Request::new(Method::GET, "http://127.0.0.1:9/x".parse().unwrap());
        pipeline.send(&Context::new(), &mut request).await.unwrap();
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for (id, never_indexed) in seen.iter() {
        assert!(uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4), "{id}");
        assert!(never_indexed, "{id} would go into HTTP/2's header table");
    }
    assert_ne!(seen[0].0, seen[1].0);
}

#[tokio::test]
async fn a_mocked_transport_sees_each_retry() {
    let mut mock = azkv_pipeline::test_util::MockHttpClient::new();
    let mut n = 0;
    mock.expect_execute().times(3).returning(move |_| {
        n += 1;
        let status = if n < 3 { StatusCode::BAD_GATEWAY } else { StatusCode::OK };
        Ok(azkv_pipeline::Response::new(status, Default::default(), ""))
    });
    let time = ManualTime::default();
    let pipeline = crate::support::pipeline_over(std::sync::Arc::new(mock), RetryOptions::default(), &time, vec![]);
    let mut req = Request::new(Method::GET, "https://h/x".parse().unwrap());
    assert_eq!(pipeline.send(&Context::new(), &mut req).await.unwrap().status, StatusCode::OK);
}

/// A resolver that answers every lookup with `answer`, counting the lookups.
#[derive(Debug)]
struct ScriptedResolver {
    answer: azkv_pipeline::transport::ResolveError,
    lookups: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl azkv_pipeline::transport::Resolve for ScriptedResolver {
    async fn resolve(&self, _host: &str) -> Result<Vec<std::net::SocketAddr>, azkv_pipeline::transport::ResolveError> {
        self.lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(self.answer.clone())
    }
}

async fn resolve_with(answer: azkv_pipeline::transport::ResolveError) -> (Error, usize, Vec<Duration>) {
    use azkv_pipeline::transport::{TransportOptions, new_reqwest_client};
    let resolver = std::sync::Arc::new(ScriptedResolver { answer, lookups: Default::default() });
    let transport =
        new_reqwest_client(&TransportOptions::default().without_proxy().with_resolver(resolver.clone())).unwrap();
    let time = ManualTime::default();
    let pipeline =
        crate::support::pipeline_over(std::sync::Arc::new(transport), RetryOptions::default(), &time, vec![]);
    let mut req = Request::new(Method::PUT, "https://typo-vault.vault.azure.net/secrets/a?sig=x".parse().unwrap());
    let err = pipeline.send(&Context::new(), &mut req).await.unwrap_err();
    (err, resolver.lookups.load(std::sync::atomic::Ordering::SeqCst), time.sleeps())
}

#[tokio::test]
async fn a_name_that_does_not_exist_fails_at_once_naming_the_host() {
    let host = "typo-vault.vault.azure.net".to_owned();
    let (err, lookups, sleeps) = resolve_with(azkv_pipeline::transport::ResolveError::NotFound { host }).await;
    assert_eq!(err.connection_kind(), Some(azkv_pipeline::ConnectionErrorKind::NameNotFound), "{err:?}");
    assert_eq!((lookups, sleeps.len()), (1, 0), "never retried");
    assert_eq!(
        err.to_string(),
        "cannot connect to typo-vault.vault.azure.net:443: no such host `typo-vault.vault.azure.net`; check the host name in the URL"
    );
}

#[tokio::test]
async fn a_temporary_resolver_failure_is_retried_once() {
    let answer = azkv_pipeline::transport::ResolveError::Temporary {
        host: "typo-vault.vault.azure.net".into(),
        message: "no resolver answered".into(),
    };
    let (err, lookups, sleeps) = resolve_with(answer).await;
    assert_eq!(err.connection_kind(), Some(azkv_pipeline::ConnectionErrorKind::NameLookupFailed), "{err:?}");
    assert_eq!((lookups, sleeps.len()), (2, 1));
    assert!(err.to_string().contains("no resolver answered"), "{err}");
}

/// A per-try policy that appends a header and rewrites the URL, as a careless custom policy
/// might: each try must still start from the request as the retry policy received it.
fn careless_policy() -> std::sync::Arc<dyn azkv_pipeline::Policy> {
    std::sync::Arc::new(azkv_pipeline::test_util::FnPolicy::new(|request| {
        request.headers.append("x-try", "1");
        request.url.set_path("/rewritten");
    }))
}

#[tokio::test]
async fn every_try_starts_from_the_request_as_received_and_the_caller_gets_it_back() {
    let replay = std::sync::Arc::new(azkv_pipeline::test_util::ReplayTransport::new());
    replay.push_status(StatusCode::BAD_GATEWAY, Default::default());
    replay.push_status(StatusCode::BAD_GATEWAY, Default::default());
    replay.push_status(StatusCode::OK, Default::default());
    let time = ManualTime::default();
    let pipeline =
        crate::support::pipeline_over(replay.clone(), RetryOptions::default(), &time, vec![careless_policy()]);
    let mut req = Request::new(Method::GET, "https://h/x".parse().unwrap());
    req.headers.insert("x-mine", "kept");
    assert_eq!(pipeline.send(&Context::new(), &mut req).await.unwrap().status, StatusCode::OK);

    let sent = replay.requests();
    assert_eq!(sent.len(), 3);
    for (i, r) in sent.iter().enumerate() {
        assert_eq!(r.headers.get_all("x-try").count(), 1, "try {}: {:?}", i + 1, r.headers);
        assert_eq!(r.headers.get("x-mine"), Some("kept"));
        assert_eq!(r.url.path(), "/rewritten");
    }
    // What the policies below the retry policy did is gone from the caller's request.
    assert_eq!(req.url.path(), "/x");
    assert!(!req.headers.contains("x-try") && !req.headers.contains("authorization"), "{:?}", req.headers);
    assert_eq!(req.headers.get("x-mine"), Some("kept"));
}

#[tokio::test(start_paused = true)]
async fn a_call_cancelled_mid_try_leaves_the_callers_request_as_it_was() {
    let time = ManualTime::default();
    let pipeline = crate::support::pipeline_over(
        std::sync::Arc::new(crate::support::Silent),
        RetryOptions::default(),
        &time,
        vec![careless_policy()],
    );
    let mut req = Request::new(Method::GET, "https://h/x".parse().unwrap());
    let cancelled = tokio::time::timeout(Duration::from_millis(10), pipeline.send(&Context::new(), &mut req)).await;
    assert!(cancelled.is_err(), "the try was still waiting when the call was dropped");
    assert_eq!(req.url.path(), "/x");
    assert!(!req.headers.contains("x-try"), "{:?}", req.headers);
}
