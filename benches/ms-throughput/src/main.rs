//! `ms-throughput`: Microsoft's `azure_security_keyvault_secrets` measured by the same driver as
//! `throughput` (its source is included by path), against the same target, with the same token.
//!
//! `cargo xtask bench` runs it with `BENCH_VAULT_URL`, `BENCH_ADDR`, `BENCH_CA`, `BENCH_TOKEN`,
//! `BENCH_OPS`, `BENCH_WARMUP` and `BENCH_CONCURRENCY` set; it prints one JSON line per cell.
//! `ms-throughput blocks` runs in blocks told on stdin instead (`driver::serve_blocks`).
//! Its transport is a reqwest client configured like azkv's (rustls with ring, HTTP/1.1 and
//! HTTP/2, the target's CA trusted, the vault host resolved to the target's address), and
//! challenge resource verification stays on.

#[path = "../../throughput/src/driver.rs"]
mod driver;

use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, Transport};
use azure_security_keyvault_secrets::models::SetSecretParameters;
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use driver::{GET_NAME, Operation, SET_NAME, Settings, Target, VALUE};

/// Always the token it was given.
#[derive(Debug)]
struct FixedToken(String);

#[async_trait::async_trait]
impl TokenCredential for FixedToken {
    async fn get_token(&self, _: &[&str], _: Option<TokenRequestOptions<'_>>) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            self.0.clone(),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

fn client(target: &Target) -> Result<SecretClient, String> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let roots = reqwest::Certificate::from_pem_bundle(&target.ca_pem).map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .tls_certs_merge(roots)
        .no_proxy()
        .resolve(&target.host, target.addr)
        .build()
        .map_err(|e| e.to_string())?;
    let options = SecretClientOptions {
        client_options: ClientOptions { transport: Some(Transport::new(Arc::new(http))), ..Default::default() },
        ..Default::default()
    };
    SecretClient::new(&target.vault_url, Arc::new(FixedToken(target.token.clone())), Some(options))
        .map_err(|e| e.to_string())
}

/// The client's operation `op` (`get` or `set`).
fn operation(client: &Arc<SecretClient>, op: &str) -> Result<Operation, String> {
    let c = client.clone();
    match op {
        "get" => Ok(driver::operation(move |_| {
            let c = c.clone();
            async move {
                let response = c.get_secret(GET_NAME, None).await.map_err(|e| e.to_string())?;
                response.into_model().map(drop).map_err(|e| e.to_string())
            }
        })),
        "set" => Ok(driver::operation(move |_| {
            let c = c.clone();
            async move {
                let parameters = SetSecretParameters { value: Some(VALUE.into()), ..Default::default() };
                let parameters = parameters.try_into().map_err(|e: azure_core::Error| e.to_string())?;
                let response = c.set_secret(SET_NAME, parameters, None).await.map_err(|e| e.to_string())?;
                response.into_model().map(drop).map_err(|e| e.to_string())
            }
        })),
        other => Err(format!("unknown operation `{other}`")),
    }
}

async fn run() -> Result<(), String> {
    let settings = Settings::from_env()?;
    let target = Target::from_env()?;
    let client = Arc::new(client(&target)?);
    for op in settings.operations() {
        driver::measure("microsoft", &target.label, op, &settings, operation(&client, op)?).await?;
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => runtime.block_on(run()),
        ["blocks"] => Target::from_env().and_then(|target| {
            let client = Arc::new(runtime.block_on(async { client(&target) })?);
            driver::serve_blocks(&runtime, "microsoft", &target.label, &|op| operation(&client, op))
        }),
        _ => Err(format!("usage: ms-throughput [blocks], not {args:?}")),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ms-throughput: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
