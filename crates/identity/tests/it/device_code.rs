//! DeviceCodeCredential against wiremock: prompt, polling interval and `slow_down`, the typed
//! refusals, expiry and timeout on the manual clock, the cache and the refresh token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use azkv_identity::{
    AuthenticationError, AuthenticationErrorKind, DeviceCodeCredential, DeviceCodeCredentialOptions, DeviceCodeInfo,
    DeviceCodePrompt, MapEnv,
};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{Error, TokenCredential, TokenRequestOptions};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{SCOPE, TENANT, field, form, options};

const DEVICE_CODE: &str = "canary-device-code";

fn device_code_answer(expires_in: u64, interval: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "device_code": DEVICE_CODE, "user_code": "ABCD-EFGH", "verification_uri": "https://microsoft.com/devicelogin",
        "expires_in": expires_in, "interval": interval,
        "message": "To sign in, open https://microsoft.com/devicelogin\nand enter ABCD-EFGH.",
    }))
}

fn aad_error(error: &str, code: u32) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(serde_json::json!({
        "error": error, "error_description": format!("AADSTS{code}: {error} happened.\r\nTrace ID: canary"),
        "error_codes": [code],
    }))
}

async fn mount_device_code(server: &MockServer, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/devicecode")))
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn mount_poll(server: &MockServer, answer: ResponseTemplate, times: Option<u64>) {
    let mock = Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(body_string_contains("device_code"));
    match times {
        Some(n) => mock.respond_with(answer).up_to_n_times(n).mount(server).await,
        None => mock.respond_with(answer).mount(server).await,
    }
}

/// A credential for `TENANT` whose prompt records what it was shown.
fn credential(server: &MockServer, clock: &ManualTime) -> (DeviceCodeCredential, Arc<Mutex<Vec<DeviceCodeInfo>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let options = DeviceCodeCredentialOptions::default()
        .with_credential(options(server, MapEnv::default(), clock))
        .with_tenant_id(TENANT)
        .with_prompt(DeviceCodePrompt::new(move |info| record.lock().unwrap().push(info.clone())));
    (DeviceCodeCredential::new(Some(options)).unwrap(), seen)
}

fn token_with_refresh(token: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "token_type": "Bearer", "expires_in": 3600, "access_token": token, "refresh_token": refresh,
    }))
}

