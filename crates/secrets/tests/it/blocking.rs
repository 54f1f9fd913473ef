//! The blocking client, driven from a plain thread.

use std::sync::Arc;

use azkv_secrets::blocking::SecretClient;
use azkv_secrets::{Error, SecretClientOptions};
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

#[tokio::test]
async fn blocking_client_inside_a_runtime_is_an_error_not_a_panic() {
    let client = SecretClient::new("https://myvault.vault.azure.net", Arc::new(TestCredential::default()), None);
    // Building a runtime inside a runtime is fine; using it to block is refused.
    let client = client.unwrap();
    let err = client.get_secret("a").unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(client.list_properties_of_secrets(None).count(), 1, "the iterator ends after the error");
}
