//! `cargo xtask test`: every check CI runs, fail-fast, each step printed.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// One step: a name, what it runs, and environment variables for it.
struct Step {
    name: &'static str,
    action: Action,
    env: &'static [(&'static str, &'static str)],
}

/// The workspace's packages that are not published, left out of the steps that check what
/// crates.io and docs.rs would get.
const UNPUBLISHED: &[&str] = &["examples", "doctests", "xtask", "throughput"];

/// What a step runs: a cargo command line, or a check inside this process.
enum Action {
    Cargo(&'static [&'static str]),
    /// A cargo command line over the published crates: these arguments, then `--workspace` and
    /// `--exclude` with each of [`UNPUBLISHED`].
    CargoPublished(&'static [&'static str]),
    InProcess {
        shown_as: &'static str,
        run: fn() -> anyhow::Result<()>,
    },
}

impl Step {
    /// The cargo command line of a cargo step; empty for a step inside this process.
    fn cargo_args(&self) -> Vec<&'static str> {
        match self.action {
            Action::Cargo(args) => args.to_vec(),
            Action::CargoPublished(args) => {
                let excludes = UNPUBLISHED.iter().flat_map(|package| ["--exclude", *package]);
                args.iter().copied().chain(["--workspace"]).chain(excludes).collect()
            }
            Action::InProcess { .. } => Vec::new(),
        }
    }
}

const STEPS: &[Step] = &[
    Step {
        name: "codegen",
        action: Action::InProcess {
            shown_as: "cargo xtask codegen --check",
            run: || crate::codegen::check(&crate::codegen::output_dir()),
        },
        env: &[],
    },
    Step { name: "format", action: Action::Cargo(&["fmt", "--all", "--check"]), env: &[] },
    Step {
        name: "clippy",
        action: Action::Cargo(&["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"]),
        env: &[],
    },
    Step { name: "tests", action: Action::Cargo(&["test", "--workspace", "--all-features"]), env: &[] },
    Step {
        name: "examples",
        action: Action::InProcess {
            shown_as: "every example against its embedded emulator",
            run: crate::examples::run_all,
        },
        env: &[],
    },
    Step {
        // The publishable crates as crates.io would get them, each built from its own package
        // (internal dependencies from the packages beside it). `--allow-dirty`: the check is of
        // the contents, so it also runs on a working tree.
        name: "package",
        action: Action::CargoPublished(&["package", "--allow-dirty"]),
        env: &[],
    },
    Step {
        name: "docs",
        action: Action::CargoPublished(&["doc", "--no-deps", "--all-features"]),
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

/// `cargo xtask test` arguments.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct TestArgs {
    /// Run the tests step N times and list every test that failed, with its count.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) repeat: u32,
}

/// Runs every step, stopping at the first that fails.
pub(crate) fn run(args: TestArgs) -> anyhow::Result<()> {
    let repeat = args.repeat;
    let root = crate::project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let total = Instant::now();
    for (i, step) in STEPS.iter().enumerate() {
        let started = Instant::now();
        match &step.action {
            Action::Cargo(args) if step.name == "tests" && repeat > 1 => {
                println!("==> [{}/{}] {}: cargo {} (x{repeat})", i + 1, STEPS.len(), step.name, args.join(" "));
                repeat_tests(&cargo, &root, args, repeat)?;
            }
            Action::Cargo(_) | Action::CargoPublished(_) => {
                let args = step.cargo_args();
                println!("==> [{}/{}] {}: cargo {}", i + 1, STEPS.len(), step.name, args.join(" "));
                let status = Command::new(&cargo)
                    .args(&args)
                    .envs(step.env.iter().copied())
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

/// Runs the tests step `repeat` times, printing each run's summary and every failed test's
/// name, then one line per test that failed in any run; fails if any run failed.
fn repeat_tests(cargo: &str, root: &std::path::Path, args: &[&str], repeat: u32) -> anyhow::Result<()> {
    use std::collections::BTreeMap;
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let mut failures: BTreeMap<String, u32> = BTreeMap::new();
    let (mut failed_runs, mut passed, mut failed) = (0u32, 0u64, 0u64);
    for run in 1..=repeat {
        let started = Instant::now();
        let mut child = Command::new(cargo)
            .args(args)
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run cargo test")?;
        let stdout = child.stdout.take().context("cargo test has no stdout")?;
        let (mut run_passed, mut run_failed) = (0u64, 0u64);
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading cargo test's output")?;
            if let Some(name) = line.strip_prefix("test ").and_then(|l| l.strip_suffix(" ... FAILED")) {
                println!("    run {run}: FAILED {name}");
                *failures.entry(name.to_owned()).or_default() += 1;
            }
            if let Some(summary) = line.strip_prefix("test result: ") {
                run_passed += count_before(summary, " passed");
                run_failed += count_before(summary, " failed");
            }
        }
        let status = child.wait().context("waiting for cargo test")?;
        if !status.success() {
            failed_runs += 1;
        }
        passed += run_passed;
        failed += run_failed;
        println!(
            "    run {run}/{repeat}: {run_passed} passed, {run_failed} failed, {} in {:.1}s",
            if status.success() { "ok" } else { "FAILED" },
            started.elapsed().as_secs_f64()
        );
    }
    println!("==> {repeat} runs: {failed_runs} failed; {passed} test passes, {failed} test failures in all");
    for (name, times) in &failures {
        println!("    {name}: failed {times} of {repeat} runs");
    }
    if failed_runs > 0 {
        bail!("{failed_runs} of {repeat} test runs failed");
    }
    Ok(())
}

/// The number just before `label` in a `cargo test` summary such as `ok. 12 passed; 0 failed`.
fn count_before(summary: &str, label: &str) -> u64 {
    summary
        .split(';')
        .find_map(|part| {
            part.trim().trim_start_matches("ok. ").trim_start_matches("FAILED. ").strip_suffix(label.trim_start())
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts() {
        let line = "ok. 12 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.2s";
        assert_eq!(count_before(line, " passed"), 12);
        assert_eq!(count_before(line, " failed"), 3);
        assert_eq!(count_before("FAILED. 1 passed; 2 failed; 0 ignored", " failed"), 2);
    }

    #[test]
    fn published_steps_leave_out_the_unpublished_packages() {
        let args = |name| STEPS.iter().find(|s| s.name == name).unwrap().cargo_args().join(" ");
        let excludes = "--workspace --exclude examples --exclude doctests --exclude xtask --exclude throughput";
        assert_eq!(args("package"), format!("package --allow-dirty {excludes}"));
        assert_eq!(args("docs"), format!("doc --no-deps --all-features {excludes}"));
        assert_eq!(args("tests"), "test --workspace --all-features");
    }
}
