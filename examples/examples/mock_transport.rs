//! Testing a client without a network with `ReplayTransport` (feature `test-util` of
//! azkv-pipeline): queue the answers, run the operation, then assert the requests it sent.
//!
//! First the Key Vault challenge: a 401 naming the tenant and resource, then the secret.
//! Then a retry: a 503 answered by a retry after a wait taken on a `ManualTime` clock, so
//! nothing actually sleeps.
//!
//! ```sh
//! cargo run -p examples --example mock_transport --features test-util
//! ```

use std::sync::Arc;

use azkv_identity::StaticTokenCredential;
use azkv_pipeline::test_util::{ManualTime, ReplayTransport};
use azkv_pipeline::{ClientOptions, Headers, StatusCode};
use azkv_secrets::{SecretClient, SecretClientOptions};
use serde_json::json;

const VAULT: &str = "https://myvault.vault.azure.net";
const CHALLENGE: &str =
    r#"Bearer authorization="https://login.microsoftonline.com/my-tenant", resource="https://vault.azure.net""#;

fn bundle(value: &str) -> serde_json::Value {
    json!({
        "value": value,
        "id": format!("{VAULT}/secrets/db-password/0123456789abcdef0123456789abcdef"),
        "attributes": {"enabled": true, "created": 1_700_000_000, "updated": 1_700_000_000}
    })
}

fn challenge() -> Headers {
    let mut headers = Headers::new();
    headers.insert("www-authenticate", CHALLENGE);
    headers
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::report(run().await)
}

async fn run() -> anyhow::Result<()> {
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let credential = Arc::new(StaticTokenCredential::new("fake-token", expires));

    println!("Challenge, then the secret:");
    let transport = Arc::new(ReplayTransport::new());
    transport.push_status(StatusCode::UNAUTHORIZED, challenge()).push_json(StatusCode::OK, &bundle("hunter2"));
    let client = SecretClient::builder(VAULT).credential(credential.clone()).transport(transport.clone()).build()?;
    let secret = client.get_secret("db-password").await?;
    assert_eq!(secret.value(), "hunter2");

    let requests = transport.requests();
    assert_eq!(requests.len(), 2);
    assert!(!requests[0].headers.contains("authorization"), "the first request goes without a token");
    assert_eq!(requests[1].headers.get("authorization"), Some("Bearer fake-token"));
    for r in &requests {
        assert_eq!(r.url.path(), "/secrets/db-password/");
        assert_eq!(r.url.query(), Some("api-version=2025-07-01"));
        println!("  {} {}  authorization: {}", r.method, r.url, r.headers.contains("authorization"));
    }
    assert_eq!(transport.remaining(), 0);

    println!("A 503, then a retry:");
    let time = ManualTime::default();
    let transport = Arc::new(ReplayTransport::new());
    let mut busy = Headers::new();
    busy.insert("retry-after", "3");
    transport
        .push_status(StatusCode::UNAUTHORIZED, challenge())
        .push_status(StatusCode::SERVICE_UNAVAILABLE, busy)
        .push_json(StatusCode::OK, &bundle("hunter2"));
    let options = SecretClientOptions::default()
        .with_client_options(ClientOptions::default().with_transport(transport.clone()).with_time(time.components()));
    let client = SecretClient::new(VAULT, credential, Some(options))?;
    client.get_secret("db-password").await?;

    let statuses = ["401 challenge", "503 with Retry-After: 3", "200"];
    for (r, status) in transport.requests().iter().zip(statuses) {
        println!("  {} {} -> {status}", r.method, r.url.path());
    }
    assert_eq!(transport.requests().len(), 3);
    println!("  waits taken on the manual clock: {:?}", time.sleeps());
    assert_eq!(time.sleeps(), [std::time::Duration::from_secs(3)]);
    println!("All assertions passed.");
    Ok(())
}
