//! ManagedIdentityCredential: wiremock stand-ins for IMDS, App Service, Arc and Cloud Shell.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azkv_identity::{
    CredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions, MapEnv, UserAssignedId,
};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{AccessToken, HttpClient, Request, Response, TokenCredential, TokenRequestOptions};
use time::macros::datetime;
use wiremock::matchers::{body_string, header, header_exists, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use crate::common::{SCOPE, TempDir, transport};

const RESOURCE: &str = "https://vault.azure.net";

fn mi_token(token: &str, expires_on: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": token, "expires_on": expires_on, "resource": RESOURCE, "token_type": "Bearer",
    }))
}

fn mi_options(env: MapEnv, clock: &ManualTime) -> ManagedIdentityCredentialOptions {
    ManagedIdentityCredentialOptions::default().with_credential(
        CredentialOptions::default().with_transport(transport()).with_env(Arc::new(env)).with_time(clock.components()),
    )
}

fn imds_options(server: &MockServer, env: MapEnv, clock: &ManualTime) -> ManagedIdentityCredentialOptions {
    mi_options(env, clock).with_imds_endpoint(format!("{}/metadata/identity/oauth2/token", server.uri()))
}

async fn get(credential: &ManagedIdentityCredential) -> azkv_pipeline::Result<AccessToken> {
    credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await
}

/// A request for a token for [`RESOURCE`]: `method` to `path`, with `api-version`.
fn token_request(method_: &str, path_: &str, api_version: &str) -> MockBuilder {
    Mock::given(method(method_))
        .and(path(path_))
        .and(query_param("api-version", api_version))
        .and(query_param("resource", RESOURCE))
}

/// A server answering with `mocks`, mounted in order.
async fn serve(mocks: impl IntoIterator<Item = Mock>) -> MockServer {
    let server = MockServer::start().await;
    for mock in mocks {
        mock.mount(&server).await;
    }
    server
}

/// A credential from `options`, which must be accepted.
fn credential(options: ManagedIdentityCredentialOptions) -> ManagedIdentityCredential {
    ManagedIdentityCredential::new(Some(options)).unwrap()
}

/// `credential` found `source` in the environment and gets `token` from it; the token it got.
async fn assert_token_from(credential: &ManagedIdentityCredential, source: &str, token: &str) -> AccessToken {
    assert_eq!(credential.source_name(), source);
    let got = get(credential).await.unwrap();
    assert_eq!(got.token.expose(), token);
    got
}

/// The message of `credential`'s failure, which must be "unavailable".
async fn unavailable(credential: &ManagedIdentityCredential) -> String {
    let e = get(credential).await.unwrap_err();
    assert!(e.is_credential_unavailable(), "{e}");
    e.to_string()
}

/// Service Fabric's variables: the endpoint `{server}/sf`, its secret and `thumbprint`.
fn service_fabric_env(server: &MockServer, thumbprint: String) -> MapEnv {
    MapEnv::new([
        ("IDENTITY_ENDPOINT", format!("{}/sf", server.uri())),
        ("IDENTITY_HEADER", "canary-sf-secret".to_owned()),
        ("IDENTITY_SERVER_THUMBPRINT", thumbprint),
    ])
}

#[tokio::test]
async fn imds_system_assigned() {
    let imds = token_request("GET", "/metadata/identity/oauth2/token", "2018-02-01")
        .and(query_param_is_missing("client_id"))
        .and(header("metadata", "true"))
        .respond_with(mi_token("imds-token", serde_json::json!("1795428000")))
        .expect(1);
    let server = serve([imds]).await;
    let clock = ManualTime::default();
    let credential = credential(imds_options(&server, MapEnv::default(), &clock));
    let token = assert_token_from(&credential, "Imds", "imds-token").await;
    assert_eq!(token.expires_on, datetime!(2026-11-23 10:00:00 UTC));
}

#[tokio::test]
async fn imds_user_assigned_ids() {
    let cases = [
        (None, Some(("AZURE_CLIENT_ID", "env-client")), ("client_id", "env-client")),
        (Some(UserAssignedId::ClientId("c".into())), Some(("AZURE_CLIENT_ID", "ignored")), ("client_id", "c")),
        (Some(UserAssignedId::ObjectId("o".into())), None, ("object_id", "o")),
        (Some(UserAssignedId::ResourceId("/subscriptions/s/r".into())), None, ("msi_res_id", "/subscriptions/s/r")),
    ];
    for (id, env, (param, value)) in cases {
        let server = serve([Mock::given(query_param(param, value))
            .respond_with(mi_token("ua", 1_795_428_000.into()))
            .expect(1)])
        .await;
        let clock = ManualTime::default();
        let env = env.map(|(n, v)| MapEnv::new([(n, v)])).unwrap_or_default();
        let mut options = imds_options(&server, env, &clock);
        options.user_assigned_id = id;
        assert_eq!(get(&credential(options)).await.unwrap().token.expose(), "ua", "{param}");
    }
}

