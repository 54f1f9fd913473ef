//! The load driver, shared word for word by `throughput` and `ms-throughput` (which includes
//! this file by path), so every client is measured by the same code.
//!
//! A cell is one operation at one concurrency: `concurrency` tasks on the caller's runtime take
//! operation numbers from a shared counter until `ops` have been issued; each operation's latency
//! is recorded; throughput is `ops / wall time`. A warm-up cell at the same concurrency (its
//! results thrown away) opens connections and fills caches first. Any failed operation fails the
//! whole run: a figure is never computed from errors.
//!
//! `cargo xtask bench` runs the clients in *blocks* (`serve_blocks`): every client's process stays
//! alive for a round and runs short blocks of operations when told, the clients taking turns
//! block by block, so that the machine's swings (which on a shared 2-core VM move throughput by a
//! quarter within a second) hit every client alike.

use std::collections::HashMap;
use std::future::Future;
use std::io::BufRead as _;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The operations a client can be measured on.
const OPERATIONS: [&str; 2] = ["get", "set"];

/// One operation of a client, called with the operation's number.
pub(crate) type Operation = Arc<dyn Fn(usize) -> OperationFuture + Send + Sync>;
/// What an [`Operation`] returns: resolves when the operation has completed.
pub(crate) type OperationFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// `f` as an [`Operation`] (every client pays the same boxed future per operation).
pub(crate) fn operation<F, Fut>(f: F) -> Operation
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(move |i| Box::pin(f(i)))
}

/// What to run, from the environment: `BENCH_OPS` (default 2000), `BENCH_WARMUP` (default 200),
/// `BENCH_CONCURRENCY` (default `1,16,64`) and `BENCH_OPERATIONS` (default `get,set`), so that
/// `cargo xtask bench` can run one cell per process.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) ops: usize,
    pub(crate) warmup: usize,
    pub(crate) concurrency: Vec<usize>,
    pub(crate) operations: Vec<String>,
}

impl Settings {
    pub(crate) fn from_env() -> Result<Self, String> {
        let num = |var: &str, default: usize| -> Result<usize, String> {
            match std::env::var(var) {
                Ok(v) => v.trim().parse().map_err(|e| format!("{var}={v}: {e}")),
                Err(_) => Ok(default),
            }
        };
        let concurrency = std::env::var("BENCH_CONCURRENCY").unwrap_or_else(|_| "1,16,64".into());
        let concurrency = concurrency
            .split(',')
            .map(|c| c.trim().parse::<usize>().map_err(|e| format!("BENCH_CONCURRENCY={concurrency}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if concurrency.contains(&0) {
            return Err("BENCH_CONCURRENCY: concurrency 0".into());
        }
        let operations = std::env::var("BENCH_OPERATIONS").unwrap_or_else(|_| "get,set".into());
        let operations: Vec<String> = operations.split(',').map(|o| o.trim().to_owned()).collect();
        if let Some(bad) = operations.iter().find(|o| !OPERATIONS.contains(&o.as_str())) {
            return Err(format!("BENCH_OPERATIONS: unknown operation `{bad}` (get, set)"));
        }
        Ok(Self { ops: num("BENCH_OPS", 2000)?.max(1), warmup: num("BENCH_WARMUP", 200)?, concurrency, operations })
    }

    /// The operations to measure, in order.
    pub(crate) fn operations(&self) -> impl Iterator<Item = &str> {
        self.operations.iter().map(String::as_str)
    }
}

/// One measured cell.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub(crate) client: String,
    pub(crate) target: String,
    pub(crate) op: String,
    pub(crate) concurrency: usize,
    pub(crate) ops: usize,
    pub(crate) secs: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    /// CPU time of this whole process (every thread, user and system) per operation; `None`
    /// where `/proc/self/stat` cannot be read.
    pub(crate) cpu_us_per_op: Option<f64>,
}

/// CPU time used so far by this process (every thread, user and system): the sum of the
/// threads' run time in `/proc/self/task/*/schedstat` (nanoseconds), or failing that
/// `/proc/self/stat`'s clock ticks (assumed 100 per second as on Linux). Threads that have
/// already exited are not counted by the first, so the runtime's workers must outlive the cell.
fn process_cpu() -> Option<Duration> {
    schedstat_cpu().or_else(stat_cpu)
}

fn schedstat_cpu() -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

fn stat_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime): (u64, u64) = (fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?);
    Some(Duration::from_millis((utime + stime) * 10))
}

