//! Loopback throughput: azkv, raw reqwest (with and without the SDK's headers) and Microsoft's
//! crate, against the emulator and against a bare fixed-response server; get and set at several
//! concurrencies; one process per cell, the clients taking turns so that noise hits them alike.
//!
//! Beside wall-clock figures, each cell has the client's CPU per operation, instructions per
//! operation from `perf stat` where the machine counts them, and a callgrind pass counts
//! instructions per operation at concurrency 1 against the bare server (robust to a noisy
//! machine).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::process::{Server, cargo_ok, run_capture};
use super::stats::median;

/// Concurrencies of the throughput tables.
pub(super) const CONCURRENCY: &[usize] = &[1, 16, 64];
/// Operations of the throughput tables.
pub(super) const OPS: &[&str] = &["get", "set"];
/// Targets: the bare server, then the emulator.
pub(super) const TARGETS: &[&str] = &["bare", "emulator"];
/// The callgrind key of a harness that ran both operations in one process.
pub(super) const BOTH: &str = "get+set";

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
    /// Instructions per operation from `perf stat` (user space, the whole cell process,
    /// warm-up and start-up included); NaN where not counted.
    pub(crate) instructions_per_op: f64,
}

/// How the throughput part runs.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) rounds: usize,
    pub(crate) ops: usize,
    pub(crate) warmup: usize,
    /// A `throughput` binary built from an earlier commit: its azkv is measured as
    /// `azkv-before` in the same rounds.
    pub(crate) before: Option<PathBuf>,
    /// Whether to run the callgrind pass.
    pub(crate) callgrind: bool,
}

impl Plan {
    pub(crate) fn new(quick: bool, rounds: Option<usize>, ops: Option<usize>, before: Option<PathBuf>) -> Self {
        let (r, o, w) = if quick { (1, 1000, 200) } else { (5, 5000, 500) };
        Self { rounds: rounds.unwrap_or(r).max(1), ops: ops.unwrap_or(o).max(1), warmup: w, before, callgrind: !quick }
    }
}

