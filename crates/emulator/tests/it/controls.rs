//! Test controls: clock, faults, reset, export and import.

use crate::common::{T0, builder, start, start_with, to_resp};
use azkv_emulator::AuthMode;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn controls_need_a_credential_except_in_none_mode() {
    for mode in [AuthMode::Strict, AuthMode::Any, AuthMode::None] {
        let kv = start_with(builder().auth(mode)).await;
        assert!(kv.emu.url().starts_with("https://"));
        let routes = [
            (Method::GET, "export", None),
            (Method::POST, "import", Some(json!({ "vaults": {} }))),
            (Method::POST, "reset", None),
            (Method::GET, "clock", None),
            (Method::POST, "clock", Some(json!({ "advance_secs": 1 }))),
            (Method::GET, "faults", None),
            (Method::POST, "faults", Some(json!({ "kind": "error", "count": 1 }))),
            (Method::DELETE, "faults", None),
            (Method::POST, "delay", Some(json!({ "secs": 1 }))),
            (Method::DELETE, "delay", None),
            (Method::GET, "stats", None),
        ];
        for (method, path, body) in routes {
            let url = format!("{}/_emulator/{path}", kv.emu.url());
            let send = |req: reqwest::RequestBuilder| {
                let req = match &body {
                    Some(b) => req.body(serde_json::to_vec(b).unwrap()),
                    None => req,
                };
                async { to_resp(req.send().await.unwrap()).await }
            };
            let bare = send(kv.http.request(method.clone(), &url)).await;
            let dummy = send(kv.http.request(method.clone(), &url).bearer_auth("dummy")).await;
            let wrong = send(kv.http.request(method.clone(), &url).header("x-identity-header", "wrong")).await;
            let (name, value) = kv.emu.control_header();
            let by_header = send(kv.http.request(method.clone(), &url).header(name, value)).await;
            let by_token = send(kv.http.request(method.clone(), &url).bearer_auth(kv.emu.issue_token())).await;
            if mode == AuthMode::None {
                assert!(bare.status.is_success(), "{mode} {method} {path}: {:?}", bare.status);
            } else {
                for r in [&bare, &dummy, &wrong] {
                    assert_eq!((r.status.as_u16(), r.code()), (401, "Unauthorized"), "{mode} {method} {path}");
                }
            }
            assert!(by_header.status.is_success(), "{mode} {method} {path}: {:?}", by_header.body);
            assert!(by_token.status.is_success(), "{mode} {method} {path}: {:?}", by_token.body);
        }
        // Health stays open in every mode.
        let r = kv.http.get(format!("{}/_emulator/health", kv.emu.url())).send().await.unwrap();
        assert_eq!(r.status(), 200, "{mode}");
    }
}

#[tokio::test]
async fn a_refused_control_changes_nothing() {
    let kv = start().await;
    kv.set("kept", "v").await;
    let url = format!("{}/_emulator/reset", kv.emu.url());
    assert_eq!(kv.http.post(&url).send().await.unwrap().status(), 401);
    assert_eq!(kv.get("/secrets/kept").await.status, 200);
}

#[tokio::test]
async fn none_mode_refuses_a_non_loopback_address_without_allow_remote() {
    let any_ip = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let e = builder().auth(AuthMode::None).bind(any_ip).start().await.unwrap_err();
    assert!(matches!(e, azkv_emulator::Error::InvalidOption(_)), "{e}");
    assert!(e.to_string().contains("allow_remote"), "{e}");
}

#[tokio::test]
async fn requests_served_counts_key_vault_requests_only() {
    let kv = start().await;
    assert_eq!(kv.emu.requests_served(), 0);
    kv.set("a", "1").await;
    kv.get("/secrets/a").await;
    assert_eq!(kv.http.get(kv.url("/secrets")).send().await.unwrap().status(), 401);
    assert_eq!(kv.emu.requests_served(), 3, "challenges count too");
    let stats = kv.control(Method::GET, "stats", None).await;
    assert_eq!(stats.body["requests_served"], 3, "controls are not counted");
    kv.control(Method::POST, "reset", None).await;
    assert_eq!(kv.emu.requests_served(), 0);
}

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

#[tokio::test]
async fn typed_controls_on_the_handle() {
    use azkv_emulator::{Fault, VisibilityDelay};
    let kv = start().await;
    kv.emu.inject_fault(Fault::Throttle { retry_after_secs: 4 }, 2).unwrap();
    kv.emu.inject_fault(Fault::Error, 1).unwrap();
    assert_eq!(kv.emu.queued_faults(), 3);
    for _ in 0..2 {
        let r = kv.get("/secrets").await;
        assert_eq!((r.status.as_u16(), r.headers["retry-after"].to_str().unwrap()), (429, "4"));
    }
    assert_eq!(kv.get("/secrets").await.status, 500);
    kv.emu.inject_fault(Fault::Drop, 5).unwrap();
    kv.emu.clear_faults();
    assert_eq!(kv.emu.queued_faults(), 0);
    assert_eq!(kv.get("/secrets").await.status, 200);

    kv.set("d", "v").await;
    kv.emu.set_delay(Some(VisibilityDelay::Polls(1)));
    assert_eq!(kv.delete("/secrets/d").await.status, 200);
    assert_eq!(kv.get("/deletedsecrets/d").await.status, 404, "hidden for one poll");
    assert_eq!(kv.get("/deletedsecrets/d").await.status, 200);
    kv.emu.set_delay(None);

    assert_eq!(kv.emu.advance_clock(30), T0 + 30);
    let seed = kv.emu.export();
    kv.emu.reset().unwrap();
    assert_eq!(kv.emu.clock().now(), T0);
    assert_eq!(kv.get("/deletedsecrets/d").await.status, 404);
    kv.emu.import(&seed).unwrap();
    assert_eq!(kv.get("/deletedsecrets/d").await.status, 200);
    assert!(matches!(kv.emu.import("{\"vaults\":7}"), Err(azkv_emulator::Error::Import(_))));
    let (token, expires) = kv.emu.token_source().issue();
    assert_eq!(expires, T0 + 3600);
    let r = kv.http.get(kv.url("/secrets")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(format!("{:?}", kv.emu.token_source()), "TokenSource");
}
