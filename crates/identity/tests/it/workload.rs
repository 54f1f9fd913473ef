//! WorkloadIdentityCredential: the federated token file as client assertion.

use std::time::{Duration, SystemTime};

use azkv_identity::{MapEnv, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{TokenCredential, TokenRequestOptions};
use wiremock::MockServer;

use crate::common::{SCOPE, TENANT, TempDir, aad_token, field, form, mount_token_endpoint, options};

fn set_mtime(path: &std::path::Path, secs: u64) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)).unwrap();
}

#[tokio::test]
async fn the_file_is_the_assertion_and_is_reread_on_change_or_after_ten_minutes() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server, aad_token("wi-token", 3600)).await;
    let dir = TempDir::new();
    let file = dir.write("token", "assertion-1\n");
    set_mtime(&file, 1_000);
    let clock = ManualTime::default();
    let env = MapEnv::new([
        ("AZURE_TENANT_ID", TENANT.to_owned()),
        ("AZURE_CLIENT_ID", "wi-client".to_owned()),
        ("AZURE_FEDERATED_TOKEN_FILE", file.display().to_string()),
    ]);
    let opts = WorkloadIdentityCredentialOptions::default().with_credential(options(&server, env, &clock));
    let credential = WorkloadIdentityCredential::new(Some(opts)).unwrap();
    let none = TokenRequestOptions::default();
    // Each distinct scope is a cache miss, so each call below reaches the token endpoint.
    assert_eq!(credential.get_token(&["a/.default"], &none).await.unwrap().token.expose(), "wi-token");
    let f = form(&server, 0).await;
    assert_eq!(field(&f, "client_assertion"), Some("assertion-1"));
    assert_eq!(field(&f, "client_id"), Some("wi-client"));
    assert_eq!(field(&f, "client_assertion_type"), Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));

    // Same mtime, new contents: still the cached assertion.
    std::fs::write(&file, "assertion-2").unwrap();
    set_mtime(&file, 1_000);
    credential.get_token(&["b/.default"], &none).await.unwrap();
    assert_eq!(field(&form(&server, 1).await, "client_assertion"), Some("assertion-1"));

    // Ten minutes later the file is read again.
    clock.advance(Duration::from_secs(601));
    credential.get_token(&["c/.default"], &none).await.unwrap();
    assert_eq!(field(&form(&server, 2).await, "client_assertion"), Some("assertion-2"));

    // A new mtime: read again at once.
    std::fs::write(&file, "assertion-3").unwrap();
    set_mtime(&file, 2_000);
    credential.get_token(&[SCOPE], &none).await.unwrap();
    assert_eq!(field(&form(&server, 3).await, "client_assertion"), Some("assertion-3"));
}

#[tokio::test]
async fn a_missing_file_is_an_authentication_failure() {
    let server = MockServer::start().await;
    let clock = ManualTime::default();
    let opts = WorkloadIdentityCredentialOptions::default()
        .with_credential(options(&server, MapEnv::default(), &clock))
        .with_tenant_id(TENANT)
        .with_client_id("c")
        .with_token_file_path("/nonexistent/azkv/token");
    let credential = WorkloadIdentityCredential::new(Some(opts)).unwrap();
    let e = credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(!e.is_credential_unavailable());
    assert!(e.to_string().contains("/nonexistent/azkv/token"), "{e}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
