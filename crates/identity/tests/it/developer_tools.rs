//! AzureCliCredential and AzureDeveloperCliCredential against fake `az`/`azd` scripts, run by
//! path through the `program` option (the process's `PATH` is never touched).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use azkv_identity::{
    AzureCliCredential, AzureCliCredentialOptions, AzureDeveloperCliCredential, AzureDeveloperCliCredentialOptions,
};
use azkv_pipeline::{TokenCredential, TokenRequestOptions};
use time::macros::datetime;

use crate::common::{SCOPE, TempDir};

/// Writes an executable `sh` script that records its arguments in `args.txt` beside it.
fn script(dir: &TempDir, name: &str, body: &str) -> PathBuf {
    let path = dir.write(name, &format!("#!/bin/sh\nprintf '%s\\n' \"$*\" > \"$(dirname \"$0\")/args.txt\"\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn args(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.path().join("args.txt")).unwrap().trim().to_owned()
}

fn cli(program: PathBuf, tenant: Option<&str>) -> AzureCliCredential {
    let mut options = AzureCliCredentialOptions::default().with_program(program);
    if let Some(tenant) = tenant {
        options = options.with_tenant_id(tenant);
    }
    AzureCliCredential::new(Some(options)).unwrap()
}

async fn get(c: &dyn TokenCredential) -> azkv_pipeline::Result<azkv_pipeline::AccessToken> {
    c.get_token(&[SCOPE], &TokenRequestOptions::default()).await
}

#[tokio::test]
async fn az_success_reads_access_token_and_expires_on() {
    let dir = TempDir::new();
    let az = script(
        &dir,
        "az",
        r#"echo '{"accessToken": "cli-token", "expiresOn": "2030-01-01 00:00:00.000000", "expires_on": 1795428000, "tokenType": "Bearer"}'"#,
    );
    let credential = cli(az, Some("contoso"));
    let token = get(&credential).await.unwrap();
    assert_eq!(token.token.expose(), "cli-token");
    assert_eq!(token.expires_on, datetime!(2026-11-23 10:00:00 UTC));
    assert_eq!(
        args(&dir),
        "account get-access-token --output json --resource https://vault.azure.net --tenant contoso"
    );
}

#[tokio::test]
async fn az_subscription_is_one_argument_and_yields_to_a_tenant() {
    let dir = TempDir::new();
    let body = r#"echo '{"accessToken": "cli-token", "expires_on": 1795428000}'"#;
    let az = script(&dir, "az", body);
    let options = AzureCliCredentialOptions::default().with_program(az.clone()).with_subscription("My Sub");
    let credential = AzureCliCredential::new(Some(options)).unwrap();
    get(&credential).await.unwrap();
    assert_eq!(
        args(&dir),
        "account get-access-token --output json --resource https://vault.azure.net --subscription My Sub"
    );
    // A tenant the service names wins: `az` takes one of the two.
    credential.get_token(&[SCOPE], &TokenRequestOptions::default().with_tenant("contoso")).await.unwrap();
    assert!(args(&dir).ends_with("--tenant contoso"), "{}", args(&dir));
    for bad in ["--debug", "a;rm -rf /", "$(id)", ""] {
        let options = AzureCliCredentialOptions::default().with_program(az.clone()).with_subscription(bad);
        let e = AzureCliCredential::new(Some(options)).unwrap_err();
        assert!(matches!(e, azkv_pipeline::Error::InvalidArgument(_)), "{bad}: {e}");
    }
}

#[tokio::test]
async fn az_falls_back_to_local_expires_on() {
    let dir = TempDir::new();
    let az = script(&dir, "az", r#"echo '{"accessToken": "cli-token", "expiresOn": "2026-11-23 11:00:00.000000"}'"#);
    let credential = AzureCliCredential::new(Some(
        AzureCliCredentialOptions::default()
            .with_program(az)
            .with_local_offset(time::UtcOffset::from_hms(1, 0, 0).unwrap()),
    ))
    .unwrap();
    assert_eq!(get(&credential).await.unwrap().expires_on, datetime!(2026-11-23 10:00:00 UTC));
    assert_eq!(args(&dir), "account get-access-token --output json --resource https://vault.azure.net");
}

#[tokio::test]
async fn az_not_logged_in_is_unavailable_with_a_clear_message() {
    let dir = TempDir::new();
    let az = script(&dir, "az", "echo \"ERROR: Please run 'az login' to setup account.\" >&2; exit 1");
    let e = get(&cli(az, None)).await.unwrap_err();
    assert!(e.is_credential_unavailable());
    assert_eq!(
        e.to_string(),
        "credential error: AzureCliCredential: not logged in to the Azure CLI (az); run `az login`"
    );
}

#[tokio::test]
async fn az_not_installed_is_unavailable_and_distinct() {
    let dir = TempDir::new();
    let e = get(&cli(dir.path().join("az"), None)).await.unwrap_err();
    assert!(e.is_credential_unavailable());
    let text = e.to_string();
    assert!(text.contains("the Azure CLI (az) is not installed"), "{text}");
    assert!(!text.contains("az login"), "{text}");
}

#[tokio::test]
async fn az_garbage_output_is_a_failure_that_quotes_nothing() {
    let dir = TempDir::new();
    let az = script(&dir, "az", "echo 'canary-garbage {'");
    let e = get(&cli(az, None)).await.unwrap_err();
    assert!(!e.is_credential_unavailable());
    let text = e.to_string();
    assert!(text.contains("not a token") && !text.contains("canary"), "{text}");
}

#[tokio::test]
async fn az_failure_echoes_short_stderr_but_never_a_token() {
    let dir = TempDir::new();
    let az = script(&dir, "az", "echo 'ERROR: Subscription not found.' >&2; exit 2");
    let e = get(&cli(az, None)).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "credential error: AzureCliCredential: the Azure CLI (az) failed (exit code 2): ERROR: Subscription not found."
    );
    let dir = TempDir::new();
    let az = script(&dir, "az", "echo 'debug: token eyJ0eXAiOiJKV1QiLCJhbGciOi.canary' >&2; exit 2");
    let text = get(&cli(az, None)).await.unwrap_err().to_string();
    assert!(text.contains("withheld") && !text.contains("canary"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn az_hanging_is_killed_at_the_timeout() {
    let dir = TempDir::new();
    let az = script(&dir, "az", "exec sleep 600");
    // Paused tokio time: the timeout fires as soon as the runtime is idle, without waiting.
    let e = get(&cli(az, None)).await.unwrap_err();
    assert!(e.is_credential_unavailable());
    assert!(e.to_string().contains("did not answer within 10s and was stopped"), "{e}");
}

#[tokio::test]
async fn az_refuses_arguments_that_look_like_options() {
    let dir = TempDir::new();
    let az = script(&dir, "az", "exit 0");
    let e = cli(az, None).get_token(&["--debug"], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(matches!(e, azkv_pipeline::Error::InvalidArgument(_)), "{e}");
    assert!(!dir.path().join("args.txt").exists(), "az did not run");
}

fn azd(program: PathBuf, tenant: Option<&str>) -> AzureDeveloperCliCredential {
    let mut options =
        AzureDeveloperCliCredentialOptions::default().with_program(program).with_timeout(Duration::from_secs(10));
    if let Some(tenant) = tenant {
        options = options.with_tenant_id(tenant);
    }
    AzureDeveloperCliCredential::new(Some(options)).unwrap()
}

#[tokio::test]
async fn azd_success() {
    let dir = TempDir::new();
    let program = script(&dir, "azd", r#"echo '{"token": "azd-token", "expiresOn": "2026-11-23T10:00:00Z"}'"#);
    let token = get(&azd(program, Some("contoso"))).await.unwrap();
    assert_eq!(token.token.expose(), "azd-token");
    assert_eq!(token.expires_on, datetime!(2026-11-23 10:00:00 UTC));
    assert_eq!(args(&dir), "auth token --output json --scope https://vault.azure.net/.default --tenant-id contoso");
}

#[tokio::test]
async fn azd_not_logged_in_and_not_installed() {
    let dir = TempDir::new();
    let program = script(&dir, "azd", "echo 'ERROR: not logged in, run `azd auth login` to login' >&2; exit 1");
    let e = get(&azd(program, None)).await.unwrap_err();
    assert!(e.is_credential_unavailable());
    assert!(e.to_string().contains("not logged in to the Azure Developer CLI (azd); run `azd auth login`"), "{e}");
    let e = get(&azd(dir.path().join("missing-azd"), None)).await.unwrap_err();
    assert!(e.is_credential_unavailable());
    assert!(e.to_string().contains("the Azure Developer CLI (azd) is not installed"), "{e}");
}

#[tokio::test]
async fn azd_garbage() {
    let dir = TempDir::new();
    let program = script(&dir, "azd", r#"echo '{"token": "canary-token", "expiresOn": "never"}'"#);
    let text = get(&azd(program, None)).await.unwrap_err().to_string();
    assert!(text.contains("no valid expiresOn") && !text.contains("canary"), "{text}");
}
