//! The `azkv` CLI's start-to-result time: `azkv secret show` against `azkv emulator` (HTTPS, strict
//! tokens), a fresh process per run, spawn to exit (issue 18; target under 20 ms).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use super::process::{Server, cargo_ok};

/// Timed runs the median is taken over (after one warm-up run).
const RUNS: usize = 21;

/// The measured runs of `azkv secret show`.
#[derive(Debug)]
pub(crate) struct CliShow {
    /// The command timed.
    pub(crate) command: String,
    /// Each run, spawn to exit, in milliseconds.
    pub(crate) runs_ms: Vec<f64>,
}

/// Builds `azkv` (release), starts its emulator, sets one secret, then times `azkv secret show`:
/// TLS handshake, the Key Vault challenge, a managed-identity token from the emulator and the read.
pub(crate) fn cli_show(cargo: &str, root: &Path) -> anyhow::Result<CliShow> {
    cargo_ok(cargo, root, &["build", "--release", "-p", "azkv-cli"], &[])?;
    let exe = root.join("target").join("release").join("azkv");
    let mut emulator = Command::new(&exe);
    emulator.args(["emulator", "--port", "0"]).env_remove("RUST_LOG");
    let server = Server::start(emulator, "azkv emulator")?;
    let (url, ca) = (server.str("url")?, server.str("ca_path")?);
    let (endpoint, header) = (server.str("token_endpoint")?, server.str("identity_header")?);
    let azkv = |args: &[&str]| {
        let mut cmd = Command::new(&exe);
        cmd.args(args)
            .args(["--vault-url", &url, "--ca-file", &ca])
            .env_clear()
            .env("IDENTITY_ENDPOINT", &endpoint)
            .env("IDENTITY_HEADER", &header)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    let set = azkv(&["secret", "set", "--name", "bench-cli", "--value", "hello", "-o", "none"]).output()?;
    if !set.status.success() {
        bail!("azkv secret set failed: {}", String::from_utf8_lossy(&set.stderr));
    }
    let show = ["secret", "show", "--name", "bench-cli"];
    let mut runs_ms = Vec::new();
    for i in 0..=RUNS {
        let started = Instant::now();
        let out = azkv(&show).output().context("cannot run azkv secret show")?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        if !out.status.success() {
            bail!("azkv secret show failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        if i > 0 {
            runs_ms.push(ms);
        }
    }
    println!("    azkv secret show: median {:.1} ms over {RUNS} runs", super::stats::median(&mut runs_ms.clone()));
    Ok(CliShow { command: format!("azkv {} --vault-url URL --ca-file CA", show.join(" ")), runs_ms })
}

/// The report's section on the CLI.
pub(crate) fn section(show: &CliShow) -> String {
    let median = super::stats::median(&mut show.runs_ms.clone());
    let (min, max) = show.runs_ms.iter().fold((f64::MAX, 0f64), |(lo, hi), ms| (lo.min(*ms), hi.max(*ms)));
    format!(
        "\n## Command-line tool (`azkv`)\n\n\
         Release build (`cargo build --release -p azkv-cli`); each run a fresh process against `azkv emulator` \
         (HTTPS, strict tokens): the Key Vault challenge, a managed-identity token from the emulator and the read.\n\n\
         | what | median of {} | target |\n|---|---|---|\n\
         | `{}`, spawn to exit | {median:.1} ms (min {min:.1}, max {max:.1}) | under 20 ms (the Azure CLI: about 1 s) |\n",
        show.runs_ms.len(),
        show.command,
    )
}