#[tokio::test]
async fn imds_retries_410_and_5xx_with_backoff_on_the_injected_sleep() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(410)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).respond_with(mi_token("late", serde_json::json!("1795428000"))).mount(&server).await;
    let clock = ManualTime::default();
    let credential = credential(imds_options(&server, MapEnv::default(), &clock));
    assert_eq!(get(&credential).await.unwrap().token.expose(), "late");
    crate::faults::assert_backoff(&clock.sleeps(), &[1000, 2000, 4000]);
}

#[tokio::test]
async fn imds_gives_up_after_its_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).expect(3).mount(&server).await;
    let clock = ManualTime::default();
    let options = imds_options(&server, MapEnv::default(), &clock).with_imds_max_retries(2);
    let e = get(&credential(options)).await.unwrap_err();
    assert!(!e.is_credential_unavailable());
    assert!(e.to_string().contains("HTTP 503"), "{e}");
}

#[tokio::test]
async fn imds_probe_unreachable_is_unavailable() {
    // Nothing listens on port 1.
    let clock = ManualTime::default();
    let options = mi_options(MapEnv::default(), &clock)
        .with_imds_endpoint("http://127.0.0.1:1/metadata/identity/oauth2/token")
        .with_probe_imds(true);
    let e = unavailable(&credential(options)).await;
    assert!(e.contains("IMDS cannot be reached"), "{e}");
    assert!(clock.sleeps().is_empty(), "the probe does not retry");
}

/// A transport that never answers.
#[derive(Debug)]
struct Hang;

