//! Credentials under faults: IMDS refused or silent (the default chain moves on after one
//! probe, no retries, at most the 1 s probe timeout of tokio's paused clock), `az` hanging
//! (the process is really killed), token endpoints answering garbage (typed errors that never
//! quote the body).

use std::sync::Arc;
use std::time::Duration;

use azkv_identity::{
    ChainedTokenCredential, ClientSecretCredential, DefaultAzureCredential, DefaultAzureCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, MapEnv, StaticTokenCredential,
};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{Error, TokenCredential, TokenRequestOptions};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::{SCOPE, TENANT, TempDir, mount_token_endpoint, options, transport};

/// A 127.0.0.1 URL where nothing listens, reserved for as long as the `ClosedPort` lives.
fn refused_endpoint(closed: &azkv_pipeline::test_util::ClosedPort) -> String {
    format!("{}/metadata/identity/oauth2/token", closed.http_url())
}

/// `actual` follows `base_ms` within the retry policy's ±20 % jitter.
pub(crate) fn assert_backoff(actual: &[Duration], base_ms: &[u64]) {
    assert_eq!(actual.len(), base_ms.len(), "{actual:?}");
    for (got, base) in actual.iter().zip(base_ms) {
        let ms = got.as_secs_f64() * 1000.0;
        assert!((*base as f64 * 0.8 - 1.0..=*base as f64 * 1.2 + 1.0).contains(&ms), "{actual:?} against {base_ms:?}");
    }
}

/// An IMDS URL on 127.0.0.1 that accepts connections and never answers.
async fn silent_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/metadata/identity/oauth2/token", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            open.push(s);
        }
    });
    endpoint
}

fn default_options(clock: &ManualTime) -> DefaultAzureCredentialOptions {
    let mut o = DefaultAzureCredentialOptions::default();
    o.credential =
        o.credential.with_env(Arc::new(MapEnv::default())).with_transport(transport()).with_time(clock.components());
    o
}

async fn get(c: &dyn TokenCredential) -> azkv_pipeline::Result<azkv_pipeline::AccessToken> {
    c.get_token(&[SCOPE], &TokenRequestOptions::default()).await
}

