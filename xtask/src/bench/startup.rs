//! The cost of getting started: a clean release build of the quickstart, and the time from
//! start to its first secret.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

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
