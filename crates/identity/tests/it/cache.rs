//! The token cache through a real credential: single flight, refresh ahead, back-off.

use std::time::Duration;

use azkv_identity::{ClientSecretCredential, MapEnv};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{AccessToken, TokenCredential, TokenRequestOptions};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{SCOPE, TENANT, aad_token, mount_token_endpoint, options};

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// A client secret credential signing in at `server`, on `clock`.
fn credential(server: &MockServer, clock: &ManualTime) -> ClientSecretCredential {
    ClientSecretCredential::new(TENANT, "app", "s", Some(options(server, MapEnv::default(), clock))).unwrap()
}

async fn get(credential: &ClientSecretCredential) -> azkv_pipeline::Result<AccessToken> {
    credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await
}

/// After one request to `server`, `credential` serves its token from the cache until a second
/// before `refresh_after` has passed on `clock`, and asks again a second after it.
async fn assert_refreshes_after(
    credential: &ClientSecretCredential,
    clock: &ManualTime,
    server: &MockServer,
    refresh_after: u64,
) {
    clock.advance(Duration::from_secs(refresh_after - 1));
    get(credential).await.unwrap();
    assert_eq!(requests(server).await, 1);
    clock.advance(Duration::from_secs(2));
    get(credential).await.unwrap();
    assert_eq!(requests(server).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_callers_share_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(aad_token("shared", 3600).set_delay(Duration::from_millis(50)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualTime::default();
    let credential = std::sync::Arc::new(credential(&server, &clock));
    let calls = (0..100).map(|_| {
        let credential = credential.clone();
        tokio::spawn(async move { get(&credential).await })
    });
    for outcome in futures::future::join_all(calls).await {
        assert_eq!(outcome.unwrap().unwrap().token.expose(), "shared");
    }
    server.verify().await;
}

#[tokio::test]
async fn refreshes_five_minutes_before_expiry_on_the_injected_clock() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server, aad_token("t", 3600)).await;
    let clock = ManualTime::default();
    let credential = credential(&server, &clock);
    get(&credential).await.unwrap();
    assert_refreshes_after(&credential, &clock, &server, 3600 - 5 * 60).await;
}

#[tokio::test]
async fn refresh_in_from_aad_sets_the_refresh_time() {
    let server = MockServer::start().await;
    let body =
        serde_json::json!({"token_type": "Bearer", "expires_in": 86400, "refresh_in": 43200, "access_token": "long"});
    mount_token_endpoint(&server, ResponseTemplate::new(200).set_body_json(body)).await;
    let clock = ManualTime::default();
    let credential = credential(&server, &clock);
    let token = get(&credential).await.unwrap();
    assert_eq!(token.refresh_on, Some(token.expires_on - time::Duration::hours(12)));
    assert_refreshes_after(&credential, &clock, &server, 43200).await;
}

#[tokio::test]
async fn a_failed_refresh_serves_the_old_token_and_backs_off() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(aad_token("first", 3600)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "temporarily_unavailable"})))
        .mount(&server)
        .await;
    let clock = ManualTime::default();
    let credential = credential(&server, &clock);
    let get = || get(&credential);
    get().await.unwrap();
    clock.advance(Duration::from_secs(3400)); // In the refresh window, still valid.
    for _ in 0..10 {
        assert_eq!(get().await.unwrap().token.expose(), "first");
    }
    assert_eq!(requests(&server).await, 2, "one failed refresh, then back-off");
    clock.advance(Duration::from_secs(31));
    assert_eq!(get().await.unwrap().token.expose(), "first");
    assert_eq!(requests(&server).await, 3);
    clock.advance(Duration::from_secs(200)); // Expired.
    let e = get().await.unwrap_err();
    assert!(e.to_string().contains("temporarily_unavailable"), "{e}");
}
