//! The challenge, the three token modes and the managed-identity token endpoint.

use crate::common::{T0, builder, start, start_with, to_resp};
use azkv_emulator::{AuthMode, DEFAULT_TENANT};
use reqwest::Method;

fn challenge(tenant: &str) -> String {
    format!(r#"Bearer authorization="https://login.microsoftonline.com/{tenant}", resource="https://vault.azure.net""#)
}

#[tokio::test]
async fn unauthenticated_requests_get_the_challenge() {
    let kv = start().await;
    let cases = [
        (Method::GET, "/secrets/x", None),
        (Method::PUT, "/secrets/x", Some(r#"{"value":"v"}"#)),
        (Method::PUT, "/secrets/x", None),
        (Method::PATCH, "/secrets/x/", Some("{}")),
        (Method::POST, "/secrets/restore", Some(r#"{"value":"AAAA"}"#)),
        (Method::DELETE, "/deletedsecrets/x", None),
        (Method::GET, "/nothing", None),
    ];
    for (method, path, body) in cases {
        let mut req = kv.http.request(method.clone(), kv.url(path));
        if let Some(b) = body {
            req = req.body(b);
        }
        let r = to_resp(req.send().await.unwrap()).await;
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(r.headers["www-authenticate"], challenge(DEFAULT_TENANT).as_str());
        assert_eq!(r.code(), "Unauthorized");
    }
    assert_eq!(kv.get("/secrets/x").await.status, 404, "nothing was written by the refused PUTs");
}

#[tokio::test]
async fn strict_mode_checks_signature_audience_and_expiry() {
    let kv = start_with(builder().tenant("my-tenant")).await;
    let send = |token: String| kv.http.get(kv.url("/secrets")).bearer_auth(token).send();
    let r = to_resp(send("not-a-jwt".into()).await.unwrap()).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["www-authenticate"], challenge("my-tenant").as_str());
    // A token from another emulator run has the wrong signature.
    let other = builder().auth(AuthMode::Strict).start().await.unwrap();
    assert_eq!(send(other.issue_token()).await.unwrap().status(), 401);
    let token = kv.emu.issue_token();
    assert_eq!(send(token.clone()).await.unwrap().status(), 200);
    kv.advance(3600).await;
    assert_eq!(send(token).await.unwrap().status(), 401, "expired on the emulator clock");
    assert_eq!(send(kv.emu.issue_token()).await.unwrap().status(), 200);
}

#[tokio::test]
async fn any_mode_takes_any_bearer_and_none_mode_takes_nothing() {
    let kv = start_with(builder().auth(AuthMode::Any)).await;
    let r = kv.http.get(kv.url("/secrets")).bearer_auth("dummy").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = kv.http.get(kv.url("/secrets")).header("authorization", "Bearer ").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = kv.http.get(kv.url("/secrets")).header("authorization", "Basic abc").send().await.unwrap();
    assert_eq!(r.status(), 401);

    let kv = start_with(builder().auth(AuthMode::None)).await;
    let r = kv.http.get(kv.url("/secrets")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn token_endpoint_issues_tokens_strict_mode_accepts() {
    let kv = start().await;
    assert!(kv.emu.token_endpoint().starts_with(kv.emu.url()));
    let url = format!("{}?api-version=2019-08-01&resource=https://vault.azure.net", kv.emu.token_endpoint());
    let r = to_resp(kv.http.get(&url).send().await.unwrap()).await;
    assert_eq!(r.status, 401, "the identity header is required");
    let r = to_resp(kv.http.get(&url).header("X-IDENTITY-HEADER", "wrong").send().await.unwrap()).await;
    assert_eq!(r.status, 401);
    let r =
        to_resp(kv.http.get(&url).header("X-IDENTITY-HEADER", kv.emu.identity_header()).send().await.unwrap()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["resource"], "https://vault.azure.net");
    assert_eq!(r.body["expires_on"], (T0 + 3600).to_string());
    let token = r.body["access_token"].as_str().unwrap();
    let r = kv.http.get(kv.url("/secrets")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // A token for another resource is refused by the vault.
    let url = format!("{}?api-version=2019-08-01&resource=https://storage.azure.com", kv.emu.token_endpoint());
    let r =
        to_resp(kv.http.get(&url).header("X-IDENTITY-HEADER", kv.emu.identity_header()).send().await.unwrap()).await;
    let token = r.body["access_token"].as_str().unwrap();
    assert_eq!(kv.http.get(kv.url("/secrets")).bearer_auth(token).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn none_mode_challenges_only_a_bodiless_write_without_a_token() {
    let kv = start_with(builder().auth(AuthMode::None)).await;
    // An SDK's discovery request for a write: the challenge, as the service would send.
    let r = kv.http.put(kv.url("/secrets/a")).header("content-length", "0").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers().get("www-authenticate").unwrap().to_str().unwrap().contains("resource=\"https://vault.azure.net\"")
    );
    // The same write with its body, with or without a token: served.
    let r = kv
        .http
        .put(kv.url("/secrets/a"))
        .header("content-type", "application/json")
        .body(r#"{"value":"v"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = kv
        .http
        .put(kv.url("/secrets/a"))
        .bearer_auth("anything")
        .header("content-type", "application/json")
        .body(r#"{"value":"w"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A bodiless write with a token, and operations that take no body: served as they are.
    let r =
        kv.http.put(kv.url("/secrets/a")).bearer_auth("anything").header("content-length", "0").send().await.unwrap();
    assert_eq!(r.status(), 400, "a token means this is no discovery: the missing body is the answer");
    let r = kv.http.get(kv.url("/secrets/a")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = kv.http.post(kv.url("/secrets/a/backup")).header("content-length", "0").send().await.unwrap();
    assert_eq!(r.status(), 200);
}
