//! Running a developer tool (`az`, `azd`) without a shell, with a timeout, and describing its
//! failures without echoing anything that could be a token.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use azkv_pipeline::{Error, Result};

/// What a tool printed, when it exited successfully.
pub(crate) struct ToolOutput {
    pub(crate) stdout: Vec<u8>,
}

/// How to describe a tool's failures.
pub(crate) struct Tool<'a> {
    /// The credential's name, for messages.
    pub(crate) what: &'a str,
    /// The tool's name for people, for example "Azure CLI (az)".
    pub(crate) tool: &'a str,
    /// What to do when it is missing.
    pub(crate) install_hint: &'a str,
    /// Marks in stderr that mean "not logged in".
    pub(crate) login_markers: &'a [&'a str],
    /// What to do when not logged in.
    pub(crate) login_hint: &'a str,
}

impl Tool<'_> {
    /// Runs `program args` (no shell, stdin closed, killed when the timeout fires).
    ///
    /// # Errors
    /// "Unavailable" when the program is missing, the user is not logged in, or the timeout
    /// fired; an authentication failure for any other non-zero exit.
    pub(crate) async fn run<I, S>(&self, program: &Path, args: I, timeout: Duration) -> Result<ToolOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let what = self.what;
        let mut command = tokio::process::Command::new(program);
        command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut spawned = command.spawn();
        // ETXTBSY: another thread forked while the program's file was still open for writing
        // (a freshly written script); the fork's copy closes on exec, so trying again works.
        for _ in 0..20 {
            match &spawned {
                Err(e) if e.raw_os_error() == Some(26) && cfg!(unix) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    spawned = command.spawn();
                }
                _ => break,
            }
        }
        let child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::credential_unavailable(format!(
                    "{what}: {} is not installed or not on PATH ({} not found); {}",
                    self.tool,
                    program.display(),
                    self.install_hint
                )));
            }
            Err(e) => {
                return Err(Error::credential_unavailable(format!(
                    "{what}: {} could not be started ({}): {e}",
                    self.tool,
                    program.display()
                )));
            }
        };
        let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Err(Error::credential(format!("{what}: waiting for {} failed: {e}", self.tool))),
            Err(_) => {
                return Err(Error::credential_unavailable(format!(
                    "{what}: {} did not answer within {timeout:?} and was stopped",
                    self.tool
                )));
            }
        };
        if output.status.success() {
            return Ok(ToolOutput { stdout: output.stdout });
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        if self.login_markers.iter().any(|m| stderr.contains(m)) {
            return Err(Error::credential_unavailable(format!(
                "{what}: not logged in to {}; {}",
                self.tool, self.login_hint
            )));
        }
        let code = output.status.code().map_or_else(|| "a signal".to_owned(), |c| format!("code {c}"));
        let detail = safe_stderr(&stderr);
        let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
        Err(Error::credential(format!("{what}: {} failed (exit {code}){detail}", self.tool)))
    }
}

/// Up to three short stderr lines that cannot be a token: none longer than 200 characters,
/// none holding `eyJ` (a JWT) or a run of 32 or more token-like characters.
pub(crate) fn safe_stderr(stderr: &str) -> String {
    let looks_secret = |line: &str| {
        line.contains("eyJ")
            || line
                .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '=')))
                .any(|run| run.len() >= 32)
    };
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.iter().any(|l| l.len() > 200 || looks_secret(l)) {
        return "(stderr withheld: it may hold a secret)".to_owned();
    }
    lines.into_iter().take(3).collect::<Vec<_>>().join(" / ")
}

/// Checks a value passed as a command-line argument: no leading `-`, no whitespace or
/// control characters, only characters a scope, resource or tenant id uses.
pub(crate) fn check_argument(what: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && !value.starts_with('-')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!("{what} holds characters not allowed on a command line")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_is_echoed_only_when_harmless() {
        assert_eq!(safe_stderr("ERROR: The subscription was not found.\n\n"), "ERROR: The subscription was not found.");
        assert_eq!(safe_stderr("a\nb\nc\nd"), "a / b / c / d".rsplit_once(" / ").unwrap().0);
        for bad in ["token eyJ0eXAi", "x AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &"x ".repeat(150)] {
            assert_eq!(safe_stderr(bad), "(stderr withheld: it may hold a secret)", "{bad}");
        }
    }

    #[test]
    fn arguments() {
        assert!(check_argument("scope", "https://vault.azure.net/.default").is_ok());
        assert!(check_argument("tenant", "contoso.onmicrosoft.com").is_ok());
        for bad in ["", "--debug", "a b", "a;b", "a\nb"] {
            assert!(check_argument("x", bad).is_err(), "{bad}");
        }
    }
}
