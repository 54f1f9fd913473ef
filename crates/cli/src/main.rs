//! `azkv`: Azure Key Vault secrets from the shell, `azkv run`, and the local emulator in one binary.
//!
//! Errors are one line on stderr (`azkv: what: why`) and exit 1; clap's own usage errors exit 2;
//! `azkv run` exits as its command does. See docs/cli.md.

// Doc comments on the argument types are clap's help text, written for a terminal, not rustdoc.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::bare_urls)]

mod args;
mod auth;
mod commands;
mod encoding;
mod error;
mod output;
mod parse;
mod progress;
mod references;
mod tls;
mod vault;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command};
use error::CliError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // The emulator installs its own runtime and log subscriber.
        Command::Emulator(args) => return azkv_emulator::cli::main(args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "azkv", &mut script);
            commands::print_bytes(&script).map(|()| ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| CliError::io("man page", e))
                .and_then(|()| commands::print_bytes(&page))
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            init_logs();
            commands::run::main(args)
        }
        Command::Secret(command) => {
            init_logs();
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| CliError::io("cannot start the runtime", e))
                .and_then(|rt| rt.block_on(commands::secret(command)))
                .map(|()| ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("azkv: {e}");
        ExitCode::from(e.exit_code())
    })
}

/// Logs (redacted by the pipeline) on stderr when `RUST_LOG` asks for them; none otherwise.
fn init_logs() {
    if std::env::var_os("RUST_LOG").is_some_and(|v| !v.is_empty()) {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
    }
}
