//! Test controls: clock, faults, reset, export and import.

use crate::common::{T0, start};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn clock_can_be_read_and_shifted() {
    let kv = start().await;
    assert_eq!(kv.control(Method::GET, "clock", None).await.body["now"], T0);
    assert_eq!(kv.advance(60).await, T0 + 60);
    assert_eq!(kv.emu.clock().now(), T0 + 60);
    let r = kv.put("/secrets/c", json!({ "value": "x" })).await;
    assert_eq!(r.body["attributes"]["created"], T0 + 60);
    assert_eq!(kv.control(Method::POST, "clock", Some(json!({ "oops": 1 }))).await.status, 400);
    assert_eq!(kv.control(Method::PUT, "clock", None).await.status, 405);
}

#[tokio::test]
async fn throttling_and_unavailable_faults() {
    let kv = start().await;
    let r = kv
        .control(Method::POST, "faults", Some(json!({ "kind": "throttle", "count": 2, "retry_after_secs": 3 })))
        .await;
    assert_eq!(r.status, 204);
    kv.control(Method::POST, "faults", Some(json!({ "kind": "unavailable" }))).await;
    for _ in 0..2 {
        let r = kv.get("/secrets").await;
        assert_eq!((r.status.as_u16(), r.code()), (429, "Throttled"));
        assert_eq!(r.headers["retry-after"], "3");
    }
    let r = kv.get("/secrets").await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "ServiceUnavailable"));
    assert_eq!(kv.get("/secrets").await.status, 200);
    // Controls and unauthenticated challenges do not consume faults.
    kv.control(Method::POST, "faults", Some(json!({ "kind": "error" }))).await;
    assert_eq!(kv.http.get(kv.url("/secrets")).send().await.unwrap().status(), 401);
    assert_eq!(kv.control(Method::GET, "faults", None).await.body["faults"].as_array().unwrap().len(), 1);
    assert_eq!(kv.get("/secrets").await.status, 500);
    kv.control(Method::POST, "faults", Some(json!({ "kind": "throttle", "count": 5 }))).await;
    assert_eq!(kv.control(Method::DELETE, "faults", None).await.status, 204);
    assert_eq!(kv.get("/secrets").await.status, 200);
}

#[tokio::test]
async fn dropped_connection_fault() {
    let kv = start().await;
    kv.control(Method::POST, "faults", Some(json!({ "kind": "drop" }))).await;
    let r = kv.http.get(kv.url("/secrets")).bearer_auth(kv.emu.issue_token()).send().await;
    assert!(r.is_err(), "the connection was closed without a response: {r:?}");
    assert_eq!(kv.get("/secrets").await.status, 200);
}

#[tokio::test]
async fn reset_export_import() {
    let kv = start().await;
    let v = kv.set("keep", "value-1").await;
    kv.set("gone", "x").await;
    kv.delete("/secrets/gone").await;
    let export = kv.control(Method::GET, "export", None).await;
    assert_eq!(export.status, 200);
    kv.advance(10).await;
    assert_eq!(kv.control(Method::POST, "reset", None).await.status, 204);
    assert_eq!(kv.emu.clock().now(), T0, "reset also removes the clock shift");
    assert!(kv.get("/secrets").await.body["value"].as_array().unwrap().is_empty());
    assert!(kv.get("/deletedsecrets").await.body["value"].as_array().unwrap().is_empty());

    assert_eq!(kv.control(Method::POST, "import", Some(export.body.clone())).await.status, 204);
    assert_eq!(kv.get(&format!("/secrets/keep/{v}")).await.body["value"], "value-1");
    assert_eq!(kv.get("/deletedsecrets/gone").await.status, 200);

    // A seed written by hand, and a bad one.
    let seed = json!({ "vaults": { "default": { "secrets": { "seeded": { "name": "Seeded", "versions": [
        { "version": "0123456789abcdef0123456789abcdef", "seq": 0, "value": "s", "enabled": true, "created": 1, "updated": 1 }
    ] } } } } });
    assert_eq!(kv.control(Method::POST, "import", Some(seed)).await.status, 204);
    assert_eq!(kv.get("/secrets/seeded").await.body["value"], "s");
    let bad = json!({ "vaults": { "default": { "secrets": { "x": { "name": "bad_name", "versions": [] } } } } });
    assert_eq!(kv.control(Method::POST, "import", Some(bad)).await.status, 400);
    assert_eq!(kv.get("/secrets/seeded").await.status, 200, "a refused import changes nothing");
    assert_eq!(kv.control(Method::GET, "health", None).await.body["status"], "ok");
}
