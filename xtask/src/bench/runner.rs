//! A client of the throughput matrix while a round runs: a process told block by block what to
//! run (`throughput blocks CLIENT`, `ms-throughput blocks`; the protocol is `serve_blocks` in
//! `benches/throughput/src/driver.rs`), or, for a harness built before that protocol (`--before`
//! from an older commit), a fresh process per block.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use super::stats::median;
use super::throughput::CellStats;

/// Warm-up operations of a fresh per-block process (at least the concurrency): its connection
/// and caches, not measured.
const PER_BLOCK_WARMUP: usize = 50;

/// One client's process (or processes) against one target for one round.
pub(super) enum Runner {
    Blocks(BlockProcess),
    PerBlock(PerBlock),
}

impl Runner {
    /// Runs `ops` operations (at least `concurrency`) that are not measured.
    pub(super) fn warm(&mut self, op: &str, concurrency: usize, ops: usize) -> anyhow::Result<()> {
        match self {
            Self::Blocks(p) => p.ask(&format!("warm {op} {concurrency} {ops}")).map(drop),
            // Each of its processes warms up by itself.
            Self::PerBlock(_) => Ok(()),
        }
    }

    /// Runs one measured block of `ops` operations of the cell `(op, concurrency)`.
    pub(super) fn block(&mut self, op: &str, concurrency: usize, ops: usize) -> anyhow::Result<()> {
        match self {
            Self::Blocks(p) => p.ask(&format!("block {op} {concurrency} {ops}")).map(drop),
            Self::PerBlock(p) => p.block(op, concurrency, ops),
        }
    }

    /// The cell's figures over its blocks (instructions not counted: NaN); the cell starts again.
    pub(super) fn cell(&mut self, op: &str, concurrency: usize) -> anyhow::Result<CellStats> {
        match self {
            Self::Blocks(p) => Ok(cell_stats(&p.ask(&format!("cell {op} {concurrency}"))?)),
            Self::PerBlock(p) => p.cell(op, concurrency),
        }
    }

    /// The process to count instructions of, when one process runs every block.
    pub(super) fn pid(&self) -> Option<u32> {
        match self {
            Self::Blocks(p) => Some(p.child.id()),
            Self::PerBlock(_) => None,
        }
    }
}

/// The figures of a cell's JSON line (as `driver.rs` prints it).
fn cell_stats(v: &serde_json::Value) -> CellStats {
    CellStats {
        ops_per_sec: v["ops_per_sec"].as_f64().unwrap_or_default(),
        p50_us: v["p50_us"].as_f64().unwrap_or_default(),
        p99_us: v["p99_us"].as_f64().unwrap_or_default(),
        cpu_us_per_op: v["cpu_us_per_op"].as_f64().unwrap_or(f64::NAN),
        instructions_per_op: f64::NAN,
    }
}

/// A harness process serving the block protocol; killed when dropped.
pub(super) struct BlockProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    what: String,
}

impl BlockProcess {
    /// Starts `command` (a harness in block mode) and waits for its ready line.
    pub(super) fn start(mut command: Command, what: &str) -> anyhow::Result<Self> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            bail!("{what}: no standard input or output");
        };
        let mut process = Self { child, stdin, stdout: BufReader::new(stdout), what: what.to_owned() };
        let ready = process.read()?;
        if ready["ready"] != true {
            bail!("{what} is not ready: {ready}");
        }
        Ok(process)
    }

    /// Sends one command and reads its answer; an `error` answer is an error.
    fn ask(&mut self, line: &str) -> anyhow::Result<serde_json::Value> {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .with_context(|| format!("{}: cannot send `{line}` (has it exited?)", self.what))?;
        let answer = self.read()?;
        if let Some(e) = answer["error"].as_str() {
            bail!("{}: `{line}`: {e}", self.what);
        }
        Ok(answer)
    }

    fn read(&mut self) -> anyhow::Result<serde_json::Value> {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).with_context(|| format!("reading from {}", self.what))?;
        if n == 0 {
            bail!("{} exited", self.what);
        }
        serde_json::from_str(line.trim()).with_context(|| format!("{} answered {line:?}", self.what))
    }
}

