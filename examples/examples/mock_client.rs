//! Unit-testing application code with `MockSecretClientApi` (feature `mock` of azkv-secrets):
//! write the code against `&dyn SecretClientApi`, give it a mock in tests and the real
//! `SecretClient` in production.
//!
//! Running it checks the application code against the mock, then against the embedded
//! emulator (or the vault named by `KEY_VAULT_NAME`); the same checks run as unit tests.
//!
//! ```sh
//! cargo run -p examples --example mock_client --features mock
//! cargo test -p examples --example mock_client
//! ```

use azkv_pipeline::{Response, StatusCode};
use azkv_secrets::{Error, KeyVaultSecret, MockSecretClientApi, SecretClientApi, SecretProperties};

/// The application code: a database URL from a required password and an optional port.
async fn database_url(kv: &dyn SecretClientApi) -> azkv_secrets::Result<String> {
    let password = kv.get_secret("db-password").await?;
    let port = match kv.get_secret("db-port").await {
        Ok(port) => port.value().to_owned(),
        Err(Error::NotFound(_)) => "5432".to_owned(),
        Err(e) => return Err(e),
    };
    Ok(format!("postgres://app:{}@db:{port}/app", password.value()))
}

/// The error the service sends for a missing secret, as the client reports it.
fn not_found(name: &str) -> Error {
    let body = serde_json::json!({"error": {"code": "SecretNotFound", "message": format!("{name} not found")}});
    Error::from(Response::json_body(StatusCode::NOT_FOUND, &body).into_error())
}

/// A mock vault holding only `db-password`.
fn mock_vault() -> MockSecretClientApi {
    let mut kv = MockSecretClientApi::new();
    kv.expect_get_secret()
        .withf(|name| name == "db-password")
        .times(1)
        .returning(|name| Ok(KeyVaultSecret::new(name, "hunter2", SecretProperties::with_name(name))));
    kv.expect_get_secret().withf(|name| name == "db-port").times(1).returning(|name| Err(not_found(name)));
    kv
}

/// The check `main` and the unit test share: the port falls back to the default.
async fn check_default_port() -> anyhow::Result<()> {
    let url = database_url(&mock_vault()).await?;
    anyhow::ensure!(url == "postgres://app:hunter2@db:5432/app", "unexpected URL {url}");
    Ok(())
}

/// The other shared check: any error but "not found" is passed on.
async fn check_errors_pass_through() -> anyhow::Result<()> {
    let mut kv = MockSecretClientApi::new();
    kv.expect_get_secret().returning(|_| Err(Error::InvalidArgument("no vault today".into())));
    match database_url(&kv).await {
        Err(Error::InvalidArgument(_)) => Ok(()),
        other => anyhow::bail!("expected the error to pass through, got {other:?}"),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::report(run().await)
}

async fn run() -> anyhow::Result<()> {
    check_default_port().await?;
    println!("mock: a missing db-port falls back to 5432");
    check_errors_pass_through().await?;
    println!("mock: other errors pass through");

    // The same function, given the real client.
    let vault = examples::open_vault().await?;
    if vault.is_emulated() {
        vault.client.set_secret("db-password", "from-the-vault", None).await?;
        let url = database_url(&vault.client).await?;
        println!("vault: {url}");
        anyhow::ensure!(url.ends_with(":5432/app"));
    }
    vault.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_port_falls_back_to_the_default() {
        check_default_port().await.unwrap();
    }

    #[tokio::test]
    async fn other_errors_pass_through() {
        check_errors_pass_through().await.unwrap();
    }
}