impl Cell {
    /// The cell of `ops` operations taking `secs` of wall time, `latencies` (in any order) and
    /// `cpu` of process CPU time.
    fn new(
        (client, target, op): (&str, &str, &str),
        concurrency: usize,
        secs: f64,
        mut latencies: Vec<Duration>,
        cpu: Option<Duration>,
    ) -> Self {
        latencies.sort_unstable();
        let ops = latencies.len();
        Self {
            client: client.into(),
            target: target.into(),
            op: op.into(),
            concurrency,
            ops,
            secs,
            p50_us: percentile_us(&latencies, 50),
            p99_us: percentile_us(&latencies, 99),
            cpu_us_per_op: cpu.map(|c| c.as_secs_f64() * 1e6 / ops.max(1) as f64),
        }
    }

    /// One JSON line, as `cargo xtask bench` reads it.
    pub(crate) fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    fn to_value(&self) -> serde_json::Value {
        serde_json::json!({
            "client": self.client,
            "target": self.target,
            "op": self.op,
            "concurrency": self.concurrency,
            "ops": self.ops,
            "secs": self.secs,
            "ops_per_sec": self.ops as f64 / self.secs,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "cpu_us_per_op": self.cpu_us_per_op,
        })
    }
}

/// Runs `op(i)` `ops` times with `concurrency` tasks: `(wall time, every latency)`, or the
/// first error.
async fn run(concurrency: usize, ops: usize, op: Operation) -> Result<(Duration, Vec<Duration>), String> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (next, op) = (next.clone(), op.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(ops / concurrency + 1);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= ops {
                    return Ok(latencies);
                }
                let t = Instant::now();
                op(i).await?;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(ops);
    for task in tasks {
        let latencies: Result<Vec<Duration>, String> = task.await.map_err(|e| format!("task failed: {e}"))?;
        all.extend(latencies?);
    }
    Ok((started.elapsed(), all))
}

/// [`run`], and the process CPU time it took (`None` where it cannot be read).
async fn run_timed(
    concurrency: usize,
    ops: usize,
    op: Operation,
) -> Result<(Duration, Vec<Duration>, Option<Duration>), String> {
    let before = process_cpu();
    let (wall, latencies) = run(concurrency, ops, op).await?;
    let cpu = process_cpu().zip(before).map(|(after, before)| after.saturating_sub(before));
    Ok((wall, latencies, cpu))
}

fn percentile_us(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e6
}

/// Measures `op` at each concurrency of `settings` (a warm-up cell first each time), prints one
/// JSON line per cell on stdout and returns the cells.
pub(crate) async fn measure(
    client: &str,
    target: &str,
    op_name: &str,
    settings: &Settings,
    op: Operation,
) -> Result<Vec<Cell>, String> {
    let mut cells = Vec::new();
    for &concurrency in &settings.concurrency {
        if settings.warmup > 0 {
            run(concurrency, settings.warmup.max(concurrency), op.clone())
                .await
                .map_err(|e| format!("{client} {op_name} (warm-up, concurrency {concurrency}): {e}"))?;
        }
        let (wall, latencies, cpu) = run_timed(concurrency, settings.ops, op.clone())
            .await
            .map_err(|e| format!("{client} {op_name} (concurrency {concurrency}): {e}"))?;
        let cell = Cell::new((client, target, op_name), concurrency, wall.as_secs_f64(), latencies, cpu);
        println!("{}", cell.to_json());
        cells.push(cell);
    }
    Ok(cells)
}

