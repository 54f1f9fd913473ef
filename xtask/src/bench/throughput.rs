//! Loopback throughput: azkv, raw reqwest (with and without the SDK's headers) and Microsoft's
//! crate, against the emulator and against a bare fixed-response server; get and set at several
//! concurrencies.
//!
//! Paired, in short blocks: in each round, every client has a process of its own against each
//! server, alive for the round; each cell runs as a series of short blocks (a few dozen
//! milliseconds each), the clients taking turns block by block. On this shared 2-core VM the
//! machine's speed swings by a quarter within a second, so a block of one client and the next
//! block of another see nearly the same machine; ratios are taken within each round (paired)
//! and their median over the rounds is reported.
//!
//! Beside wall-clock figures, each cell has the client's CPU per operation, instructions per
//! operation from `perf stat` where the machine counts them, and a callgrind pass counts
//! instructions per operation at concurrency 1 against the bare server (robust to a noisy
//! machine).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::process::{Server, cargo_ok, run_capture};
use super::runner::{BlockProcess, PerBlock, PerfAttach, Runner};
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
    /// Measured operations per client and cell in each round, over its blocks.
    pub(crate) ops: usize,
    /// Operations per block (at least 8 × the concurrency, so that a block is not mostly its
    /// ramp-up and drain).
    pub(crate) block: usize,
    pub(crate) warmup: usize,
    /// A `throughput` binary built from an earlier commit: its azkv is measured as
    /// `azkv-before` in the same rounds.
    pub(crate) before: Option<PathBuf>,
    /// Whether to run the callgrind pass.
    pub(crate) callgrind: bool,
}

impl Plan {
    pub(crate) fn new(
        quick: bool,
        rounds: Option<usize>,
        ops: Option<usize>,
        block: Option<usize>,
        before: Option<PathBuf>,
    ) -> Self {
        let (r, o, w) = if quick { (1, 1000, 200) } else { (5, 5000, 500) };
        Self {
            rounds: rounds.unwrap_or(r).max(1),
            ops: ops.unwrap_or(o).max(1),
            block: block.unwrap_or(250).max(1),
            warmup: w,
            before,
            callgrind: !quick,
        }
    }

    /// `(operations per block, blocks)` of a cell at `concurrency`.
    pub(crate) fn blocks(&self, concurrency: usize) -> (usize, usize) {
        let size = self.block.max(8 * concurrency).min(self.ops.max(concurrency));
        (size, self.ops.div_ceil(size))
    }
}

