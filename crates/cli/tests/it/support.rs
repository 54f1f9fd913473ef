//! The fixture: an emulator, a private temp directory with its CA, and `azkv` commands wired to it.
//!
//! Each child gets a cleared environment with only `PATH`, `HOME` (the temp directory), the vault
//! (`VAULT_URL`), the CA (`SSL_CERT_FILE`) and the emulator's App Service managed identity
//! (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`): `DefaultAzureCredential` finds its strict tokens there,
//! and nothing can reach past the machine. The test process's own environment is never changed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use azkv_emulator::{Emulator, EmulatorHandle};

/// A running emulator and a directory for files.
pub(crate) struct Fixture {
    pub(crate) emulator: EmulatorHandle,
    pub(crate) dir: PathBuf,
    pub(crate) ca: PathBuf,
}

/// A private directory, unique to this test, removed on drop.
pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("azkv-cli-it-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Fixture {
    /// An emulator with the defaults: HTTPS, strict tokens, in memory.
    pub(crate) fn start(tag: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let emulator = runtime.block_on(Emulator::builder().start()).unwrap();
        let dir = temp_dir(tag);
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, emulator.ca_pem().unwrap()).unwrap();
        Self { emulator, dir, ca }
    }

    /// A path in the fixture's directory.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `azkv ARGS` with the fixture's environment (vault, CA, managed identity).
    pub(crate) fn azkv(&self, args: &[&str]) -> Command {
        let mut cmd = bare(&self.dir, args);
        cmd.env("VAULT_URL", self.emulator.url())
            .env("SSL_CERT_FILE", &self.ca)
            .env("IDENTITY_ENDPOINT", self.emulator.token_endpoint())
            .env("IDENTITY_HEADER", self.emulator.identity_header());
        cmd
    }

    /// Runs `azkv ARGS`.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.azkv(args).output().unwrap()
    }

    /// Runs `azkv ARGS` with `input` on stdin.
    pub(crate) fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child =
            self.azkv(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs `azkv ARGS`, asserts success and parses stdout as JSON.
    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.run(args);
        let stdout = ok(&out);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    /// Sets `name` to `value` through the CLI and returns the JSON result.
    pub(crate) fn set(&self, name: &str, value: &str) -> serde_json::Value {
        self.json(&["secret", "set", "--name", name, "--value", value])
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `azkv ARGS` with a cleared environment: only `PATH` and `HOME` (set to `home`).
pub(crate) fn bare(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azkv"));
    cmd.args(args).env_clear().env("HOME", home).current_dir(home);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// Asserts the command succeeded with an empty stderr; returns stdout.
pub(crate) fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}, stderr: {stderr}", out.status);
    assert_eq!(stderr, "", "stderr should be empty");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Asserts the command failed with exit code 1 and one `azkv: ` line on stderr; returns that line.
pub(crate) fn fails(out: &Output) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("azkv: ") && stderr.ends_with('\n'), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", String::from_utf8_lossy(&out.stdout));
    stderr.trim_end().to_owned()
}
