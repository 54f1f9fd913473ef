//! `cargo xtask bench`: runs the criterion benches, the loopback throughput harnesses and the
//! getting-started measurements, and writes `docs/benchmarks.md` from their results (nothing
//! hard-coded).
//!
//! `criterion` runs and reads the criterion benches, `throughput` the client matrix (rendered by
//! `throughput_report` and drawn by `chart`), `startup` the quickstart's clean build and first
//! secret, `cli` the `azkv` CLI's start-to-result time, `lists` the emulator's list pages,
//! `report` renders the page; `process` and `stats` are their shared helpers.

mod callgrind;
mod chart;
mod cli;
mod criterion;
mod lists;
mod paired;
mod placement;
mod process;
mod report;
mod runner;
mod startup;
mod stats;
mod throughput;
mod throughput_report;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// `cargo xtask bench` arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct BenchArgs {
    /// Shorter runs (for a smoke test of the harness, not for figures).
    #[arg(long)]
    pub(crate) quick: bool,
    /// Only the list benchmark, and only its section of docs/benchmarks.md.
    #[arg(long, conflicts_with = "throughput")]
    pub(crate) lists: bool,
    /// Only the throughput matrix, its section of docs/benchmarks.md and its chart.
    #[arg(long)]
    pub(crate) throughput: bool,
    /// Throughput rounds (default 5; 1 with --quick).
    #[arg(long)]
    pub(crate) rounds: Option<usize>,
    /// Measured operations per client and throughput cell in each round (default 5000; 1000
    /// with --quick).
    #[arg(long)]
    pub(crate) ops: Option<usize>,
    /// Operations per block of a throughput cell, the clients taking turns block by block
    /// (default 250; at least 8 × the concurrency).
    #[arg(long)]
    pub(crate) block: Option<usize>,
    /// A `throughput` binary built from an earlier commit, measured as `azkv-before` in the
    /// same rounds (for before/after tables).
    #[arg(long, value_name = "THROUGHPUT_BINARY")]
    pub(crate) before: Option<PathBuf>,
}

/// Runs everything and writes `docs/benchmarks.md`.
pub(crate) fn run(args: BenchArgs) -> anyhow::Result<()> {
    let quick = args.quick;
    let root = crate::project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    if args.lists {
        return write_lists(&cargo, &root);
    }
    let plan = throughput::Plan::new(quick, args.rounds, args.ops, args.block, args.before.clone());
    let path = root.join("docs").join("benchmarks.md");
    // Read when writing, not before the runs: the page may be edited while they last.
    let current = || std::fs::read_to_string(&path).unwrap_or_default();
    if args.throughput {
        let throughput = throughput::throughput(&cargo, &root, &plan)?;
        write_chart(&root, &throughput)?;
        let text = throughput_report::splice(&current(), &throughput_report::section(&throughput)?);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("==> wrote the throughput section of {}", path.display());
        return Ok(());
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
    let throughput = throughput::throughput(&cargo, &root, &plan)?;
    write_chart(&root, &throughput)?;
    let startup = startup::startup(&cargo, &root)?;
    let cli = cli::cli_show(&cargo, &root)?;
    let loads = [("before the benchmarks", load_before), ("at the end", report::load_average())];
    let page = current();
    let throughput_notes = throughput_report::notes(&page);
    let startup_notes = throughput_report::kept(&page, report::STARTUP_NOTES.0, report::STARTUP_NOTES.1);
    let notes = report::Notes { throughput: throughput_notes.as_deref(), startup: startup_notes.as_deref() };
    let mut report = report::render(&results, &commands, &throughput, &startup, &loads, quick, notes)?;
    report.push_str(&cli::section(&cli));
    std::fs::write(&path, report).with_context(|| format!("writing {}", path.display()))?;
    println!("==> wrote {}", path.display());
    write_lists(&cargo, &root)
}

/// Draws `docs/benchmarks-throughput.svg`.
fn write_chart(root: &Path, throughput: &throughput::Throughput) -> anyhow::Result<()> {
    let path = root.join("docs").join(throughput_report::CHART);
    std::fs::write(&path, chart::render(throughput)?).with_context(|| format!("writing {}", path.display()))?;
    println!("==> wrote {}", path.display());
    Ok(())
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