/// A line of the block protocol read by [`serve_blocks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// `warm OP CONCURRENCY N`: run `N` operations (at least `CONCURRENCY`) and forget them;
    /// answered `{"warm":N}`.
    Warm { op: String, concurrency: usize, ops: usize },
    /// `block OP CONCURRENCY N`: run `N` operations and add them to the cell `(OP, CONCURRENCY)`;
    /// answered `{"ops":N,"secs":S}`.
    Block { op: String, concurrency: usize, ops: usize },
    /// `cell OP CONCURRENCY`: the cell's JSON line over all its blocks since the last `cell`
    /// (throughput = operations / the blocks' wall time; percentiles over every latency; CPU
    /// per operation over the blocks only); the cell starts again empty.
    Cell { op: String, concurrency: usize },
}

impl Command {
    /// Parses one line; every error names the line.
    pub(crate) fn parse(line: &str) -> Result<Self, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |w: &str, what: &str| w.parse::<usize>().map_err(|e| format!("`{line}`: {what} `{w}`: {e}"));
        let operation = |w: &str| match OPERATIONS.contains(&w) {
            true => Ok(w.to_owned()),
            false => Err(format!("`{line}`: unknown operation `{w}` (get, set)")),
        };
        let concurrency = |w: &str| match number(w, "concurrency")? {
            0 => Err(format!("`{line}`: concurrency 0")),
            c => Ok(c),
        };
        match words.as_slice() {
            ["warm", op, c, n] => {
                Ok(Self::Warm { op: operation(op)?, concurrency: concurrency(c)?, ops: number(n, "count")? })
            }
            ["block", op, c, n] => match number(n, "count")? {
                0 => Err(format!("`{line}`: an empty block")),
                ops => Ok(Self::Block { op: operation(op)?, concurrency: concurrency(c)?, ops }),
            },
            ["cell", op, c] => Ok(Self::Cell { op: operation(op)?, concurrency: concurrency(c)? }),
            _ => Err(format!("`{line}`: expected `warm OP C N`, `block OP C N` or `cell OP C`")),
        }
    }
}

/// The blocks of one cell so far.
#[derive(Default)]
struct Pooled {
    secs: f64,
    latencies: Vec<Duration>,
    cpu: Duration,
    /// Whether some block's CPU time could not be read.
    cpu_unknown: bool,
}

/// Serves the block protocol ([`Command`]) on standard input and output until input ends: first
/// a `{"ready":true}` line, then one answer line per command, `{"error":"..."}` for a command
/// that failed (the process goes on). `operation` gives the client's operation by name; it is
/// called once per name, inside `runtime`.
pub(crate) fn serve_blocks(
    runtime: &tokio::runtime::Runtime,
    client: &str,
    target: &str,
    operation: &dyn Fn(&str) -> Result<Operation, String>,
) -> Result<(), String> {
    let mut operations: HashMap<String, Operation> = HashMap::new();
    let mut cells: HashMap<(String, usize), Pooled> = HashMap::new();
    println!("{}", serde_json::json!({ "ready": true }));
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("reading standard input: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut answer = || -> Result<serde_json::Value, String> {
            let command = Command::parse(&line)?;
            let (op_name, concurrency) = match &command {
                Command::Warm { op, concurrency, .. }
                | Command::Block { op, concurrency, .. }
                | Command::Cell { op, concurrency } => (op.clone(), *concurrency),
            };
            let op = match operations.get(&op_name) {
                Some(op) => op.clone(),
                None => {
                    let _entered = runtime.enter();
                    let op = operation(&op_name)?;
                    operations.insert(op_name.clone(), op.clone());
                    op
                }
            };
            let what = |e: String| format!("{client} {op_name} (concurrency {concurrency}): {e}");
            match command {
                Command::Warm { ops, .. } => {
                    runtime.block_on(run(concurrency, ops.max(concurrency), op)).map_err(what)?;
                    Ok(serde_json::json!({ "warm": ops }))
                }
                Command::Block { ops, .. } => {
                    let (wall, latencies, cpu) = runtime.block_on(run_timed(concurrency, ops, op)).map_err(what)?;
                    let pooled = cells.entry((op_name.clone(), concurrency)).or_default();
                    pooled.secs += wall.as_secs_f64();
                    pooled.latencies.extend(latencies);
                    match cpu {
                        Some(cpu) => pooled.cpu += cpu,
                        None => pooled.cpu_unknown = true,
                    }
                    Ok(serde_json::json!({ "ops": ops, "secs": wall.as_secs_f64() }))
                }
                Command::Cell { .. } => {
                    let pooled = cells.remove(&(op_name.clone(), concurrency)).unwrap_or_default();
                    if pooled.latencies.is_empty() {
                        return Err(what("no block has run".into()));
                    }
                    let cell = Cell::new(
                        (client, target, &op_name),
                        concurrency,
                        pooled.secs,
                        pooled.latencies,
                        (!pooled.cpu_unknown).then_some(pooled.cpu),
                    );
                    Ok(cell.to_value())
                }
            }
        };
        let reply = answer().unwrap_or_else(|e| serde_json::json!({ "error": e }));
        println!("{reply}");
    }
    Ok(())
}

