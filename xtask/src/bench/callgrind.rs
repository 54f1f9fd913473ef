//! Instructions per operation under callgrind: each client at concurrency 1 against the bare
//! server, run twice with different operation counts so that start-up and warm-up cancel out.
//! Counted, not timed: the same on a busy machine as on a quiet one.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::throughput::{BOTH, Client, OPS};

/// `(client, op)` to instructions per operation.
pub(super) type Counts = BTreeMap<(String, String), f64>;

/// Counts `clients` (`command` gives a client's `run`-mode process against the bare server with
/// the given environment): `(client, op)` to instructions per operation, and how they were
/// counted; `None` where valgrind is not installed.
pub(super) fn count(
    clients: &[&Client],
    command: impl Fn(&Client, &[(&str, String)]) -> anyhow::Result<Command>,
) -> anyhow::Result<Option<(Counts, String)>> {
    if !Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Ok(None);
    }
    let mut callgrind = BTreeMap::new();
    let (small, large, warmup) = (100usize, 500usize, 50usize);
    let described = format!(
        "valgrind --tool=callgrind --callgrind-out-file=/dev/null CLIENT against `throughput serve-bare`, \
         BENCH_CONCURRENCY=1 BENCH_WARMUP={warmup}, once with BENCH_OPS={small} and once with BENCH_OPS={large}; \
         instructions per operation = (Ir at {large} − Ir at {small}) / {}",
        large - small
    );
    for client in clients {
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
                let plain = command(client, &env)?;
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
    Ok(Some((callgrind, described)))
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
