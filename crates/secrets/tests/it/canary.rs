//! Canaries: a secret value, an access token and a client secret are planted, every operation
//! runs end to end against the emulator with TRACE logging and body logging on (client and
//! emulator both log into one capture), every error is formatted with `{}` and `{:?}`, every
//! returned value with `{:?}`, and none of the canaries may appear anywhere.

use std::sync::Arc;

use azkv_emulator::{AuthMode, Clock, Emulator};
use azkv_identity::{ClientSecretCredential, CredentialOptions, MapEnv};
use azkv_pipeline::policies::{LoggingOptions, RetryOptions};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{ClientOptions, Context, Method, Request, TokenCredential};
use azkv_secrets::{ListOptions, SecretClient, SecretClientOptions, SetSecretOptions, UpdateSecretProperties};
use futures::TryStreamExt;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const VALUE: &str = "CANARYVALUE-5b1f0e";
const TOKEN: &str = "CANARYTOKEN-9d7c2a";
const CLIENT_SECRET: &str = "CANARYCLIENTSECRET-3e8a41";

/// Formats a value every way a user might print it.
fn out(sink: &mut String, label: &str, value: &(impl std::fmt::Debug + ?Sized)) {
    sink.push_str(&format!("{label}: {value:?}\n{label}: {value:#?}\n"));
}