/// The benchmark's target, from the environment: `BENCH_VAULT_URL` (for example
/// `https://benchvault.vault.azure.net:PORT`), `BENCH_ADDR` (the address that host resolves to),
/// `BENCH_CA` (path of the CA's PEM), `BENCH_TOKEN` (the bearer token every client sends) and
/// `BENCH_TARGET` (a label: `emulator`, `bare`).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) vault_url: String,
    pub(crate) host: String,
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) ca_pem: Vec<u8>,
    pub(crate) token: String,
    pub(crate) label: String,
}

impl Target {
    pub(crate) fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let vault_url = var("BENCH_VAULT_URL")?;
        let host = vault_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split([':', '/']).next())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("BENCH_VAULT_URL={vault_url}: no host"))?
            .to_owned();
        let addr = var("BENCH_ADDR")?.parse().map_err(|e| format!("BENCH_ADDR: {e}"))?;
        let ca_path = var("BENCH_CA")?;
        let ca_pem = std::fs::read(&ca_path).map_err(|e| format!("reading BENCH_CA={ca_path}: {e}"))?;
        let token = var("BENCH_TOKEN")?;
        let label = std::env::var("BENCH_TARGET").unwrap_or_else(|_| "emulator".into());
        Ok(Self { vault_url: vault_url.trim_end_matches('/').to_owned(), host, addr, ca_pem, token, label })
    }
}

/// The secret every `get` reads, written once before the measurements.
pub(crate) const GET_NAME: &str = "bench-get";
/// The secret every `set` writes (a new version each time).
pub(crate) const SET_NAME: &str = "bench-set";
/// The value written.
pub(crate) const VALUE: &str = "s3cr3t-value-for-the-throughput-benchmark";

#[cfg(test)]
mod tests {
    use super::Command;

    #[test]
    fn block_commands_parse_and_bad_ones_say_what_is_wrong() {
        assert_eq!(
            Command::parse("block get 16 250"),
            Ok(Command::Block { op: "get".into(), concurrency: 16, ops: 250 })
        );
        assert_eq!(Command::parse(" warm set 1 0 "), Ok(Command::Warm { op: "set".into(), concurrency: 1, ops: 0 }));
        assert_eq!(Command::parse("cell set 64"), Ok(Command::Cell { op: "set".into(), concurrency: 64 }));
        for (line, says) in [
            ("block list 1 10", "unknown operation `list`"),
            ("block get 0 10", "concurrency 0"),
            ("block get 1 0", "an empty block"),
            ("block get 1 ten", "count `ten`"),
            ("cell get", "expected"),
            ("", "expected"),
        ] {
            let err = Command::parse(line).unwrap_err();
            assert!(err.contains(says), "{line:?}: {err}");
        }
    }
}
