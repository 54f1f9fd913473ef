//! Where tokens may go, beyond `challenge.rs`: never to another host through a `nextLink`, a
//! continuation token or a redirect; never over plain http to a non-loopback host, even through
//! `send_request`; never after a later challenge for another resource.
//!
//! "Server side" is either a real server on 127.0.0.1 (wiremock, a scripted listener) or a
//! recording transport standing in for `https://*.vault.azure.net`.

use std::sync::{Arc, Mutex};

use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::{FnHttpClient, ManualTime};
use azkv_pipeline::transport::TransportOptions;
use azkv_pipeline::{ClientOptions, Headers, Method, Request, Response, StatusCode};
use azkv_secrets::{Error, ListOptions, SecretClient, SecretClientOptions};
use futures::{StreamExt, TryStreamExt};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestCredential, V1, client_with, mount_challenge};

const VAULT: &str = "https://myvault.vault.azure.net";
const CHALLENGE: &str =
    r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net""#;

/// One request as a recording transport saw it: URL and `Authorization`.
type Log = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A recording transport: the vault's challenge for untokened requests, `answer` otherwise.
fn recording(answer: impl Fn(&Request) -> Response + Send + Sync + 'static) -> (FnHttpClient, Log) {
    let log: Log = Arc::default();
    let log2 = log.clone();
    let transport = FnHttpClient::new(move |request| {
        let auth = request.headers.get("authorization").map(str::to_owned);
        log2.lock().unwrap().push((request.url.to_string(), auth.clone()));
        if auth.is_none() {
            let mut headers = Headers::new();
            headers.insert("www-authenticate", CHALLENGE);
            return Ok(Response::new(StatusCode::UNAUTHORIZED, headers, ""));
        }
        Ok(answer(request))
    });
    (transport, log)
}

/// A client for [`VAULT`] (verification on) over `transport`.
fn vault_client(transport: FnHttpClient, credential: Arc<TestCredential>) -> SecretClient {
    let options = SecretClientOptions::default().with_client_options(
        ClientOptions::default()
            .with_transport(Arc::new(transport))
            .with_retry(RetryOptions::none())
            .with_time(ManualTime::default().components()),
    );
    SecretClient::new(VAULT, credential, Some(options)).unwrap()
}

fn list_page(next_link: &str) -> Response {
    Response::json_body(
        StatusCode::OK,
        &serde_json::json!({
            "value": [{"id": format!("{VAULT}/secrets/a"), "attributes": {"enabled": true}}],
            "nextLink": next_link,
        }),
    )
}

#[tokio::test]
async fn a_next_link_to_another_host_or_scheme_is_never_followed() {
    for evil in [
        "https://evil.example/secrets?api-version=2025-07-01&$skiptoken=x",
        "https://myvault.vault.azure.net.evil.example/secrets?$skiptoken=x",
        "http://myvault.vault.azure.net/secrets?$skiptoken=x",
        "https://myvault.vault.azure.net:444/secrets?$skiptoken=x",
        "https://othervault.vault.azure.net/secrets?$skiptoken=x",
    ] {
        let link = evil.to_owned();
        let (transport, log) = recording(move |_| list_page(&link));
        let client = vault_client(transport, Arc::new(TestCredential::default()));
        let mut pages = client.list_properties_of_secrets(None).into_pages();
        let first = pages.next().await.unwrap().unwrap();
        assert_eq!(first.items.len(), 1);
        let err = pages.next().await.unwrap().unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{evil}: {err:?}");
        assert!(pages.next().await.is_none(), "{evil}: the pager ends after the error");
        let log = log.lock().unwrap();
        assert!(
            log.iter().all(|(url, _)| url.starts_with("https://myvault.vault.azure.net/")),
            "{evil}: only the vault was contacted: {log:?}"
        );
    }
}

#[tokio::test]
async fn a_continuation_token_for_another_host_sends_nothing() {
    let (transport, log) = recording(|_| list_page(""));
    let client = vault_client(transport, Arc::new(TestCredential::default()));
    let options = ListOptions::default().with_continuation_token("https://evil.example/secrets?$skiptoken=x");
    let err = client.list_properties_of_secrets(Some(options)).try_collect::<Vec<_>>().await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(log.lock().unwrap().is_empty(), "no request at all");
}