#[tokio::test]
async fn polls_at_the_interval_slows_down_and_caches() {
    let server = MockServer::start().await;
    let clock = ManualTime::default();
    mount_device_code(&server, device_code_answer(900, 2)).await;
    mount_poll(&server, aad_error("authorization_pending", 70016), Some(1)).await;
    mount_poll(&server, aad_error("slow_down", 70016), Some(1)).await;
    mount_poll(&server, token_with_refresh("user-token", "canary-refresh-1"), None).await;
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(token_with_refresh("graph-token", "canary-refresh-2"))
        .mount(&server)
        .await;
    let (c, seen) = credential(&server, &clock);

    let token = c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(token.token.expose(), "user-token");
    assert_eq!(clock.sleeps(), [Duration::from_secs(2), Duration::from_secs(2), Duration::from_secs(7)]);
    let shown = seen.lock().unwrap().clone();
    assert_eq!(shown.len(), 1);
    assert_eq!(
        (shown[0].user_code.as_str(), shown[0].verification_uri.as_str()),
        ("ABCD-EFGH", "https://microsoft.com/devicelogin")
    );
    assert!(!shown[0].message.contains('\n'), "{}", shown[0].message);
    let asked = form(&server, 0).await;
    assert_eq!(field(&asked, "client_id"), Some(azkv_identity::AZURE_CLI_CLIENT_ID));
    assert_eq!(field(&asked, "scope"), Some(format!("{SCOPE} offline_access openid profile").as_str()));
    let polled = form(&server, 1).await;
    assert_eq!(field(&polled, "grant_type"), Some("urn:ietf:params:oauth:grant-type:device_code"));
    assert_eq!(field(&polled, "device_code"), Some(DEVICE_CODE));

    // Cached: no request, no prompt.
    let again = c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(again.token.expose(), "user-token");
    assert_eq!(server.received_requests().await.unwrap().len(), 4);

    // Another scope: the refresh token, no prompt.
    let graph = c.get_token(&["https://graph.microsoft.com/.default"], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(graph.token.expose(), "graph-token");
    assert_eq!(seen.lock().unwrap().len(), 1, "prompted once");
    let refreshed = form(&server, 4).await;
    assert_eq!(field(&refreshed, "refresh_token"), Some("canary-refresh-1"));
    assert!(!format!("{c:?}").contains("canary"));
}

#[tokio::test]
async fn refusals_are_typed_and_quote_no_code() {
    for (error, code, kind) in [
        ("authorization_declined", 70000, AuthenticationErrorKind::AuthorizationDeclined),
        ("expired_token", 70019, AuthenticationErrorKind::ExpiredToken),
        ("bad_verification_code", 70000, AuthenticationErrorKind::BadVerificationCode),
    ] {
        let server = MockServer::start().await;
        let clock = ManualTime::default();
        mount_device_code(&server, device_code_answer(900, 5)).await;
        mount_poll(&server, aad_error(error, code), None).await;
        let (c, _) = credential(&server, &clock);
        let e = c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
        assert!(!e.is_credential_unavailable());
        let aad = AuthenticationError::of(&e).unwrap_or_else(|| panic!("typed: {e}"));
        assert_eq!((aad.kind(), aad.aadsts()), (kind, Some(code)));
        let text = format!("{e} {e:?}");
        assert!(text.contains(error) && !text.contains("canary"), "{text}");
    }
}

#[tokio::test]
async fn the_code_expires_and_the_timeout_is_honoured() {
    let server = MockServer::start().await;
    let clock = ManualTime::default();
    mount_device_code(&server, device_code_answer(12, 5)).await;
    mount_poll(&server, aad_error("authorization_pending", 70016), None).await;
    let (c, _) = credential(&server, &clock);
    let e = c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(e.to_string().contains("expired before the user signed in"), "{e}");
    assert_eq!(clock.sleeps().len(), 3, "polled at 5, 10, 15 s");

    let clock = ManualTime::default();
    let options = DeviceCodeCredentialOptions::default()
        .with_credential(options(&server, MapEnv::default(), &clock))
        .with_tenant_id(TENANT)
        .with_prompt(DeviceCodePrompt::new(|_| {}))
        .with_timeout(Duration::from_secs(6));
    let c = DeviceCodeCredential::new(Some(options)).unwrap();
    let e = c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn an_async_prompt_runs_before_polling_and_a_refused_refresh_token_prompts_again() {
    let server = MockServer::start().await;
    let clock = ManualTime::default();
    mount_device_code(&server, device_code_answer(900, 5)).await;
    mount_poll(&server, token_with_refresh("t1", "canary-refresh"), None).await;
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(aad_error("invalid_grant", 700082))
        .mount(&server)
        .await;
    let prompts = Arc::new(Mutex::new(0));
    let count = prompts.clone();
    let options = DeviceCodeCredentialOptions::default()
        .with_credential(options(&server, MapEnv::default(), &clock))
        .with_tenant_id(TENANT)
        .with_prompt(DeviceCodePrompt::new_async(move |_info| {
            let count = count.clone();
            async move {
                *count.lock().unwrap() += 1;
            }
        }));
    let c = DeviceCodeCredential::new(Some(options)).unwrap();
    c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    c.get_token(&["other/.default"], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(*prompts.lock().unwrap(), 2, "the refused refresh token led to a second sign-in");
}

#[tokio::test]
async fn without_a_tenant_it_follows_the_service() {
    let server = MockServer::start().await;
    let clock = ManualTime::default();
    mount_device_code(&server, device_code_answer(900, 5)).await;
    mount_poll(&server, token_with_refresh("t1", "r"), None).await;
    let options = DeviceCodeCredentialOptions::default()
        .with_credential(options(&server, MapEnv::default(), &clock))
        .with_prompt(DeviceCodePrompt::new(|_| {}));
    let c = DeviceCodeCredential::new(Some(options)).unwrap();
    c.get_token(&[SCOPE], &TokenRequestOptions::default().with_tenant(TENANT)).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), format!("/{TENANT}/oauth2/v2.0/devicecode"));
}