#[async_trait]
impl HttpClient for Hang {
    async fn execute(&self, _: &Request) -> azkv_pipeline::Result<Response> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn imds_probe_times_out_fast() {
    let clock = ManualTime::default();
    let mut options = mi_options(MapEnv::default(), &clock).with_probe_imds(true);
    options.credential.transport = Some(Arc::new(Hang));
    let credential = credential(options);
    let started = tokio::time::Instant::now();
    let e = unavailable(&credential).await;
    assert!(e.contains("no answer from IMDS within 1s"), "{e}");
    assert_eq!(started.elapsed(), Duration::from_secs(1));
}

#[tokio::test]
async fn imds_probe_answered_400_means_no_identity() {
    let body = serde_json::json!({"error": "invalid_request", "error_description": "Identity not found"});
    let server =
        serve([Mock::given(method("GET")).respond_with(ResponseTemplate::new(400).set_body_json(body)).expect(1)])
            .await;
    let clock = ManualTime::default();
    let options = imds_options(&server, MapEnv::default(), &clock).with_probe_imds(true);
    let e = unavailable(&credential(options)).await;
    assert!(e.contains("Identity not found"), "{e}");
}

#[tokio::test]
async fn imds_probe_success_then_normal_requests() {
    let server =
        serve([Mock::given(method("GET")).respond_with(mi_token("probed", 1_795_428_000.into())).expect(2)]).await;
    let clock = ManualTime::default();
    let credential = credential(imds_options(&server, MapEnv::default(), &clock).with_probe_imds(true));
    assert_eq!(get(&credential).await.unwrap().token.expose(), "probed");
    let none = TokenRequestOptions::default();
    let other = credential.get_token(&["https://storage.azure.com/.default"], &none).await;
    assert_eq!(other.unwrap().token.expose(), "probed");
}

#[tokio::test]
async fn app_service_with_header_and_older_date_format() {
    let app_service = token_request("GET", "/msi/token", "2019-08-01")
        .and(query_param("mi_res_id", "/sub/x"))
        .and(header("x-identity-header", "canary-identity-header"))
        .respond_with(mi_token("app-service", serde_json::json!("11/23/2026 10:00:00 +00:00")))
        .expect(1);
    let server = serve([app_service]).await;
    let clock = ManualTime::default();
    let env = MapEnv::new([
        ("IDENTITY_ENDPOINT", format!("{}/msi/token", server.uri())),
        ("IDENTITY_HEADER", "canary-identity-header".to_owned()),
    ]);
    let options = mi_options(env, &clock).with_user_assigned_id(UserAssignedId::ResourceId("/sub/x".into()));
    let credential = credential(options);
    assert!(!format!("{credential:?}").contains("canary"));
    let token = assert_token_from(&credential, "AppService", "app-service").await;
    assert_eq!(token.expires_on, datetime!(2026-11-23 10:00:00 UTC));
}

#[tokio::test]
async fn app_service_user_assigned_by_client_and_object_id() {
    for (id, param) in
        [(UserAssignedId::ClientId("c1".into()), "client_id"), (UserAssignedId::ObjectId("o1".into()), "object_id")]
    {
        let value = if param == "client_id" { "c1" } else { "o1" };
        let server =
            serve([Mock::given(query_param(param, value)).respond_with(mi_token("ua", "1795428000".into())).expect(1)])
                .await;
        let clock = ManualTime::default();
        let env = MapEnv::new([("IDENTITY_ENDPOINT", server.uri()), ("IDENTITY_HEADER", "h".to_owned())]);
        let credential = credential(mi_options(env, &clock).with_user_assigned_id(id));
        assert_eq!(get(&credential).await.unwrap().token.expose(), "ua");
    }
}

async fn arc_server(realm: &std::path::Path) -> MockServer {
    let answer = token_request("GET", "/metadata/identity/oauth2/token", "2020-06-01")
        .and(header("authorization", "Basic canary-arc-key"))
        .respond_with(mi_token("arc-token", serde_json::json!("1795428000")));
    let challenge = ResponseTemplate::new(401)
        .insert_header("www-authenticate", format!("Basic realm={}", realm.display()).as_str());
    serve([answer, Mock::given(method("GET")).and(header("metadata", "true")).respond_with(challenge)]).await
}

fn arc_options(server: &MockServer, keys: &TempDir, clock: &ManualTime) -> ManagedIdentityCredentialOptions {
    let env = MapEnv::new([
        ("IDENTITY_ENDPOINT", format!("{}/metadata/identity/oauth2/token", server.uri())),
        ("IMDS_ENDPOINT", "http://127.0.0.1:1".to_owned()),
    ]);
    mi_options(env, clock).with_arc_key_directory(keys.path().to_owned())
}

#[tokio::test]
async fn arc_answers_the_challenge_with_the_key_file() {
    let keys = TempDir::new();
    let key = keys.write("abc.key", "canary-arc-key");
    let server = arc_server(&key).await;
    let clock = ManualTime::default();
    assert_token_from(&credential(arc_options(&server, &keys, &clock)), "AzureArc", "arc-token").await;
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(!requests[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn arc_refuses_key_files_outside_the_directory_with_another_extension_or_too_big() {
    let keys = TempDir::new();
    let elsewhere = TempDir::new();
    let outside = elsewhere.write("abc.key", "canary-arc-key");
    let wrong_ext = keys.write("abc.txt", "canary-arc-key");
    let big = keys.write("big.key", &"x".repeat(4097));
    let sneaky = keys.path().join("..").join(elsewhere.path().file_name().unwrap()).join("abc.key");
    for (realm, why) in
        [(outside, "is not in"), (wrong_ext, ".key extension"), (big, "at most 4096 bytes"), (sneaky, "is not in")]
    {
        let server = arc_server(&realm).await;
        let clock = ManualTime::default();
        let text = get(&credential(arc_options(&server, &keys, &clock))).await.unwrap_err().to_string();
        assert!(text.contains(why), "{text}");
        assert!(!text.contains("canary"), "{text}");
        assert_eq!(server.received_requests().await.unwrap().len(), 1, "no second request: {text}");
    }
}

#[tokio::test]
async fn cloud_shell_posts_the_resource() {
    let shell = Mock::given(method("POST"))
        .and(path("/cloudshell"))
        .and(header("metadata", "true"))
        .and(body_string("resource=https%3A%2F%2Fvault.azure.net"))
        .respond_with(mi_token("shell", serde_json::json!(1_795_428_000)))
        .expect(1);
    let server = serve([shell]).await;
    let clock = ManualTime::default();
    let env = MapEnv::new([("MSI_ENDPOINT", format!("{}/cloudshell", server.uri()))]);
    assert_token_from(&credential(mi_options(env, &clock)), "CloudShell", "shell").await;
}

#[tokio::test]
async fn service_fabric_sends_its_secret_header() {
    let service_fabric = token_request("GET", "/sf", "2019-07-01-preview")
        .and(header("secret", "canary-sf-secret"))
        .respond_with(mi_token("sf-token", serde_json::json!(1_795_428_000)));
    let server = serve([service_fabric]).await;
    let clock = ManualTime::default();
    let credential = credential(mi_options(service_fabric_env(&server, "AB".repeat(20)), &clock));
    assert_token_from(&credential, "ServiceFabric", "sf-token").await;
    assert!(!format!("{credential:?}").contains("canary"));

    let bad = MapEnv::new([
        ("IDENTITY_ENDPOINT", "https://localhost:2377/"),
        ("IDENTITY_HEADER", "h"),
        ("IDENTITY_SERVER_THUMBPRINT", "not-hex"),
    ]);
    let e = ManagedIdentityCredential::new(Some(mi_options(bad, &clock))).unwrap_err();
    assert!(e.to_string().contains("IDENTITY_SERVER_THUMBPRINT"), "{e}");
}

#[tokio::test]
async fn service_fabric_errors_quote_code_and_message_only() {
    let body = serde_json::json!({"error": {
        "correlationId": "canary-correlation", "code": "ManagedIdentityNotFound",
        "message": "Managed identity not found for the specified application host."}});
    let server = serve([Mock::given(method("GET")).respond_with(ResponseTemplate::new(404).set_body_json(body))]).await;
    let clock = ManualTime::default();
    let credential = credential(mi_options(service_fabric_env(&server, "ab".repeat(32)), &clock));
    let text = get(&credential).await.unwrap_err().to_string();
    assert!(text.contains("ManagedIdentityNotFound") && !text.contains("canary"), "{text}");
}

#[tokio::test]
async fn azure_ml_sends_its_secret_and_client_id() {
    let default = token_request("GET", "/aml", "2017-09-01")
        .and(query_param("clientid", "ml-default"))
        .and(header("secret", "canary-ml-secret"))
        .respond_with(mi_token("ml-token", serde_json::json!("1795428000")));
    let user = Mock::given(method("GET"))
        .and(path("/aml"))
        .and(query_param("clientid", "user-assigned"))
        .respond_with(mi_token("ml-user", serde_json::json!("1795428000")));
    let server = serve([default, user]).await;
    let clock = ManualTime::default();
    let env = MapEnv::new([
        ("MSI_ENDPOINT", format!("{}/aml", server.uri())),
        ("MSI_SECRET", "canary-ml-secret".to_owned()),
        ("DEFAULT_IDENTITY_CLIENT_ID", "ml-default".to_owned()),
    ]);
    assert_token_from(&credential(mi_options(env.clone(), &clock)), "AzureMl", "ml-token").await;
    let user =
        credential(mi_options(env, &clock).with_user_assigned_id(UserAssignedId::ClientId("user-assigned".into())));
    assert_eq!(get(&user).await.unwrap().token.expose(), "ml-user");
}

#[tokio::test]
async fn the_pod_identity_host_moves_imds() {
    let imds = Mock::given(method("GET"))
        .and(path("/metadata/identity/oauth2/token"))
        .and(header("metadata", "true"))
        .respond_with(mi_token("pod-imds", serde_json::json!("1795428000")));
    let server = serve([imds]).await;
    let clock = ManualTime::default();
    let env = MapEnv::new([("AZURE_POD_IDENTITY_AUTHORITY_HOST", format!("{}/", server.uri()))]);
    assert_token_from(&credential(mi_options(env, &clock)), "Imds", "pod-imds").await;
}

#[tokio::test]
async fn exactly_one_scope() {
    let clock = ManualTime::default();
    let credential = credential(mi_options(MapEnv::default(), &clock));
    let e = credential.get_token(&["a", "b"], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(matches!(e, azkv_pipeline::Error::InvalidArgument(_)), "{e}");
}

#[tokio::test]
async fn garbage_responses_are_not_quoted() {
    let garbage = ResponseTemplate::new(200).set_body_string("canary-garbage {");
    let server = serve([Mock::given(header_exists("metadata")).respond_with(garbage)]).await;
    let clock = ManualTime::default();
    let text = get(&credential(imds_options(&server, MapEnv::default(), &clock))).await.unwrap_err().to_string();
    assert!(text.contains("not a token response") && !text.contains("canary"), "{text}");
}
