//! The throughput part of `docs/benchmarks.md`: the client matrix against both servers, its
//! ratios, instruction counts and targets, between markers so that `cargo xtask bench
//! --throughput` can rewrite it alone.

use std::fmt::Write as _;

use super::throughput::{BOTH, CONCURRENCY, CellKey, CellStats, OPS, TARGETS, Throughput};

/// Start of the generated throughput section.
pub(super) const START: &str = "<!-- throughput: written by `cargo xtask bench` (alone: `--throughput`) -->";
/// Its end.
pub(super) const END: &str = "<!-- /throughput -->";
/// Start of the hand-written notes on the throughput work, kept as they are by every run.
pub(super) const NOTES_START: &str = "<!-- throughput-notes: written by hand, kept by `cargo xtask bench` -->";
/// Their end.
pub(super) const NOTES_END: &str = "<!-- /throughput-notes -->";

/// The chart's file, beside the page.
pub(super) const CHART: &str = "benchmarks-throughput.svg";

/// Clients in table order.
const CLIENTS: &[&str] = &["azkv-before", "azkv", "raw", "raw-minimal", "microsoft"];

/// azkv's layers, counted by callgrind only: `azkv-transport` (raw reqwest's request through
/// azkv's default transport) and `azkv-pipeline` (the client's request through the whole pipeline,
/// nothing decoded).
const LAYERS: &[&str] = &["azkv-transport", "azkv-pipeline"];

fn target_title(target: &str) -> &'static str {
    if target == "bare" {
        "the bare fixed-response server (`throughput serve-bare`)"
    } else {
        "the emulator (`azkv-emulator`, strict tokens)"
    }
}

/// `text` with its generated throughput section (markers included) replaced by `section`;
/// without markers, sections 2 and 3 and the targets (up to `## 4.`) are replaced, and failing
/// that the section goes at the end.
pub(super) fn splice(text: &str, section: &str) -> String {
    if let (Some(a), Some(b)) = (text.find(START), text.find(END))
        && b > a
    {
        return format!("{}{section}{}", &text[..a], &text[b + END.len()..]);
    }
    if let (Some(a), Some(b)) = (text.find("\n## 2. "), text.find("\n## 4. "))
        && b > a
    {
        return format!("{}\n{section}\n{}", &text[..a], &text[b..]);
    }
    format!("{}\n\n{section}\n", text.trim_end())
}

/// The hand-written notes block of `text`, markers included, if it has one.
pub(super) fn notes(text: &str) -> Option<String> {
    kept(text, NOTES_START, NOTES_END)
}

/// The block of `text` from `start` to `end`, markers included, if it has one.
pub(super) fn kept(text: &str, start: &str, end: &str) -> Option<String> {
    let a = text.find(start)?;
    let b = a + text[a..].find(end)?;
    Some(text[a..b + end.len()].to_owned())
}

/// The key of a cell.
fn key(client: &str, target: &str, op: &str, c: usize) -> CellKey {
    (client.to_owned(), target.to_owned(), op.to_owned(), c)
}

