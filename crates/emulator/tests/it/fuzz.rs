//! Property tests of the emulator's request handling over real HTTP on 127.0.0.1: random
//! methods, paths, query strings, headers and bodies (random bytes, random JSON, mutated valid
//! bodies) in `none` and `strict` modes, and raw random bytes on the socket.
//!
//! No answer is a 5xx (except the documented `501 NotImplemented` for other Key Vault APIs),
//! every error is a service-shaped JSON body, and the server stays up. Strict mode refuses every
//! token that is not exactly one it issued.

use std::io::{Read, Write};
use std::time::Duration;

use azkv_emulator::{AuthMode, EmulatorHandle};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{API_VERSION, builder};

/// One generated request.
#[derive(Debug, Clone)]
struct Fuzzed {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "secrets", "deletedsecrets", "versions", "backup", "restore", "recover", "keys", "certificates",
            "db-password", "a", "", "0123456789abcdef0123456789abcdef", "%2F", "%00", "..", ".", "%", "%zz",
        ]).prop_map(str::to_owned),
        2 => "[0-9a-zA-Z-]{1,130}",
        1 => "[!-~]{0,12}".prop_map(|s| s.replace(['?', '#', '/'], "")),
        1 => "\\PC{0,8}".prop_map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 0..6).prop_map(|segs| {
        let p = format!("/{}", segs.join("/"));
        // Control routes are for tests; random requests to them would inject faults or reset state.
        if p.starts_with("/_emulator") { format!("/x{p}") } else { p }
    })
}

fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    let pair = prop_oneof![
        Just(("api-version".to_owned(), API_VERSION.to_owned())),
        "[!-~]{0,10}".prop_map(|v| ("api-version".to_owned(), v)),
        prop_oneof![Just("-1".to_owned()), Just("0".to_owned()), Just("26".to_owned()), "[0-9]{1,25}", "\\PC{0,5}"]
            .prop_map(|v| ("maxresults".to_owned(), v)),
        "\\PC{0,40}".prop_map(|v| ("$skiptoken".to_owned(), v)),
        ("[a-zA-Z$]{1,10}", "\\PC{0,20}"),
        "\\PC{0,20}".prop_map(|v| ("outContentType".to_owned(), v)),
    ];
    prop::collection::vec(pair, 0..5)
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let pair = prop_oneof![
        prop::sample::select(vec!["application/json", "text/plain", "", "application/json; charset=utf-16", "\u{7f}"])
            .prop_map(|v| ("content-type".to_owned(), v.to_owned())),
        "[ -~]{0,60}".prop_map(|v| ("authorization".to_owned(), v)),
        "[ -~]{0,40}".prop_map(|v| ("host".to_owned(), v)),
        "[ -~]{0,40}".prop_map(|v| ("x-ms-client-request-id".to_owned(), v)),
        ("x-[a-z0-9-]{1,20}", "[ -~]{0,200}"),
    ];
    prop::collection::vec(pair, 0..5)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(vec![
                        "value",
                        "tags",
                        "contentType",
                        "attributes",
                        "enabled",
                        "exp",
                        "nbf",
                        "recoveryLevel"
                    ])
                    .prop_map(str::to_owned),
                    "[a-zA-Z]{1,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..300),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        // Valid-looking bodies with one field replaced.
        (
            prop::sample::select(vec!["value", "tags", "contentType", "attributes"]),
            json_value()
        )
            .prop_map(|(field, v)| {
                let mut doc = json!({"value": "v", "contentType": "text/plain", "tags": {"a": "b"}, "attributes": {"enabled": true}});
                doc[field] = v;
                serde_json::to_vec(&doc).unwrap()
            }),
        // Restore blobs: random base64url.
        "[A-Za-z0-9_-]{0,200}".prop_map(|b| serde_json::to_vec(&json!({ "value": b })).unwrap()),
    ]
}

fn request() -> impl Strategy<Value = Fuzzed> {
    (
        prop::sample::select(vec![
            Method::GET,
            Method::PUT,
            Method::PATCH,
            Method::POST,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::from_bytes(b"FOO").unwrap(),
        ]),
        path(),
        query(),
        headers(),
        body(),
    )
        .prop_map(|(method, path, query, headers, body)| Fuzzed { method, path, query, headers, body })
}

