//! The load driver, shared word for word by `throughput` and `ms-throughput` (which includes
//! this file by path), so every client is measured by the same code.
//!
//! A cell is one operation at one concurrency: `concurrency` tasks on the caller's runtime take
//! operation numbers from a shared counter until `ops` have been issued; each operation's latency
//! is recorded; throughput is `ops / wall time`. A warm-up cell at the same concurrency (its
//! results thrown away) opens connections and fills caches first. Any failed operation fails the
//! whole run: a figure is never computed from errors.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
        if let Some(bad) = operations.iter().find(|o| !matches!(o.as_str(), "get" | "set")) {
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
    /// One JSON line, as `cargo xtask bench` reads it.
    pub(crate) fn to_json(&self) -> String {
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
        .to_string()
    }
}

/// Runs `op(i)` `ops` times with `concurrency` tasks: `(wall time, every latency)`, or the
/// first error.
async fn run<F, Fut>(concurrency: usize, ops: usize, op: Arc<F>) -> Result<(Duration, Vec<Duration>), String>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
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

fn percentile_us(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e6
}

/// Measures `op` at each concurrency of `settings` (a warm-up cell first each time), prints one
/// JSON line per cell on stdout and returns the cells.
pub(crate) async fn measure<F, Fut>(
    client: &str,
    target: &str,
    op_name: &str,
    settings: &Settings,
    op: F,
) -> Result<Vec<Cell>, String>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let op = Arc::new(op);
    let mut cells = Vec::new();
    for &concurrency in &settings.concurrency {
        if settings.warmup > 0 {
            run(concurrency, settings.warmup.max(concurrency), op.clone())
                .await
                .map_err(|e| format!("{client} {op_name} (warm-up, concurrency {concurrency}): {e}"))?;
        }
        let cpu_before = process_cpu();
        let (wall, mut latencies) = run(concurrency, settings.ops, op.clone())
            .await
            .map_err(|e| format!("{client} {op_name} (concurrency {concurrency}): {e}"))?;
        let cpu = process_cpu().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
        latencies.sort_unstable();
        let cell = Cell {
            client: client.into(),
            target: target.into(),
            op: op_name.into(),
            concurrency,
            ops: latencies.len(),
            secs: wall.as_secs_f64(),
            p50_us: percentile_us(&latencies, 50),
            p99_us: percentile_us(&latencies, 99),
            cpu_us_per_op: cpu.map(|c| c.as_secs_f64() * 1e6 / settings.ops as f64),
        };
        println!("{}", cell.to_json());
        cells.push(cell);
    }
    Ok(cells)
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