/// Everything the throughput part measured.
#[derive(Debug)]
pub(crate) struct Throughput {
    pub(crate) cells: BTreeMap<CellKey, CellStats>,
    /// Callgrind's instructions per operation at concurrency 1 against the bare server:
    /// `(client, op)` to instructions.
    pub(crate) callgrind: BTreeMap<(String, String), f64>,
    pub(crate) rounds: usize,
    pub(crate) ops: usize,
    pub(crate) warmup: usize,
    pub(crate) commands: Vec<String>,
    /// Why `perf stat` counted no instructions, when it did not.
    pub(crate) perf_missing: Option<String>,
    pub(crate) callgrind_command: Option<String>,
    pub(crate) loads: Vec<(&'static str, String)>,
    /// Cells whose process failed in a round (left out of that cell's median).
    pub(crate) failures: Vec<String>,
}

/// Whether `perf stat -e instructions` counts on this machine; `Err` says why not.
fn perf_counts_instructions() -> Result<(), String> {
    let out = Command::new("perf")
        .args(["stat", "-x", ",", "-e", "instructions:u", "true"])
        .output()
        .map_err(|e| format!("perf cannot be run ({e}); `apt-get install linux-perf` provides it"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    match text.lines().find(|l| l.contains("instructions")) {
        Some(line) if line.split(',').next().is_some_and(|n| n.trim().parse::<u64>().is_ok()) => Ok(()),
        Some(line) => Err(format!("`perf stat -e instructions:u true` says `{}`", line.trim())),
        None => Err("`perf stat -e instructions:u true` printed no count".into()),
    }
}

/// A client of the matrix: its label, program and arguments.
struct Client {
    label: &'static str,
    program: PathBuf,
    args: Vec<&'static str>,
}

fn clients(bin: &dyn Fn(&str) -> PathBuf, before: Option<&Path>) -> Vec<Client> {
    let throughput =
        |label, client| Client { label, program: bin("throughput"), args: vec!["run", "--clients", client] };
    let mut all = vec![
        throughput("azkv", "azkv"),
        throughput("raw", "raw"),
        throughput("raw-minimal", "raw-minimal"),
        Client { label: "microsoft", program: bin("ms-throughput"), args: vec![] },
    ];
    if let Some(before) = before {
        all.push(Client { label: "azkv-before", program: before.to_owned(), args: vec!["run", "--clients", "azkv"] });
    }
    all
}

/// Builds the harnesses in release mode, starts the emulator (the `azkv-emulator` binary:
/// HTTPS, strict tokens) and the bare server, and runs `plan.rounds` rounds; in each round,
/// every cell (target, op, concurrency) runs once per client, each in a fresh process, the
/// clients' order rotating from round to round. Each cell's figures are medians over the
/// rounds.
pub(crate) fn throughput(cargo: &str, root: &Path, plan: &Plan) -> anyhow::Result<Throughput> {
    let target_dir = root.join("target");
    let mut commands = vec![
        cargo_ok(
            cargo,
            root,
            &["build", "--release", "-p", "azkv-emulator", "--features", "cli", "--bin", "azkv-emulator"],
            &[],
        )?,
        cargo_ok(cargo, root, &["build", "--release", "-p", "throughput"], &[])?,
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
    let perf = perf_counts_instructions();
    let clients = clients(&bin, plan.before.as_deref());
    let server = |target: &str| if target == "bare" { &bare } else { &emulator };
    let cell_command = |client: &Client, target: &str, env: &[(&str, String)]| -> anyhow::Result<Command> {
        let (vault_url, addr, ca) = server(target).target()?;
        let mut c = Command::new(&client.program);
        c.args(&client.args)
            .env("BENCH_VAULT_URL", vault_url)
            .env("BENCH_ADDR", addr)
            .env("BENCH_CA", ca)
            .env("BENCH_TARGET", target)
            .env("BENCH_TOKEN", &token)
            .env_remove("RUST_LOG");
        for (k, v) in env {
            c.env(k, v);
        }
        Ok(c)
    };
    let labels = clients.iter().map(|c| c.label).collect::<Vec<_>>().join(", ");
    commands.push(format!(
        "throughput, per round: for each target (`throughput serve-bare`, `azkv-emulator`), operation and concurrency, \
         one process per client ({labels}) running that cell alone (`BENCH_OPERATIONS`, `BENCH_CONCURRENCY`), the \
         clients' order rotating each round; BENCH_OPS={} BENCH_WARMUP={}; {} round(s)",
        plan.ops, plan.warmup, plan.rounds
    ));

    let load_before = super::report::load_average();
    let perf_out = std::env::temp_dir().join(format!("xtask-bench-perf-{}.csv", std::process::id()));
    let mut samples: BTreeMap<CellKey, Vec<CellStats>> = BTreeMap::new();
    let mut failures = Vec::new();
    for round in 0..plan.rounds {
        println!("==> throughput round {}/{}", round + 1, plan.rounds);
        for &target in TARGETS {
            for &op in OPS {
                for &c in CONCURRENCY {
                    for i in 0..clients.len() {
                        let client = &clients[(i + round) % clients.len()];
                        let env = [
                            ("BENCH_OPS", plan.ops.to_string()),
                            ("BENCH_WARMUP", plan.warmup.to_string()),
                            ("BENCH_CONCURRENCY", c.to_string()),
                            ("BENCH_OPERATIONS", op.to_owned()),
                        ];
                        let mut command = cell_command(client, target, &env)?;
                        if perf.is_ok() {
                            let mut wrapped = Command::new("perf");
                            wrapped.args(["stat", "-x", ",", "-e", "instructions:u", "-o"]).arg(&perf_out).arg("--");
                            wrapped.arg(command.get_program()).args(command.get_args());
                            for (k, v) in command.get_envs() {
                                match v {
                                    Some(v) => wrapped.env(k, v),
                                    None => wrapped.env_remove(k),
                                };
                            }
                            command = wrapped;
                        }
                        let what = format!("{} ({target}, {op}, concurrency {c})", client.label);
                        // One failed process (a client's own error) costs that sample, not the run.
                        let out = match run_capture(command, &what) {
                            Ok(out) => out,
                            Err(e) => {
                                eprintln!("    {what}, round {}: {e:#}; sample left out", round + 1);
                                failures.push(format!("{what}, round {}", round + 1));
                                continue;
                            }
                        };
                        let instructions = perf.is_ok().then(|| read_perf(&perf_out)).flatten();
                        for line in out.lines().filter(|l| l.starts_with('{')) {
                            let v: serde_json::Value =
                                serde_json::from_str(line).with_context(|| format!("{what}: {line}"))?;
                            // An earlier harness may run both operations: keep this cell's.
                            if v["op"].as_str() != Some(op) {
                                continue;
                            }
                            let total_ops = (plan.ops + plan.warmup.max(c)) as f64;
                            let stats = CellStats {
                                ops_per_sec: v["ops_per_sec"].as_f64().unwrap_or_default(),
                                p50_us: v["p50_us"].as_f64().unwrap_or_default(),
                                p99_us: v["p99_us"].as_f64().unwrap_or_default(),
                                cpu_us_per_op: v["cpu_us_per_op"].as_f64().unwrap_or(f64::NAN),
                                instructions_per_op: instructions.map_or(f64::NAN, |n| n / total_ops),
                            };
                            println!(
                                "    {:<11} {:<8} {op} c={c:<2} {:>8.0} ops/s  p50 {:>7.0} µs  p99 {:>7.0} µs  cpu {:>5.1} µs/op",
                                client.label,
                                target,
                                stats.ops_per_sec,
                                stats.p50_us,
                                stats.p99_us,
                                stats.cpu_us_per_op
                            );
                            let key = (client.label.to_owned(), target.to_owned(), op.to_owned(), c);
                            samples.entry(key).or_default().push(stats);
                        }
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_file(&perf_out);
    let load_after = super::report::load_average();

    let mut callgrind = BTreeMap::new();
    let mut callgrind_command = None;
    if plan.callgrind && Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let (small, large, warmup) = (100usize, 500usize, 50usize);
        callgrind_command = Some(format!(
            "valgrind --tool=callgrind --callgrind-out-file=/dev/null CLIENT against `throughput serve-bare`, \
             BENCH_CONCURRENCY=1 BENCH_WARMUP={warmup}, once with BENCH_OPS={small} and once with BENCH_OPS={large}; \
             instructions per operation = (Ir at {large} − Ir at {small}) / {}",
            large - small
        ));
        // azkv's layers alone, counted here only (not in the timed rounds): raw reqwest's
        // request through azkv's transport, then through the whole pipeline without decoding.
        let layers = ["azkv-transport", "azkv-pipeline"].map(|label| Client {
            label,
            program: bin("throughput"),
            args: vec!["run", "--clients", label],
        });
        for client in clients.iter().filter(|c| c.label != "raw-minimal").chain(&layers) {
            for &op in OPS {
                // A harness from before `BENCH_OPERATIONS` runs both operations: counted once, as
                // `get+set`.
                if op != OPS[0] && callgrind.contains_key(&(client.label.to_owned(), BOTH.to_owned())) {
                    continue;
                }
                let (mut ir, mut both) = (Vec::new(), false);
                for ops in [small, large] {
                    let env = [
                        ("BENCH_OPS", ops.to_string()),
                        ("BENCH_WARMUP", warmup.to_string()),
                        ("BENCH_CONCURRENCY", "1".to_owned()),
                        ("BENCH_OPERATIONS", op.to_owned()),
                    ];
                    let plain = cell_command(client, "bare", &env)?;
                    let mut command = Command::new("valgrind");
                    command.args(["--tool=callgrind", "--callgrind-out-file=/dev/null"]);
                    command.arg(plain.get_program()).args(plain.get_args());
                    for (k, v) in plain.get_envs() {
                        if let Some(v) = v {
                            command.env(k, v);
                        }
                    }
                    command.env_remove("RUST_LOG");
                    let (count, ran) = callgrind_ir(command, &format!("callgrind {} {op} ({ops} ops)", client.label))?;
                    ir.push(count);
                    both |= OPS.iter().all(|o| ran.contains(&format!("\"op\":\"{o}\"")));
                }
                let per_op = (ir[1] - ir[0]) as f64 / (large - small) as f64;
                let op = if both { BOTH } else { op };
                println!("    callgrind {:<11} {op}: {per_op:.0} instructions per operation", client.label);
                callgrind.insert((client.label.to_owned(), op.to_owned()), per_op);
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
                instructions_per_op: pick(|c| c.instructions_per_op),
            };
            (key, stats)
        })
        .collect();
    Ok(Throughput {
        cells,
        callgrind,
        rounds: plan.rounds,
        ops: plan.ops,
        warmup: plan.warmup,
        commands,
        perf_missing: perf.err(),
        callgrind_command,
        loads: vec![("before the throughput runs", load_before), ("after them", load_after)],
        failures,
    })
}

/// The count in a `perf stat -x ,` output file.
fn read_perf(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.contains("instructions"))?;
    line.split(',').next()?.trim().parse().ok()
}

/// Runs `command` under callgrind: its `Collected` instruction count and its standard output.
fn callgrind_ir(mut command: Command, what: &str) -> anyhow::Result<(u64, String)> {
    let output = command.stderr(Stdio::piped()).output().with_context(|| format!("cannot run {what}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("{what} failed ({}): {stderr}", output.status);
    }
    let count = stderr
        .lines()
        .find_map(|l| l.split_once("Collected :").and_then(|(_, n)| n.trim().parse().ok()))
        .with_context(|| format!("{what}: no `Collected :` line in callgrind's output"))?;
    Ok((count, String::from_utf8_lossy(&output.stdout).into_owned()))
}
