//! `get_secret` and `set_secret` through the full azkv `SecretClient` (default policies, Key
//! Vault challenge authentication, JSON decoding) onto an in-memory transport, against the same
//! request on the bare transport.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::sync::Arc;

use azkv_identity::StaticTokenCredential;
use azkv_pipeline::test_util::FnHttpClient;
use azkv_pipeline::{Headers, HttpClient, Method, Request, Response, StatusCode};
use azkv_secrets::{SecretClient, SecretClientOptions};
use criterion::{Criterion, criterion_group, criterion_main};

const CHALLENGE: &str =
    r#"Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://vault.azure.net""#;

/// A vault in memory: 401 with a challenge without `Authorization`, else a `SecretBundle`.
fn transport() -> Arc<dyn HttpClient> {
    let body = serde_json::json!({
        "value": "mysecretvalue",
        "id": "https://myvault.vault.azure.net/secrets/mysecretname/4387e9f3d6e14c459867679a90fd0f79",
        "attributes": {"enabled": true, "created": 1493938410, "updated": 1493938410, "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}
    });
    let ok = Response::json_body(StatusCode::OK, &body);
    let mut headers = Headers::new();
    headers.insert("www-authenticate", CHALLENGE);
    let challenge = Response::new(StatusCode::UNAUTHORIZED, headers, bytes::Bytes::new());
    Arc::new(FnHttpClient::new(move |req| {
        Ok(if req.headers.get("authorization").is_some() { ok.clone() } else { challenge.clone() })
    }))
}

fn bench(c: &mut Criterion) {
    let transport = transport();
    let credential = StaticTokenCredential::new("token", time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    // `options` first: it replaces the client options, transport included.
    let client = SecretClient::builder("http://127.0.0.1:1")
        .options(SecretClientOptions::default().with_verify_challenge_resource(false))
        .credential(Arc::new(credential))
        .transport(transport.clone())
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // The first call answers the challenge; every measured call reuses the cached token.
    rt.block_on(client.get_secret("mysecretname")).unwrap();
    let url: url::Url = "http://127.0.0.1:1/secrets/mysecretname?api-version=2025-07-01".parse().unwrap();

    let mut group = c.benchmark_group("secret_client_in_memory");
    group.bench_function("get_transport_only", |b| {
        b.to_async(&rt).iter(|| async {
            let mut req = Request::new(Method::GET, url.clone());
            req.headers.insert("authorization", "Bearer token");
            transport.execute(&req).await.unwrap()
        })
    });
    group.bench_function("get_full_client", |b| {
        b.to_async(&rt).iter(|| async { client.get_secret("mysecretname").await.unwrap() })
    });
    group.bench_function("set_full_client", |b| {
        b.to_async(&rt).iter(|| async { client.set_secret("mysecretname", "mysecretvalue", None).await.unwrap() })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
