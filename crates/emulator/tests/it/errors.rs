//! Validation, limits, api-version, unknown routes: errors in the service's shape, never a panic.

use crate::common::{API_VERSION, start};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn bad_names_are_bad_parameter() {
    let kv = start().await;
    for name in ["a_b", "a.b", "%C3%A9", &"a".repeat(128)] {
        let r = kv.put(&format!("/secrets/{name}"), json!({ "value": "x" })).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "BadParameter"), "{name}");
        assert!(r.body["error"]["message"].as_str().unwrap().contains("invalid name"));
        assert_eq!(kv.get(&format!("/secrets/{name}")).await.status, 400);
    }
    assert_eq!(kv.put(&format!("/secrets/{}", "a".repeat(127)), json!({ "value": "x" })).await.status, 200);
}

#[tokio::test]
async fn limits_on_value_tags_and_content_type() {
    let kv = start().await;
    let ok = "x".repeat(25 * 1024);
    assert_eq!(kv.put("/secrets/big", json!({ "value": ok })).await.status, 200);
    let r = kv.put("/secrets/big", json!({ "value": format!("{ok}y") })).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "BadParameter"));
    // Multi-byte characters count in bytes.
    let r = kv.put("/secrets/big", json!({ "value": "é".repeat(25 * 1024 / 2 + 1) })).await;
    assert_eq!(r.status, 400);
    let tags: serde_json::Map<String, serde_json::Value> = (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
    assert_eq!(kv.put("/secrets/t", json!({ "value": "x", "tags": tags })).await.status, 400);
    let tags: serde_json::Map<String, serde_json::Value> = (0..15).map(|i| (format!("t{i}"), json!("v"))).collect();
    assert_eq!(kv.put("/secrets/t", json!({ "value": "x", "tags": tags })).await.status, 200);
    assert_eq!(kv.put("/secrets/c", json!({ "value": "x", "contentType": "c".repeat(256) })).await.status, 400);
    assert_eq!(kv.put("/secrets/c", json!({ "value": "x", "contentType": "c".repeat(255) })).await.status, 200);
    let v = kv.set("u", "x").await;
    assert_eq!(kv.patch(&format!("/secrets/u/{v}"), json!({ "contentType": "c".repeat(256) })).await.status, 400);
    // Nothing was stored by the refused requests.
    assert_eq!(kv.get("/secrets/big/versions").await.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let kv = start().await;
    for body in [None, Some(json!({})), Some(json!({ "value": 5 })), Some(json!([1]))] {
        let r = kv.call(Method::PUT, "/secrets/x", body.clone()).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "BadParameter"), "{body:?}");
    }
    let r = kv
        .http
        .put(kv.url("/secrets/x"))
        .bearer_auth(kv.emu.issue_token())
        .body(vec![0xff, 0xfe, b'{'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn api_version_is_required_and_unknown_ones_are_accepted() {
    let kv = start().await;
    let r = kv.send_url(Method::GET, &format!("{}/secrets", kv.emu.url()), None).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "BadParameter"));
    let r = kv.send_url(Method::GET, &format!("{}/secrets?api-version=", kv.emu.url()), None).await;
    assert_eq!(r.status, 400);
    let r = kv.send_url(Method::GET, &format!("{}/secrets?api-version=9999-01-01", kv.emu.url()), None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn unknown_routes_methods_and_unsupported_apis() {
    let kv = start().await;
    let r = kv.get("/nothing/here").await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "NotFound"));
    let r = kv.call(Method::PUT, "/secrets", Some(json!({}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (405, "MethodNotAllowed"));
    assert_eq!(r.headers["allow"], "GET");
    let r = kv.call(Method::OPTIONS, "/secrets", None).await;
    assert_eq!(r.status, 405);
    for path in ["/keys", "/keys/k/create", "/certificates/c"] {
        let r = kv.get(path).await;
        assert_eq!((r.status.as_u16(), r.code()), (501, "NotImplemented"), "{path}");
    }
    kv.set("pem", "x").await;
    // The service refuses a conversion of a secret that backs no certificate with 400, never 501.
    for ct in ["application/x-pem-file", "application/x-pkcs12", "text/plain"] {
        let r = kv.get(&format!("/secrets/pem?outContentType={ct}")).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "BadParameter"), "{ct}");
    }
    let r = kv.get("/").await;
    assert_eq!(r.status, 404);
    let r = kv.get("/_emulator/nope").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn oversized_bodies_are_413_and_the_server_survives() {
    let kv = start().await;
    let big = vec![b'a'; 1024 * 1024 + 1];
    let r = kv.http.put(kv.url("/secrets/x")).bearer_auth(kv.emu.issue_token()).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    let r = kv
        .http
        .get(kv.url("/secrets"))
        .bearer_auth(kv.emu.issue_token())
        .header("x-long", "h".repeat(100 * 1024))
        .send()
        .await;
    assert!(r.is_err() || r.unwrap().status() == 431);
    assert_eq!(kv.get("/secrets").await.status, 200);
}

#[tokio::test]
async fn garbage_never_panics() {
    let kv = start().await;
    let paths = [
        "/secrets/%",
        "/secrets/%zz",
        "/secrets//",
        "/secrets/a/b/c/d",
        "/deletedsecrets/",
        "/secrets/a/versions/x",
        "/secrets?maxresults=1&$skiptoken=%00",
        "//secrets",
    ];
    for path in paths {
        for method in [Method::GET, Method::PUT, Method::PATCH, Method::POST, Method::DELETE] {
            let r = kv.call(method.clone(), path, Some(json!({ "value": "x" }))).await;
            assert!(r.status.is_client_error() || r.status.is_success(), "{method} {path}: {}", r.status);
            if !r.status.is_success() {
                assert!(!r.code().is_empty(), "{method} {path} has an error body");
            }
        }
    }
    assert_eq!(kv.get(&format!("/secrets?api-version={API_VERSION}")).await.status, 200);
}
