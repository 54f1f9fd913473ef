//! Implementing `azkv_pipeline::TokenCredential`: a credential that fetches tokens from an
//! App Service-style managed-identity endpoint itself (the emulator serves one), and a wrapper
//! that logs and counts every call to the credential it wraps.
//!
//! The client caches tokens, so three operations cost one call to the credential.
//!
//! ```sh
//! cargo run -p examples --example custom_credential
//! KEY_VAULT_NAME=myvault cargo run -p examples --example custom_credential  # wraps DefaultAzureCredential
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use azkv_identity::DefaultAzureCredential;
use azkv_pipeline::{
    AccessToken, Error, HttpClient, Method, Request, Result, Secret, TokenCredential, TokenRequestOptions, Url,
};
use time::OffsetDateTime;

/// Gets tokens from a managed-identity endpoint (`IDENTITY_ENDPOINT`, api-version 2019-08-01).
#[derive(Debug)]
struct TokenEndpointCredential {
    endpoint: Url,
    identity_header: Secret,
    transport: Arc<dyn HttpClient>,
}

#[async_trait]
impl TokenCredential for TokenEndpointCredential {
    async fn get_token(&self, scopes: &[&str], _options: &TokenRequestOptions) -> Result<AccessToken> {
        let [scope] = scopes else { return Err(Error::credential("exactly one scope is supported")) };
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("api-version", "2019-08-01")
            .append_pair("resource", scope.trim_end_matches("/.default"));
        let mut request = Request::new(Method::GET, url);
        request.headers.insert("x-identity-header", self.identity_header.expose());
        let response = self.transport.execute(&request).await?;
        if !response.is_success() {
            return Err(Error::credential(format!("the token endpoint answered {}", response.status)));
        }
        let body: serde_json::Value = response.json()?;
        let token = body["access_token"].as_str().ok_or_else(|| Error::credential("no access_token"))?;
        let expires_on = body["expires_on"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
            .ok_or_else(|| Error::credential("no valid expires_on"))?;
        Ok(AccessToken::new(token.to_owned(), expires_on))
    }
}

/// Wraps a credential, logging and counting its calls (never the token).
#[derive(Debug)]
struct Logged {
    inner: Arc<dyn TokenCredential>,
    calls: AtomicUsize,
}

#[async_trait]
impl TokenCredential for Logged {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        println!("  [credential] call {n}: scopes {scopes:?}, tenant {:?}", options.tenant_id);
        let outcome = self.inner.get_token(scopes, options).await;
        match &outcome {
            Ok(token) => println!("  [credential] got a token expiring at {}", token.expires_on),
            Err(e) => println!("  [credential] failed: {e}"),
        }
        outcome
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::report(run().await)
}

async fn run() -> anyhow::Result<()> {
    let mut logged = None;
    let vault = examples::open_vault_with(|builder, emulator| {
        let inner: Arc<dyn TokenCredential> = match emulator {
            Some(emulator) => Arc::new(TokenEndpointCredential {
                endpoint: emulator.token_endpoint().parse()?,
                identity_header: Secret::new(emulator.identity_header()),
                transport: examples::emulator_transport(emulator, examples::EMULATED_VAULT)?,
            }),
            None => Arc::new(DefaultAzureCredential::new(None)?),
        };
        let credential = Arc::new(Logged { inner, calls: AtomicUsize::new(0) });
        logged = Some(credential.clone());
        Ok(builder.credential(credential))
    })
    .await?;
    let logged = logged.expect("the builder was customized");
    let client = &vault.client;
    let name = examples::unique_name("custom-credential");

    println!("Setting, getting and deleting '{name}' ...");
    client.set_secret(&name, "value", None).await?;
    client.get_secret(&name).await?;
    client.begin_delete_secret(&name).await?.await?;

    let calls = logged.calls.load(Ordering::SeqCst);
    println!("Three operations, {calls} call(s) to the credential.");
    anyhow::ensure!(calls == 1, "the client should have cached the token");
    vault.shutdown().await;
    Ok(())
}