/// Requests close to valid ones: a real route with a name from a small pool (so that later
/// requests meet earlier writes), the api-version, and a valid or fuzzed body.
fn well_formed() -> impl Strategy<Value = Fuzzed> {
    let name = prop::sample::select(vec!["alpha", "beta", "Gamma", "d-1"]);
    let route = prop::sample::select(vec![
        (Method::PUT, "/secrets/{n}"),
        (Method::GET, "/secrets/{n}"),
        (Method::GET, "/secrets/{n}/"),
        (Method::PATCH, "/secrets/{n}/"),
        (Method::GET, "/secrets/{n}/versions"),
        (Method::GET, "/secrets"),
        (Method::DELETE, "/secrets/{n}"),
        (Method::GET, "/deletedsecrets"),
        (Method::GET, "/deletedsecrets/{n}"),
        (Method::DELETE, "/deletedsecrets/{n}"),
        (Method::POST, "/deletedsecrets/{n}/recover"),
        (Method::POST, "/secrets/{n}/backup"),
        (Method::POST, "/secrets/restore"),
    ]);
    let valid_body = prop_oneof![
        "\\PC{0,40}".prop_map(|v| json!({ "value": v })),
        ("\\PC{0,10}", prop::collection::btree_map("[a-z]{1,5}", "\\PC{0,8}", 0..4), any::<bool>())
            .prop_map(|(v, tags, enabled)| json!({"value": v, "tags": tags, "contentType": "text/plain", "attributes": {"enabled": enabled}})),
    ]
    .prop_map(|v| serde_json::to_vec(&v).unwrap());
    (
        route,
        name,
        prop_oneof![3 => valid_body, 1 => body()],
        prop::option::of(prop_oneof![Just("1"), Just("25"), Just("2")]),
    )
        .prop_map(|((method, template), name, body, maxresults)| {
            let mut query = vec![("api-version".to_owned(), API_VERSION.to_owned())];
            if let Some(m) = maxresults {
                query.push(("maxresults".to_owned(), m.to_owned()));
            }
            let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
            Fuzzed { method, path: template.replace("{n}", name), query, headers, body }
        })
}

fn any_request() -> impl Strategy<Value = Fuzzed> {
    prop_oneof![request(), well_formed()]
}

/// Sends `f` (with `token` unless it sets its own `authorization`) and checks the answer.
async fn send_and_check(http: &reqwest::Client, emu: &EmulatorHandle, f: &Fuzzed, token: Option<&str>) -> u16 {
    let mut url = reqwest::Url::parse(&format!("{}{}", emu.url(), f.path)).unwrap();
    if !f.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&f.query);
    }
    let mut req = http.request(f.method.clone(), url).body(f.body.clone());
    let own_auth = f.headers.iter().any(|(k, _)| k == "authorization");
    for (k, v) in &f.headers {
        if let (Ok(name), Ok(value)) =
            (reqwest::header::HeaderName::from_bytes(k.as_bytes()), reqwest::header::HeaderValue::from_str(v))
        {
            req = req.header(name, value);
        }
    }
    if let (Some(token), false) = (token, own_auth) {
        req = req.bearer_auth(token);
    }
    let response = req.send().await.unwrap_or_else(|e| panic!("{f:?}: no answer: {e}"));
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let ok = status.as_u16() < 500 || status == 501;
    assert!(ok, "{f:?}: {status} {}", String::from_utf8_lossy(&bytes));
    if !status.is_success() && f.method != Method::HEAD {
        let body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{f:?}: {status} with a body that is not JSON ({e}): {bytes:?}"));
        assert!(body["error"]["code"].as_str().is_some_and(|c| !c.is_empty()), "{f:?}: {body}");
        assert!(body["error"]["message"].is_string(), "{f:?}: {body}");
        if status == 401 {
            assert!(headers.contains_key("www-authenticate"), "{f:?}");
        }
    } else if !bytes.is_empty() {
        serde_json::from_slice::<Value>(&bytes).unwrap_or_else(|e| panic!("{f:?}: {status} body not JSON: {e}"));
    }
    status.as_u16()
}

