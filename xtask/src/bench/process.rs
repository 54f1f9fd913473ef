//! Running what a benchmark needs: servers (killed when dropped), captured output, cargo commands.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

pub(super) fn run_capture(mut command: Command, what: &str) -> anyhow::Result<String> {
    let output = command.stderr(Stdio::inherit()).output().with_context(|| format!("cannot run {what}"))?;
    if !output.status.success() {
        bail!("{what} failed ({})", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub(super) fn cargo_ok(cargo: &str, root: &Path, args: &[&str], env: &[(&str, &Path)]) -> anyhow::Result<String> {
    let shown = format!("cargo {}", args.join(" "));
    println!("==> {shown}");
    let mut command = Command::new(cargo);
    command.args(args).current_dir(root);
    for (k, v) in env {
        command.env(k, v);
    }
    let status = command.status().with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(shown)
}

/// The emulator's vault name the clients address (`https://benchvault.vault.azure.net:PORT`).
pub(super) const VAULT: &str = "benchvault";

/// A child process that is killed (by its own handle) when dropped.
pub(super) struct Server {
    child: Child,
    pub(super) ready: serde_json::Value,
}

impl Server {
    pub(super) fn start(mut command: Command, what: &str) -> anyhow::Result<Self> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).with_context(|| format!("reading {what}'s ready line"))?;
        let ready: serde_json::Value = serde_json::from_str(line.trim())
            .with_context(|| format!("{what} printed no JSON ready line: {line:?}"))?;
        if ready["ready"] != true {
            let _ = child.kill();
            bail!("{what} is not ready: {line}");
        }
        Ok(Self { child, ready })
    }

    pub(super) fn str(&self, field: &str) -> anyhow::Result<String> {
        self.ready[field].as_str().map(str::to_owned).with_context(|| format!("no `{field}` in {}", self.ready))
    }

    /// `(vault URL, address, CA path)` for a target serving `https://127.0.0.1:PORT`.
    pub(super) fn target(&self) -> anyhow::Result<(String, String, String)> {
        let url = self.str("url")?;
        let addr = url.trim_start_matches("https://").trim_end_matches('/').to_owned();
        let port = addr.rsplit(':').next().context("no port in the URL")?;
        Ok((format!("https://{VAULT}.vault.azure.net:{port}"), addr, self.str("ca_path")?))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Killed, it cannot remove the CA file it wrote, nor the private directory holding it.
        if let Some(ca) = self.ready["ca_path"].as_str() {
            let _ = std::fs::remove_file(ca);
            let dir = Path::new(ca).parent();
            if let Some(dir) =
                dir.filter(|d| d.file_name().is_some_and(|n| n.to_string_lossy().starts_with("azkv-emulator-")))
            {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}
