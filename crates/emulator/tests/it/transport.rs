//! TLS trust, HTTP/2, plain HTTP on loopback, graceful shutdown, start-up time.

use crate::common::{builder, client_for, install_provider, start, start_with};
use azkv_emulator::AuthMode;
use std::time::Instant;

#[tokio::test]
async fn https_needs_the_per_run_ca() {
    let kv = start().await;
    assert!(kv.emu.url().starts_with("https://127.0.0.1:"));
    install_provider();
    let untrusting = reqwest::Client::builder().no_proxy().tls_certs_only([]).build().unwrap();
    assert!(untrusting.get(kv.url("/secrets")).send().await.is_err());
    // Another run's CA is not trusted either.
    let other = builder().start().await.unwrap();
    let wrong = client_for(&other, |b| b);
    assert!(wrong.get(kv.url("/secrets")).send().await.is_err());
    // The certificate is valid for localhost too.
    let port = kv.emu.addr().port();
    let r = kv.http.get(format!("https://localhost:{port}/secrets?api-version=7.5")).send().await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn http2_is_negotiated() {
    let kv = start().await;
    let h2 = client_for(&kv.emu, |b| b.http2_prior_knowledge());
    let r = h2.get(kv.url("/secrets")).bearer_auth(kv.emu.issue_token()).send().await.unwrap();
    assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_2, 200));
}

#[tokio::test]
async fn plain_http_on_loopback_only() {
    let kv = start_with(builder().tls(false).auth(AuthMode::None)).await;
    assert!(kv.emu.url().starts_with("http://127.0.0.1:"));
    assert!(kv.emu.ca_pem().is_none());
    let r = kv.put("/secrets/plain", serde_json::json!({ "value": "x" })).await;
    assert!(r.body["id"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    let err = builder().tls(false).bind("0.0.0.0:0".parse().unwrap()).start().await.unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
    assert!(builder().retention_days(3).start().await.is_err());
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let started = Instant::now();
    let kv = start().await;
    eprintln!("in-process emulator started in {:?}", started.elapsed());
    let url = kv.url("/secrets");
    let http = kv.http.clone();
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    kv.emu.shutdown().await;
    let fresh = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(fresh.get(&url).send().await.is_err(), "nothing listens after shutdown");
}

#[tokio::test]
async fn serves_while_the_callers_thread_blocks() {
    // A current-thread test runtime that blocks its only thread must not stall the emulator.
    let emu = builder().tls(false).auth(AuthMode::None).start().await.unwrap();
    let addr = emu.addr();
    let answer = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /secrets?api-version=7.5 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    })
    .join()
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    emu.shutdown().await;
}
