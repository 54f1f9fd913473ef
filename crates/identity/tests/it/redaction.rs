//! Nothing secret in Debug, Display or logs: canary values planted everywhere.

use azkv_identity::{
    ClientCertificateCredential, ClientCertificateCredentialOptions, ClientSecretCredential, DefaultAzureCredential,
    DefaultAzureCredentialOptions, EnvironmentCredential, MapEnv,
};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{TokenCredential, TokenRequestOptions};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{SCOPE, TENANT, aad_token, options};

const CANARY: &str = "canary";

#[tokio::test(flavor = "current_thread")]
async fn canaries_never_escape() {
    let logs = azkv_pipeline::test_util::LogCapture::start();

    let server = MockServer::start().await;
    // First a token, then failures carrying canaries in every field but error/error_description.
    Mock::given(method("POST"))
        .respond_with(aad_token("canary-access-token", 3600))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("canary-body {\"access_token\": \"canary\"}"))
        .mount(&server)
        .await;
    let clock = ManualTime::default();
    let env = MapEnv::new([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", "app"),
        ("AZURE_CLIENT_SECRET", "canary-client-secret"),
    ]);
    let mut shown = Vec::new();

    let secret =
        ClientSecretCredential::new(TENANT, "app", "canary-secret", Some(options(&server, env.clone(), &clock)))
            .unwrap();
    let token = secret.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    shown.push(format!("{secret:?} {token:?} {env:?}"));

    let pem = include_str!("../data/cert_and_key.pem");
    let cert_options = ClientCertificateCredentialOptions::default()
        .with_credential(options(&server, env.clone(), &clock))
        .with_send_certificate_chain(true);
    let cert = ClientCertificateCredential::new(TENANT, "app", pem, Some(cert_options)).unwrap();
    cert.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    shown.push(format!("{cert:?}"));

    let environment = EnvironmentCredential::new(Some(options(&server, env.clone(), &clock))).unwrap();
    shown.push(format!("{environment:?}"));
    // Refresh ahead fails (500, retried on the manual clock) and logs a warning.
    clock.advance(std::time::Duration::from_secs(3400));
    secret.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    let e = environment.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    shown.push(format!("{e} {e:?}"));

    let dac_options = DefaultAzureCredentialOptions::default().with_credential(options(&server, env, &clock));
    let dac = DefaultAzureCredential::new(Some(dac_options)).unwrap();
    shown.push(format!("{dac:?}"));

    let logs = logs.contents();
    assert!(logs.contains("token refresh failed"), "the warning was captured: {logs}");
    for text in shown.iter().chain([&logs]) {
        assert!(!text.contains(CANARY), "leaked: {text}");
        assert!(!text.contains("PRIVATE KEY") && !text.contains("MII"), "leaked key material: {text}");
    }
}
