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
        // Killed, it cannot remove the CA file it wrote.
        if let Some(ca) = self.ready["ca_path"].as_str() {
            let _ = std::fs::remove_file(ca);
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
        cargo_ok(cargo, root, &["build", "--release", "-p", "azkv-emulator", "-p", "throughput", "--features", "azkv-emulator/cli"], &[])?,
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
