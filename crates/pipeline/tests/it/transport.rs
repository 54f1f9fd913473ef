//! The built-in transports against wiremock.

use std::sync::Arc;

use azkv_pipeline::transport::{TransportOptions, default_transport, new_reqwest_client};
use azkv_pipeline::{Error, HttpClient, Method, Request};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn round_trip(client: Arc<dyn HttpClient>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/echo"))
        .and(query_param("api-version", "7.6"))
        .and(header("x-custom", "a b"))
        .and(body_string("payload"))
        .respond_with(ResponseTemplate::new(201).insert_header("X-Answer", "42").set_body_string(r#"{"ok":true}"#))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = Request::new(Method::POST, format!("{}/echo?api-version=7.6", server.uri()).parse().unwrap());
    req.headers.insert("X-Custom", "a b");
    req.set_body("text/plain", "payload");
    let resp = client.execute(&req).await.unwrap();
    assert_eq!(resp.status.as_u16(), 201);
    assert_eq!(resp.headers.get("x-answer"), Some("42"));
    assert_eq!(resp.json::<serde_json::Value>().unwrap()["ok"], true);
    server.verify().await;
}

#[tokio::test]
async fn reqwest_transport_round_trips_method_headers_query_and_body() {
    round_trip(Arc::new(new_reqwest_client(&TransportOptions::default()).unwrap())).await;
}

#[tokio::test]
async fn the_default_transport_round_trips_method_headers_query_and_body() {
    round_trip(default_transport(&TransportOptions::default()).unwrap()).await;
}

/// The reqwest transport and the default one, built from the same options.
pub(crate) fn both(options: &TransportOptions) -> [(&'static str, Arc<dyn HttpClient>); 2] {
    [("reqwest", Arc::new(new_reqwest_client(options).unwrap())), ("default", default_transport(options).unwrap())]
}

#[cfg(feature = "hyper")]
#[tokio::test]
async fn hyper_transport_round_trips_method_headers_query_and_body() {
    round_trip(Arc::new(azkv_pipeline::transport::HyperClient::new(&TransportOptions::default()).unwrap())).await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "http://10.1.2.3/stolen"))
        .mount(&server)
        .await;
    for (name, client) in both(&TransportOptions::default()) {
        let resp = client.execute(&Request::new(Method::GET, format!("{}/a", server.uri()).parse().unwrap())).await;
        assert_eq!(resp.unwrap().status.as_u16(), 302, "{name}");
    }
}

#[tokio::test]
async fn resolve_overrides_route_a_host_name_to_loopback() {
    let server = MockServer::start().await;
    Mock::given(path("/r")).respond_with(ResponseTemplate::new(204)).expect(2).mount(&server).await;
    let addr = *server.address();
    // The override's port is ignored, as reqwest documents: the URL's port is used.
    let options = TransportOptions::default().with_resolve("MyVault.vault.azure.net", (addr.ip(), 1).into());
    for (name, client) in both(&options) {
        let url = format!("http://myvault.vault.azure.net:{}/r", addr.port());
        let resp = client.execute(&Request::new(Method::GET, url.parse().unwrap())).await.unwrap();
        assert_eq!(resp.status.as_u16(), 204, "{name}");
    }
    server.verify().await;
}

#[test]
fn a_bad_root_certificate_is_a_typed_error() {
    let options = TransportOptions::default().with_root_certificate_pem(b"not a pem".to_vec());
    let err = new_reqwest_client(&options).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}

#[tokio::test]
async fn without_proxy_connects_directly() {
    // The option must build and reach a loopback server directly.
    let server = MockServer::start().await;
    Mock::given(path("/p")).respond_with(ResponseTemplate::new(204)).expect(1).mount(&server).await;
    let client = new_reqwest_client(&TransportOptions::default().without_proxy()).unwrap();
    let resp = HttpClient::execute(&client, &Request::new(Method::GET, format!("{}/p", server.uri()).parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 204);
}

#[tokio::test]
async fn the_default_transport_honours_the_body_limit() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(2048)))
        .mount(&server)
        .await;
    let mut options = TransportOptions::default();
    options.max_response_body = 1024;
    let transport = azkv_pipeline::transport::default_transport(&options).unwrap();
    let url = format!("{}/big", server.uri());
    let err = transport.execute(&Request::new(Method::GET, url.parse().unwrap())).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }) && err.to_string().contains("1024"), "{err:?}");
    options.max_response_body = 4096;
    let transport = azkv_pipeline::transport::default_transport(&options).unwrap();
    assert_eq!(transport.execute(&Request::new(Method::GET, url.parse().unwrap())).await.unwrap().body.len(), 2048);
}

/// The only test in this binary that touches rustls's process-wide provider.
#[tokio::test]
async fn building_a_client_leaves_the_process_crypto_provider_to_the_application() {
    assert!(rustls::crypto::CryptoProvider::get_default().is_none(), "nothing installed a provider yet");
    let client = new_reqwest_client(&TransportOptions::default()).unwrap();
    let default = default_transport(&TransportOptions::default()).unwrap();
    assert!(rustls::crypto::CryptoProvider::get_default().is_none(), "building a client installed a provider");
    // The application installs its own afterwards, as it may: no panic, and both keep working.
    rustls::crypto::ring::default_provider().install_default().expect("the process default is still free");
    let server = MockServer::start().await;
    Mock::given(path("/p")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let later = new_reqwest_client(&TransportOptions::default()).unwrap();
    let later_default = default_transport(&TransportOptions::default()).unwrap();
    let clients: [Arc<dyn HttpClient>; 4] = [Arc::new(client), Arc::new(later), default, later_default];
    for c in clients {
        let url = format!("{}/p", server.uri());
        assert_eq!(c.execute(&Request::new(Method::GET, url.parse().unwrap())).await.unwrap().status.as_u16(), 204);
    }
}
