//! Renders `docs/benchmarks.md` from the measured figures, with the machine and its load.

use std::fmt::Write as _;
use std::process::Command;

use super::criterion::RATIOS;
use super::startup::Startup;
use super::stats::median;
use super::throughput::{CONCURRENCY, CellStats, Throughput};

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

pub(super) fn render(
    results: &[(String, f64)],
    commands: &[String],
    throughput: &Throughput,
    startup: &Startup,
    loads: &[(&str, String)],
    quick: bool,
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
    for c in commands.iter().chain(&throughput.commands) {
        if c.starts_with("throughput, per round") {
            writeln!(md, "- Runs: {c}")?;
        } else {
            writeln!(md, "- Command: `{c}`")?;
        }
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

    let cells = &throughput.cells;
    let get = |client: &str, target: &str, op: &str, c: usize| {
        cells.get(&(client.to_owned(), target.to_owned(), op.to_owned(), c)).copied()
    };
    let ratio = |a: Option<CellStats>, b: Option<CellStats>| match (a, b) {
        (Some(a), Some(b)) if b.ops_per_sec > 0.0 => format!("{:.2}", a.ops_per_sec / b.ops_per_sec),
        _ => "not measured".into(),
    };
    writeln!(md, "\n## 2. Client throughput against the emulator (loopback, HTTPS, keep-alive)\n")?;
    writeln!(
        md,
        "Each cell: {} operations after {} warm-up operations at that concurrency; the figure is the median of {} round(s), \
         the clients taking turns in each round. All clients send the same token to the same `azkv-emulator` \
         process (strict tokens) at `https://benchvault.vault.azure.net:PORT` (resolved to 127.0.0.1, its CA trusted, \
         challenge resource verification on), on a reqwest client with the same settings (rustls with ring, HTTP/2 by ALPN). \
         `raw` is reqwest alone sending the same requests as azkv: method, URL, body, token and the same headers \
         (User-Agent, Accept, a fresh `x-ms-client-request-id` per operation), the response read but not decoded; \
         `raw-minimal` is `raw` without the SDK headers (only `Authorization` and `Content-Type`), to show their cost. \
         Client CPU per op is the client process's CPU time (all threads, user and system, from `/proc/self/stat`, 10 ms ticks) \
         over the cell; the emulator runs on the same two cores.\n",
        throughput.ops, throughput.warmup, throughput.rounds
    )?;
    writeln!(
        md,
        "| op | concurrency | client | ops/s | p50 | p99 | client CPU per op |\n|---|---|---|---|---|---|---|"
    )?;
    for op in ["get", "set"] {
        for &c in CONCURRENCY {
            for client in ["azkv", "raw", "raw-minimal", "microsoft"] {
                if let Some(s) = get(client, "emulator", op, c) {
                    writeln!(
                        md,
                        "| {op} | {c} | {client} | {:.0} | {:.0} µs | {:.0} µs | {:.0} µs |",
                        s.ops_per_sec, s.p50_us, s.p99_us, s.cpu_us_per_op
                    )?;
                }
            }
        }
    }
    writeln!(
        md,
        "\n| op | concurrency | azkv / raw (target ≥ 0.95) | azkv / Microsoft (target ≥ 1.0) | raw-minimal / raw | p50 azkv − raw | p50 raw-minimal − raw |\n|---|---|---|---|---|---|---|"
    )?;
    for op in ["get", "set"] {
        for &c in CONCURRENCY {
            let azkv = get("azkv", "emulator", op, c);
            let raw = get("raw", "emulator", op, c);
            let minimal = get("raw-minimal", "emulator", op, c);
            let p50_gap = |a: Option<CellStats>| match (a, raw) {
                (Some(a), Some(r)) => format!("{:+.0} µs", a.p50_us - r.p50_us),
                _ => "not measured".into(),
            };
            writeln!(
                md,
                "| {op} | {c} | {} | {} | {} | {} | {} |",
                ratio(azkv, raw),
                ratio(azkv, get("microsoft", "emulator", op, c)),
                ratio(minimal, raw),
                p50_gap(azkv),
                p50_gap(minimal)
            )?;
        }
    }

    writeln!(md, "\n## 3. Emulator throughput against a bare hyper server (the ceiling)\n")?;
    writeln!(
        md,
        "The same raw reqwest load against `azkv-emulator` and against `throughput serve-bare` (hyper 1 and tokio-rustls, \
         a per-run rcgen CA and leaf like the emulator's, ALPN h2 and http/1.1, one fixed `SecretBundle` for every request, \
         no routing, no token check, no store).\n"
    )?;
    writeln!(
        md,
        "| op | concurrency | emulator req/s | bare hyper req/s | emulator / bare (target ≥ 0.5) |\n|---|---|---|---|---|"
    )?;
    for op in ["get", "set"] {
        for &c in CONCURRENCY {
            let (e, b) = (get("raw", "emulator", op, c), get("raw", "bare", op, c));
            let show = |s: Option<CellStats>| s.map_or("not measured".into(), |s| format!("{:.0}", s.ops_per_sec));
            writeln!(md, "| {op} | {c} | {} | {} | {} |", show(e), show(b), ratio(e, b))?;
        }
    }

    writeln!(md, "\n## Targets\n")?;
    // (what, goal, numerator (client, target), denominator (client, target))
    type Series<'a> = (&'a str, &'a str);
    let targets: [(&str, f64, Series<'_>, Series<'_>); 3] = [
        ("azkv ≥ 0.95 × raw reqwest", 0.95, ("azkv", "emulator"), ("raw", "emulator")),
        ("azkv ≥ 1.0 × Microsoft's crate", 1.0, ("azkv", "emulator"), ("microsoft", "emulator")),
        ("emulator ≥ 0.5 × bare hyper", 0.5, ("raw", "emulator"), ("raw", "bare")),
    ];
    for (label, goal, (nc, nt), (dc, dt)) in targets {
        let mut met = 0;
        let mut missed = Vec::new();
        for op in ["get", "set"] {
            for &c in CONCURRENCY {
                if let (Some(n), Some(d)) = (get(nc, nt, op, c), get(dc, dt, op, c)) {
                    let r = n.ops_per_sec / d.ops_per_sec;
                    if r >= goal {
                        met += 1;
                    } else {
                        missed.push(format!("{op} at {c}: {r:.2}"));
                    }
                }
            }
        }
        let total = met + missed.len();
        let missed = if missed.is_empty() { String::new() } else { format!("; missed: {}", missed.join(", ")) };
        writeln!(md, "- {label}: met in {met} of {total} cells{missed}")?;
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
