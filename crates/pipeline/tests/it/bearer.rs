//! Bearer token policy: secure transport only, token attached, refresh ahead, single flight.

use std::sync::Arc;
use std::time::Duration;

use azkv_pipeline::policies::{BearerTokenPolicy, RetryOptions};
use azkv_pipeline::test_util::{ManualTime, ReplayTransport};
use azkv_pipeline::{Context, Error, Method, Request, StatusCode};

use crate::support::{CountingCredential, pipeline_over};

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
