//! The challenge flow: body withheld then restored, resource verification, cache, refresh.

use std::sync::Arc;

use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::ManualTime;
use azkv_secrets::{Error, SecretClient, SecretClientOptions};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{NoAuth, TestCredential, V1, authorized_requests, bundle, client_with, mount_challenge, setup};

#[tokio::test]
async fn the_first_request_goes_without_body_or_token_then_is_resent_whole() {
    let (server, client, _, _) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/secrets/a"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "canary")))
        .mount(&server)
        .await;
    client.set_secret("a", "canary", None).await.unwrap();
    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].body.is_empty(), "the discovery request carries no body");
    assert!(!seen[0].headers.contains_key("authorization"));
    assert_eq!(seen[0].headers.get("content-length").map(|v| v.to_str().unwrap()), Some("0"));
    let body: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(body["value"], "canary", "the body is restored for the authorized request");
    assert_eq!(seen[1].headers.get("content-type").unwrap(), "application/json");
}

#[tokio::test]
async fn a_cached_challenge_skips_the_discovery_round_trip() {
    let (server, client, credential, _) = setup().await;
    Mock::given(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "v")))
        .mount(&server)
        .await;
    client.get_secret("a").await.unwrap();
    client.get_secret("a").await.unwrap();
    client.get_secret("a").await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 4, "one discovery, then three authorized requests");
    assert_eq!(credential.calls(), 1, "the token is cached too");
}

#[tokio::test]
async fn a_mismatched_resource_is_refused_and_no_token_is_sent() {
    let server = MockServer::start().await;
    mount_challenge(&server, "https://vault.azure.net").await;
    let credential = Arc::new(TestCredential::default());
    let options = SecretClientOptions::default(); // verification on
    let client = SecretClient::new(&server.uri(), credential.clone(), Some(options)).unwrap();
    let err = client.get_secret("a").await.unwrap_err();
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("vault.azure.net") && text.contains("127.0.0.1"), "{text}");
    assert_eq!(credential.calls(), 0);
    assert!(authorized_requests(&server).await.is_empty(), "no Authorization header ever arrived");
}

#[tokio::test]
async fn a_later_401_refreshes_the_token_once_with_the_claims() {
    let (server, client, credential, _) = setup().await;
    // token-1 is revoked with a CAE claims challenge; token-2 works.
    let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, claims);
    let challenge = format!(
        r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net", error="insufficient_claims", claims="{encoded}""#
    );
    Mock::given(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge.as_str()))
        .mount(&server)
        .await;
    Mock::given(header("authorization", "Bearer token-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "v")))
        .expect(1)
        .mount(&server)
        .await;
    client.get_secret("a").await.unwrap();
    assert_eq!(credential.calls(), 2);
    let seen = credential.seen.lock().unwrap();
    assert_eq!(seen[1].1.claims.as_deref(), Some(claims), "the decoded claims reach the credential");
}

#[tokio::test]
async fn a_token_refused_twice_ends_in_unauthorized() {
    let server = MockServer::start().await;
    mount_challenge(&server, "https://vault.azure.net").await;
    Mock::given(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(header("authorization", "Bearer token-2"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let credential = Arc::new(TestCredential::default());
    let client = client_with(&server, credential.clone(), &ManualTime::default(), RetryOptions::none());
    let err = client.get_secret("a").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert_eq!(credential.calls(), 2, "one refresh, not a loop");
}

#[tokio::test]
async fn a_401_without_challenge_is_a_credential_error() {
    let server = MockServer::start().await;
    Mock::given(NoAuth).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let client =
        client_with(&server, Arc::new(TestCredential::default()), &ManualTime::default(), RetryOptions::none());
    let err = client.get_secret("a").await.unwrap_err();
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
}

#[test]
fn plain_http_to_a_remote_vault_is_refused_at_construction() {
    let err =
        SecretClient::new("http://myvault.vault.azure.net", Arc::new(TestCredential::default()), None).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}

/// A vault that rejects `rejected` with a 401 and serves any other token; a token endpoint
/// that hands out `aad-1`, `aad-2`, ... to a real `ClientSecretCredential` (which caches).
async fn reauth_setup(rejected: &'static [&'static str]) -> (MockServer, MockServer, SecretClient) {
    let vault = MockServer::start().await;
    mount_challenge(&vault, "https://vault.azure.net").await;
    let challenge = format!(
        r#"Bearer authorization="https://login.microsoftonline.com/{}", resource="https://vault.azure.net""#,
        crate::support::TENANT
    );
    for token in rejected {
        Mock::given(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge.as_str()))
            .with_priority(2)
            .mount(&vault)
            .await;
    }
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&vault, "a", V1, "v")))
        .with_priority(3)
        .mount(&vault)
        .await;
    let aad = MockServer::start().await;
    let issued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    Mock::given(method("POST"))
        .respond_with(move |_: &wiremock::Request| {
            let n = issued.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "token_type": "Bearer", "expires_in": 3600, "access_token": format!("aad-{n}"),
            }))
        })
        .mount(&aad)
        .await;
    let time = ManualTime::default();
    let credential_options = azkv_identity::CredentialOptions::default()
        .with_authority_host(aad.uri())
        .with_env(Arc::new(azkv_identity::MapEnv::default()))
        .with_time(time.components());
    let credential = azkv_identity::ClientSecretCredential::new(
        crate::support::TENANT,
        "app",
        "client-secret",
        Some(credential_options),
    )
    .unwrap();
    let options = SecretClientOptions::default().with_verify_challenge_resource(false).with_client_options(
        azkv_pipeline::ClientOptions::default().with_retry(RetryOptions::none()).with_time(time.components()),
    );
    let client = SecretClient::new(&vault.uri(), Arc::new(credential), Some(options)).unwrap();
    (vault, aad, client)
}

