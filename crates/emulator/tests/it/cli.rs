//! The binary's command line: generated help, environment variables, `--import`, the ready line,
//! and `none` mode refused on a non-loopback address.

use crate::files::fresh_dir;
use serde_json::{Value, json};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_azkv-emulator"));
    c.kill_on_drop(true).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

#[tokio::test]
async fn help_is_generated_and_names_the_environment_variables() {
    let out = bin().arg("--help").output().await.unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["--data-dir", "AZKV_EMULATOR_DATA_DIR", "--import", "--max-connections", "--allow-remote"] {
        assert!(help.contains(needle), "{needle} in {help}");
    }
}

#[tokio::test]
async fn environment_variables_configure_it_and_import_seeds_it() {
    let dir = fresh_dir("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    let version = "0123456789abcdef0123456789abcdef";
    let secret = json!({ "name": "Seeded", "versions": [
        { "version": version, "seq": 0, "value": "from-file", "enabled": true, "created": 1, "updated": 1 } ] });
    std::fs::write(&seed, json!({ "vaults": { "default": { "secrets": { "seeded": secret } } } }).to_string()).unwrap();
    // The variables are set on the child only.
    let mut child = bin()
        .env("AZKV_EMULATOR_AUTH", "none")
        .env("AZKV_EMULATOR_NO_TLS", "true")
        .env("AZKV_EMULATOR_IMPORT", &seed)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    for key in ["ready", "url", "ca_path", "token_endpoint", "identity_header", "auth", "controls_auth"] {
        assert!(ready.get(key).is_some(), "{key} in {ready}");
    }
    assert_eq!(ready["auth"], "none");
    let url = ready["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    crate::common::install_provider();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = http.get(format!("{url}/secrets/seeded?api-version=2025-07-01")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(body["value"], "from-file");
    child.kill().await.unwrap();

    // A bad seed stops the start with a one-line error.
    std::fs::write(&seed, r#"{"vaults":{"default":{"next_seq":18446744073709551615}}}"#).unwrap();
    let out = bin().args(["--no-tls", "--auth", "none", "--import"]).arg(&seed).output().await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid seed"), "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn none_mode_on_a_non_loopback_address_needs_allow_remote() {
    let out = bin().args(["--auth", "none", "--address", "0.0.0.0"]).output().await.unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-remote"), "{err}");
    assert!(out.stdout.is_empty(), "no ready line");
}

#[tokio::test]
async fn strict_mode_ready_line_tells_how_to_reach_the_controls() {
    let mut child = bin().spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(ready["auth"], "strict");
    assert!(ready["controls_auth"].as_str().unwrap().contains("X-IDENTITY-HEADER"), "{ready}");
    let ca_path = std::path::PathBuf::from(ready["ca_path"].as_str().unwrap());
    assert!(ca_path.exists());
    child.kill().await.unwrap();
    // Killed, it cannot remove its private CA directory.
    let _ = std::fs::remove_dir_all(ca_path.parent().unwrap());
}

#[tokio::test]
async fn entra_flags_register_apps_and_the_ready_line_names_the_authority() {
    let dir = fresh_dir("cli-entra");
    std::fs::create_dir_all(&dir).unwrap();
    let pem_path = dir.join("app.pem");
    std::fs::write(&pem_path, crate::entra::rsa_cert(0).0).unwrap();
    let mut child = bin()
        .env("AZKV_EMULATOR_APP", "from-env=env-secret")
        .arg("--app")
        .arg("from-flag=flag-secret")
        .arg("--app-cert")
        .arg(format!("cert-app={}", pem_path.display()))
        .arg("--device-code-auto-approve")
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let keys = ["authority_host", "tenant_id", "imds_endpoint", "service_fabric_endpoint", "azure_ml_endpoint"];
    for key in keys {
        assert!(ready[key].is_string(), "{key} in {ready}");
    }
    assert_eq!(ready["authority_host"], ready["url"]);
    assert_eq!(ready["tenant_id"], azkv_emulator::DEFAULT_TENANT);
    assert_eq!(ready["server_thumbprint"].as_str().unwrap().len(), 40);
    assert!(!ready.to_string().contains("secret\":"), "no app secret in the ready line");
    let ca = std::fs::read(ready["ca_path"].as_str().unwrap()).unwrap();
    crate::common::install_provider();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap();
    let token_url = format!(
        "{}/{}/oauth2/v2.0/token",
        ready["authority_host"].as_str().unwrap(),
        ready["tenant_id"].as_str().unwrap()
    );
    // The flag wins over its variable: the app of AZKV_EMULATOR_APP is not registered.
    for (id, secret, status) in [("from-flag", "flag-secret", 200), ("from-env", "env-secret", 400)] {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "https://vault.azure.net/.default"),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let r = http.post(&token_url).body(body).send().await.unwrap();
        assert_eq!(r.status(), status, "{id}");
    }
    // A control, read with the identity header the ready line names.
    let control = |path: &str| {
        let request = http
            .get(format!("{}/_emulator/{path}", ready["url"].as_str().unwrap()))
            .header("x-identity-header", ready["identity_header"].as_str().unwrap());
        async move { serde_json::from_slice::<Value>(&request.send().await.unwrap().bytes().await.unwrap()).unwrap() }
    };
    let apps = control("apps").await;
    assert!(
        apps["apps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["client_id"] == "cert-app" && a["certificates"].as_array().unwrap().len() == 1),
        "{apps}"
    );
    let codes = control("devicecodes").await;
    assert_eq!(codes["auto_approve"], true);
    child.kill().await.unwrap();
    let ca_path = std::path::PathBuf::from(ready["ca_path"].as_str().unwrap());
    let _ = std::fs::remove_dir_all(ca_path.parent().unwrap());
    let _ = std::fs::remove_dir_all(&dir);

    // A certificate file that is not there stops the start with a one-line error.
    let out = bin().args(["--app-cert", "x=/nonexistent/app.pem"]).output().await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/app.pem"), "{out:?}");
}
