//! `cargo xtask bench`: runs the criterion benches and writes `docs/benchmarks.md` from their
//! results (nothing hard-coded).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// The benches: `(package, bench target)`.
const BENCHES: &[(&str, &str)] = &[("azkv-pipeline", "pipeline")];

/// Ratios reported: `(label, numerator id, denominator id)`, ids as `group/function`.
const RATIOS: &[(&str, &str, &str)] = &[(
    "full default pipeline / bare transport (get_secret, in memory)",
    "get_secret_in_memory/full_pipeline",
    "get_secret_in_memory/transport_only",
)];

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    if let Some(other) = args.iter().find(|a| *a != "--quick") {
        bail!("unknown argument `{other}` (only --quick)");
    }
    let root = crate::project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let criterion_args: &[&str] = if quick {
        &["--warm-up-time", "1", "--measurement-time", "2"]
    } else {
        &["--warm-up-time", "3", "--measurement-time", "10"]
    };
    let mut commands = Vec::new();
    for (package, bench) in BENCHES {
        let mut args = vec!["bench", "-p", package, "--bench", bench, "--", "--noplot"];
        args.extend_from_slice(criterion_args);
        println!("==> cargo {}", args.join(" "));
        let status = Command::new(&cargo).args(&args).current_dir(&root).status().context("cannot run cargo bench")?;
        if !status.success() {
            bail!("`cargo {}` failed ({status})", args.join(" "));
        }
        commands.push(format!("cargo {}", args.join(" ")));
    }
    let results = read_results(&root.join("target").join("criterion"))?;
    let report = render(&results, &commands)?;
    let path = root.join("docs").join("benchmarks.md");
    std::fs::write(&path, report).with_context(|| format!("writing {}", path.display()))?;
    println!("==> wrote {}", path.display());
    Ok(())
}

/// `(group/function, median ns)` for every benchmark criterion has results for.
fn read_results(dir: &Path) -> anyhow::Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for group in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let group = group?.path();
        if !group.is_dir() || group.file_name().is_some_and(|n| n == "report") {
            continue;
        }
        for function in std::fs::read_dir(&group)? {
            let function = function?.path();
            let estimates = function.join("new").join("estimates.json");
            let Ok(text) = std::fs::read_to_string(&estimates) else { continue };
            let json: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("parsing {}", estimates.display()))?;
            let median = json["median"]["point_estimate"]
                .as_f64()
                .with_context(|| format!("no median in {}", estimates.display()))?;
            let id = format!(
                "{}/{}",
                group.file_name().unwrap_or_default().to_string_lossy(),
                function.file_name().unwrap_or_default().to_string_lossy()
            );
            out.push((id, median));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn shell(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cpu}, {cores} cores, {}, {}", shell("uname", &["-sr"]), shell("rustc", &["--version"]))
}

fn format_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn render(results: &[(String, f64)], commands: &[String]) -> anyhow::Result<String> {
    let mut md = String::new();
    writeln!(md, "# Benchmarks\n")?;
    writeln!(
        md,
        "Written by `cargo xtask bench`; every figure below comes from the last run on the machine named here.\n"
    )?;
    writeln!(md, "- Machine: {}", machine())?;
    for c in commands {
        writeln!(md, "- Command: `{c}`")?;
    }
    writeln!(md, "\n## Medians\n\n| benchmark | median |\n|---|---|")?;
    for (id, ns) in results {
        writeln!(md, "| `{id}` | {} |", format_ns(*ns))?;
    }
    writeln!(md, "\n## Ratios\n\n| what | ratio | overhead |\n|---|---|---|")?;
    for (label, num, den) in RATIOS {
        let find = |id: &str| results.iter().find(|(i, _)| i == id).map(|(_, ns)| *ns);
        match (find(num), find(den)) {
            (Some(n), Some(d)) if d > 0.0 => {
                writeln!(md, "| {label} | {:.1}× | {} per call |", n / d, format_ns(n - d))?
            }
            _ => writeln!(md, "| {label} | not measured | |")?,
        }
    }
    Ok(md)
}
