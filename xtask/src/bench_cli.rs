//! The `azkv` CLI's start-to-result time for `azkv secret show` against the emulator, for
//! `cargo xtask bench` (issue 18; target under 20 ms). Not wired yet: `bench.rs` calls [`cli_show`]
//! and writes [`section`] into `docs/benchmarks.md`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

/// How many timed runs the median is taken over (after one warm-up run).
const RUNS: usize = 21;

/// The measured runs of `azkv secret show`.
#[derive(Debug)]
pub(crate) struct CliShow {
    /// The command timed, for the report.
    pub(crate) command: String,
    /// Each run, process spawn to exit, in milliseconds.
    pub(crate) runs_ms: Vec<f64>,
}

/// Builds `azkv` (release), starts `azkv emulator` (HTTPS, strict tokens), sets one secret, then times
/// `azkv secret show` from spawn to exit: a fresh process each run, so TLS handshakes, the Key Vault
/// challenge and a managed-identity token from the emulator are all counted.
pub(crate) fn cli_show(cargo: &str, root: &Path) -> anyhow::Result<CliShow> {
    let build = ["build", "--release", "-p", "azkv-cli"];
    println!("==> cargo {}", build.join(" "));
    let status = Command::new(cargo).args(build).current_dir(root).status().context("cannot run cargo build")?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", build.join(" "));
    }
    let exe = root.join("target").join("release").join("azkv");
    let mut emulator = Command::new(&exe)
        .args(["emulator", "--port", "0"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {} emulator", exe.display()))?;
    let result = time_show(&exe, &mut emulator);
    let _ = emulator.kill();
    let _ = emulator.wait();
    result
}

fn time_show(exe: &Path, emulator: &mut std::process::Child) -> anyhow::Result<CliShow> {
    let mut line = String::new();
    BufReader::new(emulator.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let ready: serde_json::Value = serde_json::from_str(&line).with_context(|| format!("not a ready line: {line}"))?;
    let field = |k: &str| ready[k].as_str().map(str::to_owned).with_context(|| format!("no `{k}` in {line}"));
    let (url, ca) = (field("url")?, field("ca_path")?);
    let (endpoint, header) = (field("token_endpoint")?, field("identity_header")?);
    let azkv = |args: &[&str]| {
        let mut cmd = Command::new(exe);
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
        let out = azkv(&show).output()?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        if !out.status.success() {
            bail!("azkv secret show failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        if i > 0 {
            runs_ms.push(ms);
        }
    }
    println!("    azkv secret show: median {:.1} ms over {RUNS} runs", crate::bench_load::median_of(&runs_ms));
    Ok(CliShow { command: format!("azkv {} --vault-url URL --ca-file CA (release)", show.join(" ")), runs_ms })
}

/// The report's section on the CLI.
pub(crate) fn section(show: &CliShow) -> String {
    let median = crate::bench_load::median_of(&show.runs_ms);
    let (min, max) = show.runs_ms.iter().fold((f64::MAX, 0f64), |(lo, hi), ms| (lo.min(*ms), hi.max(*ms)));
    format!(
        "\n## Command-line tool (`azkv`)\n\n\
         | what | figure |\n|---|---|\n\
         | `{}` against `azkv emulator` (HTTPS, strict tokens), process spawn to exit, median of {} | {median:.1} ms (min {min:.1}, max {max:.1}; target under 20 ms) |\n",
        show.command,
        show.runs_ms.len()
    )
}
