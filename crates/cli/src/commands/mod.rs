//! The subcommands: `secret ...` (one module per group), `run`, `completions` and `man`.

mod lifecycle;
mod list;
pub(crate) mod run;
mod secret;

use std::io::Write;
use std::path::Path;

use azkv_models::SecretIdentifier;
use azkv_secrets::SecretClient;

use crate::args::{NameArgs, SecretCommand, VaultArgs};
use crate::error::{CliError, Result};
use crate::{parse, vault};

/// Runs one `azkv secret` subcommand.
pub(crate) async fn secret(command: SecretCommand) -> Result<()> {
    match command {
        SecretCommand::Set(a) => secret::set(a).await,
        SecretCommand::Show(a) => secret::show(a).await,
        SecretCommand::SetAttributes(a) => secret::set_attributes(a).await,
        SecretCommand::Download(a) => secret::download(a).await,
        SecretCommand::List(a) => list::list(a).await,
        SecretCommand::ListVersions(a) => list::versions(a).await,
        SecretCommand::ListDeleted(a) => list::deleted(a).await,
        SecretCommand::ShowDeleted(a) => lifecycle::show_deleted(a).await,
        SecretCommand::Delete(a) => lifecycle::delete(a).await,
        SecretCommand::Recover(a) => lifecycle::recover(a).await,
        SecretCommand::Purge(a) => lifecycle::purge(a).await,
        SecretCommand::Backup(a) => lifecycle::backup(a).await,
        SecretCommand::Restore(a) => lifecycle::restore(a).await,
    }
}

/// A checked secret to act on: its vault, name and version.
#[derive(Debug)]
pub(crate) struct Target {
    /// The vault's URL.
    pub(crate) vault: String,
    /// The secret's name.
    pub(crate) name: String,
    /// The version; `None` for the latest.
    pub(crate) version: Option<String>,
}

impl Target {
    /// The secret from `--id`, or from `--name`, `--version` and the vault flags; `deleted` accepts a
    /// deleted secret's recovery id as `--id`.
    pub(crate) fn from_args(t: &NameArgs, version: Option<&str>, deleted: bool) -> Result<Self> {
        if let Some(id) = &t.id {
            let parsed = SecretIdentifier::parse(id).map_err(|e| CliError::arg("--id", e.to_string()))?;
            if parsed.is_deleted() && !deleted {
                return Err(CliError::arg("--id", format!("`{id}` is a deleted secret's id: use /secrets/NAME")));
            }
            return Ok(Self {
                vault: vault::check_url("--id", parsed.vault_url())?,
                name: parsed.name().to_owned(),
                version: parsed.version().map(str::to_owned),
            });
        }
        let name =
            t.name.as_deref().ok_or_else(|| CliError::arg("--name", "give the secret's --name (or its --id)"))?;
        parse::secret_name("--name", name)?;
        if let Some(v) = version {
            parse::secret_version("--version", v)?;
        }
        Ok(Self { vault: vault::required(&t.vault)?, name: name.to_owned(), version: version.map(str::to_owned) })
    }

    /// `verb name`, for errors: `show db-password`.
    pub(crate) fn what(&self, verb: &str) -> String {
        format!("{verb} `{}`", self.name)
    }
}

/// The client for `vault` with the credential and CA of `args`.
pub(crate) fn client(args: &VaultArgs, vault: &str) -> Result<SecretClient> {
    vault::Connector::new(args)?.client(vault)
}

/// Writes `bytes` to a new file (`-` for stdout), private to the user on Unix; an existing file is
/// never overwritten.
pub(crate) fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let what = format!("--file {}", path.display());
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        return out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| CliError::io(what, e));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| CliError::io(format!("{what}: cannot create"), e))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| CliError::io(format!("{what}: cannot write"), e))
}

/// Reads a file, or standard input for `-`; `arg` names it in errors.
pub(crate) fn read_input(arg: &str, path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .map_err(|e| CliError::io(format!("{arg} -: cannot read standard input"), e))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| CliError::io(format!("{arg} {}: cannot read", path.display()), e))
}

/// Prints a clap-generated text (completions, man page) on stdout.
pub(crate) fn print_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::io("stdout", e)),
        _ => Ok(()),
    }
}
