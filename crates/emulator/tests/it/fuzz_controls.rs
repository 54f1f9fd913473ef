//! Property tests of the `/_emulator/` controls under debug assertions (overflow checks on):
//! hostile imports (extreme sequence numbers and timestamps, bad names, repeated versions,
//! oversized values and tags, broken structure) and random clock, fault and delay requests.
//!
//! No answer is a 5xx or a dropped connection, a refused control changes neither the store nor
//! the clock, and writes and lists after every accepted import still answer.

use std::time::Duration;

use azkv_emulator::{AuthMode, EmulatorHandle};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{API_VERSION, builder};

/// The largest timestamp the emulator stores (9999-12-31T23:59:59Z).
const MAX_TIME: i64 = 253_402_300_799;
const MAX_SEQ: u64 = 1 << 53;

fn ts() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 0..=MAX_TIME,
        1 => prop::sample::select(vec![i64::MIN, -1, 0, MAX_TIME, MAX_TIME + 1, i64::MAX]),
    ]
}

fn seq() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..50u64,
        1 => prop::sample::select(vec![u64::MAX, u64::MAX - 1, MAX_SEQ - 2, MAX_SEQ - 1, MAX_SEQ, MAX_SEQ + 1]),
    ]
}

fn version_id() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[0-9a-f]{32}",
        1 => Just("0123456789abcdef0123456789abcdef".to_owned()),
        1 => "[0-9a-f]{31}",
        1 => "\\PC{0,34}",
    ]
}

fn version() -> impl Strategy<Value = Value> {
    let value = prop_oneof![8 => "\\PC{0,20}", 1 => Just("x".repeat(25 * 1024 + 1))];
    let tags = prop::option::of(prop::collection::btree_map("[a-z]{1,4}", "\\PC{0,6}", 0..18));
    let content_type = prop::option::of(prop_oneof![5 => Just("text/plain".to_owned()), 1 => Just("c".repeat(256))]);
    (version_id(), seq(), value, tags, content_type, any::<bool>(), prop::option::of(ts()), prop::option::of(ts()), ts(), ts())
        .prop_map(|(id, seq, value, tags, ct, enabled, nbf, exp, created, updated)| {
            let mut v = json!({ "version": id, "seq": seq, "value": value, "enabled": enabled, "created": created, "updated": updated });
            if let Some(t) = tags {
                v["tags"] = json!(t);
            }
            if let Some(ct) = ct {
                v["content_type"] = json!(ct);
            }
            if let Some(n) = nbf {
                v["nbf"] = json!(n);
            }
            if let Some(e) = exp {
                v["exp"] = json!(e);
            }
            v
        })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![6 => "[a-zA-Z0-9-]{1,12}", 1 => Just("a".repeat(128)), 1 => "\\PC{0,8}"]
}

/// `(key, secret)`, the key usually matching the name.
fn secret() -> impl Strategy<Value = (String, Value)> {
    (name(), prop::bool::weighted(0.9), "\\PC{0,6}", prop::collection::vec(version(), 0..4)).prop_map(
        |(name, matching, other, versions)| {
            let key = if matching { name.to_ascii_lowercase() } else { other };
            (key, json!({ "name": name, "versions": versions }))
        },
    )
}

fn vault() -> impl Strategy<Value = Value> {
    let deleted = (secret(), ts(), ts())
        .prop_map(|((k, s), d, p)| (k, json!({ "secret": s, "deleted_date": d, "scheduled_purge_date": p })));
    (prop::collection::vec(secret(), 0..4), prop::collection::vec(deleted, 0..2), seq()).prop_map(
        |(secrets, deleted, next_seq)| {
            let secrets: serde_json::Map<String, Value> = secrets.into_iter().collect();
            let deleted: serde_json::Map<String, Value> = deleted.into_iter().collect();
            json!({ "secrets": secrets, "deleted": deleted, "next_seq": next_seq })
        },
    )
}

fn snapshot() -> impl Strategy<Value = Value> {
    let vault_name = prop_oneof![
        6 => Just("default".to_owned()),
        2 => "[a-z0-9-]{1,8}",
        1 => "\\PC{0,6}",
        1 => Just("UPPER".to_owned()),
    ];
    prop_oneof![
        8 => prop::collection::vec((vault_name, vault()), 0..3)
            .prop_map(|vs| json!({ "vaults": vs.into_iter().collect::<serde_json::Map<_, _>>() })),
        1 => Just(json!({ "vaults": [] })),
        1 => Just(json!("not a snapshot")),
        1 => Just(json!({ "vaults": { "default": { "next_seq": -1 } } })),
    ]
}

