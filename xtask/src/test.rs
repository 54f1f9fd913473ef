//! `cargo xtask test`: every check CI runs, fail-fast, each step printed.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// One step: a name and a cargo command line.
struct Step {
    name: &'static str,
    args: &'static [&'static str],
}

const STEPS: &[Step] = &[
    Step { name: "format", args: &["fmt", "--all", "--check"] },
    Step {
        name: "clippy",
        args: &["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"],
    },
    Step { name: "tests", args: &["test", "--workspace", "--all-features"] },
];

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(extra) = args.first() {
        bail!("`cargo xtask test` takes no arguments, got `{extra}`");
    }
    let root = crate::project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let total = Instant::now();
    for (i, step) in STEPS.iter().enumerate() {
        println!("==> [{}/{}] {}: cargo {}", i + 1, STEPS.len(), step.name, step.args.join(" "));
        let started = Instant::now();
        let status = Command::new(&cargo)
            .args(step.args)
            .current_dir(&root)
            .status()
            .with_context(|| format!("cannot run cargo for step `{}`", step.name))?;
        if !status.success() {
            bail!("step `{}` failed ({status})", step.name);
        }
        println!("==> {} passed in {:.1}s", step.name, started.elapsed().as_secs_f64());
    }
    println!("==> all {} steps passed in {:.1}s", STEPS.len(), total.elapsed().as_secs_f64());
    Ok(())
}