/// The generated section, markers included.
pub(super) fn section(t: &Throughput) -> anyhow::Result<String> {
    let mut md = String::new();
    writeln!(md, "{START}")?;
    writeln!(md, "## 2. Client throughput (loopback, HTTPS, keep-alive)\n")?;
    let loads = t.loads.iter().map(|(when, l)| format!("{l} {when}")).collect::<Vec<_>>().join("; ");
    writeln!(md, "- Load average (1, 5, 15 min): {loads}")?;
    for c in &t.commands {
        if c.starts_with("throughput, per round") {
            writeln!(md, "- Runs: {c}")?;
        } else {
            writeln!(md, "- Command: `{c}`")?;
        }
    }
    match &t.perf_missing {
        None => {
            writeln!(md, "- Instructions per operation: `perf stat -x , -e instructions:u` around each cell's process")?
        }
        Some(why) => {
            writeln!(md, "- Instructions per operation from `perf stat`: not counted on this machine ({why})")?
        }
    }
    if let Some(c) = &t.callgrind_command {
        writeln!(md, "- Callgrind: {c}")?;
    }
    if !t.failures.is_empty() {
        writeln!(md, "- Samples left out (the client's process failed): {}", t.failures.join("; "))?;
    }
    writeln!(
        md,
        "\nEach cell: in each round, every client's process (alive for the round) ran {} warm-up operations, then {} \
         measured operations in blocks of {} (at least 8 × the concurrency), the clients taking turns block by block; \
         ops/s is a client's operations over its blocks' wall time. The table's figures are medians over {} round(s). \
         **Ratios and CPU differences are paired**: taken between two clients' cells of the same round (their blocks \
         interleaved), then the median over the rounds. On this VM the machine's speed swings by up to a quarter \
         within a second: with a process per client and cell (the harness before this one) the middle half of a \
         cell's per-round ratios spanned up to 0.3; interleaved blocks see nearly the same machine. All clients send the same token to \
         `https://benchvault.vault.azure.net:PORT` (resolved to 127.0.0.1, the server's CA trusted, challenge resource \
         verification on), with the same transport settings (rustls with ring, HTTP/2 by ALPN); azkv on its default \
         transport (hyper-util's client driven directly, no proxy being set), the others on reqwest. `raw` is \
         reqwest alone sending the same requests as azkv: method, URL, body, token and the same headers (User-Agent, \
         Accept, a fresh `x-ms-client-request-id` per operation), the response read but not decoded; `raw-minimal` is \
         `raw` without the SDK headers (only `Authorization` and `Content-Type`). The bare server answers every request \
         carrying a token with one fixed `SecretBundle` (hyper 1, tokio-rustls, ALPN h2 and http/1.1, no routing, no \
         token check, no store), and a request without one with Key Vault's `401` challenge. Client CPU per op is the \
         client process's CPU time (all threads, user and system, the threads' run time from `/proc/self/task/*/schedstat`) over its blocks; \
         where the machine allows, the servers run on a CPU of their own and the clients on the others (the \
         `Runs` line says which), so that a client's figures are not the scheduler's interplay with the server, \
         except at concurrency 1: there client and server take turns, and across two virtual CPUs each operation \
         would wait twice for the hypervisor to wake an idle one (most of an operation's time on a VM, the same for \
         every client), so both run on the servers' CPU.{}\n",
        t.warmup,
        t.ops,
        t.block,
        t.rounds,
        if t.cells.keys().any(|k| k.0 == "azkv-before") {
            " `azkv-before` is azkv as it was before the work on issue 20: the `throughput` binary given as `--before`, \
             built from that commit, measured in the same rounds."
        } else {
            ""
        }
    )?;
    writeln!(md, "![ops/s per client and cell, ratio to raw reqwest marked]({CHART})\n")?;

    let get = |client: &str, target: &str, op: &str, c: usize| t.cells.get(&key(client, target, op, c)).copied();
    let ratio = |a: CellKey, b: CellKey| t.ratio(&a, &b).map_or("–".into(), |r| format!("{r:.2}"));
    // The ratio with the spread of the rounds' ratios.
    let spread = |a: CellKey, b: CellKey| match t.ratio_quartiles(&a, &b) {
        Some((q1, q3)) => format!("{} ({q1:.2}–{q3:.2})", ratio(a, b)),
        None => ratio(a, b),
    };
    let cpu_gap = |a: CellKey, b: CellKey| t.cpu_gap(&a, &b).map_or("–".into(), |g| format!("{g:+.0} µs"));
    let counted = t.cells.values().any(|s| s.instructions_per_op.is_finite());
    for (n, &target) in TARGETS.iter().enumerate() {
        writeln!(md, "### 2.{} Against {}\n", n + 1, target_title(target))?;
        write!(md, "| op | concurrency | client | ops/s | p50 | p99 | client CPU per op |")?;
        writeln!(md, "{}", if counted { " instructions per op |" } else { "" })?;
        writeln!(md, "|---|---|---|---|---|---|---|{}", if counted { "---|" } else { "" })?;
        for &op in OPS {
            for &c in CONCURRENCY {
                for &client in CLIENTS {
                    let Some(s) = get(client, target, op, c) else { continue };
                    write!(
                        md,
                        "| {op} | {c} | {client} | {:.0} | {:.0} µs | {:.0} µs | {:.0} µs |",
                        s.ops_per_sec, s.p50_us, s.p99_us, s.cpu_us_per_op
                    )?;
                    writeln!(
                        md,
                        "{}",
                        if counted { format!(" {:.0} |", s.instructions_per_op) } else { String::new() }
                    )?;
                }
            }
        }
        let before = t.cells.keys().any(|k| k.0 == "azkv-before");
        write!(
            md,
            "\nPaired ratios: the median of the rounds' ratios, and in parentheses their first and third quartiles.\n\n\
             | op | concurrency | azkv / raw | azkv / Microsoft | azkv CPU − raw |"
        )?;
        writeln!(
            md,
            "{}",
            if before { " azkv-before / raw | azkv-before / Microsoft | azkv-before CPU − raw |" } else { "" }
        )?;
        writeln!(md, "|---|---|---|---|---|{}", if before { "---|---|---|" } else { "" })?;
        for &op in OPS {
            for &c in CONCURRENCY {
                let k = |client| key(client, target, op, c);
                let (azkv, raw, ms) = (k("azkv"), k("raw"), k("microsoft"));
                write!(
                    md,
                    "| {op} | {c} | {} | {} | {} |",
                    spread(azkv.clone(), raw.clone()),
                    spread(azkv.clone(), ms.clone()),
                    cpu_gap(azkv, raw.clone())
                )?;
                if before {
                    let b = k("azkv-before");
                    write!(
                        md,
                        " {} | {} | {} |",
                        ratio(b.clone(), raw.clone()),
                        ratio(b.clone(), ms),
                        cpu_gap(b, raw)
                    )?;
                }
                writeln!(md)?;
            }
        }
        writeln!(md)?;
    }

    if !t.callgrind.is_empty() {
        writeln!(md, "### 2.3 Instructions per operation (callgrind, concurrency 1, bare server)\n")?;
        writeln!(md, "Counted, not timed: the same on a busy machine as on a quiet one.\n")?;
        writeln!(md, "| client | get | set | get + set | get − raw | set − raw |\n|---|---|---|---|---|---|")?;
        let ir = |client: &str, op: &str| t.callgrind.get(&(client.to_owned(), op.to_owned())).copied();
        let show = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.0}"));
        for &client in CLIENTS.iter().chain(LAYERS) {
            let (g, s) = (ir(client, "get"), ir(client, "set"));
            let both = ir(client, BOTH).or(g.zip(s).map(|(g, s)| g + s));
            if both.is_none() {
                continue;
            }
            let gap = |v: Option<f64>, op: &str| match (v, ir("raw", op)) {
                (Some(v), Some(r)) => format!("{:+.0}", v - r),
                _ => "–".into(),
            };
            writeln!(
                md,
                "| {client} | {} | {} | {} | {} | {} |",
                show(g),
                show(s),
                show(both),
                gap(g, "get"),
                gap(s, "set")
            )?;
        }
        if LAYERS.iter().any(|l| t.callgrind.keys().any(|k| k.0 == *l)) {
            writeln!(
                md,
                "\n`azkv-transport` is raw reqwest's request sent through azkv's default transport (`HttpClient::execute`); \
                 `azkv-pipeline` is the client's request through azkv's whole pipeline (retry, request id, bearer, \
                 logging), the response not decoded. From raw to azkv-transport to azkv-pipeline to azkv, each \
                 row adds one layer."
            )?;
        }
        if t.callgrind.keys().any(|k| k.1 == BOTH) {
            writeln!(
                md,
                "\nA harness from before `BENCH_OPERATIONS` runs get and set in each process: only their sum is counted."
            )?;
        }
        writeln!(md)?;
    }

    writeln!(md, "## 3. Emulator throughput against the bare server (the ceiling)\n")?;
    writeln!(md, "The same raw reqwest load against both servers.\n")?;
    writeln!(
        md,
        "| op | concurrency | emulator req/s | bare req/s | emulator / bare (target ≥ 0.5) |\n|---|---|---|---|---|"
    )?;
    for &op in OPS {
        for &c in CONCURRENCY {
            let (e, b) = (get("raw", "emulator", op, c), get("raw", "bare", op, c));
            let show = |s: Option<CellStats>| s.map_or("–".into(), |s| format!("{:.0}", s.ops_per_sec));
            let r = ratio(key("raw", "emulator", op, c), key("raw", "bare", op, c));
            writeln!(md, "| {op} | {c} | {} | {} | {r} |", show(e), show(b))?;
        }
    }

    writeln!(md, "\n## Targets\n")?;
    type Series<'a> = (&'a str, &'a str);
    let targets: [(&str, f64, Series<'_>, Series<'_>); 4] = [
        ("azkv ≥ 0.95 × raw reqwest, bare server", 0.95, ("azkv", "bare"), ("raw", "bare")),
        ("azkv ≥ 0.95 × raw reqwest, emulator", 0.95, ("azkv", "emulator"), ("raw", "emulator")),
        ("azkv ≥ 1.3 × Microsoft's crate, bare server", 1.3, ("azkv", "bare"), ("microsoft", "bare")),
        ("emulator ≥ 0.5 × bare server (raw reqwest)", 0.5, ("raw", "emulator"), ("raw", "bare")),
    ];
    for (label, goal, (nc, nt), (dc, dt)) in targets {
        let (mut met, mut missed) = (0, Vec::new());
        for &op in OPS {
            for &c in CONCURRENCY {
                if let Some(r) = t.ratio(&key(nc, nt, op, c), &key(dc, dt, op, c)) {
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
    for &target in TARGETS {
        let gaps: Vec<String> = OPS
            .iter()
            .filter_map(|&op| {
                let gap = t.cpu_gap(&key("azkv", target, op, 1), &key("raw", target, op, 1))?;
                Some(format!("{op} {gap:+.0} µs{}", if gap <= 5.0 { "" } else { " (missed)" }))
            })
            .collect();
        writeln!(md, "- azkv CPU per op within 5 µs of raw at concurrency 1, {target}: {}", gaps.join(", "))?;
    }
    writeln!(md, "{END}")?;
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::kept;

    #[test]
    fn a_kept_block_runs_from_its_start_to_the_first_end_after_it() {
        let page = "a <!-- /n --> b <!-- n --> hand <!-- /n --> c <!-- /n -->";
        assert_eq!(kept(page, "<!-- n -->", "<!-- /n -->").as_deref(), Some("<!-- n --> hand <!-- /n -->"));
        assert_eq!(kept("<!-- n --> no end", "<!-- n -->", "<!-- /n -->"), None);
        assert_eq!(kept("no start <!-- /n -->", "<!-- n -->", "<!-- /n -->"), None);
    }
}
