//! Usage text.

pub(crate) const HELP: &str = "\
usage: cargo xtask <command>

commands:
  test       codegen check, fmt check, clippy, tests (fail-fast, each step printed)
  codegen    regenerate crates/models/src/generated from crates/models/api/secrets.toml
             --check: change nothing, fail if the committed files are stale
  help       this text";
