//! Every operation: method, path, query, headers and body sent; response mapped.

use azkv_secrets::{Error, SetSecretOptions, UpdateSecretProperties};
use base64::Engine;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{V1, authorized_requests, bundle, setup};

#[tokio::test]
async fn set_secret_sends_value_options_and_maps_the_bundle() {
    let (server, client, credential, _) = setup().await;
    let expires = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    Mock::given(method("PUT"))
        .and(path("/secrets/db-password"))
        .and(query_param("api-version", "2025-07-01"))
        .and(header("authorization", "Bearer token-1"))
        .and(header("content-type", "application/json"))
        .and(body_json(serde_json::json!({
            "value": "hunter2", "contentType": "text/plain", "tags": {"env": "prod"},
            "attributes": {"enabled": true, "exp": 1_800_000_000}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "db-password", V1, "hunter2")))
        .expect(1)
        .mount(&server)
        .await;
    let options = SetSecretOptions::default()
        .with_content_type("text/plain")
        .with_tag("env", "prod")
        .with_enabled(true)
        .with_validity(None, Some(expires));
    let secret = client.set_secret("db-password", "hunter2", Some(options)).await.unwrap();
    assert_eq!(secret.name, "db-password");
    assert_eq!(secret.value(), "hunter2");
    assert_eq!(secret.properties.version.as_deref(), Some(V1));
    assert_eq!(secret.properties.vault_url.as_deref(), Some(server.uri().as_str()));
    assert_eq!(credential.calls(), 1);
    let seen = &credential.seen.lock().unwrap()[0];
    assert_eq!(seen.0, ["https://vault.azure.net/.default"]);
    assert_eq!(seen.1.tenant_id.as_deref(), Some(crate::support::TENANT));
}

#[tokio::test]
async fn get_secret_latest_and_by_version_with_out_content_type() {
    let (server, client, _, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/secrets/a/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "latest")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/secrets/a/{V1}")))
        .and(query_param("outContentType", "application/x-pem-file"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "pem")))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client.get_secret("a").await.unwrap().value(), "latest");
    let pem = client.get_secret_version("a", Some(V1), Some("application/x-pem-file")).await.unwrap();
    assert_eq!(pem.value(), "pem");
}

