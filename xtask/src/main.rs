//! Project automation: `cargo xtask test`, `cargo xtask codegen`, `cargo xtask bench`.

mod bench;
mod codegen;
mod examples;
mod test;
mod tidy;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Project automation for the azkv workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Codegen check, fmt check, clippy, tests, examples, package and docs (fail-fast, each step printed).
    Test(test::TestArgs),
    /// Regenerate crates/models/src/generated from crates/models/api/secrets.toml.
    Codegen(codegen::CodegenArgs),
    /// Criterion benches, loopback throughput (azkv, raw reqwest, Microsoft's crate), the
    /// quickstart's build and start-up cost, list pages; writes docs/benchmarks.md.
    Bench(bench::BenchArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Task::Test(args) => test::run(args),
        Task::Codegen(args) => codegen::run(args),
        Task::Bench(args) => bench::run(args),
    }
}

/// The workspace root.
pub(crate) fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_parses() {
        Cli::command().debug_assert();
        let parse = |args: &[&str]| Cli::try_parse_from(std::iter::once("xtask").chain(args.iter().copied()));
        assert!(matches!(parse(&["test"]).unwrap().command, Task::Test(test::TestArgs { repeat: 1 })));
        assert!(matches!(parse(&["test", "--repeat", "3"]).unwrap().command, Task::Test(test::TestArgs { repeat: 3 })));
        assert!(parse(&["test", "--repeat", "0"]).is_err());
        assert!(matches!(
            parse(&["codegen", "--check"]).unwrap().command,
            Task::Codegen(codegen::CodegenArgs { check: true })
        ));
        assert!(matches!(
            parse(&["bench", "--quick"]).unwrap().command,
            Task::Bench(bench::BenchArgs { quick: true, .. })
        ));
        assert!(parse(&["what"]).is_err());
        assert!(parse(&[]).is_err());
    }
}
