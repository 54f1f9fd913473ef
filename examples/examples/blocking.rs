//! The blocking client (feature `blocking` of azkv-secrets), from a plain `fn main()` with no
//! async runtime of its own.
//!
//! Without `KEY_VAULT_NAME` or `VAULT_URL`, the embedded emulator is started on a dedicated
//! thread with its own tokio runtime, and stopped at the end.
//!
//! ```sh
//! cargo run -p examples --example blocking --features blocking
//! KEY_VAULT_NAME=myvault cargo run -p examples --example blocking --features blocking
//! ```

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use anyhow::Context as _;
use azkv_secrets::blocking::SecretClient;

/// An emulator running on its own thread until `stop` is sent or dropped.
struct EmulatorThread {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<anyhow::Result<()>>,
}

impl EmulatorThread {
    /// Starts the emulator and an async client for it on a new thread; returns the client.
    fn start() -> anyhow::Result<(azkv_secrets::SecretClient, Self)> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (client, emulator) = match runtime.block_on(examples::emulated_vault(examples::EMULATED_VAULT)) {
                Ok(started) => started,
                Err(e) => {
                    let _ = ready_tx.send(Err(e)); // reported by `start`
                    return Ok(());
                }
            };
            println!("Emulator running at {} on its own thread.", emulator.url());
            let _ = ready_tx.send(Ok(client));
            let _ = stop_rx.recv(); // until told to stop, or the sender is dropped
            runtime.block_on(emulator.shutdown());
            Ok(())
        });
        let client = ready_rx.recv().context("the emulator thread ended early")??;
        Ok((client, Self { stop, thread }))
    }

    fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.thread.join().map_err(|_| anyhow::anyhow!("the emulator thread panicked"))?
    }
}

fn main() -> std::process::ExitCode {
    examples::report(run())
}

fn run() -> anyhow::Result<()> {
    let (client, emulator) = match examples::vault_from_env() {
        Some((url, _)) => {
            let credential = azkv_identity::DefaultAzureCredential::new(None)?;
            (SecretClient::new(&url, Arc::new(credential), None)?, None)
        }
        None => {
            let (client, emulator) = EmulatorThread::start()?;
            (SecretClient::from_async(client)?, Some(emulator))
        }
    };
    let name = examples::unique_name("blocking");

    println!("Setting '{name}' ...");
    client.set_secret(&name, "no runtime needed", None)?;
    println!("Getting it: '{}'", client.get_secret(&name)?.value());

    let versions = client.list_properties_of_secret_versions(&name, None).collect::<Result<Vec<_>, _>>()?;
    println!("It has {} version(s).", versions.len());

    println!("Deleting it ...");
    let deleted = client.begin_delete_secret(&name)?.wait()?;
    println!("  deleted on {:?}", deleted.deleted_on);

    drop(client);
    if let Some(emulator) = emulator {
        emulator.stop()?;
    }
    Ok(())
}
