//! ClientAssertionCredential against wiremock: the callback's assertion in the form, called
//! once per fetch, its errors passed on, an empty assertion refused, an AAD refusal typed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use azkv_identity::{AuthenticationError, AuthenticationErrorKind, ClientAssertionCredential, MapEnv};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{Error, TokenCredential, TokenRequestOptions};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::{SCOPE, TENANT, aad_token, field, form, mount_token_endpoint, options};

#[tokio::test]
async fn the_callback_assertion_is_sent_once_per_fetch() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server, aad_token("tok", 3600)).await;
    let clock = ManualTime::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let c = ClientAssertionCredential::from_fn(
        TENANT,
        "app",
        move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move { Ok(format!("canary-assertion-{n}")) }
        },
        Some(options(&server, MapEnv::default(), &clock)),
    )
    .unwrap();
    assert_eq!(c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap().token.expose(), "tok");
    c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the second call was cached");
    let sent = form(&server, 0).await;
    assert_eq!(field(&sent, "client_assertion"), Some("canary-assertion-0"));
    assert_eq!(field(&sent, "client_assertion_type"), Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
    assert_eq!(field(&sent, "grant_type"), Some("client_credentials"));
    assert_eq!(field(&sent, "client_id"), Some("app"));
    assert!(!format!("{c:?}").contains("canary"));
}

#[tokio::test]
async fn callback_errors_and_empty_assertions() {
    let server = MockServer::start().await;
    let clock = ManualTime::default();
    let failing = ClientAssertionCredential::from_fn(
        TENANT,
        "app",
        || async { Err(Error::credential_unavailable("no OIDC token here")) },
        Some(options(&server, MapEnv::default(), &clock)),
    )
    .unwrap();
    let e = failing.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(e.is_credential_unavailable() && e.to_string().contains("no OIDC token here"), "{e}");
    let empty = ClientAssertionCredential::from_fn(
        TENANT,
        "app",
        || async { Ok("  ".to_owned()) },
        Some(options(&server, MapEnv::default(), &clock)),
    )
    .unwrap();
    let e = empty.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing was sent");
    assert!(ClientAssertionCredential::from_fn("a/b", "app", || async { Ok(String::new()) }, None).is_err());
}

#[tokio::test]
async fn a_refused_assertion_is_typed() {
    let server = MockServer::start().await;
    let refusal = serde_json::json!({"error": "invalid_client",
        "error_description": "AADSTS700027: Client assertion failed signature validation.\r\nTrace ID: t",
        "error_codes": [700027]});
    mount_token_endpoint(&server, ResponseTemplate::new(401).set_body_json(refusal)).await;
    let clock = ManualTime::default();
    let c = ClientAssertionCredential::from_fn(
        TENANT,
        "app",
        || async { Ok("canary-assertion".to_owned()) },
        Some(options(&server, MapEnv::default(), &clock)),
    )
    .unwrap();
    let e = c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    let aad = AuthenticationError::of(&e).unwrap();
    assert_eq!((aad.kind(), aad.aadsts(), aad.status()), (AuthenticationErrorKind::InvalidClient, Some(700027), 401));
    assert!(!format!("{e} {e:?}").contains("canary"), "{e:?}");
}
