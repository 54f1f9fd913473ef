//! Loopback throughput: azkv, raw reqwest and Microsoft's crate against one emulator, raw
//! reqwest against a bare hyper server; get and set at several concurrencies, rounds interleaved.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use super::process::{Server, cargo_ok, run_capture};
use super::stats::median;

/// Concurrencies of the throughput tables.
pub(super) const CONCURRENCY: &[usize] = &[1, 16, 64];

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
