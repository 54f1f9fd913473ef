//! ClientSecretCredential against a wiremock token endpoint.

use azkv_identity::{ClientSecretCredential, MapEnv};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{Error, TokenCredential, TokenRequestOptions};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{SCOPE, TENANT, aad_token, field, form, mount_token_endpoint, options};

#[tokio::test]
async fn posts_the_client_credentials_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(aad_token("secret-token", 3600))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualTime::default();
    let credential =
        ClientSecretCredential::new(TENANT, "app-id", "s3cret&=", Some(options(&server, MapEnv::default(), &clock)))
            .unwrap();
    let token = credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(token.token.expose(), "secret-token");
    let now = time::OffsetDateTime::from(clock.components().time_source.now());
    assert_eq!(token.expires_on, now + time::Duration::hours(1));
    let form = form(&server, 0).await;
    assert_eq!(field(&form, "client_id"), Some("app-id"));
    assert_eq!(field(&form, "client_secret"), Some("s3cret&="));
    assert_eq!(field(&form, "scope"), Some(SCOPE));
    assert_eq!(field(&form, "client_assertion"), None);
}

#[tokio::test]
async fn authority_from_the_environment_and_tenant_override() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/other-tenant/oauth2/v2.0/token"))
        .respond_with(aad_token("other", 3600))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualTime::default();
    let env = MapEnv::new([("AZURE_AUTHORITY_HOST", server.uri())]);
    let mut opts = options(&server, env, &clock);
    opts.authority_host = None;
    // Another tenant is followed only when allowed; refused, it requests nothing.
    let refusing = ClientSecretCredential::new(TENANT, "app", "s", Some(opts.clone())).unwrap();
    let options = TokenRequestOptions::default().with_tenant("other-tenant");
    let err = refusing.get_token(&[SCOPE], &options).await.unwrap_err();
    assert!(err.to_string().contains("may not get a token for tenant `other-tenant`"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty(), "no token was requested");
    let allowing =
        ClientSecretCredential::new(TENANT, "app", "s", Some(opts.with_additionally_allowed_tenants(["other-tenant"])))
            .unwrap();
    assert_eq!(allowing.get_token(&[SCOPE], &options).await.unwrap().token.expose(), "other");
}

#[tokio::test]
async fn multitenant_authentication_can_be_disabled_and_the_default_chain_reads_the_allowed_list() {
    use azkv_identity::{DefaultAzureCredential, DefaultAzureCredentialOptions};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(aad_token("home", 3600))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/guest/oauth2/v2.0/token"))
        .respond_with(aad_token("guest", 3600))
        .mount(&server)
        .await;
    let clock = ManualTime::default();
    let guest = TokenRequestOptions::default().with_tenant("guest");
    // Disabled: the configured tenant, whatever the allowed list says.
    let env = MapEnv::new([("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH", "true")]);
    let opts = options(&server, env, &clock).with_additionally_allowed_tenants(["*"]);
    let credential = ClientSecretCredential::new(TENANT, "app", "s", Some(opts)).unwrap();
    assert_eq!(credential.get_token(&[SCOPE], &guest).await.unwrap().token.expose(), "home");
    // The default chain: AZURE_ADDITIONALLY_ALLOWED_TENANTS reaches its environment credential.
    let env = MapEnv::new([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", "app"),
        ("AZURE_CLIENT_SECRET", "s"),
        ("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "someone-else;guest"),
    ]);
    let o = DefaultAzureCredentialOptions::default().with_credential(options(&server, env, &clock));
    let chain = DefaultAzureCredential::new(Some(o)).unwrap();
    assert_eq!(chain.get_token(&[SCOPE], &guest).await.unwrap().token.expose(), "guest");
}

#[tokio::test]
async fn an_aad_error_is_an_authentication_failure_quoting_only_its_error_fields() {
    let server = MockServer::start().await;
    mount_token_endpoint(
        &server,
        ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc",
            "correlation_id": "canary-correlation",
        })),
    )
    .await;
    let clock = ManualTime::default();
    let credential =
        ClientSecretCredential::new(TENANT, "app", "canary-secret", Some(options(&server, MapEnv::default(), &clock)))
            .unwrap();
    let err = credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(!err.is_credential_unavailable());
    assert_eq!(
        err.to_string(),
        "credential error: ClientSecretCredential: authentication failed (HTTP 401, invalid_client): \
         AADSTS7000215: Invalid client secret provided."
    );
}

#[tokio::test]
async fn server_errors_are_retried_on_the_injected_clock() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).up_to_n_times(2).mount(&server).await;
    mount_token_endpoint(&server, aad_token("after-retries", 3600)).await;
    let clock = ManualTime::default();
    let credential =
        ClientSecretCredential::new(TENANT, "app", "s", Some(options(&server, MapEnv::default(), &clock))).unwrap();
    let token = credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(token.token.expose(), "after-retries");
    assert_eq!(clock.sleeps().len(), 2, "{:?}", clock.sleeps());
}

#[test]
fn invalid_arguments_are_refused_up_front() {
    let e = ClientSecretCredential::new("bad/tenant", "app", "s", None).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    let e = ClientSecretCredential::new(TENANT, "", "s", None).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    let opts = azkv_identity::CredentialOptions::default().with_authority_host("http://login.example.com");
    let e = ClientSecretCredential::new(TENANT, "app", "s", Some(opts)).unwrap_err();
    assert!(e.to_string().contains("https"), "{e}");
}

#[tokio::test]
async fn a_cae_request_declares_the_cp1_capability_in_its_claims() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server, aad_token("t", 3600)).await;
    let clock = ManualTime::default();
    let credential =
        ClientSecretCredential::new(TENANT, "app", "s", Some(options(&server, MapEnv::default(), &clock))).unwrap();
    credential.get_token(&[SCOPE], &TokenRequestOptions::default().with_cae()).await.unwrap();
    let sent = form(&server, 0).await;
    let claims: serde_json::Value = serde_json::from_str(field(&sent, "claims").expect("a claims field")).unwrap();
    assert_eq!(claims["access_token"]["xms_cc"]["values"][0], "CP1");
    // A token without the capability is cached apart: it is fetched on its own.
    credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert_eq!(field(&form(&server, 1).await, "claims"), None);
}