/// Everything the throughput part measured.
#[derive(Debug)]
pub(crate) struct Throughput {
    /// Medians over the rounds.
    pub(crate) cells: BTreeMap<CellKey, CellStats>,
    /// Each round's cells, for paired ratios.
    pub(crate) per_round: Vec<BTreeMap<CellKey, CellStats>>,
    /// Callgrind's instructions per operation at concurrency 1 against the bare server:
    /// `(client, op)` to instructions.
    pub(crate) callgrind: BTreeMap<(String, String), f64>,
    pub(crate) rounds: usize,
    pub(crate) ops: usize,
    pub(crate) block: usize,
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

/// A client of the matrix: its label, program, the arguments of its `run` mode (all cells in
/// one go) and of its block mode, if it has one.
pub(super) struct Client {
    pub(super) label: &'static str,
    program: PathBuf,
    run_args: Vec<String>,
    block_args: Option<Vec<String>>,
}

impl Client {
    fn harness(label: &'static str, program: PathBuf, run_args: &[&str], block_args: Option<&[&str]>) -> Self {
        let owned = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect();
        Self { label, program, run_args: owned(run_args), block_args: block_args.map(owned) }
    }
}

fn clients(bin: &dyn Fn(&str) -> PathBuf, before: Option<(&Path, bool)>) -> Vec<Client> {
    let throughput =
        |label| Client::harness(label, bin("throughput"), &["run", "--clients", label], Some(&["blocks", label]));
    let mut all = vec![
        throughput("azkv"),
        throughput("raw"),
        throughput("raw-minimal"),
        Client::harness("microsoft", bin("ms-throughput"), &[], Some(&["blocks"])),
    ];
    if let Some((before, blocks)) = before {
        let block_args: &[&str] = &["blocks", "azkv"];
        all.push(Client::harness(
            "azkv-before",
            before.to_owned(),
            &["run", "--clients", "azkv"],
            blocks.then_some(block_args),
        ));
    }
    all
}

/// Whether the harness `program` has the block mode (`throughput blocks azkv` with no input
/// exits successfully; a harness from before it exits with its usage).
fn has_blocks(mut command: Command) -> bool {
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    command.status().is_ok_and(|s| s.success())
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
    let placement = super::placement::Placement::detect();
    let emulator = Server::start(placement.server(Command::new(bin("azkv-emulator"))), "azkv-emulator")?;
    let bare = Server::start(
        placement.server({
            let mut c = Command::new(bin("throughput"));
            c.arg("serve-bare");
            c
        }),
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
    let server = |target: &str| if target == "bare" { &bare } else { &emulator };
    let target_env = |command: &mut Command, target: &str| -> anyhow::Result<()> {
        let (vault_url, addr, ca) = server(target).target()?;
        command
            .env("BENCH_VAULT_URL", vault_url)
            .env("BENCH_ADDR", addr)
            .env("BENCH_CA", ca)
            .env("BENCH_TARGET", target)
            .env("BENCH_TOKEN", &token)
            .env_remove("RUST_LOG");
        Ok(())
    };
    let before = match plan.before.as_deref() {
        Some(before) => {
            let mut probe = Command::new(before);
            probe.args(["blocks", "azkv"]);
            target_env(&mut probe, "bare")?;
            Some((before, has_blocks(probe)))
        }
        None => None,
    };
    let clients = clients(&bin, before);
    // A client's process against `target`: in block mode, or with `env` in its `run` mode.
    let client_command = |client: &Client, target: &str, env: Option<&[(&str, String)]>| -> anyhow::Result<Command> {
        let mut c = Command::new(&client.program);
        match (env, &client.block_args) {
            (None, Some(args)) => c.args(args),
            _ => c.args(&client.run_args),
        };
        target_env(&mut c, target)?;
        for (k, v) in env.unwrap_or_default() {
            c.env(k, v);
        }
        Ok(c)
    };
    let labels = clients.iter().map(|c| c.label).collect::<Vec<_>>().join(", ");
    let per_block = clients.iter().filter(|c| c.block_args.is_none()).map(|c| c.label).collect::<Vec<_>>();
    commands.push(format!(
        "throughput, per round: for each target (`throughput serve-bare`, `azkv-emulator`), one process per client \
         ({labels}) alive for the round (`throughput blocks CLIENT`, `ms-throughput blocks`){}; for each operation and \
         concurrency, {} warm-up operations per client, then {} measured operations per client in blocks of {} \
         (at least 8 × the concurrency), the clients taking turns block by block in an order drawn afresh for each block \
         and each round; {} round(s); {}",
        if per_block.is_empty() {
            String::new()
        } else {
            format!(" ({} from before the block mode: a fresh process per block)", per_block.join(", "))
        },
        plan.warmup,
        plan.ops,
        plan.block,
        plan.rounds,
        placement.describe()
    ));

    let load_before = super::report::load_average();
    let mut per_round: Vec<BTreeMap<CellKey, CellStats>> = Vec::new();
    let mut failures = Vec::new();
    for round in 0..plan.rounds {
        println!("==> throughput round {}/{}", round + 1, plan.rounds);
        let mut cells = BTreeMap::new();
        for (target_index, &target) in TARGETS.iter().enumerate() {
            // Every client's process for this round, ready (connected, the secret seeded) before
            // any block runs; `None` for a client that could not start.
            let mut runners: Vec<Option<Runner>> = Vec::new();
            for client in &clients {
                let what = format!("{} ({target})", client.label);
                let command = client_command(client, target, None)?;
                let runner = if client.block_args.is_some() {
                    BlockProcess::start(placement.client(command), &what).map(Runner::Blocks)
                } else {
                    let env = command.get_envs().map(|(k, v)| (k.to_owned(), v.map(ToOwned::to_owned))).collect();
                    let per_block = PerBlock::new(&client.program, &client.run_args, env, &what, placement.clone());
                    Ok(Runner::PerBlock(per_block))
                };
                runners.push(match runner {
                    Ok(r) => Some(r),
                    Err(e) => {
                        eprintln!("    {what}, round {}: {e:#}; its samples left out", round + 1);
                        failures.push(format!("{what}, round {} (did not start)", round + 1));
                        None
                    }
                });
            }
            for (op_index, &op) in OPS.iter().enumerate() {
                for &c in CONCURRENCY {
                    let (size, blocks) = plan.blocks(c);
                    let mut failed = vec![false; clients.len()];
                    let mut fail = |i: usize, e: anyhow::Error, failed: &mut Vec<bool>| {
                        let what =
                            format!("{} ({target}, {op}, concurrency {c}), round {}", clients[i].label, round + 1);
                        eprintln!("    {what}: {e:#}; sample left out");
                        failures.push(what);
                        failed[i] = true;
                    };
                    let pids: Vec<Option<u32>> = runners.iter().map(|r| r.as_ref().and_then(Runner::pid)).collect();
                    let counting = perf
                        .is_ok()
                        .then(|| PerfAttach::start(&pids.iter().flatten().copied().collect::<Vec<_>>()))
                        .transpose()?;
                    for (i, pid) in pids.iter().enumerate() {
                        if let Some(Err(e)) = pid.map(|pid| placement.place(pid, c)) {
                            fail(i, e, &mut failed);
                        }
                    }
                    for (i, runner) in runners.iter_mut().enumerate() {
                        if let Some(Err(e)) = runner.as_mut().filter(|_| !failed[i]).map(|r| r.warm(op, c, plan.warmup))
                        {
                            fail(i, e, &mut failed);
                        }
                    }
                    for k in 0..blocks {
                        let seed = [round, target_index, op_index, c, k];
                        for i in shuffled(clients.len(), seed) {
                            if failed[i] {
                                continue;
                            }
                            if let Some(Err(e)) = runners[i].as_mut().map(|r| r.block(op, c, size)) {
                                fail(i, e, &mut failed);
                            }
                        }
                    }
                    let mut counts = counting.map(PerfAttach::stop).unwrap_or_default().into_iter();
                    for (i, runner) in runners.iter_mut().enumerate() {
                        let count = if pids[i].is_some() { counts.next().flatten() } else { None };
                        let Some(runner) = runner.as_mut().filter(|_| !failed[i]) else { continue };
                        let mut stats = match runner.cell(op, c) {
                            Ok(stats) => stats,
                            Err(e) => {
                                fail(i, e, &mut failed);
                                continue;
                            }
                        };
                        let counted_ops = plan.warmup.max(c) + size * blocks;
                        stats.instructions_per_op = count.map_or(f64::NAN, |n| n / counted_ops as f64);
                        let label = clients[i].label;
                        println!(
                            "    {label:<11} {target:<8} {op} c={c:<2} {:>8.0} ops/s  p50 {:>7.0} µs  p99 {:>7.0} µs  cpu {:>5.1} µs/op",
                            stats.ops_per_sec, stats.p50_us, stats.p99_us, stats.cpu_us_per_op
                        );
                        cells.insert((label.to_owned(), target.to_owned(), op.to_owned(), c), stats);
                    }
                }
            }
        }
        per_round.push(cells);
    }
    let load_after = super::report::load_average();

    // azkv's layers alone, counted by callgrind only (not in the timed rounds): raw reqwest's
    // request through azkv's transport, then through the whole pipeline without decoding.
    let layers = ["azkv-transport", "azkv-pipeline"]
        .map(|label| Client::harness(label, bin("throughput"), &["run", "--clients", label], None));
    let counted: Vec<&Client> = clients.iter().filter(|c| c.label != "raw-minimal").chain(&layers).collect();
    let (callgrind, callgrind_command) = if plan.callgrind {
        match super::callgrind::count(&counted, |client, env| client_command(client, "bare", Some(env)))? {
            Some((counts, command)) => (counts, Some(command)),
            None => (BTreeMap::new(), None),
        }
    } else {
        (BTreeMap::new(), None)
    };
    drop((emulator, bare));

    let mut samples: BTreeMap<&CellKey, Vec<&CellStats>> = BTreeMap::new();
    for (key, stats) in per_round.iter().flatten() {
        samples.entry(key).or_default().push(stats);
    }
    let cells = samples
        .into_iter()
        .map(|(key, s)| {
            let pick = |f: fn(&CellStats) -> f64| median(&mut s.iter().map(|c| f(c)).collect::<Vec<_>>());
            let stats = CellStats {
                ops_per_sec: pick(|c| c.ops_per_sec),
                p50_us: pick(|c| c.p50_us),
                p99_us: pick(|c| c.p99_us),
                cpu_us_per_op: pick(|c| c.cpu_us_per_op),
                instructions_per_op: pick(|c| c.instructions_per_op),
            };
            (key.clone(), stats)
        })
        .collect();
    Ok(Throughput {
        cells,
        per_round,
        callgrind,
        rounds: plan.rounds,
        ops: plan.ops,
        block: plan.block,
        warmup: plan.warmup,
        commands,
        perf_missing: perf.err(),
        callgrind_command,
        loads: vec![("before the throughput runs", load_before), ("after them", load_after)],
        failures,
    })
}

/// The order of `n` clients' turns for one block: a permutation drawn afresh (deterministically)
/// from `seed`. Not a rotation: a client's blocks would then always follow the same other
/// client's, and whatever that client leaves behind (a process exiting, connections the server
/// closes, caches it filled) would always fall on the same one.
fn shuffled(n: usize, seed: [usize; 5]) -> Vec<usize> {
    // FNV-1a over the seed, then xorshift64* draws for a Fisher–Yates shuffle.
    let mut x = seed.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &v| (h ^ v as u64).wrapping_mul(0x0100_0000_01b3)) | 1;
    let mut next = move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    order
}

/// The count in a `perf stat -x ,` output file.
pub(super) fn read_perf(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.contains("instructions"))?;
    line.split(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{Plan, shuffled};

    #[test]
    fn turns_are_permutations_and_every_client_follows_every_other() {
        let n = 5;
        let mut follows = [[0usize; 5]; 5];
        for k in 0..200 {
            let order = shuffled(n, [0, 1, 0, 16, k]);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "block {k}: {order:?}");
            for pair in order.windows(2) {
                follows[pair[1]][pair[0]] += 1;
            }
        }
        for (a, row) in follows.iter().enumerate() {
            for (b, &count) in row.iter().enumerate() {
                // 200 blocks, 4 neighbours each: 40 per ordered pair on average.
                assert!(a == b || (20..=60).contains(&count), "{a} after {b}: {count} times");
            }
        }
        assert_eq!(shuffled(n, [1, 2, 3, 4, 5]), shuffled(n, [1, 2, 3, 4, 5]), "deterministic");
        assert_eq!(shuffled(1, [0; 5]), vec![0]);
    }

    #[test]
    fn blocks_hold_at_least_eight_times_the_concurrency_and_cover_the_cell() {
        let plan = Plan::new(false, Some(3), Some(3000), Some(250), None);
        assert_eq!(plan.blocks(1), (250, 12));
        assert_eq!(plan.blocks(16), (250, 12));
        assert_eq!(plan.blocks(64), (512, 6));
        // A cell smaller than a block is one block.
        let small = Plan::new(true, None, Some(100), Some(250), None);
        assert_eq!(small.blocks(1), (100, 1));
        assert_eq!(small.blocks(64), (100, 1));
    }
}