#[tokio::test]
async fn a_token_the_vault_rejects_early_is_replaced_by_a_new_one_from_the_credential() {
    let (vault, aad, client) = reauth_setup(&["aad-1"]).await;
    assert_eq!(client.get_secret("a").await.unwrap().value(), "v");
    assert_eq!(aad.received_requests().await.unwrap().len(), 2, "the credential fetched past its own cache");
    let tokens: Vec<String> = authorized_requests(&vault)
        .await
        .iter()
        .map(|r| r.headers.get("authorization").unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens, ["Bearer aad-1", "Bearer aad-2"]);
    // The new token serves the next calls from the cache.
    client.get_secret("a").await.unwrap();
    assert_eq!(aad.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_vault_rejecting_every_token_gets_one_forced_refresh_not_a_storm() {
    let (vault, aad, client) = reauth_setup(&["aad-1", "aad-2", "aad-3", "aad-4"]).await;
    for _ in 0..10 {
        let err = client.get_secret("a").await.unwrap_err();
        assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    }
    assert_eq!(aad.received_requests().await.unwrap().len(), 2, "one first token, one forced refresh in the interval");
    assert_eq!(authorized_requests(&vault).await.len(), 20, "each call retried exactly once");
}

#[tokio::test]
async fn a_challenge_for_another_tenant_is_followed_only_when_allowed() {
    let vault = MockServer::start().await;
    let challenge =
        r#"Bearer authorization="https://login.microsoftonline.com/guest-tenant", resource="https://vault.azure.net""#;
    Mock::given(NoAuth)
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge))
        .mount(&vault)
        .await;
    Mock::given(header("authorization", "Bearer guest-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&vault, "a", V1, "v")))
        .mount(&vault)
        .await;
    let aad = MockServer::start().await;
    Mock::given(path("/guest-tenant/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer", "expires_in": 3600, "access_token": "guest-token",
        })))
        .mount(&aad)
        .await;
    let client_for = |allowed: &[&str]| {
        let time = ManualTime::default();
        let credential_options = azkv_identity::CredentialOptions::default()
            .with_authority_host(aad.uri())
            .with_env(Arc::new(azkv_identity::MapEnv::default()))
            .with_time(time.components())
            .with_additionally_allowed_tenants(allowed.iter().copied());
        let credential =
            azkv_identity::ClientSecretCredential::new("home-tenant", "app", "s", Some(credential_options)).unwrap();
        let options = SecretClientOptions::default().with_verify_challenge_resource(false).with_client_options(
            azkv_pipeline::ClientOptions::default().with_retry(RetryOptions::none()).with_time(time.components()),
        );
        SecretClient::new(&vault.uri(), Arc::new(credential), Some(options)).unwrap()
    };
    let err = client_for(&[]).get_secret("a").await.unwrap_err();
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("`home-tenant`") && text.contains("`guest-tenant`"), "{text}");
    assert!(aad.received_requests().await.unwrap().is_empty(), "no token was requested");
    assert_eq!(client_for(&["guest-tenant"]).get_secret("a").await.unwrap().value(), "v");
    assert_eq!(client_for(&["*"]).get_secret("a").await.unwrap().value(), "v");
}

#[tokio::test]
async fn tokens_are_asked_for_with_the_cae_capability_unless_turned_off() {
    for enable in [true, false] {
        let server = MockServer::start().await;
        mount_challenge(&server, "https://vault.azure.net").await;
        Mock::given(header("authorization", "Bearer token-1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "v")))
            .mount(&server)
            .await;
        let credential = Arc::new(TestCredential::default());
        let options = SecretClientOptions::default().with_verify_challenge_resource(false).with_cae(enable);
        let client = SecretClient::new(&server.uri(), credential.clone(), Some(options)).unwrap();
        client.get_secret("a").await.unwrap();
        let seen = credential.seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].1.enable_cae, enable);
    }
}
