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

/// The reqwest transport and the default one (hyper-util directly, reqwest for proxies),
/// built from the same options.
fn both(options: &TransportOptions) -> [(&'static str, Arc<dyn HttpClient>); 2] {
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

/// A stand-in proxy on 127.0.0.1: answers each connection's first request head with
/// `answer` and closes; returns its URL and the heads it read.
async fn stand_in_proxy(answer: &'static [u8]) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            seen.lock().unwrap().push(String::from_utf8_lossy(&head).into_owned());
            let _ = stream.write_all(answer).await;
        }
    });
    (url, heads)
}

const BAD_GATEWAY: &[u8] = b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

#[tokio::test]
async fn an_explicit_proxy_is_used_for_remote_hosts_and_never_for_loopback() {
    use azkv_pipeline::transport::ExplicitProxy;
    let (proxy_url, heads) = stand_in_proxy(BAD_GATEWAY).await;
    let server = MockServer::start().await;
    Mock::given(path("/direct")).respond_with(ResponseTemplate::new(204)).expect(2).mount(&server).await;
    let proxy = ExplicitProxy::new(&proxy_url).unwrap().with_basic_auth("user", "pw");
    for (i, (name, client)) in both(&TransportOptions::default().with_proxy(proxy)).into_iter().enumerate() {
        // Loopback: direct, whatever the settings say.
        let url = format!("{}/direct", server.uri());
        let resp = client.execute(&Request::new(Method::GET, url.parse().unwrap())).await.unwrap();
        assert_eq!(resp.status.as_u16(), 204, "{name}");
        assert_eq!(heads.lock().unwrap().len(), i, "{name}");
        // A remote host: through the proxy (which answers 502), never resolved or reached here:
        // the request in absolute form, with the proxy's credentials.
        let remote = Request::new(Method::GET, "http://vault.example.test/secrets/a?x=1".parse().unwrap());
        let resp = client.execute(&remote).await.unwrap();
        assert_eq!(resp.status.as_u16(), 502, "{name}");
        let head = heads.lock().unwrap()[i].to_ascii_lowercase();
        assert!(head.starts_with("get http://vault.example.test/secrets/a?x=1 http/1.1\r\n"), "{name}: {head}");
        assert!(head.contains("proxy-authorization: basic dxnlcjpwdw==\r\n"), "{name}: {head}");
    }
    server.verify().await;
}

#[tokio::test]
async fn an_https_destination_goes_through_a_connect_tunnel_and_a_refusal_says_so() {
    use azkv_pipeline::transport::ExplicitProxy;
    let (proxy_url, heads) =
        stand_in_proxy(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n").await;
    let proxy = ExplicitProxy::new(&proxy_url).unwrap().with_basic_auth("user", "pw");
    let transport = default_transport(&TransportOptions::default().with_proxy(proxy)).unwrap();
    let remote = Request::new(Method::GET, "https://vault.example.test/secrets/a?sig=canary".parse().unwrap());
    let err = transport.execute(&remote).await.unwrap_err();
    let shown = err.to_string();
    let port = proxy_url.rsplit(':').next().unwrap();
    assert!(
        shown.starts_with(&format!("cannot connect to 127.0.0.1:{port} (the proxy for vault.example.test:443)")),
        "{shown}"
    );
    assert!(shown.contains("407 Proxy Authentication Required") && !shown.contains("canary"), "{shown}");
    assert_eq!(err.connection_kind(), Some(azkv_pipeline::ConnectionErrorKind::ProxyRefused), "not retried");
    assert!(shown.ends_with("check the proxy's credentials (the user and password in the proxy URL, or ExplicitProxy::with_basic_auth) and that it lets this destination through"), "{shown}");
    let head = heads.lock().unwrap()[0].clone();
    assert_eq!(
        head,
        "CONNECT vault.example.test:443 HTTP/1.1\r\nHost: vault.example.test:443\r\n\
         Proxy-Authorization: Basic dXNlcjpwdw==\r\n\r\n",
        "the query never reaches the proxy"
    );
}

#[tokio::test]
async fn a_dead_proxy_is_named_in_the_error() {
    use azkv_pipeline::ConnectionErrorKind;
    use azkv_pipeline::transport::ExplicitProxy;
    // A port nothing listens on: bound, then closed.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let proxy = ExplicitProxy::new(&format!("http://{dead}")).unwrap();
    let transport = default_transport(&TransportOptions::default().with_proxy(proxy)).unwrap();
    for url in ["https://vault.example.test/", "http://vault.example.test/"] {
        let err = transport.execute(&Request::new(Method::GET, url.parse().unwrap())).await.unwrap_err();
        assert_eq!(err.connection_kind(), Some(ConnectionErrorKind::Refused), "{err}");
        assert!(
            err.to_string().starts_with(&format!("cannot connect to {dead} (the proxy for vault.example.test:")),
            "{err}"
        );
    }
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
