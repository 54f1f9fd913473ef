//! Helpers shared by the tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use azkv_identity::{CredentialOptions, MapEnv};
use azkv_pipeline::HttpClient;
use azkv_pipeline::test_util::ManualTime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const SCOPE: &str = "https://vault.azure.net/.default";
pub(crate) const TENANT: &str = "contoso.onmicrosoft.com";

/// The real reqwest transport (wiremock listens on 127.0.0.1).
pub(crate) fn transport() -> Arc<dyn HttpClient> {
    azkv_pipeline::transport::default_transport(&Default::default()).unwrap()
}

/// Options pointing at `server` as authority, with `env` and a manual clock.
pub(crate) fn options(server: &MockServer, env: MapEnv, clock: &ManualTime) -> CredentialOptions {
    CredentialOptions::default()
        .with_transport(transport())
        .with_authority_host(server.uri())
        .with_env(Arc::new(env))
        .with_time(clock.components())
}

/// An AAD token response.
pub(crate) fn aad_token(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": token,
    }))
}

/// Mounts a token endpoint for `TENANT` answering `response`.
pub(crate) async fn mount_token_endpoint(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(response)
        .mount(server)
        .await;
}

/// The form fields of the `index`th request `server` received.
pub(crate) async fn form(server: &MockServer, index: usize) -> Vec<(String, String)> {
    let requests = server.received_requests().await.unwrap();
    url::form_urlencoded::parse(&requests[index].body).into_owned().collect()
}

/// The value of `name` in `form`.
pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// A directory removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("azkv-identity-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
