//! (De)serialization of a `SecretBundle`, as a `get_secret` answer carries it.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use azkv_models::SecretBundle;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const BUNDLE: &str = r#"{"value":"mysecretvalue","id":"https://myvault.vault.azure.net/secrets/mysecretname/4387e9f3d6e14c459867679a90fd0f79","contentType":"text/plain","attributes":{"enabled":true,"created":1493938410,"updated":1493938410,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90},"tags":{"env":"dev","team":"payments"}}"#;

fn bench(c: &mut Criterion) {
    let bundle: SecretBundle = serde_json::from_str(BUNDLE).unwrap();
    let mut group = c.benchmark_group("secret_bundle");
    group.bench_function("deserialize", |b| {
        b.iter(|| serde_json::from_slice::<SecretBundle>(black_box(BUNDLE.as_bytes())).unwrap())
    });
    group.bench_function("serialize", |b| b.iter(|| serde_json::to_vec(black_box(&bundle)).unwrap()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
