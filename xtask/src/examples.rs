//! Runs every example non-interactively against its embedded emulator.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long one example may take before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(180);

/// The arguments an example needs to run without a terminal.
fn args_for(name: &str) -> &'static [&'static str] {
    match name {
        "quickstart" => &["--name", "xtask-quickstart", "--value", "hello from cargo xtask test"],
        _ => &[],
    }
}

/// The example names: the `.rs` files in `examples/examples/`, sorted.
pub(crate) fn names(root: &Path) -> anyhow::Result<Vec<String>> {
    let dir = root.join("examples").join("examples");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            names.push(stem.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Builds the examples, then runs each with stdin closed and no vault variables set, so each
/// uses its embedded emulator; fails on the first that fails or hangs.
pub(crate) fn run_all() -> anyhow::Result<()> {
    let root = crate::project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "-q", "-p", "examples", "--examples", "--all-features"])
        .current_dir(&root)
        .status()
        .context("cannot run cargo build for the examples")?;
    if !status.success() {
        bail!("building the examples failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(Into::into).unwrap_or_else(|| root.join("target"));
    for name in names(&root)? {
        let binary = target.join("debug").join("examples").join(&name);
        let started = Instant::now();
        let mut child = Command::new(&binary)
            .args(args_for(&name))
            .env_remove("KEY_VAULT_NAME")
            .env_remove("VAULT_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        // Drain both pipes while the example runs: one that prints more than a pipe holds
        // (64 KiB) would otherwise block on its write until the timeout.
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if started.elapsed() > TIMEOUT {
                let _ = child.kill();
                bail!("example `{name}` did not finish within {TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (stdout, stderr) = (collect(stdout), collect(stderr));
        if !status.success() {
            eprintln!("{}", String::from_utf8_lossy(&stdout));
            eprintln!("{}", String::from_utf8_lossy(&stderr));
            bail!("example `{name}` failed ({status})");
        }
        println!("    example {name:<24} ok in {:.2}s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Reads `pipe` to its end on a thread of its own.
fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> Option<std::thread::JoinHandle<Vec<u8>>> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            out
        })
    })
}

/// What a [`drain`] thread read.
fn collect(reader: Option<std::thread::JoinHandle<Vec<u8>>>) -> Vec<u8> {
    reader.and_then(|r| r.join().ok()).unwrap_or_default()
}
