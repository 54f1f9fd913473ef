//! Usage text.

pub(crate) const HELP: &str = "\
usage: cargo xtask <command>

commands:
  test       fmt check, clippy, tests (fail-fast, each step printed)
  help       this text";
