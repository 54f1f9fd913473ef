//! The `azkv-emulator` binary: starts the emulator, prints one JSON `ready` line on stdout, logs on stderr.
//!
//! Its flags and behaviour live in `azkv_emulator::cli`, which the `azkv` CLI's `emulator` subcommand shares.

use clap::Parser;

fn main() -> std::process::ExitCode {
    azkv_emulator::cli::main(azkv_emulator::cli::Args::parse())
}
