//! One request through the full default pipeline onto an in-memory transport, against the
//! transport alone.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::sync::Arc;

use azkv_pipeline::policies::BearerTokenPolicy;
use azkv_pipeline::test_util::FnHttpClient;
use azkv_pipeline::{
    AccessToken, ClientOptions, Context, HttpClient, Method, Pipeline, Request, Response, StatusCode, TokenCredential,
    TokenRequestOptions,
};
use criterion::{Criterion, criterion_group, criterion_main};

#[derive(Debug)]
struct Fixed;

#[async_trait::async_trait]
impl TokenCredential for Fixed {
    async fn get_token(&self, _: &[&str], _: &TokenRequestOptions) -> azkv_pipeline::Result<AccessToken> {
        Ok(AccessToken::new("token", time::OffsetDateTime::now_utc() + time::Duration::hours(1)))
    }
}

fn bench(c: &mut Criterion) {
    let body = serde_json::json!({
        "value": "mysecretvalue",
        "id": "https://myvault.vault.azure.net/secrets/mysecretname/4387e9f3d6e14c459867679a90fd0f79",
        "attributes": {"enabled": true, "created": 1493938410, "updated": 1493938410, "recoveryLevel": "Recoverable+Purgeable"}
    });
    let response = Response::json_body(StatusCode::OK, &body);
    let transport: Arc<dyn HttpClient> = Arc::new(FnHttpClient::new(move |_| Ok(response.clone())));
    let bearer = Arc::new(BearerTokenPolicy::new(Arc::new(Fixed), ["https://vault.azure.net/.default"]));
    let pipeline = Pipeline::new(
        "azkv-bench",
        "0.0.0",
        ClientOptions::default().with_transport(transport.clone()),
        vec![],
        vec![bearer],
    )
    .unwrap();
    let url: url::Url = "https://myvault.vault.azure.net/secrets/mysecretname?api-version=2025-07-01".parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    let mut group = c.benchmark_group("get_secret_in_memory");
    group.bench_function("transport_only", |b| {
        b.to_async(&rt).iter(|| async {
            let req = Request::new(Method::GET, url.clone());
            transport.execute(&req).await.unwrap()
        })
    });
    group.bench_function("full_pipeline", |b| {
        b.to_async(&rt).iter(|| async {
            let mut req = Request::new(Method::GET, url.clone());
            pipeline.send(&Context::new(), &mut req).await.unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
