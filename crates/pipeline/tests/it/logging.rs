//! Logging policy: method and status are logged; tokens and secret values never are.

use std::sync::Arc;

use azkv_pipeline::policies::{LoggingOptions, RetryOptions};
use azkv_pipeline::test_util::{FnPolicy, LogCapture, ManualTime, ReplayTransport};
use azkv_pipeline::{ClientOptions, Context, Method, Pipeline, Request, StatusCode};

async fn run_logged(log_bodies: bool, ctx: Context) -> String {
    let capture = LogCapture::start();
    let transport = Arc::new(ReplayTransport::new());
    let mut headers = azkv_pipeline::Headers::new();
    headers.insert("content-type", "application/json");
    headers.insert("set-cookie", "session=canary-cookie");
    transport.push(Ok(azkv_pipeline::Response::new(
        StatusCode::OK,
        headers,
        r#"{"value":"canary-response-value","id":"https://v/secrets/a/1"}"#,
    )));
    let mut options = ClientOptions::default();
    options.transport = Some(transport);
    options.retry = RetryOptions::none();
    options.time = ManualTime::default().components();
    options.logging = LoggingOptions::default().with_log_bodies(log_bodies);
    let auth = FnPolicy::new(|r| r.headers.insert("authorization", "Bearer canary-token"));
    let pipeline = Pipeline::new("azkv-test", "0.0.1", options, vec![], vec![Arc::new(auth)]).unwrap();
    let mut req = Request::new(
        Method::PUT,
        "https://v.vault.azure.net/secrets/a?api-version=7.6&sig=canary-sig".parse().unwrap(),
    );
    req.set_json(&serde_json::json!({"value": "canary-request-value", "contentType": "text/plain"})).unwrap();
    pipeline.send(&ctx, &mut req).await.unwrap();
    capture.contents()
}

fn assert_no_canary(out: &str) {
    assert!(!out.contains("canary"), "a canary leaked into the log:\n{out}");
}

#[tokio::test(flavor = "current_thread")]
async fn attempts_are_logged_without_secrets() {
    let out = run_logged(false, Context::new()).await;
    assert!(out.contains("PUT"), "{out}");
    assert!(out.contains("status=200"), "{out}");
    assert!(out.contains("attempt=1"), "{out}");
    assert!(out.contains("api-version=7.6"), "{out}");
    assert!(out.contains("authorization"), "header names stay visible:\n{out}");
    assert!(!out.contains("request body"), "bodies are off by default:\n{out}");
    assert_no_canary(&out);
}

#[tokio::test(flavor = "current_thread")]
async fn enabled_bodies_still_hide_value_fields() {
    for (client, ctx) in [(true, Context::new()), (false, Context::new().with_log_body(true))] {
        let out = run_logged(client, ctx).await;
        assert!(out.contains("request body"), "{out}");
        assert!(out.contains("text/plain"), "non-secret fields are logged:\n{out}");
        assert!(out.contains("https://v/secrets/a/1"), "{out}");
        assert_no_canary(&out);
    }
}