impl Drop for BlockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An older harness, run once per block (`run --clients azkv` with `BENCH_OPS` set to the
/// block), its blocks pooled here: throughput over the blocks' summed wall time, CPU per
/// operation weighted by operations, and (the latencies not being at hand) the medians of the
/// blocks' p50 and p99.
pub(super) struct PerBlock {
    program: PathBuf,
    args: Vec<String>,
    /// Variables to set (`Some`) or remove (`None`).
    env: Vec<(OsString, Option<OsString>)>,
    what: String,
    blocks: HashMap<(String, usize), Vec<Done>>,
    placement: super::placement::Placement,
}

/// A block run: its operations, wall time and figures.
struct Done {
    ops: f64,
    secs: f64,
    stats: CellStats,
}

impl PerBlock {
    /// Runs `program args` with `env` for each block, where `placement` puts clients.
    pub(super) fn new(
        program: &Path,
        args: &[String],
        env: Vec<(OsString, Option<OsString>)>,
        what: &str,
        placement: super::placement::Placement,
    ) -> Self {
        Self {
            program: program.to_owned(),
            args: args.to_vec(),
            env,
            what: what.to_owned(),
            blocks: HashMap::new(),
            placement,
        }
    }

    fn block(&mut self, op: &str, concurrency: usize, ops: usize) -> anyhow::Result<()> {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for (k, v) in &self.env {
            match v {
                Some(v) => command.env(k, v),
                None => command.env_remove(k),
            };
        }
        command
            .env("BENCH_OPS", ops.to_string())
            .env("BENCH_WARMUP", PER_BLOCK_WARMUP.max(concurrency).to_string())
            .env("BENCH_CONCURRENCY", concurrency.to_string())
            .env("BENCH_OPERATIONS", op);
        let out = super::process::run_capture(self.placement.client_for(command, concurrency), &self.what)?;
        let line = out
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["op"].as_str() == Some(op))
            .with_context(|| format!("{}: no `{op}` cell in its output", self.what))?;
        let secs = line["secs"].as_f64().context("no `secs`")?;
        let done = line["ops"].as_f64().unwrap_or(ops as f64);
        self.blocks.entry((op.to_owned(), concurrency)).or_default().push(Done {
            ops: done,
            secs,
            stats: cell_stats(&line),
        });
        Ok(())
    }

    fn cell(&mut self, op: &str, concurrency: usize) -> anyhow::Result<CellStats> {
        let blocks = self.blocks.remove(&(op.to_owned(), concurrency)).unwrap_or_default();
        if blocks.is_empty() {
            bail!("{}: no block of {op} at {concurrency} has run", self.what);
        }
        let ops: f64 = blocks.iter().map(|b| b.ops).sum();
        let secs: f64 = blocks.iter().map(|b| b.secs).sum();
        let pick = |f: fn(&CellStats) -> f64| median(&mut blocks.iter().map(|b| f(&b.stats)).collect::<Vec<_>>());
        Ok(CellStats {
            ops_per_sec: ops / secs,
            p50_us: pick(|c| c.p50_us),
            p99_us: pick(|c| c.p99_us),
            cpu_us_per_op: blocks.iter().map(|b| b.ops * b.stats.cpu_us_per_op).sum::<f64>() / ops,
            instructions_per_op: f64::NAN,
        })
    }
}

/// `perf stat` attached to running processes, counting their user-space instructions until
/// stopped.
pub(super) struct PerfAttach {
    counters: Vec<(Child, PathBuf)>,
}

impl PerfAttach {
    /// Attaches one `perf stat -e instructions:u` to each of `pids` (given a moment to attach).
    pub(super) fn start(pids: &[u32]) -> anyhow::Result<Self> {
        let mut counters = Vec::new();
        for (i, pid) in pids.iter().enumerate() {
            let out = std::env::temp_dir().join(format!("xtask-bench-perf-{}-{i}.csv", std::process::id()));
            let child = Command::new("perf")
                .args(["stat", "-x", ",", "-e", "instructions:u", "-o"])
                .arg(&out)
                .args(["-p", &pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot run perf stat -p")?;
            counters.push((child, out));
        }
        std::thread::sleep(Duration::from_millis(100));
        Ok(Self { counters })
    }

    /// Stops counting: each process's count, in the order given (`None` where none was read).
    pub(super) fn stop(self) -> Vec<Option<f64>> {
        self.counters
            .into_iter()
            .map(|(mut child, out)| {
                // perf stat writes its counts when interrupted.
                let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
                let _ = child.wait();
                let count = super::throughput::read_perf(&out);
                let _ = std::fs::remove_file(&out);
                count
            })
            .collect()
    }
}
