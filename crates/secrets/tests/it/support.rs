//! Shared test helpers: a counting credential, a challenge-answering mock, a client factory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{AccessToken, ClientOptions, TokenCredential, TokenRequestOptions};
use azkv_secrets::{ListOptions, SecretClient, SecretClientOptions};
use futures::TryStreamExt;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// Hands out `token-1`, `token-2`, ... and records the options of every call.
#[derive(Debug, Default)]
pub(crate) struct TestCredential {
    calls: AtomicUsize,
    pub(crate) seen: Mutex<Vec<(Vec<String>, TokenRequestOptions)>>,
}

impl TestCredential {
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenCredential for TestCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> azkv_pipeline::Result<AccessToken> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.seen.lock().unwrap().push((scopes.iter().map(|s| s.to_string()).collect(), options.clone()));
        Ok(AccessToken::new(format!("token-{n}"), time::OffsetDateTime::now_utc() + time::Duration::hours(1)))
    }
}

/// Matches requests without an `Authorization` header.
pub(crate) struct NoAuth;

impl wiremock::Match for NoAuth {
    fn matches(&self, request: &wiremock::Request) -> bool {
        !request.headers.contains_key("authorization")
    }
}

/// Answers unauthenticated requests with a Key Vault challenge for `resource`.
pub(crate) async fn mount_challenge(server: &MockServer, resource: &str) {
    let challenge =
        format!(r#"Bearer authorization="https://login.microsoftonline.com/{TENANT}", resource="{resource}""#);
    Mock::given(NoAuth)
        .respond_with(ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge.as_str()))
        .with_priority(1)
        .mount(server)
        .await;
}

/// A client for `server` with verification off (the server is 127.0.0.1), no retries unless
/// given, a manual clock and fast polling.
pub(crate) fn client_with(
    server: &MockServer,
    credential: Arc<TestCredential>,
    time: &ManualTime,
    retry: RetryOptions,
) -> SecretClient {
    let options = SecretClientOptions::default()
        .with_verify_challenge_resource(false)
        .with_client_options(ClientOptions::default().with_retry(retry).with_time(time.components()))
        .with_polling(std::time::Duration::from_secs(1), std::time::Duration::from_secs(10));
    SecretClient::new(&server.uri(), credential, Some(options)).unwrap()
}

/// A mock server answering the challenge, and a client for it.
pub(crate) async fn setup() -> (MockServer, SecretClient, Arc<TestCredential>, ManualTime) {
    let server = MockServer::start().await;
    mount_challenge(&server, "https://vault.azure.net").await;
    let credential = Arc::new(TestCredential::default());
    let time = ManualTime::default();
    let client = client_with(&server, credential.clone(), &time, RetryOptions::none());
    (server, client, credential, time)
}

/// A `SecretBundle` JSON for `name`/`version` on `server`.
pub(crate) fn bundle(server: &MockServer, name: &str, version: &str, value: &str) -> serde_json::Value {
    serde_json::json!({
        "value": value,
        "id": format!("{}/secrets/{name}/{version}", server.uri()),
        "attributes": {"enabled": true, "created": 1700000000, "updated": 1700000000, "recoverableDays": 90, "recoveryLevel": "Recoverable+Purgeable"}
    })
}

/// The names `client` lists with `options`, across every page.
pub(crate) async fn secret_names(client: &SecretClient, options: ListOptions) -> Vec<String> {
    client.list_properties_of_secrets(Some(options)).map_ok(|p| p.name).try_collect().await.unwrap()
}

/// Requests the server saw that carried a token.
pub(crate) async fn authorized_requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap().into_iter().filter(|r| r.headers.contains_key("authorization")).collect()
}

pub(crate) const V1: &str = "0123456789abcdef0123456789abcdef";
