//! Exposure and limits: loopback by default, streamed bodies bounded, request heads bounded
//! over HTTP/1.1 and HTTP/2, 2,000 idle and 500 slow connections do not starve other clients, the
//! connection cap (the timeouts themselves are tested under paused time beside `server.rs`).

use std::io::{Read, Write};
use std::time::Duration;

use crate::common::{builder, client_for, start, start_with};
use azkv_emulator::AuthMode;

#[tokio::test]
async fn binds_loopback_by_default() {
    let kv = start().await;
    assert_eq!(kv.emu.addr().ip().to_string(), "127.0.0.1");
    let plain = start_with(builder().tls(false).auth(AuthMode::None)).await;
    assert!(plain.emu.addr().ip().is_loopback(), "{}", plain.emu.addr());
}

/// Sends `head` then up to `chunks` chunked-encoding chunks of 64 KiB on a blocking socket;
/// returns what the server answered.
fn chunked_upload(addr: std::net::SocketAddr, head: &str, chunks: usize) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..chunks {
        // The server may answer and close early: stop writing then.
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
            || s.write_all(&chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_over_one_mib_is_413() {
    let kv = start_with(builder().tls(false).auth(AuthMode::None)).await;
    let addr = kv.emu.addr();
    let head = "PUT /secrets/big?api-version=2025-07-01 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    // No Content-Length for the early check: the streaming limit must hold.
    let answer = tokio::task::spawn_blocking(move || chunked_upload(addr, head, 20)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", answer.lines().next().unwrap_or_default());
    assert!(answer.contains("RequestEntityTooLarge"), "{answer}");
    assert_eq!(kv.get("/secrets/big").await.status, 404, "nothing was written");
    // Just under the limit in chunks is read whole (and refused as a too-large value, 400).
    let answer = tokio::task::spawn_blocking(move || chunked_upload(addr, head, 15)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{}", answer.lines().next().unwrap_or_default());
}

#[tokio::test]
async fn request_heads_are_bounded_over_http1_and_http2() {
    let kv = start().await;
    // Many small headers adding up to more than 64 KiB.
    for client in [kv.http.clone(), client_for(&kv.emu, |b| b.http2_prior_knowledge())] {
        let mut req = client.get(kv.url("/secrets")).bearer_auth(kv.emu.issue_token());
        for i in 0..2_000 {
            req = req.header(format!("x-h{i}"), "v".repeat(40));
        }
        match req.send().await {
            Ok(r) => assert!([400, 431].contains(&r.status().as_u16()), "{}", r.status()),
            Err(e) => assert!(!e.is_timeout(), "refused, not hung: {e}"),
        }
    }
    assert_eq!(kv.get("/secrets").await.status, 200, "the server still serves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_do_not_starve_other_clients() {
    let kv = start().await;
    // 1,800 connections that never start a TLS handshake, and 200 that stop in the middle of one.
    let mut idle = Vec::new();
    for i in 0..2_000 {
        let mut s = tokio::net::TcpStream::connect(kv.emu.addr()).await.unwrap();
        if i >= 1_800 {
            use tokio::io::AsyncWriteExt;
            let _ = s.write_all(b"\x16\x03\x01").await; // a TLS record header, then nothing
        }
        idle.push(s);
    }
    for _ in 0..20 {
        assert_eq!(kv.get("/secrets").await.status, 200);
    }
    drop(idle);
    assert_eq!(kv.get("/secrets").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_request_heads_do_not_starve_other_clients() {
    let kv = start_with(builder().tls(false).auth(AuthMode::None)).await;
    let mut slow = Vec::new();
    for i in 0..500 {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(kv.emu.addr()).await.unwrap();
        let _ = s.write_all(format!("GET /secrets?api-version=2025-07-01 HTTP/1.1\r\nx-slow-{i}: a").as_bytes()).await;
        slow.push(s);
    }
    for _ in 0..20 {
        assert_eq!(kv.get("/secrets").await.status, 200);
    }
}

#[tokio::test]
async fn at_the_connection_cap_a_client_is_served_once_a_slot_frees() {
    let mut limits = azkv_emulator::ConnectionLimits::default();
    limits.max_connections = 3;
    let kv = start_with(builder().tls(false).auth(AuthMode::None).connection_limits(limits)).await;
    let held: Vec<_> = [0; 3].iter().map(|_| std::net::TcpStream::connect(kv.emu.addr()).unwrap()).collect();
    let addr = kv.emu.addr();
    let waiting = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(b"GET /_emulator/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    });
    drop(held);
    let answer = waiting.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
