//! The default transport's proxies: absolute-form http, `CONNECT` tunnels, https proxies, and
//! what a refusing or dead proxy looks like. Stand-in proxies on 127.0.0.1 play each part.

use std::sync::Arc;

use azkv_pipeline::transport::{ExplicitProxy, TransportOptions, default_transport};
use azkv_pipeline::{ConnectionErrorKind, Method, Request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::transport::both;

/// Reads up to the end of a request head (or the end of the stream).
async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A stand-in proxy on 127.0.0.1: answers each connection's first request head with
/// `answer` and closes; returns its URL and the heads it read.
async fn stand_in_proxy(answer: &'static [u8]) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let head = read_head(&mut stream).await;
            seen.lock().unwrap().push(head);
            let _ = stream.write_all(answer).await;
        }
    });
    (url, heads)
}

const BAD_GATEWAY: &[u8] = b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

#[tokio::test]
async fn an_explicit_proxy_is_used_for_remote_hosts_and_never_for_loopback() {
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
    assert_eq!(err.connection_kind(), Some(ConnectionErrorKind::ProxyRefused), "not retried");
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

/// A CA, and a server configuration for `name` that it signed, offering `alpn`.
fn server_signed_by_a_ca(name: &str, alpn: &[&[u8]]) -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &Issuer::new(ca_params, ca_key))
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    (ca_pem, Arc::new(config))
}

/// What the https stand-in proxy saw on one connection: the ALPN protocol agreed with it, its
/// request head, and for a tunnel the request head inside.
#[derive(Debug, Clone)]
struct Seen {
    alpn: Option<Vec<u8>>,
    head: String,
    inside: Option<String>,
}

/// An https proxy on 127.0.0.1 (it would take HTTP/2 if offered): answers an absolute-form
/// request with `plain`, and a `CONNECT` with a tunnel to a TLS server for
/// `vault.example.test` that answers `inside`.
#[tokio::test]
async fn an_https_proxy_takes_http_requests_and_tunnels_with_http1_to_it() {
    let (proxy_ca, proxy_tls) = server_signed_by_a_ca("127.0.0.1", &[b"h2", b"http/1.1"]);
    let (vault_ca, vault_tls) = server_signed_by_a_ca("vault.example.test", &[b"http/1.1"]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("https://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::<Seen>::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut tls) = tokio_rustls::TlsAcceptor::from(proxy_tls.clone()).accept(tcp).await else { continue };
            let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
            let head = read_head(&mut tls).await;
            let inside = if head.starts_with("CONNECT ") {
                tls.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.unwrap();
                let mut vault = tokio_rustls::TlsAcceptor::from(vault_tls.clone()).accept(tls).await.unwrap();
                let inside = read_head(&mut vault).await;
                vault.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\ninside").await.unwrap();
                Some(inside)
            } else {
                tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nplain").await.unwrap();
                None
            };
            record.lock().unwrap().push(Seen { alpn, head, inside });
        }
    });
    let mut options = TransportOptions::default()
        .with_root_certificate_pem(proxy_ca)
        .with_root_certificate_pem(vault_ca)
        .with_proxy(ExplicitProxy::new(&proxy_url).unwrap().with_basic_auth("user", "pw"));
    options.only_given_roots = true;
    let transport = default_transport(&options).unwrap();

    let get = |url: &str| Request::new(Method::GET, url.parse().unwrap());
    let resp = transport.execute(&get("https://vault.example.test/secrets/a?api-version=2025-07-01")).await.unwrap();
    assert_eq!((resp.status.as_u16(), &resp.body[..]), (200, &b"inside"[..]));
    let resp = transport.execute(&get("http://vault.example.test/plain")).await.unwrap();
    assert_eq!((resp.status.as_u16(), &resp.body[..]), (200, &b"plain"[..]));

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for s in &seen {
        assert_eq!(s.alpn.as_deref(), Some(&b"http/1.1"[..]), "HTTP/1.1 with the proxy, never h2: {s:?}");
    }
    let tunnel = &seen[0];
    assert!(tunnel.head.starts_with("CONNECT vault.example.test:443 HTTP/1.1\r\n"), "{tunnel:?}");
    assert!(tunnel.head.contains("Proxy-Authorization: Basic dXNlcjpwdw==\r\n"), "{tunnel:?}");
    let inside = tunnel.inside.as_deref().unwrap().to_ascii_lowercase();
    assert!(inside.starts_with("get /secrets/a?api-version=2025-07-01 http/1.1\r\n"), "origin form inside: {inside}");
    assert!(!inside.contains("proxy-authorization"), "the proxy's credentials stay outside the tunnel: {inside}");
    let plain = seen[1].head.to_ascii_lowercase();
    assert!(plain.starts_with("get http://vault.example.test/plain http/1.1\r\n"), "{plain}");
    assert!(plain.contains("proxy-authorization: basic dxnlcjpwdw==\r\n"), "{plain}");
}
