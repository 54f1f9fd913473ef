//! Renders `docs/benchmarks.md` from the measured figures, with the machine and its load.

use std::fmt::Write as _;
use std::process::Command;

use super::criterion::RATIOS;
use super::startup::Startup;
use super::stats::median;
use super::throughput::Throughput;

/// `/proc/loadavg`'s first three fields.
pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
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

/// Start and end of the hand-written notes under section 4, kept as they are by every run.
pub(super) const STARTUP_NOTES: (&str, &str) =
    ("<!-- startup-notes: written by hand, kept by `cargo xtask bench` -->", "<!-- /startup-notes -->");

/// Hand-written blocks of the current page that a full run keeps: after the throughput
/// section, and after the start-up figures.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Notes<'a> {
    pub(super) throughput: Option<&'a str>,
    pub(super) startup: Option<&'a str>,
}

pub(super) fn render(
    results: &[(String, f64)],
    commands: &[String],
    throughput: &Throughput,
    startup: &Startup,
    loads: &[(&str, String)],
    quick: bool,
    notes: Notes<'_>,
) -> anyhow::Result<String> {
    let mut md = String::new();
    writeln!(md, "# Benchmarks\n")?;
    writeln!(
        md,
        "Written by `cargo xtask bench{}`; every figure below comes from the last run on the machine named here.\n",
        if quick { " --quick" } else { "" }
    )?;
    writeln!(md, "- Machine: {}", machine())?;
    let loads = loads.iter().map(|(when, l)| format!("{l} {when}")).collect::<Vec<_>>().join("; ");
    writeln!(md, "- Load average (1, 5, 15 min): {loads}")?;
    for c in commands {
        writeln!(md, "- Command: `{c}`")?;
    }
    writeln!(md, "- Command: `{}`", startup.command)?;

    writeln!(md, "\n## 1. Pipeline and model overhead (criterion, in memory)\n")?;
    writeln!(md, "| benchmark | median |\n|---|---|")?;
    for (id, ns) in results {
        writeln!(md, "| `{id}` | {} |", format_ns(*ns))?;
    }
    writeln!(md, "\n| what | ratio | overhead |\n|---|---|---|")?;
    for (label, num, den) in RATIOS {
        let find = |id: &str| results.iter().find(|(i, _)| i == id).map(|(_, ns)| *ns);
        match (find(num), find(den)) {
            (Some(n), Some(d)) if d > 0.0 => {
                writeln!(md, "| {label} | {:.1}× | {} per call |", n / d, format_ns(n - d))?
            }
            _ => writeln!(md, "| {label} | not measured | |")?,
        }
    }

    writeln!(md)?;
    md.push_str(&super::throughput_report::section(throughput)?);
    if let Some(notes) = notes.throughput {
        writeln!(md, "\n{notes}")?;
    }

    writeln!(md, "\n## 4. Cost of getting started\n")?;
    writeln!(md, "| what | figure |\n|---|---|")?;
    writeln!(
        md,
        "| clean release build of the quickstart (fresh target directory, registry already downloaded) | {:.1} s |",
        startup.build_secs
    )?;
    writeln!(md, "| crates compiled (`Compiling` lines) | {} |", startup.crates_compiled)?;
    let runs = startup.first_secret_ms.iter().map(|ms| format!("{ms:.0}")).collect::<Vec<_>>().join(", ");
    writeln!(
        md,
        "| process start to `Your secret is` (`quickstart --name … --value hello`: in-process emulator, set then get), median of {} | {:.0} ms (runs: {runs} ms) |",
        startup.first_secret_ms.len(),
        median(&mut startup.first_secret_ms.clone())
    )?;
    if let Some(w) = &startup.rustc_wrapper {
        writeln!(md, "\nThe build ran with `RUSTC_WRAPPER={w}`, which may have served cached artifacts.")?;
    }
    if let Some(notes) = notes.startup {
        writeln!(md, "\n{notes}")?;
    }
    cache_section(&mut md, results)?;
    Ok(md)
}

/// `azkv-cache`'s figures: hot `get` on one and on all cores, and the cold burst's request
/// count, which the bench writes beside criterion's results.
fn cache_section(md: &mut String, results: &[(String, f64)]) -> anyhow::Result<()> {
    let find = |id: &str| results.iter().find(|(i, _)| i == id).map(|(_, ns)| *ns);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    writeln!(md, "\n## 5. Secret cache (`azkv-cache`, criterion, in memory)\n")?;
    writeln!(md, "| what | figure | target |\n|---|---|---|")?;
    let hot = find("secret_cache/hot_get");
    let all = find("secret_cache/hot_get_all_cores");
    let show = |ns: Option<f64>| ns.map_or("not measured".into(), format_ns);
    let rate = |ns: Option<f64>| ns.filter(|n| *n > 0.0).map_or("not measured".into(), |n| format!("{:.0}", 1e9 / n));
    writeln!(md, "| hot `get`, median | {} | < 1 µs |", show(hot))?;
    writeln!(md, "| hot `get`s per second, one core | {} | |", rate(hot))?;
    writeln!(
        md,
        "| hot `get`s per second, {cores} cores (one reader thread per core) | {} | ≥ 1,000,000 |",
        rate(all)
    )?;
    let burst = std::fs::read_to_string(crate::project_root().join("target/criterion/secret_cache_cold_burst.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let burst = burst.map_or("not measured".into(), |b| {
        format!("{} concurrent readers → {} request(s) per burst", b["readers"], b["requests_per_burst"])
    });
    writeln!(
        md,
        "| cold burst of one name (median {}) | {burst} | 1 request |",
        show(find("secret_cache/cold_burst_64"))
    )?;
    Ok(())
}
