//! `cargo xtask bench`: runs the criterion benches, the loopback throughput harnesses and the
//! getting-started measurements, and writes `docs/benchmarks.md` from their results (nothing
//! hard-coded).
//!
//! `criterion` runs and reads the criterion benches, `throughput` the client matrix, `startup`
//! the quickstart's clean build and first secret, `cli` the `azkv` CLI's start-to-result time,
//! `lists` the emulator's list pages, `report` renders the page; `process` and `stats` are their
//! shared helpers.

mod cli;
mod criterion;
mod lists;
mod process;
mod report;
mod startup;
mod stats;
mod throughput;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// `cargo xtask bench` arguments.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub(crate) struct BenchArgs {
    /// Shorter runs (for a smoke test of the harness, not for figures).
    #[arg(long)]
    pub(crate) quick: bool,
    /// Only the list benchmark, and only its section of docs/benchmarks.md.
    #[arg(long)]
    pub(crate) lists: bool,
}

/// Runs everything and writes `docs/benchmarks.md`.
pub(crate) fn run(args: BenchArgs) -> anyhow::Result<()> {
    let quick = args.quick;
    let root = crate::project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    if args.lists {
        return write_lists(&cargo, &root);
    }
    let criterion_args: &[&str] = if quick {
        &["--warm-up-time", "1", "--measurement-time", "2"]
    } else {
        &["--warm-up-time", "3", "--measurement-time", "10"]
    };
    let mut commands = Vec::new();
    for (package, bench) in criterion::BENCHES {
        let mut args = vec!["bench", "-p", package, "--bench", bench, "--", "--noplot"];
        args.extend_from_slice(criterion_args);
        println!("==> cargo {}", args.join(" "));
        let status = Command::new(&cargo).args(&args).current_dir(&root).status().context("cannot run cargo bench")?;
        if !status.success() {
            bail!("`cargo {}` failed ({status})", args.join(" "));
        }
        commands.push(format!("cargo {}", args.join(" ")));
    }
    let load_before = report::load_average();
    let results = criterion::read_results(&root.join("target").join("criterion"))?;
    let throughput = throughput::throughput(&cargo, &root, quick)?;
    let load_mid = report::load_average();
    let startup = startup::startup(&cargo, &root)?;
    let cli = cli::cli_show(&cargo, &root)?;
    let loads =
        [("before the throughput runs", load_before), ("after them", load_mid), ("at the end", report::load_average())];
    let mut report = report::render(&results, &commands, &throughput, &startup, &loads, quick)?;
    report.push_str(&cli::section(&cli));
    let path = root.join("docs").join("benchmarks.md");
    std::fs::write(&path, report).with_context(|| format!("writing {}", path.display()))?;
    println!("==> wrote {}", path.display());
    write_lists(&cargo, &root)
}

/// Runs the list benchmark and writes its section of `docs/benchmarks.md` (alone with `--lists`).
fn write_lists(cargo: &str, root: &Path) -> anyhow::Result<()> {
    let runs = lists::lists(cargo, root)?;
    let path = root.join("docs").join("benchmarks.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, lists::with_lists(&text, &lists::render_lists(&runs)))
        .with_context(|| format!("writing {}", path.display()))?;
    println!("==> wrote the list section of {}", path.display());
    Ok(())
}
