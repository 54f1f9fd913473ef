//! The parts of `cargo xtask bench` that are not criterion: loopback throughput (azkv, raw
//! reqwest and Microsoft's crate against one emulator; raw reqwest against a bare hyper server)
//! and the cost of getting started (clean build of the quickstart, time to its first secret).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The emulator's vault name the clients address (`https://benchvault.vault.azure.net:PORT`).
const VAULT: &str = "benchvault";

/// The key of a throughput cell: `(client, target, op, concurrency)`.
pub(crate) type CellKey = (String, String, String, usize);

/// Medians over the rounds of one cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CellStats {
    pub(crate) ops_per_sec: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    /// The client process's CPU time per operation (every thread, user and system).
    pub(crate) cpu_us_per_op: f64,
}

/// Everything the throughput part measured.
#[derive(Debug)]
pub(crate) struct Throughput {
    pub(crate) cells: BTreeMap<CellKey, CellStats>,
    pub(crate) rounds: usize,
    pub(crate) ops: usize,
    pub(crate) warmup: usize,
    pub(crate) commands: Vec<String>,
}

/// A child process that is killed (by its own handle) when dropped.
struct Server {
    child: Child,
    ready: serde_json::Value,
}

impl Server {
    fn start(mut command: Command, what: &str) -> anyhow::Result<Self> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).with_context(|| format!("reading {what}'s ready line"))?;
        let ready: serde_json::Value = serde_json::from_str(line.trim())
            .with_context(|| format!("{what} printed no JSON ready line: {line:?}"))?;
        if ready["ready"] != true {
            let _ = child.kill();
            bail!("{what} is not ready: {line}");
        }
        Ok(Self { child, ready })
    }

    fn str(&self, field: &str) -> anyhow::Result<String> {
        self.ready[field].as_str().map(str::to_owned).with_context(|| format!("no `{field}` in {}", self.ready))
    }

    /// `(vault URL, address, CA path)` for a target serving `https://127.0.0.1:PORT`.
    fn target(&self) -> anyhow::Result<(String, String, String)> {
        let url = self.str("url")?;
        let addr = url.trim_start_matches("https://").trim_end_matches('/').to_owned();
        let port = addr.rsplit(':').next().context("no port in the URL")?;
        Ok((format!("https://{VAULT}.vault.azure.net:{port}"), addr, self.str("ca_path")?))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Killed, it cannot remove the CA file it wrote, nor the private directory holding it.
        if let Some(ca) = self.ready["ca_path"].as_str() {
            let _ = std::fs::remove_file(ca);
            let dir = Path::new(ca).parent();
            if let Some(dir) =
                dir.filter(|d| d.file_name().is_some_and(|n| n.to_string_lossy().starts_with("azkv-emulator-")))
            {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

fn run_capture(mut command: Command, what: &str) -> anyhow::Result<String> {
    let output = command.stderr(Stdio::inherit()).output().with_context(|| format!("cannot run {what}"))?;
    if !output.status.success() {
        bail!("{what} failed ({})", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn cargo_ok(cargo: &str, root: &Path, args: &[&str], env: &[(&str, &Path)]) -> anyhow::Result<String> {
    let shown = format!("cargo {}", args.join(" "));
    println!("==> {shown}");
    let mut command = Command::new(cargo);
    command.args(args).current_dir(root);
    for (k, v) in env {
        command.env(k, v);
    }
    let status = command.status().with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(shown)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Builds the harnesses in release mode, starts the emulator (the `azkv-emulator` binary:
/// HTTPS, strict tokens) and the bare server, and runs `rounds` rounds of: azkv and raw
/// against the emulator, Microsoft's crate against the emulator, raw against the bare server.
/// Each cell's figures are the medians over the rounds.
pub(crate) fn throughput(cargo: &str, root: &Path, quick: bool) -> anyhow::Result<Throughput> {
    let (rounds, ops, warmup) = if quick { (1, 1000, 200) } else { (5, 5000, 500) };
    let target_dir = root.join("target");
    let mut commands = vec![
        cargo_ok(
            cargo,
            root,
            &["build", "--release", "-p", "azkv-emulator", "-p", "throughput", "--features", "azkv-emulator/cli"],
            &[],
        )?,
        cargo_ok(
            cargo,
            root,
            &["build", "--release", "--manifest-path", "benches/ms-throughput/Cargo.toml"],
            &[("CARGO_TARGET_DIR", &target_dir)],
        )?
        .replace("cargo ", "CARGO_TARGET_DIR=target cargo "),
    ];
    let bin = |name: &str| target_dir.join("release").join(name);
    let emulator = Server::start(Command::new(bin("azkv-emulator")), "azkv-emulator")?;
    let bare = Server::start(
        {
            let mut c = Command::new(bin("throughput"));
            c.arg("serve-bare");
            c
        },
        "the bare hyper server",
    )?;

    let token = {
        let mut c = Command::new(bin("throughput"));
        c.arg("token")
            .env("BENCH_TOKEN_ENDPOINT", emulator.str("token_endpoint")?)
            .env("BENCH_IDENTITY_HEADER", emulator.str("identity_header")?)
            .env("BENCH_CA", emulator.str("ca_path")?);
        run_capture(c, "throughput token")?.trim().to_owned()
    };
    let settings = [
        ("BENCH_OPS", ops.to_string()),
        ("BENCH_WARMUP", warmup.to_string()),
        ("BENCH_CONCURRENCY", "1,16,64".to_owned()),
        ("BENCH_TOKEN", token),
    ];
    let harness = |program: PathBuf, args: &[&str], server: &Server, label: &str| -> anyhow::Result<Command> {
        let (vault_url, addr, ca) = server.target()?;
        let mut c = Command::new(program);
        c.args(args)
            .env("BENCH_VAULT_URL", vault_url)
            .env("BENCH_ADDR", addr)
            .env("BENCH_CA", ca)
            .env("BENCH_TARGET", label)
            .env_remove("RUST_LOG");
        for (k, v) in &settings {
            c.env(k, v);
        }
        Ok(c)
    };
    commands.push(format!(
        "throughput, per round: throughput run --clients azkv,raw,raw-minimal and ms-throughput against azkv-emulator (HTTPS, strict tokens), \
         then throughput run --clients raw against throughput serve-bare; BENCH_OPS={ops} BENCH_WARMUP={warmup} \
         BENCH_CONCURRENCY=1,16,64; {rounds} round(s)"
    ));

    let mut samples: BTreeMap<CellKey, Vec<CellStats>> = BTreeMap::new();
    for round in 1..=rounds {
        println!("==> throughput round {round}/{rounds}");
        let runs = [
            (
                harness(bin("throughput"), &["run", "--clients", "azkv,raw,raw-minimal"], &emulator, "emulator")?,
                "throughput (emulator)",
            ),
            (harness(bin("ms-throughput"), &[], &emulator, "emulator")?, "ms-throughput (emulator)"),
            (harness(bin("throughput"), &["run", "--clients", "raw"], &bare, "bare")?, "throughput (bare)"),
        ];
        for (command, what) in runs {
            let out = run_capture(command, what)?;
            for line in out.lines().filter(|l| l.starts_with('{')) {
                let v: serde_json::Value = serde_json::from_str(line).with_context(|| format!("{what}: {line}"))?;
                let key = (
                    v["client"].as_str().unwrap_or_default().to_owned(),
                    v["target"].as_str().unwrap_or_default().to_owned(),
                    v["op"].as_str().unwrap_or_default().to_owned(),
                    v["concurrency"].as_u64().unwrap_or_default() as usize,
                );
                let stats = CellStats {
                    ops_per_sec: v["ops_per_sec"].as_f64().unwrap_or_default(),
                    p50_us: v["p50_us"].as_f64().unwrap_or_default(),
                    p99_us: v["p99_us"].as_f64().unwrap_or_default(),
                    cpu_us_per_op: v["cpu_us_per_op"].as_f64().unwrap_or(f64::NAN),
                };
                println!(
                    "    {:<9} {:<8} {} c={:<2} {:>8.0} ops/s  p50 {:>7.0} µs  p99 {:>7.0} µs  cpu {:>5.1} µs/op",
                    key.0, key.1, key.2, key.3, stats.ops_per_sec, stats.p50_us, stats.p99_us, stats.cpu_us_per_op
                );
                samples.entry(key).or_default().push(stats);
            }
        }
    }
    drop((emulator, bare));
    let cells = samples
        .into_iter()
        .map(|(key, s)| {
            let pick = |f: fn(&CellStats) -> f64| median(&mut s.iter().map(f).collect::<Vec<_>>());
            let stats = CellStats {
                ops_per_sec: pick(|c| c.ops_per_sec),
                p50_us: pick(|c| c.p50_us),
                p99_us: pick(|c| c.p99_us),
                cpu_us_per_op: pick(|c| c.cpu_us_per_op),
            };
            (key, stats)
        })
        .collect();
    Ok(Throughput { cells, rounds, ops, warmup, commands })
}

/// The cost of getting started.
#[derive(Debug)]
pub(crate) struct Startup {
    pub(crate) command: String,
    pub(crate) build_secs: f64,
    pub(crate) crates_compiled: usize,
    pub(crate) first_secret_ms: Vec<f64>,
    pub(crate) rustc_wrapper: Option<String>,
}

/// A clean release build of the quickstart in a fresh target directory (timed, its `Compiling`
/// lines counted), then five runs of the built binary, each timed from spawn until it prints
/// `Your secret is`. The directory is removed afterwards.
pub(crate) fn startup(cargo: &str, root: &Path) -> anyhow::Result<Startup> {
    let dir = root.join("target").join("bench-cold-build");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let args = ["build", "--release", "-p", "examples", "--example", "quickstart"];
    let command = format!("CARGO_TARGET_DIR=target/bench-cold-build cargo {}", args.join(" "));
    println!("==> {command}");
    let started = Instant::now();
    let mut child = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &dir)
        .env("CARGO_TERM_COLOR", "never")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run cargo build")?;
    let mut stderr = String::new();
    child.stderr.take().context("no stderr")?.read_to_string(&mut stderr)?;
    let status = child.wait()?;
    let build_secs = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("`{command}` failed ({status}):\n{stderr}");
    }
    let crates_compiled = stderr.lines().filter(|l| l.trim_start().starts_with("Compiling ")).count();
    println!("    {build_secs:.1} s, {crates_compiled} crates compiled");

    let exe = dir.join("release").join("examples").join("quickstart");
    let mut first_secret_ms = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        let mut child = Command::new(&exe)
            .args(["--name", &format!("bench-quickstart-{i}"), "--value", "hello"])
            .env_remove("KEY_VAULT_NAME")
            .env_remove("VAULT_URL")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", exe.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut elapsed = None;
        for line in BufReader::new(stdout).lines() {
            if line?.contains("Your secret is") && elapsed.is_none() {
                elapsed = Some(started.elapsed());
            }
        }
        let status = child.wait()?;
        let elapsed: Duration =
            elapsed.with_context(|| format!("the quickstart never printed `Your secret is` ({status})"))?;
        first_secret_ms.push(elapsed.as_secs_f64() * 1e3);
    }
    println!("    first secret after {first_secret_ms:.1?} ms");
    let _ = std::fs::remove_dir_all(&dir);
    let rustc_wrapper = std::env::var("RUSTC_WRAPPER").ok().filter(|w| !w.is_empty());
    Ok(Startup { command, build_secs, crates_compiled, first_secret_ms, rustc_wrapper })
}

/// The median of `values`.
pub(crate) fn median_of(values: &[f64]) -> f64 {
    median(&mut values.to_vec())
}

/// One list measured by [`lists`]: every page of it, walked by following `nextLink`.
#[derive(Debug)]
pub(crate) struct ListRun {
    pub(crate) what: String,
    pub(crate) items: usize,
    pub(crate) pages: usize,
    pub(crate) first_ms: f64,
    pub(crate) median_ms: f64,
    pub(crate) last_ms: f64,
    pub(crate) total_s: f64,
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
pub(crate) fn lists(cargo: &str, root: &Path) -> anyhow::Result<Vec<ListRun>> {
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
pub(crate) fn render_lists(runs: &[ListRun]) -> String {
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
pub(crate) fn with_lists(text: &str, section: &str) -> String {
    match (text.find(LISTS_START), text.find(LISTS_END)) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{section}{}", &text[..a], text[b + LISTS_END.len()..].trim_start_matches('\n'))
        }
        _ => format!("{}\n\n{section}", text.trim_end()),
    }
}
