//! Logging with `tracing`: every HTTP attempt at `debug`, headers and (when enabled) bodies at
//! `trace`, with secret values, tokens and non-allow-listed headers and query values redacted.
//!
//! The example captures the log in memory, checks that the secret's value and the bearer
//! token never appear in it, then prints it.
//!
//! ```sh
//! cargo run -p examples --example logging --features logging
//! ```
//!
//! In an application, install a subscriber once, for example
//! `tracing_subscriber::fmt().with_env_filter("azkv_pipeline=debug").init()`, and turn bodies on
//! with `LoggingOptions::with_log_bodies(true)` (whole client) or
//! `client.with_context(Context::new().with_log_body(true))` (some calls).

use std::io::Write;
use std::sync::{Arc, Mutex};

use azkv_pipeline::policies::LoggingOptions;
use futures::TryStreamExt;
use tracing_subscriber::EnvFilter;

/// A `tracing` writer appending to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::report(run().await)
}

async fn run() -> anyhow::Result<()> {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("azkv_pipeline=trace,azkv_secrets=trace,azkv_identity=trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .init();

    let vault =
        examples::open_vault_with(|builder, _| Ok(builder.logging(LoggingOptions::default().with_log_bodies(true))))
            .await?;
    let client = &vault.client;
    let name = examples::unique_name("logging");
    let value = format!("canary-{}", examples::unique_name("value"));

    println!("Setting, getting, listing and deleting '{name}' with body logging on ...");
    client.set_secret(&name, &value, None).await?;
    anyhow::ensure!(client.get_secret(&name).await?.value() == value);
    let _: Vec<_> = client.list_properties_of_secret_versions(&name, None).try_collect().await?;
    client.begin_delete_secret(&name).await?.await?;
    vault.shutdown().await;

    let log = String::from_utf8(capture.0.lock().unwrap_or_else(|p| p.into_inner()).clone())?;
    anyhow::ensure!(log.contains("HTTP attempt"), "nothing was logged");
    anyhow::ensure!(log.contains("response body"), "bodies were not logged");
    anyhow::ensure!(!log.contains(&value), "the secret value leaked into the log");
    anyhow::ensure!(!log.contains("Bearer ey") && !log.contains("\"eyJ"), "a token leaked into the log");
    println!("The captured log ({} lines) holds neither the value nor a token:\n", log.lines().count());
    print!("{log}");
    Ok(())
}