/// One control request: `(method, route, body)`.
fn control() -> impl Strategy<Value = (Method, &'static str, Vec<u8>)> {
    let json_body = |v: Value| serde_json::to_vec(&v).unwrap();
    prop_oneof![
        6 => snapshot().prop_map(move |s| (Method::POST, "import", json_body(s))),
        1 => any::<i64>().prop_map(move |n| (Method::POST, "clock", json_body(json!({ "advance_secs": n })))),
        1 => (-100_000i64..100_000).prop_map(move |n| (Method::POST, "clock", json_body(json!({ "advance_secs": n })))),
        1 => (prop::sample::select(vec!["throttle", "unavailable", "error", "drop", "other"]), any::<u32>(), any::<u64>())
            .prop_map(move |(k, c, r)| (Method::POST, "faults", json_body(json!({ "kind": k, "count": c, "retry_after_secs": r })))),
        1 => (prop::option::of(any::<i64>()), any::<u32>())
            .prop_map(move |(s, p)| (Method::POST, "delay", json_body(json!({ "secs": s, "polls": p })))),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| (Method::POST, "import", b)),
        1 => prop::sample::select(vec![
            (Method::DELETE, "faults"), (Method::DELETE, "delay"), (Method::GET, "export"), (Method::GET, "stats"),
            (Method::PUT, "import"), (Method::GET, "nothing"),
        ]).prop_map(|(m, r)| (m, r, Vec::new())),
    ]
}

async fn send(http: &reqwest::Client, emu: &EmulatorHandle, method: Method, path: &str, body: Vec<u8>) -> (u16, Value) {
    let r = http
        .request(method.clone(), format!("{}{path}", emu.url()))
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: no answer (did the emulator panic?): {e}"));
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    if status >= 400 {
        assert!(json["error"]["code"].is_string(), "{method} {path}: {status} {bytes:?}");
    }
    (status, json)
}

/// A 5xx is allowed only for a vault whose sequence numbers an import used up.
fn acceptable(status: u16, body: &Value) -> bool {
    status < 500 || body["error"]["message"].as_str().is_some_and(|m| m.contains("sequence number"))
}

#[test]
fn hostile_imports_and_control_requests() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let emu = rt.block_on(builder().tls(false).auth(AuthMode::None).start()).unwrap();
    crate::common::install_provider();
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().unwrap();
    let mut runner = TestRunner::new(Config { cases: 10_000, failure_persistence: None, ..Config::default() });
    let (accepted, refused) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    runner
        .run(&control(), |(method, route, body)| {
            let (before, clock) = (emu.export(), emu.clock().now());
            let (status, answer) = rt.block_on(send(&http, &emu, method.clone(), &format!("/_emulator/{route}"), body));
            prop_assert!(status < 500, "{} {}: {} {}", method, route, status, answer);
            if status >= 400 {
                refused.set(refused.get() + 1);
                prop_assert_eq!(&emu.export(), &before, "a refused {} {} changed the store", method, route);
                prop_assert_eq!(emu.clock().now(), clock, "a refused {} {} moved the clock", method, route);
            } else if route == "import" {
                accepted.set(accepted.get() + 1);
                rt.block_on(async {
                    let _ = send(&http, &emu, Method::DELETE, "/_emulator/faults", Vec::new()).await;
                    let _ = send(&http, &emu, Method::DELETE, "/_emulator/delay", Vec::new()).await;
                    let seed: Value = serde_json::from_str(&emu.export()).unwrap();
                    let names: Vec<String> = seed["vaults"]["default"]["secrets"]
                        .as_object()
                        .map(|m| m.values().filter_map(|s| s["name"].as_str().map(str::to_owned)).collect())
                        .unwrap_or_default();
                    for name in names.iter().take(2).chain(std::iter::once(&"fresh".to_owned())) {
                        let q = format!("?api-version={API_VERSION}");
                        let put = json!({ "value": "after-import" }).to_string().into_bytes();
                        let (s, b) = send(&http, &emu, Method::PUT, &format!("/secrets/{name}{q}"), put).await;
                        assert!(acceptable(s, &b), "PUT {name}: {s} {b}");
                        let path = format!("/secrets/{name}/versions{q}&maxresults=1");
                        let (s, b) = send(&http, &emu, Method::GET, &path, Vec::new()).await;
                        assert!(acceptable(s, &b), "versions of {name}: {s} {b}");
                        let (s, b) = send(&http, &emu, Method::GET, &format!("/secrets{q}"), Vec::new()).await;
                        assert!(acceptable(s, &b), "list: {s} {b}");
                        let (s, b) = send(&http, &emu, Method::GET, &format!("/deletedsecrets{q}"), Vec::new()).await;
                        assert!(acceptable(s, &b), "deleted list: {s} {b}");
                    }
                });
            }
            Ok(())
        })
        .unwrap();
    let (accepted, refused) = (accepted.get(), refused.get());
    eprintln!("controls fuzz: {accepted} imports accepted, {refused} controls refused");
    assert!(accepted > 100 && refused > 1_000, "the generator reaches both outcomes: {accepted} / {refused}");
    let (status, _) = rt.block_on(send(&http, &emu, Method::GET, "/_emulator/health", Vec::new()));
    assert_eq!(status, 200);
    rt.block_on(emu.shutdown());
}
