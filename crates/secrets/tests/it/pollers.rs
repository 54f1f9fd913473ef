//! Pollers: pending 404s then done, 403 as done, no recoveryId, timeout.

use std::time::Duration;

use azkv_secrets::Error;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{V1, bundle, setup};

/// Answers `method_` (on `path_`, or on any path) with 200 and `body`.
async fn mount_ok(server: &MockServer, method_: &str, path_: Option<&str>, body: serde_json::Value) {
    let mock = Mock::given(method(method_));
    let mock = match path_ {
        Some(path_) => mock.and(path(path_)),
        None => mock,
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body)).mount(server).await;
}

/// Answers the polls, GET `path_`: `pending` (for the first `times` polls, or all when `None`)
/// at priority 2, then 200 with `done`, if any, at priority 3.
async fn mount_polls(
    server: &MockServer,
    path_: &str,
    pending: u16,
    times: Option<u64>,
    done: Option<serde_json::Value>,
) {
    let pending = Mock::given(method("GET")).and(path(path_)).respond_with(ResponseTemplate::new(pending));
    let pending = match times {
        Some(times) => pending.up_to_n_times(times),
        None => pending,
    };
    pending.with_priority(2).mount(server).await;
    if let Some(done) = done {
        Mock::given(method("GET"))
            .and(path(path_))
            .respond_with(ResponseTemplate::new(200).set_body_json(done))
            .with_priority(3)
            .mount(server)
            .await;
    }
}

fn deleted(server: &MockServer, recovery: bool) -> serde_json::Value {
    let mut body =
        serde_json::json!({"id": format!("{}/secrets/a/{V1}", server.uri()), "attributes": {"enabled": true}});
    if recovery {
        body["recoveryId"] = format!("{}/deletedsecrets/a", server.uri()).into();
        body["deletedDate"] = 1_700_000_000.into();
    }
    body
}

#[tokio::test]
async fn delete_polls_until_the_deleted_secret_is_visible() {
    let (server, client, _, time) = setup().await;
    mount_ok(&server, "DELETE", Some("/secrets/a"), deleted(&server, true)).await;
    mount_polls(&server, "/deletedsecrets/a", 404, Some(2), Some(deleted(&server, true))).await;
    let poller = client.begin_delete_secret("a").await.unwrap();
    assert!(poller.is_pending());
    assert_eq!(poller.result().recovery_id.as_deref(), Some(format!("{}/deletedsecrets/a", server.uri()).as_str()));
    let done = poller.await.unwrap();
    assert_eq!(done.name(), "a");
    assert_eq!(time.sleeps(), [Duration::from_secs(1); 2], "two pending polls, one interval each");
}

#[tokio::test]
async fn forbidden_counts_as_done() {
    let (server, client, _, time) = setup().await;
    mount_ok(&server, "DELETE", None, deleted(&server, true)).await;
    mount_polls(&server, "/deletedsecrets/a", 403, None, None).await;
    client.begin_delete_secret("a").await.unwrap().await.unwrap();
    assert!(time.sleeps().is_empty());
}

#[tokio::test]
async fn no_recovery_id_means_done_at_once() {
    let (server, client, _, _) = setup().await;
    mount_ok(&server, "DELETE", None, deleted(&server, false)).await;
    let poller = client.begin_delete_secret("a").await.unwrap();
    assert!(!poller.is_pending());
    poller.await.unwrap();
    let gets = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method == wiremock::http::Method::GET)
        .count();
    assert_eq!(gets, 0);
}

#[tokio::test]
async fn recover_polls_the_secret_and_times_out() {
    let (server, client, _, time) = setup().await;
    mount_ok(&server, "POST", Some("/deletedsecrets/a/recover"), bundle(&server, "a", V1, "")).await;
    mount_polls(&server, "/secrets/a/", 404, None, None).await;
    let poller = client.begin_recover_deleted_secret("a").await.unwrap();
    assert_eq!(poller.result().name, "a");
    let err = poller.await.unwrap_err();
    assert!(matches!(err, Error::PollTimeout { operation: "recover", .. }), "{err:?}");
    assert_eq!(time.sleeps().iter().sum::<Duration>(), Duration::from_secs(10), "the waits add up to the timeout");
}

#[tokio::test]
async fn recover_completes_when_the_secret_reads_again() {
    let (server, client, _, time) = setup().await;
    mount_ok(&server, "POST", Some("/deletedsecrets/a/recover"), bundle(&server, "a", V1, "")).await;
    mount_polls(&server, "/secrets/a/", 404, Some(1), Some(bundle(&server, "a", V1, "v"))).await;
    client.begin_recover_deleted_secret("a").await.unwrap().wait().await.unwrap();
    assert_eq!(time.sleeps().len(), 1);
}
