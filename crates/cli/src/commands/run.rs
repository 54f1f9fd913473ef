//! `azkv run`: resolve secrets (concurrently), then run a command with them in its environment.
//!
//! Values go to the command through its environment only: never on its command line, never on
//! azkv's stdout or stderr, never in logs. Every secret is read before the command starts, so a
//! missing one fails the run with nothing started. On Unix azkv then replaces itself with the
//! command (`exec`), so the exit status and any signal are the command's own; elsewhere it waits
//! and exits with the command's code.

use std::collections::HashSet;
use std::ffi::OsString;
use std::process::ExitCode;

use azkv_pipeline::Secret;
use futures::future::try_join_all;

use crate::args::RunArgs;
use crate::error::{CliError, Result};
use crate::references::{self, Binding};
use crate::vault;

/// Every binding of the run: `--env`, then `--env-file`s, then the parent environment's Key Vault
/// references (unless a flag binds the same variable). A variable bound twice by flags is an error.
pub(crate) fn bindings(a: &RunArgs, parent: impl IntoIterator<Item = (OsString, OsString)>) -> Result<Vec<Binding>> {
    let mut out: Vec<Binding> = Vec::new();
    for text in &a.env {
        out.push(references::binding(&format!("--env {text}"), text)?);
    }
    for path in &a.env_file {
        let bytes = super::read_input("--env-file", path)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::arg(format!("--env-file {}", path.display()), "not UTF-8 text"))?;
        out.extend(references::env_file(&path.display().to_string(), &text)?);
    }
    let mut seen = HashSet::new();
    for b in &out {
        if !seen.insert(b.var.clone()) {
            return Err(CliError::arg(&b.origin, format!("the variable {} is bound twice", b.var)));
        }
    }
    for (var, value) in parent {
        let (Some(var), Some(value)) = (var.to_str(), value.to_str()) else { continue };
        if references::is_reference(value) && !seen.contains(var) {
            let origin = format!("${var}");
            let secret = references::reference(&origin, value)?;
            out.push(Binding { var: var.to_owned(), origin, secret });
        }
    }
    Ok(out)
}

/// `azkv run`: returns only when the command could not be started or (off Unix) has exited.
pub(crate) fn main(a: RunArgs) -> Result<ExitCode> {
    let Some((program, args)) = a.command.split_first() else {
        return Err(CliError::arg("run", "no command given: azkv run [--env NAME=SECRET]... -- COMMAND [ARGS]..."));
    };
    let bindings = bindings(&a, std::env::vars_os())?;
    let default_vault = if bindings.iter().any(|b| b.secret.vault_url.is_none()) {
        Some(vault::required(&a.vault)?)
    } else {
        vault::named(&a.vault)?
    };
    let values = if bindings.is_empty() { Vec::new() } else { resolve(&a, &bindings, default_vault.as_deref())? };
    let mut command = std::process::Command::new(program);
    command.args(args);
    for (binding, value) in bindings.iter().zip(&values) {
        command.env(&binding.var, value.expose());
    }
    let spawn_error = |error| CliError::Spawn { program: program.to_string_lossy().into_owned(), error };
    #[cfg(unix)]
    {
        let error = std::os::unix::process::CommandExt::exec(&mut command);
        Err(spawn_error(error))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(spawn_error)?;
        Ok(ExitCode::from(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1))))
    }
}

/// Reads every binding's secret at once, on a runtime that ends before the command starts.
fn resolve(a: &RunArgs, bindings: &[Binding], default_vault: Option<&str>) -> Result<Vec<Secret>> {
    let connector = vault::Connector::new(&a.vault)?;
    let mut reads = Vec::new();
    for b in bindings {
        let url = match &b.secret.vault_url {
            Some(url) => vault::check_url(&b.origin, url)?,
            None => default_vault.unwrap_or_default().to_owned(),
        };
        let client = connector.client(&url)?;
        reads.push(async move {
            client
                .get_secret_version(&b.secret.name, b.secret.version.as_deref(), None)
                .await
                .map(|s| s.secret().clone())
                .map_err(|e| CliError::secrets(format!("run: {}", b.origin), e))
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the runtime", e))?;
    runtime.block_on(try_join_all(reads))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn run_args(args: &[&str]) -> RunArgs {
        let cli = crate::args::Cli::try_parse_from(["azkv", "run"].iter().chain(args)).unwrap();
        match cli.command {
            crate::args::Command::Run(r) => r,
            _ => unreachable!("parsed as run"),
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))).collect()
    }

    #[test]
    fn flags_win_over_references_and_plain_variables_are_left_alone() {
        let a = run_args(&["--env", "DB=db-password", "--", "true"]);
        let parent = env(&[
            ("DB", "@Microsoft.KeyVault(VaultName=other;SecretName=x)"),
            ("API", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/api/)"),
            ("HOME", "/home/me"),
        ]);
        let got = bindings(&a, parent).unwrap();
        let vars: Vec<(&str, &str)> = got.iter().map(|b| (b.var.as_str(), b.secret.name.as_str())).collect();
        assert_eq!(vars, [("DB", "db-password"), ("API", "api")]);
        assert_eq!(got[1].origin, "$API");
    }

    #[test]
    fn bad_bindings_fail_before_anything_runs() {
        let a = run_args(&["--env", "A=x", "--env", "A=y", "--", "true"]);
        assert!(bindings(&a, []).unwrap_err().to_string().contains("bound twice"));
        let a = run_args(&["--", "true"]);
        let e = bindings(&a, env(&[("X", "@Microsoft.KeyVault(SecretUri=nope)")])).unwrap_err().to_string();
        assert!(e.starts_with("$X: bad Key Vault reference: "), "{e}");
        let e = main(run_args(&["--env", "A=x"])).unwrap_err().to_string();
        assert!(e.starts_with("run: no command given"), "{e}");
    }
}
