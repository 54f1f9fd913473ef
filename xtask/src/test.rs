//! `cargo xtask test`: every check CI runs, fail-fast, each step printed.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// One step: a name and what it runs.
struct Step {
    name: &'static str,
    action: Action,
}

/// What a step runs: a cargo command line, or a check inside this process.
enum Action {
    Cargo(&'static [&'static str]),
    InProcess { shown_as: &'static str, run: fn() -> anyhow::Result<()> },
}

const STEPS: &[Step] = &[
    Step {
        name: "codegen",
        action: Action::InProcess {
            shown_as: "cargo xtask codegen --check",
            run: || crate::codegen::check(&crate::codegen::output_dir()),
        },
    },
    Step { name: "format", action: Action::Cargo(&["fmt", "--all", "--check"]) },
    Step {
        name: "clippy",
        action: Action::Cargo(&["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"]),
    },
    Step { name: "tests", action: Action::Cargo(&["test", "--workspace", "--all-features"]) },
    Step {
        name: "examples",
        action: Action::InProcess {
            shown_as: "every example against its embedded emulator",
            run: crate::examples::run_all,
        },
    },
];

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(extra) = args.first() {
        bail!("`cargo xtask test` takes no arguments, got `{extra}`");
    }
    let root = crate::project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let total = Instant::now();
    for (i, step) in STEPS.iter().enumerate() {
        let started = Instant::now();
        match &step.action {
            Action::Cargo(args) => {
                println!("==> [{}/{}] {}: cargo {}", i + 1, STEPS.len(), step.name, args.join(" "));
                let status = Command::new(&cargo)
                    .args(*args)
                    .current_dir(&root)
                    .status()
                    .with_context(|| format!("cannot run cargo for step `{}`", step.name))?;
                if !status.success() {
                    bail!("step `{}` failed ({status})", step.name);
                }
            }
            Action::InProcess { shown_as, run } => {
                println!("==> [{}/{}] {}: {shown_as}", i + 1, STEPS.len(), step.name);
                run().with_context(|| format!("step `{}` failed", step.name))?;
            }
        }
        println!("==> {} passed in {:.1}s", step.name, started.elapsed().as_secs_f64());
    }
    println!("==> all {} steps passed in {:.1}s", STEPS.len(), total.elapsed().as_secs_f64());
    Ok(())
}
