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

#[tokio::test(flavor = "current_thread")]
async fn the_new_credentials_keep_their_canaries() {
    use azkv_identity::{
        ClientAssertionCredential, DeviceCodeCredential, DeviceCodeCredentialOptions, DeviceCodePrompt,
        ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    };
    use wiremock::matchers::{body_string_contains, path_regex};
    let logs = azkv_pipeline::test_util::LogCapture::start();
    let server = MockServer::start().await;
    Mock::given(path_regex("/devicecode$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "device_code": "canary-device-code", "user_code": "CODE", "verification_uri": "https://example.invalid",
            "expires_in": 900, "interval": 5})))
        .mount(&server)
        .await;
    Mock::given(body_string_contains("device_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "canary-user-token", "expires_in": 3600, "refresh_token": "canary-refresh-token"})))
        .mount(&server)
        .await;
    Mock::given(body_string_contains("refresh_token="))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant", "error_description": "AADSTS700082: expired.\r\ncanary-trace", "refresh_token": "canary"})))
        .mount(&server)
        .await;
    Mock::given(body_string_contains("client_assertion="))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client", "error_description": "AADSTS700027: bad assertion.\ncanary", "access_token": "canary"})))
        .mount(&server)
        .await;
    let clock = ManualTime::default();
    let mut shown = Vec::new();

    let device = DeviceCodeCredential::new(Some(
        DeviceCodeCredentialOptions::default()
            .with_credential(options(&server, MapEnv::default(), &clock))
            .with_tenant_id(TENANT)
            .with_prompt(DeviceCodePrompt::new(|_| {})),
    ))
    .unwrap();
    let token = device.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    // Another scope tries the refresh token, which is refused: a new sign-in follows.
    device.get_token(&["other/.default"], &TokenRequestOptions::default()).await.unwrap();
    shown.push(format!("{device:?} {token:?}"));

    let assertion = ClientAssertionCredential::from_fn(
        TENANT,
        "app",
        || async { Ok("canary-assertion".to_owned()) },
        Some(options(&server, MapEnv::default(), &clock)),
    )
    .unwrap();
    let e = assertion.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    shown.push(format!("{assertion:?} {e} {e:?}"));

    for env in [
        MapEnv::new([
            ("IDENTITY_ENDPOINT", format!("{}/sf", server.uri())),
            ("IDENTITY_HEADER", "canary-sf-header".to_owned()),
            ("IDENTITY_SERVER_THUMBPRINT", "AB".repeat(20)),
        ]),
        MapEnv::new([("MSI_ENDPOINT", format!("{}/aml", server.uri())), ("MSI_SECRET", "canary-ml-secret".to_owned())]),
    ] {
        let mi = ManagedIdentityCredential::new(Some(
            ManagedIdentityCredentialOptions::default().with_credential(options(&server, env, &clock)),
        ))
        .unwrap();
        let e = mi.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
        shown.push(format!("{mi:?} {e} {e:?}"));
    }

    let logs = logs.contents();
    for text in shown.iter().chain([&logs]) {
        assert!(!text.contains(CANARY), "leaked: {text}");
    }
}
