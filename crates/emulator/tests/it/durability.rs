//! The binary with `--data-dir`: every acknowledged write survives `kill -9`; torn tails and corrupt logs on start.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("azkv-emu-it-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts the binary and returns it with its ready line.
async fn spawn(dir: &Path, stderr: Stdio) -> (Child, Value) {
    spawn_with(dir, stderr, &[]).await
}

async fn spawn_with(dir: &Path, stderr: Stdio, extra: &[&str]) -> (Child, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_azkv-emulator"))
        .args(["--no-tls", "--auth", "none", "--data-dir"])
        .arg(dir)
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().unwrap_or_default();
    let ready: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
    (child, ready)
}

fn client() -> reqwest::Client {
    crate::common::install_provider();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = temp_dir("kill");
    let (mut child, ready) = spawn(&dir, Stdio::null()).await;
    assert_eq!(ready["ready"], true, "{ready}");
    assert!(ready["ca_path"].is_null());
    let url = ready["url"].as_str().unwrap().to_owned();
    let http = client();
    let acked: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (http, url, acked) = (http.clone(), url.clone(), acked.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    let (name, value) = (format!("w{w}-{}", i % 7), format!("value-{w}-{i}"));
                    let r = http
                        .put(format!("{url}/secrets/{name}?api-version=2025-07-01"))
                        .header("content-type", "application/json")
                        .body(json!({ "value": value }).to_string())
                        .send()
                        .await;
                    let Ok(r) = r else { break };
                    if r.status() != 200 {
                        break;
                    }
                    let Ok(bytes) = r.bytes().await else { break };
                    let body: Value = serde_json::from_slice(&bytes).unwrap();
                    let version = body["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
                    acked.lock().unwrap().push((name, version, value));
                }
            })
        })
        .collect();
    // Kill while writers are mid-flight, once enough writes are acknowledged.
    loop {
        if acked.lock().unwrap().len() >= 150 {
            break;
        }
        tokio::task::yield_now().await;
    }
    child.kill().await.unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 150);

    let (mut child, ready) = spawn(&dir, Stdio::null()).await;
    let url = ready["url"].as_str().unwrap().to_owned();
    for (name, version, value) in &acked {
        let r = http.get(format!("{url}/secrets/{name}/{version}?api-version=2025-07-01")).send().await.unwrap();
        assert_eq!(r.status(), 200, "acknowledged {name}/{version} lost");
        let body: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(body["value"], value.as_str());
    }
    child.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

async fn stderr_of(mut child: Child) -> String {
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).await.unwrap();
    err
}

#[tokio::test]
async fn torn_tail_is_truncated_with_a_warning_and_middle_corruption_refuses_to_start() {
    let dir = temp_dir("torn");
    let (mut child, ready) = spawn(&dir, Stdio::null()).await;
    let url = ready["url"].as_str().unwrap().to_owned();
    let http = client();
    for i in 0..3 {
        let r = http
            .put(format!("{url}/secrets/s{i}?api-version=2025-07-01"))
            .body(json!({ "value": format!("v{i}") }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    child.kill().await.unwrap();
    let log = dir.join("secrets.log");
    let good = std::fs::read(&log).unwrap();
    assert_eq!(good.iter().filter(|&&b| b == b'\n').count(), 3, "one record per mutation");

    // A torn last record: dropped with a warning, everything before it kept.
    let mut torn = good.clone();
    torn.extend_from_slice(b"0123456789abcdef {\"op\":\"set_ver");
    std::fs::write(&log, &torn).unwrap();
    let (mut child, ready) = spawn(&dir, Stdio::piped()).await;
    assert_eq!(ready["ready"], true);
    let url = ready["url"].as_str().unwrap().to_owned();
    for i in 0..3 {
        let r = http.get(format!("{url}/secrets/s{i}?api-version=2025-07-01")).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    child.kill().await.unwrap();
    let err = stderr_of(child).await;
    assert!(err.contains("torn") && err.contains("dropped_records=1"), "{err}");

    // A corrupt last record that ends in a newline was written whole: refused, unless --repair.
    let mut bad_tail = good.clone();
    let n = bad_tail.len();
    bad_tail[n - 10] ^= 0x01;
    std::fs::write(&log, &bad_tail).unwrap();
    let (child, ready) = spawn(&dir, Stdio::piped()).await;
    assert!(ready.is_null(), "no ready line: {ready}");
    let out = child.wait_with_output().await.unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt last record") && err.contains("--repair"), "{err}");
    let (mut child, ready) = spawn_with(&dir, Stdio::piped(), &["--repair"]).await;
    assert_eq!(ready["ready"], true);
    let url = ready["url"].as_str().unwrap().to_owned();
    for (i, expected) in [(0, 200), (1, 200), (2, 404)] {
        let r = http.get(format!("{url}/secrets/s{i}?api-version=2025-07-01")).send().await.unwrap();
        assert_eq!(r.status(), expected, "s{i}");
    }
    child.kill().await.unwrap();
    let err = stderr_of(child).await;
    assert!(err.contains("--repair") && err.contains("truncating"), "{err}");

    // A corrupt record in the middle: the emulator refuses to start.
    let mut corrupt = good.clone();
    corrupt.extend_from_slice(&good);
    let first_nl = corrupt.iter().position(|&b| b == b'\n').unwrap();
    corrupt[first_nl + 30] ^= 0x01;
    std::fs::write(&log, &corrupt).unwrap();
    let (child, ready) = spawn(&dir, Stdio::piped()).await;
    assert!(ready.is_null(), "no ready line: {ready}");
    let out = child.wait_with_output().await.unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt record"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
