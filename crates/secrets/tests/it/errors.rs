//! Each service error maps to its typed variant; transport failures are typed too.

use std::sync::Arc;
use std::time::Duration;

use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::ManualTime;
use azkv_secrets::{Error, SecretClient, SecretClientOptions};
use wiremock::matchers::header;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{TestCredential, setup};

async fn error_for(status: u16, code: &str, inner: Option<&str>, extra: Option<(&str, &str)>) -> Error {
    let (server, client, _, _) = setup().await;
    let mut error = serde_json::json!({"code": code, "message": "explained"});
    if let Some(inner) = inner {
        error["innererror"] = serde_json::json!({"code": inner});
    }
    let mut template = ResponseTemplate::new(status).set_body_json(serde_json::json!({"error": error}));
    if let Some((k, v)) = extra {
        template = template.insert_header(k, v);
    }
    Mock::given(header("authorization", "Bearer token-1")).respond_with(template).mount(&server).await;
    client.get_secret("a").await.unwrap_err()
}

#[tokio::test]
async fn service_errors_map_to_variants() {
    assert!(matches!(error_for(404, "SecretNotFound", None, None).await, Error::NotFound(_)));
    assert!(matches!(error_for(400, "BadParameter", None, None).await, Error::BadRequest(_)));
    assert!(matches!(error_for(500, "InternalError", None, None).await, Error::Service(_)));
    let conflict = error_for(409, "Conflict", Some("ObjectIsDeletedButRecoverable"), None).await;
    assert!(matches!(conflict, Error::Conflict(_)));
    assert_eq!(conflict.inner_code(), Some("ObjectIsDeletedButRecoverable"));
    let forbidden = error_for(403, "Forbidden", Some("SecretDisabled"), None).await;
    assert!(matches!(forbidden, Error::Forbidden(_)));
    assert_eq!((forbidden.error_code(), forbidden.inner_code()), (Some("Forbidden"), Some("SecretDisabled")));
    match error_for(429, "Throttled", None, Some(("Retry-After", "9"))).await {
        Error::Throttled { retry_after, error } => {
            assert_eq!(retry_after, Some(Duration::from_secs(9)));
            assert_eq!(error.message.as_deref(), Some("explained"));
        }
        other => panic!("expected Throttled, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retries() {
    let closed = azkv_pipeline::test_util::ClosedPort::new();
    let addr = closed.addr();
    let time = ManualTime::default();
    let options = SecretClientOptions::default().with_client_options(
        azkv_pipeline::ClientOptions::default()
            .with_retry(RetryOptions::fixed(2, Duration::from_secs(1)))
            .with_time(time.components()),
    );
    let client =
        SecretClient::new(&format!("http://{addr}"), Arc::new(TestCredential::default()), Some(options)).unwrap();
    let err = client.get_secret("a").await.unwrap_err();
    assert!(matches!(err, Error::Transport(azkv_pipeline::Error::Connection { .. })), "{err:?}");
    assert_eq!(time.sleeps().len(), 2);
}

#[tokio::test]
async fn garbage_json_is_a_decode_error_without_the_body() {
    let (server, client, _, _) = setup().await;
    Mock::given(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"value": "canary-secret", "id": 42"#))
        .mount(&server)
        .await;
    let err = client.get_secret("a").await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert!(!err.to_string().contains("canary"), "{err}");
}
