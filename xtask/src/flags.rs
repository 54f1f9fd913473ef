//! Usage text.

pub(crate) const HELP: &str = "\
usage: cargo xtask <command>

commands:
  test       codegen check, fmt check, clippy, tests, examples (fail-fast, each step printed)
  codegen    regenerate crates/models/src/generated from crates/models/api/secrets.toml
             --check: change nothing, fail if the committed files are stale
  bench      run the criterion benches and write docs/benchmarks.md (--quick: shorter runs)
  help       this text";