#[tokio::test]
async fn update_secret_properties_patches_attributes_only() {
    let (server, client, _, _) = setup().await;
    let mut body = bundle(&server, "a", V1, "");
    body.as_object_mut().unwrap().remove("value");
    body["attributes"]["enabled"] = false.into();
    Mock::given(method("PATCH"))
        .and(path(format!("/secrets/a/{V1}")))
        .and(body_json(serde_json::json!({"attributes": {"enabled": false}, "contentType": "x"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let changes = UpdateSecretProperties::default().with_enabled(false).with_content_type("x");
    let props = client.update_secret_properties("a", Some(V1), changes).await.unwrap();
    assert_eq!(props.enabled, Some(false));
    assert_eq!(props.name, "a");
}

#[tokio::test]
async fn deleted_secret_operations() {
    let (server, client, _, _) = setup().await;
    let deleted = serde_json::json!({
        "id": format!("{}/secrets/a/{V1}", server.uri()),
        "recoveryId": format!("{}/deletedsecrets/a", server.uri()),
        "deletedDate": 1700000000, "scheduledPurgeDate": 1707776000,
        "attributes": {"enabled": true, "recoveryLevel": "Recoverable+Purgeable"}
    });
    Mock::given(method("GET"))
        .and(path("/deletedsecrets/a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deleted))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/deletedsecrets/a"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let d = client.get_deleted_secret("a").await.unwrap();
    assert_eq!(d.name(), "a");
    assert_eq!(d.deleted_on.map(|t| t.unix_timestamp()), Some(1_700_000_000));
    assert_eq!(d.scheduled_purge_date.map(|t| t.unix_timestamp()), Some(1_707_776_000));
    client.purge_deleted_secret("a").await.unwrap();
}

#[tokio::test]
async fn backup_and_restore_carry_base64url_blobs() {
    let (server, client, _, _) = setup().await;
    let blob: Vec<u8> = (0u8..=255).collect();
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&blob);
    Mock::given(method("POST"))
        .and(path("/secrets/a/backup"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": encoded})))
        .expect(1)
        .mount(&server)
        .await;
    let mut restored = bundle(&server, "a", V1, "");
    restored.as_object_mut().unwrap().remove("value");
    Mock::given(method("POST"))
        .and(path("/secrets/restore"))
        .and(body_json(serde_json::json!({"value": encoded})))
        .respond_with(ResponseTemplate::new(200).set_body_json(restored))
        .expect(1)
        .mount(&server)
        .await;
    let backup = client.backup_secret("a").await.unwrap();
    assert_eq!(backup, blob);
    assert_eq!(client.restore_secret_backup(&backup).await.unwrap().name, "a");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let (server, client, credential, _) = setup().await;
    let cases: Vec<Error> = vec![
        client.set_secret("bad name", "v", None).await.unwrap_err(),
        client.set_secret("a", &"x".repeat(25 * 1024 + 1), None).await.unwrap_err(),
        client
            .set_secret(
                "a",
                "v",
                Some((0..16).fold(SetSecretOptions::default(), |o, i| o.with_tag(format!("t{i}"), "v"))),
            )
            .await
            .unwrap_err(),
        client
            .set_secret("a", "v", Some(SetSecretOptions::default().with_content_type("c".repeat(256))))
            .await
            .unwrap_err(),
        client.get_secret_version("a", Some("not/a/version"), None).await.unwrap_err(),
        client.get_secret("").await.unwrap_err(),
        client.restore_secret_backup(&[]).await.unwrap_err(),
    ];
    // Rule breaks stay typed model errors; the empty backup is refused by the client itself.
    assert!(matches!(&cases[0], Error::Validation(azkv_models::Error::InvalidName { .. })), "{:?}", cases[0]);
    assert!(matches!(&cases[1], Error::Validation(azkv_models::Error::ValueTooLarge { .. })), "{:?}", cases[1]);
    assert!(matches!(&cases[4], Error::Validation(azkv_models::Error::InvalidVersion { .. })), "{:?}", cases[4]);
    assert!(matches!(cases.last(), Some(Error::InvalidArgument(_))), "{:?}", cases.last());
    for e in &cases {
        assert!(e.is_invalid_argument(), "{e:?}");
        assert!(!e.to_string().contains("xxxxxxxx"), "the value is not echoed: {e}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_eq!(credential.calls(), 0);
}

#[tokio::test]
async fn send_request_goes_through_the_pipeline_and_keeps_non_2xx() {
    let (server, client, _, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/custom"))
        .respond_with(ResponseTemplate::new(418))
        .expect(1)
        .mount(&server)
        .await;
    let url = format!("{}/custom?api-version=2025-07-01", server.uri()).parse().unwrap();
    let resp = client.send_request(azkv_pipeline::Request::new(azkv_pipeline::Method::GET, url)).await.unwrap();
    assert_eq!(resp.status.as_u16(), 418);
    let authed = authorized_requests(&server).await;
    assert_eq!(authed.len(), 1);
    assert!(authed[0].headers.get("user-agent").unwrap().to_str().unwrap().starts_with("azsdk-rust-secrets/"));
}

#[tokio::test]
async fn the_api_version_is_selectable() {
    let server = wiremock::MockServer::start().await;
    crate::support::mount_challenge(&server, "https://vault.azure.net").await;
    Mock::given(method("GET"))
        .and(query_param("api-version", "7.4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "v")))
        .expect(1)
        .mount(&server)
        .await;
    let options =
        azkv_secrets::SecretClientOptions::default().with_api_version("7.4").with_verify_challenge_resource(false);
    let client = azkv_secrets::SecretClient::new(
        &server.uri(),
        std::sync::Arc::new(crate::support::TestCredential::default()),
        Some(options),
    )
    .unwrap();
    assert_eq!(client.api_version(), "7.4");
    client.get_secret("a").await.unwrap();
}

#[tokio::test]
async fn a_client_with_context_sends_its_request_id() {
    let (server, client, _, _) = setup().await;
    Mock::given(method("GET"))
        .and(header("x-ms-client-request-id", "trace-42"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&server, "a", V1, "v")))
        .expect(1)
        .mount(&server)
        .await;
    let ctx = azkv_pipeline::Context::new().with_client_request_id("trace-42");
    client.with_context(ctx).get_secret("a").await.unwrap();
}