#[tokio::test]
async fn a_later_challenge_for_another_resource_gets_no_token() {
    let credential = Arc::new(TestCredential::default());
    let (transport, log) = recording(|_| {
        // The vault refuses token-1 and names another resource.
        let mut headers = Headers::new();
        headers.insert(
            "www-authenticate",
            r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://evil.example""#,
        );
        Response::new(StatusCode::UNAUTHORIZED, headers, "")
    });
    let client = vault_client(transport, credential.clone());
    let err = client.get_secret("a").await.unwrap_err();
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
    assert!(err.to_string().contains("evil.example"), "{err}");
    assert_eq!(credential.calls(), 1, "no token was fetched for the other resource");
    let seen = credential.seen.lock().unwrap();
    assert!(seen.iter().all(|(scopes, _)| scopes == &["https://vault.azure.net/.default"]), "{seen:?}");
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 2, "discovery and one authorized try, no resend: {log:?}");
}

#[tokio::test]
async fn send_request_over_http_to_a_non_loopback_host_sends_nothing() {
    // `vault.example.test` resolves to a real listener on 127.0.0.1; nothing may reach it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = MockServer::start().await;
    mount_challenge(&server, "https://vault.azure.net").await;
    let transport = TransportOptions::default().with_resolve("vault.example.test", addr);
    let options = SecretClientOptions::default().with_verify_challenge_resource(false).with_client_options(
        ClientOptions::default().with_transport_options(transport).with_retry(RetryOptions::none()),
    );
    let credential = Arc::new(TestCredential::default());
    let client = SecretClient::new(&server.uri(), credential.clone(), Some(options)).unwrap();
    client.get_secret("warm-up").await.unwrap_err(); // learn the challenge for the real vault
    let url = format!("http://vault.example.test:{}/secrets/a?api-version=2025-07-01", addr.port());
    let err = client.send_request(Request::new(Method::GET, url.parse().unwrap())).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("only sends to the vault"), "{err}");
    // The call has returned: a connection it opened would already wait in the backlog.
    let accepted = futures::FutureExt::now_or_never(listener.accept());
    assert!(accepted.is_none(), "no connection was even opened");
    assert_eq!(credential.calls(), 1, "only the warm-up fetched a token");
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&elsewhere).await;
    let target = format!("{}/secrets/a/{V1}", elsewhere.uri());
    let (server, client) = {
        let server = MockServer::start().await;
        mount_challenge(&server, "https://vault.azure.net").await;
        let client =
            client_with(&server, Arc::new(TestCredential::default()), &ManualTime::default(), RetryOptions::none());
        (server, client)
    };
    for status in [301, 302, 307, 308] {
        Mock::given(header("authorization", "Bearer token-1"))
            .and(path(format!("/secrets/r{status}/")))
            .respond_with(ResponseTemplate::new(status).insert_header("location", target.as_str()))
            .mount(&server)
            .await;
        let err = client.get_secret(&format!("r{status}")).await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{err:?}");
    }
    // And a redirect in answer to the untokened discovery request.
    let discovery = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .mount(&discovery)
        .await;
    let client =
        client_with(&discovery, Arc::new(TestCredential::default()), &ManualTime::default(), RetryOptions::none());
    let err = client.get_secret("a").await.unwrap_err();
    assert_eq!(err.status(), Some(307), "{err:?}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty(), "nothing reached the redirect target");
}

#[tokio::test]
async fn send_request_to_another_origin_is_refused_and_a_vault_path_works() {
    let foreign = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&foreign).await;
    let (server, client, credential, _) = crate::support::setup().await;
    Mock::given(header("authorization", "Bearer token-1"))
        .and(path("/secrets/a/"))
        .and(wiremock::matchers::query_param("api-version", "2025-07-01"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let request = client.vault_request(Method::GET, "/secrets/a/").unwrap();
    assert_eq!(client.send_request(request).await.unwrap().status.as_u16(), 204);
    // Same host, another port: another origin, refused before anything is sent.
    let url = format!("{}/secrets/a?api-version=2025-07-01", foreign.uri());
    let err = client.send_request(Request::new(Method::GET, url.parse().unwrap())).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(foreign.received_requests().await.unwrap().is_empty(), "nothing reached the other origin");
    assert_eq!(credential.calls(), 1);
    assert!(client.vault_request(Method::GET, "https://elsewhere/x").is_err());
    assert!(client.vault_request(Method::GET, "//elsewhere/x").is_err());
}

#[tokio::test(flavor = "current_thread")]
async fn key_vault_diagnostic_headers_are_logged_and_other_values_are_not() {
    let logs = azkv_pipeline::test_util::LogCapture::start();
    let (server, client, _, _) = crate::support::setup().await;
    Mock::given(header("authorization", "Bearer token-1"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-ms-keyvault-region", "westeurope")
                .insert_header("x-unlisted", "canary-header-value"),
        )
        .mount(&server)
        .await;
    client.get_secret("a").await.unwrap_err();
    let text = logs.contents();
    assert!(text.contains("westeurope"), "the secrets client allows Key Vault's headers:\n{text}");
    assert!(!text.contains("canary-header-value"), "{text}");
}