fn out_err(sink: &mut String, label: &str, err: &azkv_secrets::Error) {
    sink.push_str(&format!("{label}: {err}\n{label}: {err:?}\n"));
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        sink.push_str(&format!("{label} source: {s}\n{s:?}\n"));
        source = s.source();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_escapes_any_operation() {
    // Every thread's events: the emulator's runtime logs into the same capture.
    let logs = azkv_pipeline::test_util::LogCapture::start_all_threads();
    let mut printed = String::new();

    // A token endpoint that hands out the canary token for the canary client secret.
    let aad = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer", "expires_in": 3600, "access_token": TOKEN,
        })))
        .mount(&aad)
        .await;
    let time = ManualTime::new(std::time::SystemTime::now());
    let credential_options = CredentialOptions::default()
        .with_authority_host(aad.uri())
        .with_env(Arc::new(MapEnv::default()))
        .with_time(time.components());
    let credential = Arc::new(
        ClientSecretCredential::new(azkv_emulator::DEFAULT_TENANT, "app", CLIENT_SECRET, Some(credential_options))
            .unwrap(),
    );
    out(&mut printed, "credential", &credential);

    let emu =
        Emulator::builder().tls(false).auth(AuthMode::Any).clock(Clock::fixed(1_700_000_000)).start().await.unwrap();
    let options = SecretClientOptions::default()
        .with_verify_challenge_resource(false)
        .with_polling(std::time::Duration::from_millis(1), std::time::Duration::from_secs(30))
        .with_client_options(
            ClientOptions::default()
                .with_logging(LoggingOptions::default().with_log_bodies(true))
                .with_retry(RetryOptions::fixed(1, std::time::Duration::from_millis(1))),
        );
    let client = SecretClient::new(emu.url(), credential.clone(), Some(options))
        .unwrap()
        .with_context(Context::new().with_log_body(true));
    out(&mut printed, "client", &client);

    // Every operation, successes and failures.
    let set = client
        .set_secret(
            "canary",
            VALUE,
            Some(SetSecretOptions::default().with_content_type("text/plain").with_tag("t", "x")),
        )
        .await
        .unwrap();
    out(&mut printed, "set", &set);
    out(&mut printed, "set.value", set.secret());
    let version = set.properties.version.clone().unwrap();
    let second = client.set_secret("canary", &format!("{VALUE}-2"), None).await.unwrap();
    out(&mut printed, "second", &second);
    let got = client.get_secret("canary").await.unwrap();
    assert!(got.value().starts_with(VALUE), "the value does round-trip");
    out(&mut printed, "get", &got);
    out(&mut printed, "get_version", &client.get_secret_version("canary", Some(&version), None).await.unwrap());
    let pages: Vec<_> = client
        .list_properties_of_secrets(Some(ListOptions::default().with_max_page_size(1)))
        .into_pages()
        .try_collect()
        .await
        .unwrap();
    out(&mut printed, "pages", &pages);
    let versions: Vec<_> = client.list_properties_of_secret_versions("canary", None).try_collect().await.unwrap();
    out(&mut printed, "versions", &versions);
    let updated = client
        .update_secret_properties("canary", Some(&version), UpdateSecretProperties::default().with_enabled(false))
        .await
        .unwrap();
    out(&mut printed, "updated", &updated);
    out_err(&mut printed, "disabled", &client.get_secret_version("canary", Some(&version), None).await.unwrap_err());
    let backup = client.backup_secret("canary").await.unwrap();
    let poller = client.begin_delete_secret("canary").await.unwrap();
    out(&mut printed, "delete poller", &poller);
    out(&mut printed, "deleted", &poller.await.unwrap());
    out_err(&mut printed, "set deleted", &client.set_secret("canary", VALUE, None).await.unwrap_err());
    out(&mut printed, "get_deleted", &client.get_deleted_secret("canary").await.unwrap());
    let deleted: Vec<_> = client.list_deleted_secrets(None).try_collect().await.unwrap();
    out(&mut printed, "list_deleted", &deleted);
    let recover = client.begin_recover_deleted_secret("canary").await.unwrap();
    out(&mut printed, "recovered", &recover.await.unwrap());
    client.begin_delete_secret("canary").await.unwrap().await.unwrap();
    client.purge_deleted_secret("canary").await.unwrap();
    out(&mut printed, "restored", &client.restore_secret_backup(&backup).await.unwrap());
    out_err(&mut printed, "restore conflict", &client.restore_secret_backup(&backup).await.unwrap_err());
    let mut tampered = backup.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    out_err(&mut printed, "restore tampered", &client.restore_secret_backup(&tampered).await.unwrap_err());
    out_err(&mut printed, "not found", &client.get_secret("missing").await.unwrap_err());

    // Refused before sending: the value must not be quoted back.
    out_err(&mut printed, "bad name", &client.set_secret("bad name!", VALUE, None).await.unwrap_err());
    let huge = VALUE.repeat(2_000);
    out_err(&mut printed, "too large", &client.set_secret("big", &huge, None).await.unwrap_err());
    let tags = SetSecretOptions::default().with_content_type(VALUE.repeat(20));
    out_err(&mut printed, "content type", &client.set_secret("ct", VALUE, Some(tags)).await.unwrap_err());

    // The raw pipeline: the response of a GET carries the value.
    let mut raw =
        Request::new(Method::GET, format!("{}/secrets/canary?api-version=2025-07-01", emu.url()).parse().unwrap());
    raw.headers.insert("accept", "application/json");
    let response = client.send_request(raw).await.unwrap();
    assert!(String::from_utf8_lossy(&response.body).contains(VALUE), "the canary really travelled");
    out(&mut printed, "raw response", &response);

    // Faults: a 500 body, a dropped connection.
    let http = azkv_pipeline::transport::default_transport(&Default::default()).unwrap();
    for kind in ["error", "drop", "throttle"] {
        let mut fault = Request::new(Method::POST, format!("{}/_emulator/faults", emu.url()).parse().unwrap());
        let (name, value) = emu.control_header();
        fault.headers.insert(name, value);
        fault.set_json(&serde_json::json!({"kind": kind, "count": 2, "retry_after_secs": 0})).unwrap();
        http.execute(&fault).await.unwrap();
        out_err(&mut printed, kind, &client.get_secret("canary").await.unwrap_err());
    }

    // The credential's token, as a caller sees it.
    let token = credential.get_token(&["https://vault.azure.net/.default"], &Default::default()).await.unwrap();
    out(&mut printed, "token", &token);
    assert_eq!(token.token.expose(), TOKEN);

    // The blocking client too.
    let blocking_client = client.clone();
    let blocking = tokio::task::spawn_blocking(move || {
        let c = azkv_secrets::blocking::SecretClient::from_async(blocking_client).unwrap();
        let mut printed = format!("{c:?}\n");
        printed.push_str(&format!("{:?}\n", c.get_secret("canary").unwrap()));
        printed.push_str(&format!("{:?}\n", c.get_secret("missing").unwrap_err()));
        printed
    })
    .await
    .unwrap();
    printed.push_str(&blocking);
    emu.shutdown().await;

    let logs = logs.contents();
    assert!(logs.contains("request body") && logs.contains("response body"), "body logging ran at TRACE");
    assert!(logs.len() > 10_000, "the capture saw the traffic ({} bytes)", logs.len());
    for canary in [VALUE, TOKEN, CLIENT_SECRET] {
        for (what, text) in [("logs", &logs), ("printed", &printed)] {
            if let Some(at) = text.find(canary) {
                let context = &text[at.saturating_sub(300)..(at + 100).min(text.len())];
                panic!("{canary} found in {what}: …{context}…");
            }
        }
    }
}