#[cfg(unix)]
fn fake_az(dir: &TempDir, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.write("az", &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[cfg(unix)]
#[tokio::test]
async fn the_default_chain_moves_past_a_refused_imds_without_retrying() {
    let dir = TempDir::new();
    let clock = ManualTime::default();
    let mut o = default_options(&clock);
    let closed = azkv_pipeline::test_util::ClosedPort::new();
    o.managed_identity.imds_endpoint = Some(refused_endpoint(&closed));
    o.azure_cli.program =
        Some(fake_az(&dir, r#"echo '{"accessToken":"from-az","expires_on":1800000000,"tokenType":"Bearer"}'"#));
    o.exclude_azure_developer_cli_credential = true;
    let credential = DefaultAzureCredential::new(Some(o)).unwrap();
    let token = get(&credential).await.unwrap();
    assert_eq!(token.token.expose(), "from-az");
    assert_eq!(credential.selected(), Some("AzureCliCredential"));
    assert!(clock.sleeps().is_empty(), "no backoff on the way: {:?}", clock.sleeps());
}

#[tokio::test(start_paused = true)]
async fn a_silent_imds_costs_one_probe_second_then_the_chain_moves_on() {
    let endpoint = silent_endpoint().await;
    let clock = ManualTime::default();
    let mi = ManagedIdentityCredential::new(Some(
        ManagedIdentityCredentialOptions::default()
            .with_credential(default_options(&clock).credential)
            .with_imds_endpoint(endpoint)
            .with_probe_imds(true),
    ))
    .unwrap();
    let fallback = StaticTokenCredential::new("fallback", time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let chain = ChainedTokenCredential::new(vec![Arc::new(mi), Arc::new(fallback)]).unwrap();
    let started = tokio::time::Instant::now();
    let token = get(&chain).await.unwrap();
    assert_eq!(token.token.expose(), "fallback");
    assert_eq!(started.elapsed(), Duration::from_secs(1), "exactly the probe timeout, on tokio's paused clock");
    assert!(clock.sleeps().is_empty(), "no retries: {:?}", clock.sleeps());
    // The chain remembers the source that worked: the next call costs no probe.
    let started = tokio::time::Instant::now();
    get(&chain).await.unwrap();
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn the_default_chain_with_a_silent_imds_ends_unavailable_within_the_probe() {
    let endpoint = silent_endpoint().await;
    let clock = ManualTime::default();
    let mut o = default_options(&clock);
    o.managed_identity.imds_endpoint = Some(endpoint);
    o.exclude_azure_cli_credential = true;
    o.exclude_azure_developer_cli_credential = true;
    let credential = DefaultAzureCredential::new(Some(o)).unwrap();
    let started = tokio::time::Instant::now();
    let err = get(&credential).await.unwrap_err();
    assert!(err.is_credential_unavailable(), "{err}");
    assert!(err.to_string().contains("no answer from IMDS within 1s"), "{err}");
    assert!(err.to_string().contains("to enable one: set AZURE_TENANT_ID"), "how to enable a source: {err}");
    assert!(started.elapsed() <= Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(clock.sleeps().is_empty());
}

/// Whether process `pid` is gone or a zombie (killed, not yet reaped).
#[cfg(target_os = "linux")]
fn process_ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_az_is_really_killed_at_the_timeout() {
    // `az_hanging_is_killed_at_the_timeout` checks the error on paused time, where the script may
    // never run; here a short real timeout lets it record its pid first.
    let dir = TempDir::new();
    let pid_file = dir.path().join("pid");
    let az = fake_az(&dir, &format!("echo $$ > '{}'\nexec sleep 600", pid_file.display()));
    let credential = azkv_identity::AzureCliCredential::new(Some(
        azkv_identity::AzureCliCredentialOptions::default().with_program(az).with_timeout(Duration::from_millis(1500)),
    ))
    .unwrap();
    let err = get(&credential).await.unwrap_err();
    assert!(err.is_credential_unavailable(), "{err}");
    assert!(err.to_string().contains("did not answer within 1.5s and was stopped"), "{err}");
    let pid: u32 = std::fs::read_to_string(&pid_file).expect("the script ran").trim().parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !process_ended(pid) {
        assert!(std::time::Instant::now() < deadline, "az (pid {pid}) still runs after the timeout");
        std::thread::yield_now();
    }
}

const CANARY: &str = "CANARYBODY-71c4";

async fn secret_credential_against(
    response: ResponseTemplate,
    clock: &ManualTime,
) -> (MockServer, ClientSecretCredential) {
    let server = MockServer::start().await;
    mount_token_endpoint(&server, response).await;
    let credential =
        ClientSecretCredential::new(TENANT, "app", "client-secret", Some(options(&server, MapEnv::default(), clock)))
            .unwrap();
    (server, credential)
}

#[tokio::test]
async fn garbage_from_the_token_endpoint_is_a_typed_error_without_the_body() {
    let cases: Vec<(&str, ResponseTemplate)> = vec![
        ("200 not JSON", ResponseTemplate::new(200).set_body_string(format!("<html>{CANARY}</html>"))),
        ("200 truncated JSON", ResponseTemplate::new(200).set_body_string(format!(r#"{{"access_token":"{CANARY}","#))),
        (
            "200 JSON without a token",
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"token_type": "Bearer", "note": CANARY})),
        ),
        (
            "200 token of the wrong type",
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"access_token": 42, "expires_in": CANARY})),
        ),
        ("400 HTML", ResponseTemplate::new(400).set_body_string(format!("<html><body>{CANARY}</body></html>"))),
        (
            "401 AAD error with extra fields",
            ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client",
                "error_description": format!("AADSTS7000215: bad secret.\r\n{CANARY}"),
                "trace_id": CANARY, "correlation_id": CANARY, "error_uri": CANARY,
            })),
        ),
        ("404 empty", ResponseTemplate::new(404)),
        ("200 binary", ResponseTemplate::new(200).set_body_bytes(vec![0xff, 0xfe, 0x00, 0x7b])),
    ];
    for (what, response) in cases {
        let clock = ManualTime::default();
        let (_server, credential) = secret_credential_against(response, &clock).await;
        let err = get(&credential).await.unwrap_err();
        assert!(matches!(err, Error::Credential { unavailable: false, .. }), "{what}: {err:?}");
        let text = format!("{err} {err:?}");
        assert!(!text.contains(CANARY), "{what}: {text}");
        assert!(clock.sleeps().is_empty(), "{what}: not retried");
    }
}

#[tokio::test]
async fn a_token_endpoint_failing_every_try_is_retried_three_times_then_typed() {
    let clock = ManualTime::default();
    let (server, credential) =
        secret_credential_against(ResponseTemplate::new(503).set_body_string(CANARY), &clock).await;
    let err = get(&credential).await.unwrap_err();
    assert!(!err.is_credential_unavailable(), "{err}");
    assert!(!format!("{err} {err:?}").contains(CANARY), "{err:?}");
    assert_backoff(&clock.sleeps(), &[800, 1600, 3200]);
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_refused_token_endpoint_is_retried_then_a_typed_error() {
    let clock = ManualTime::default();
    let closed = azkv_pipeline::test_util::ClosedPort::new();
    let host = closed.http_url();
    let o = azkv_identity::CredentialOptions::default()
        .with_transport(transport())
        .with_authority_host(host)
        .with_env(Arc::new(MapEnv::default()))
        .with_time(clock.components());
    let credential = ClientSecretCredential::new(TENANT, "app", "client-secret", Some(o)).unwrap();
    let err = get(&credential).await.unwrap_err();
    assert!(!err.to_string().contains("client-secret"), "{err}");
    assert_eq!(clock.sleeps().len(), 3, "connection errors are retried: {:?}", clock.sleeps());
}
