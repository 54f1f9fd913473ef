//! The list benchmark: every page of large lists in the emulator, walked by following `nextLink`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use super::process::{Server, cargo_ok};
use super::stats::median;

/// One list measured by [`lists`]: every page of it, walked by following `nextLink`.
#[derive(Debug)]
pub(super) struct ListRun {
    pub(super) what: String,
    pub(super) items: usize,
    pub(super) pages: usize,
    pub(super) first_ms: f64,
    pub(super) median_ms: f64,
    pub(super) last_ms: f64,
    pub(super) total_s: f64,
}

/// A seed in the export format: `n` secrets of one version, or one secret with `n` versions.
fn list_seed(n: usize, versions_of_one: bool) -> String {
    let version =
        |i: usize| format!(r#"{{"version":"{i:032x}","seq":{i},"value":"v","enabled":true,"created":1,"updated":1}}"#);
    let secrets: Vec<String> = if versions_of_one {
        let all: Vec<String> = (0..n).map(version).collect();
        vec![format!(r#""many":{{"name":"many","versions":[{}]}}"#, all.join(","))]
    } else {
        (0..n).map(|i| format!(r#""s{i:06}":{{"name":"s{i:06}","versions":[{}]}}"#, version(i))).collect()
    };
    format!(r#"{{"vaults":{{"default":{{"secrets":{{{}}}}}}}}}"#, secrets.join(","))
}

/// One GET over a kept-alive plain HTTP/1.1 connection; returns the body.
fn get_body(stream: &mut std::net::TcpStream, host: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    write!(stream, "GET {path} HTTP/1.1\r\nhost: {host}\r\n\r\n")?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut status = String::new();
    reader.read_line(&mut status)?;
    if !status.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {}", status.trim());
    }
    let mut length = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = Some(v.trim().parse::<usize>()?);
        }
    }
    let mut body = vec![0; length.context("no content-length")?];
    reader.read_exact(&mut body)?;
    Ok(body)
}

/// Walks every page of `path` (25 items each); returns `(items, per-page milliseconds, total seconds)`.
fn walk(addr: &str, first: &str) -> anyhow::Result<(usize, Vec<f64>, f64)> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let (mut items, mut pages) = (0, Vec::new());
    let mut next = Some(first.to_owned());
    let started = Instant::now();
    while let Some(path) = next.take() {
        let t = Instant::now();
        let body = get_body(&mut stream, addr, &path)?;
        let page: serde_json::Value = serde_json::from_slice(&body)?;
        pages.push(t.elapsed().as_secs_f64() * 1e3);
        items += page["value"].as_array().map_or(0, Vec::len);
        next = page["nextLink"].as_str().map(|l| l.split_once(addr).map_or(l, |(_, p)| p).to_owned());
    }
    Ok((items, pages, started.elapsed().as_secs_f64()))
}

/// Lists 1,000, 10,000 and 100,000 secrets and 10,000 versions of one secret, page by page, against the
/// release emulator (plain HTTP, no auth) seeded with `--import`.
pub(super) fn lists(cargo: &str, root: &Path) -> anyhow::Result<Vec<ListRun>> {
    cargo_ok(cargo, root, &["build", "--release", "-p", "azkv-emulator", "--features", "cli"], &[])?;
    let bin = root.join("target").join("release").join("azkv-emulator");
    let seed_path = root.join("target").join("bench-lists-seed.json");
    let mut runs = Vec::new();
    for (what, n, versions_of_one) in [
        ("secrets", 1_000, false),
        ("secrets", 10_000, false),
        ("secrets", 100_000, false),
        ("versions of one secret", 10_000, true),
    ] {
        std::fs::write(&seed_path, list_seed(n, versions_of_one))?;
        let mut command = Command::new(&bin);
        command.args(["--no-tls", "--auth", "none", "--import"]).arg(&seed_path);
        let server = Server::start(command, "azkv-emulator")?;
        let addr = server.str("url")?.trim_start_matches("http://").to_owned();
        let path = if versions_of_one { "/secrets/many/versions" } else { "/secrets" };
        // One warm-up walk, then the measured one.
        walk(&addr, &format!("{path}?api-version=2025-07-01"))?;
        let (items, mut pages, total_s) = walk(&addr, &format!("{path}?api-version=2025-07-01"))?;
        if items != n {
            bail!("listed {items} of {n} {what}");
        }
        let (first_ms, last_ms) = (pages[0], pages[pages.len() - 1]);
        let count = pages.len();
        runs.push(ListRun {
            what: what.to_owned(),
            items,
            pages: count,
            first_ms,
            median_ms: median(&mut pages),
            last_ms,
            total_s,
        });
        println!(
            "==> {n} {what}: {count} pages, median {:.3} ms per page, {total_s:.2} s in all",
            runs[runs.len() - 1].median_ms
        );
    }
    let _ = std::fs::remove_file(&seed_path);
    Ok(runs)
}

/// The list section of `docs/benchmarks.md`.
pub(super) fn render_lists(runs: &[ListRun]) -> String {
    let mut out = String::from(LISTS_START);
    out.push_str("\n## Lists\n\n");
    out.push_str(
        "Every page of a list, walked by following `nextLink` (25 items a page) over one kept-alive plain HTTP/1.1 \
         connection against the release `azkv-emulator --no-tls --auth none --import SEED`, after one warm-up walk. \
         A page's time runs from sending the request to the parsed JSON body. The median is the figure to compare: a \
         single page (often the first of a walk) can take tens of milliseconds when the machine is busy, at every size.\n\n",
    );
    out.push_str("| list | items | pages | first page (ms) | median page (ms) | last page (ms) | whole list (s) |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for r in runs {
        out.push_str(&format!(
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.2} |\n",
            r.what, r.items, r.pages, r.first_ms, r.median_ms, r.last_ms, r.total_s
        ));
    }
    let secrets: Vec<&ListRun> = runs.iter().filter(|r| r.what == "secrets").collect();
    if let (Some(small), Some(large)) = (secrets.first(), secrets.last()) {
        out.push_str(&format!(
            "\nTargets: median page at {} secrets / at {} secrets = {:.2} (target ≤ 2); {} secrets listed in {:.2} s (target < 10 s).\n",
            large.items,
            small.items,
            large.median_ms / small.median_ms.max(f64::MIN_POSITIVE),
            large.items,
            large.total_s
        ));
    }
    out.push_str(LISTS_END);
    out.push('\n');
    out
}

const LISTS_START: &str = "<!-- lists: written by `cargo xtask bench --lists` -->";
const LISTS_END: &str = "<!-- /lists -->";

/// Replaces the list section of `text` (or appends it).
pub(super) fn with_lists(text: &str, section: &str) -> String {
    match (text.find(LISTS_START), text.find(LISTS_END)) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{section}{}", &text[..a], text[b + LISTS_END.len()..].trim_start_matches('\n'))
        }
        _ => format!("{}\n\n{section}", text.trim_end()),
    }
}