async fn healthy(http: &reqwest::Client, emu: &EmulatorHandle) {
    let r = http.get(format!("{}/_emulator/health", emu.url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn http() -> reqwest::Client {
    crate::common::install_provider();
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().unwrap()
}

/// `none` mode: every request reaches routing, bodies and handlers.
#[test]
fn random_requests_in_none_mode() {
    let rt = runtime();
    let emu = rt.block_on(builder().tls(false).auth(AuthMode::None).start()).unwrap();
    let http = http();
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u32>::new());
    runner(384)
        .run(&any_request(), |f| {
            let status = rt.block_on(send_and_check(&http, &emu, &f, None));
            *statuses.borrow_mut().entry(status).or_default() += 1;
            Ok(())
        })
        .unwrap();
    rt.block_on(healthy(&http, &emu));
    let statuses = statuses.into_inner();
    eprintln!("none mode statuses: {statuses:?}");
    assert!(statuses.keys().any(|s| (200..300).contains(s)), "some requests got through: {statuses:?}");
    assert!(statuses.len() >= 4, "the generator reaches several outcomes: {statuses:?}");
    rt.block_on(emu.shutdown());
}

/// `strict` mode: with a valid token the same checks hold; without one, every request is a 401.
#[test]
fn random_requests_in_strict_mode() {
    let rt = runtime();
    let emu = rt.block_on(builder().tls(false).auth(AuthMode::Strict).start()).unwrap();
    let http = http();
    let token = emu.issue_token();
    runner(256)
        .run(&(any_request(), any::<bool>()), |(f, with_token)| {
            let own_auth = f.headers.iter().any(|(k, _)| k == "authorization");
            let status = rt.block_on(send_and_check(&http, &emu, &f, with_token.then_some(token.as_str())));
            if !with_token && !own_auth {
                prop_assert_eq!(status, 401, "{:?}", f);
            }
            Ok(())
        })
        .unwrap();
    rt.block_on(healthy(&http, &emu));
    rt.block_on(emu.shutdown());
}

/// Any change to an issued token, or another algorithm, is refused.
#[test]
fn tampered_tokens_are_refused() {
    let rt = runtime();
    let emu = rt.block_on(builder().tls(false).auth(AuthMode::Strict).start()).unwrap();
    let http = http();
    let token = emu.issue_token();
    let url = format!("{}/secrets?api-version={API_VERSION}", emu.url());
    let status = |t: &str| rt.block_on(async { http.get(&url).bearer_auth(t).send().await.unwrap().status().as_u16() });
    assert_eq!(status(&token), 200);
    // alg none, and a re-signed header claiming HS512, keep the payload.
    let parts: Vec<&str> = token.split('.').collect();
    let b64 = |s: &str| base64_url(s.as_bytes());
    for header in [r#"{"alg":"none","typ":"JWT"}"#, r#"{"alg":"HS512","typ":"JWT"}"#, r#"{"typ":"JWT"}"#] {
        assert_eq!(status(&format!("{}.{}.{}", b64(header), parts[1], parts[2])), 401, "{header}");
        assert_eq!(status(&format!("{}.{}.", b64(header), parts[1])), 401, "{header} unsigned");
    }
    runner(256)
        .run(
            &(any::<prop::sample::Index>(), prop::sample::select(b"ABCDEFabcdef0123456789-_.=+/ ".to_vec())),
            |(at, c)| {
                let mut bytes = token.clone().into_bytes();
                let i = at.index(bytes.len());
                prop_assume!(bytes[i] != c);
                bytes[i] = c;
                let tampered = String::from_utf8(bytes).unwrap();
                prop_assert_eq!(status(&tampered), 401, "{} at {}", tampered, i);
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(status(&token), 200);
    rt.block_on(emu.shutdown());
}

/// base64url without padding (the tests' own, so the crate under test is not trusted for it).
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Raw bytes on the socket: hyper answers 4xx or closes; the server keeps serving.
#[test]
fn raw_random_bytes_on_the_socket() {
    let rt = runtime();
    let emu = rt.block_on(builder().tls(false).auth(AuthMode::None).start()).unwrap();
    let http = http();
    let addr = emu.addr();
    let prefix = prop::sample::select(vec![
        &b""[..],
        b"GET / HTTP/1.1\r\n",
        b"PUT /secrets/a?api-version=7.5 HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\n",
        b"POST /secrets/restore HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ]);
    runner(128)
        .run(&(prefix, prop::collection::vec(any::<u8>(), 0..400)), |(prefix, tail)| {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let _ = s.write_all(prefix);
            let _ = s.write_all(&tail);
            let _ = s.shutdown(std::net::Shutdown::Write);
            let mut answer = Vec::new();
            let _ = s.read_to_end(&mut answer);
            let text = String::from_utf8_lossy(&answer);
            if let Some(status) = text.strip_prefix("HTTP/1.1 ").and_then(|t| t.get(..3)) {
                prop_assert!(!status.starts_with('5') || status == "501", "{}", text);
            }
            Ok(())
        })
        .unwrap();
    rt.block_on(healthy(&http, &emu));
    rt.block_on(emu.shutdown());
}
