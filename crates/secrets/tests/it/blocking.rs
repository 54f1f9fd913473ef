//! The blocking client, driven from a plain thread.

use std::sync::Arc;

use azkv_secrets::SecretClientOptions;
use azkv_secrets::blocking::SecretClient;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestCredential, V1, bundle, mount_challenge};

#[test]
fn blocking_client_sets_gets_and_lists() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        mount_challenge(&server, "https://vault.azure.net").await;
        Mock::given(method("PUT"))
            .and(path("/secrets/a"))
            .and(header("authorization", "Bearer token-1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "v1")))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/secrets/a/"))
            .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "v1")))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/secrets"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": [
                {"id": format!("{}/secrets/a", server.uri())}, {"id": format!("{}/secrets/b", server.uri())}]})))
            .mount(&server)
            .await;
        server
    });
    let options = SecretClientOptions::default().with_verify_challenge_resource(false);
    let client = SecretClient::new(&server.uri(), Arc::new(TestCredential::default()), Some(options)).unwrap();
    assert_eq!(client.set_secret("a", "v1", None).unwrap().value(), "v1");
    assert_eq!(client.get_secret("a").unwrap().value(), "v1");
    let names: Vec<String> = client.list_properties_of_secrets(None).map(|p| p.unwrap().name).collect();
    assert_eq!(names, ["a", "b"]);
    let pages: Vec<_> = client.list_properties_of_secrets(None).pages().collect::<Result<_, _>>().unwrap();
    assert_eq!(pages.len(), 1);
    rt.block_on(server.verify());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_client_inside_a_runtime_works_instead_of_panicking() {
    let server = MockServer::start().await;
    mount_challenge(&server, "https://vault.azure.net").await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "v1")))
        .mount(&server)
        .await;
    let options = SecretClientOptions::default().with_verify_challenge_resource(false);
    let client = SecretClient::new(&server.uri(), Arc::new(TestCredential::default()), Some(options)).unwrap();
    // Called on an async worker thread: tokio would panic on a nested block_on; this must not.
    assert_eq!(client.get_secret("a").unwrap().value(), "v1");
    let from_blocking_thread =
        tokio::task::spawn_blocking(move || client.get_secret("a").map(|s| s.value().to_owned()));
    assert_eq!(from_blocking_thread.await.unwrap().unwrap(), "v1");
}
