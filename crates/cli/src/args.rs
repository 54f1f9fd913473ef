//! The command line: every subcommand and flag (clap derive), with the Azure CLI's flag names.
//!
//! Values that need checking (names, dates, tags, encodings) are taken as text here and checked by the
//! commands, so that a bad one gives one line naming the argument, before anything is sent.

mod secret;

use std::ffi::OsString;
use std::path::PathBuf;

pub(crate) use secret::{
    AttributeArgs, BackupArgs, DeletedArgs, DownloadArgs, ListArgs, ListDeletedArgs, ListVersionsArgs, NameArgs,
    PurgeArgs, RestoreArgs, SecretCommand, SetArgs, SetAttributesArgs, ShowArgs,
};

/// Azure Key Vault secrets from the shell: `az keyvault secret` in one fast binary.
///
/// Talks to a vault named by --vault-url (VAULT_URL) or --vault-name (KEY_VAULT_NAME), or to the
/// local emulator (`azkv emulator`). See docs/cli.md.
#[derive(Debug, clap::Parser)]
#[command(name = "azkv", version, about, long_about = None)]
#[command(after_help = "Exit codes: 0 success; 1 a service, credential or argument error (one line on stderr); \
2 a command line clap cannot parse. `azkv run` exits with its command's status.")]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The top-level subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Manage secrets, as `az keyvault secret` does.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Run a command with secrets in its environment (values never on the command line or in output).
    Run(RunArgs),
    /// Run the local Key Vault emulator, with the flags and ready line of `azkv-emulator`.
    Emulator(azkv_emulator::cli::Args),
    /// Print a shell completion script on stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout: `azkv man > azkv.1`.
    Man,
}

/// Which vault, which credential, which extra CA: every command that talks to a vault takes these.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct VaultArgs {
    /// The vault's name: https://NAME.vault.azure.net [env: KEY_VAULT_NAME].
    #[arg(long, value_name = "NAME", conflicts_with = "vault_url")]
    pub(crate) vault_name: Option<String>,
    /// The vault's URL, for example the emulator's https://127.0.0.1:8443 [env: VAULT_URL].
    #[arg(long, value_name = "URL")]
    pub(crate) vault_url: Option<String>,
    /// The credential: default is DefaultAzureCredential's chain.
    #[arg(long, value_enum, default_value_t = Auth::Default)]
    pub(crate) auth: Auth,
    /// Also trust the CA certificate(s) in this PEM file, for example the emulator's ca.pem
    /// (added to the system's roots; SSL_CERT_FILE is added the same way).
    #[arg(long, value_name = "PATH")]
    pub(crate) ca_file: Option<PathBuf>,
}

/// The credential `--auth` picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Auth {
    /// DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI, azd.
    Default,
    /// The Azure CLI's sign-in (`az login`).
    Cli,
    /// The Azure Developer CLI's sign-in (`azd auth login`).
    Azd,
    /// A managed identity (App Service, Arc, Cloud Shell, IMDS; the emulator's IDENTITY_ENDPOINT).
    ManagedIdentity,
    /// A service principal from AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate.
    Environment,
    /// Kubernetes workload identity (AZURE_FEDERATED_TOKEN_FILE).
    WorkloadIdentity,
    /// Sign in on another device with a code shown on stderr (no browser needed here).
    DeviceCode,
}

/// The output format of commands that print a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// JSON, shaped as the Azure CLI's.
    Json,
    /// JSON with colours.
    Jsonc,
    /// A table with a header.
    Table,
    /// Tab-separated values, no header: for scripts.
    Tsv,
    /// Nothing.
    None,
}

/// `--output`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Json)]
    pub(crate) output: Format,
}

/// `azkv run`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Key Vault references in the environment (@Microsoft.KeyVault(SecretUri=...) or \
@Microsoft.KeyVault(VaultName=...;SecretName=...[;SecretVersion=...])) are resolved too. On Unix azkv replaces \
itself with the command (exec), so its exit status and signals are the command's own.")]
pub(crate) struct RunArgs {
    /// Put a secret's value in the variable NAME (repeatable): NAME=SECRET[@VERSION], or
    /// NAME=@Microsoft.KeyVault(...).
    #[arg(long = "env", value_name = "NAME=SECRET[@VERSION]")]
    pub(crate) env: Vec<String>,
    /// Read NAME=SECRET[@VERSION] lines from FILE (blank lines and # comments skipped; repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) env_file: Vec<PathBuf>,
    /// Which vault holds the secrets named by --env (references name their own vault).
    #[command(flatten)]
    pub(crate) vault: VaultArgs,
    /// The command and its arguments, after `--`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
    pub(crate) command: Vec<OsString>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("azkv").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_takes_its_command_after_the_flags() {
        let Command::Run(run) = parse(&["run", "--env", "A=b", "--", "sh", "-c", "echo $A"]).unwrap().command else {
            panic!("not run")
        };
        assert_eq!(run.env, ["A=b"]);
        assert_eq!(run.command, ["sh", "-c", "echo $A"]);
        let Command::Run(run) = parse(&["run", "env", "-i"]).unwrap().command else { panic!("not run") };
        assert_eq!(run.command, ["env", "-i"]);
    }

    #[test]
    fn the_vault_is_named_once() {
        let e = parse(&["secret", "list", "--vault-name", "a", "--vault-url", "https://b"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict);
        assert!(parse(&["secret", "list", "-o", "yaml"]).is_err());
        assert!(parse(&["secret", "show", "--name", "a", "--id", "https://v/secrets/a"]).is_err());
    }

    #[test]
    fn the_emulator_takes_its_own_flags() {
        let Command::Emulator(_) = parse(&["emulator", "--port", "0", "--auth", "none"]).unwrap().command else {
            panic!("not the emulator")
        };
        assert!(parse(&["emulator", "--bogus"]).is_err());
    }
}
