//! Usage text.

pub(crate) const HELP: &str = "\
usage: cargo xtask <command>

commands:
  test       codegen check, fmt check, clippy, tests, examples (fail-fast, each step printed)
             --repeat N: run the tests step N times and list every test that failed
  codegen    regenerate crates/models/src/generated from crates/models/api/secrets.toml
             --check: change nothing, fail if the committed files are stale
  bench      criterion benches, loopback throughput (azkv, raw reqwest, Microsoft's crate,
             emulator against bare hyper), quickstart build and start-up cost; writes
             docs/benchmarks.md (--quick: shorter runs)
  help       this text";
