//! `azkv secret ...`: the subcommands of `az keyvault secret`, with its flag names.

use std::path::PathBuf;

use super::{OutputArgs, VaultArgs};

/// `azkv secret` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum SecretCommand {
    /// Create a secret, or a new version of it (value from --value, --file or stdin).
    Set(SetArgs),
    /// Show a secret's value and attributes.
    Show(ShowArgs),
    /// List secrets (attributes only, never values).
    List(ListArgs),
    /// List the versions of a secret.
    ListVersions(ListVersionsArgs),
    /// List deleted secrets.
    ListDeleted(ListDeletedArgs),
    /// Show a deleted secret.
    ShowDeleted(DeletedArgs),
    /// Delete a secret (every version), waiting until the deletion is visible.
    Delete(DeletedArgs),
    /// Recover a deleted secret, waiting until it can be read again.
    Recover(DeletedArgs),
    /// Purge a deleted secret for good.
    Purge(PurgeArgs),
    /// Write a protected backup of a secret (every version) to a file.
    Backup(BackupArgs),
    /// Restore a backup written by `backup`.
    Restore(RestoreArgs),
    /// Write a secret's value to a file.
    Download(DownloadArgs),
    /// Change a secret's attributes, content type or tags (never its value).
    SetAttributes(SetAttributesArgs),
}

/// `--name` or `--id`, and the vault when `--name` is used.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct NameArgs {
    /// The secret's name.
    #[arg(short, long, conflicts_with = "id")]
    pub(crate) name: Option<String>,
    /// The secret's identifier, https://VAULT/secrets/NAME[/VERSION], instead of --name, --version and the vault.
    #[arg(long, value_name = "URL")]
    pub(crate) id: Option<String>,
    /// The vault, credential and CA.
    #[command(flatten)]
    pub(crate) vault: VaultArgs,
}

/// Attributes shared by `set` and `set-attributes`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AttributeArgs {
    /// The value's content type, for example text/plain.
    #[arg(long, value_name = "TYPE")]
    pub(crate) content_type: Option<String>,
    /// Space-separated tags, KEY[=VALUE] ...; `--tags ""` (or none) clears them.
    #[arg(long, num_args = 0.., value_name = "KEY=VALUE")]
    pub(crate) tags: Option<Vec<String>>,
    /// Enable or disable the secret.
    #[arg(long, value_name = "true|false")]
    pub(crate) enabled: Option<bool>,
    /// Expiry, RFC 3339 (2030-01-31T00:00:00Z) or a date (2030-01-31, midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub(crate) expires: Option<String>,
    /// Not valid before, in the format of --expires.
    #[arg(long, value_name = "TIME")]
    pub(crate) not_before: Option<String>,
}

/// `secret set`.
#[derive(Debug, clap::Args)]
#[command(after_help = "A --value on the command line can be seen by other users in `ps`: prefer --file, \
or `--value -` / `--file -` to read it from standard input.")]
pub(crate) struct SetArgs {
    /// The secret's name.
    #[arg(short, long)]
    pub(crate) name: String,
    /// The value; `-` reads it from standard input. Visible in `ps`: prefer --file.
    #[arg(long, conflicts_with = "file")]
    pub(crate) value: Option<String>,
    /// Read the value from FILE (`-` for standard input), encoded with --encoding.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// How --file's bytes become the value: utf-8 (as is), ascii, base64 or hex.
    #[arg(short, long, value_name = "ENCODING", default_value = "utf-8", requires = "file")]
    pub(crate) encoding: String,
    /// Create it disabled (the Azure CLI's flag; same as --enabled false).
    #[arg(long, value_name = "true|false", conflicts_with = "enabled")]
    pub(crate) disabled: Option<bool>,
    /// Content type, tags, enabled, validity.
    #[command(flatten)]
    pub(crate) attributes: AttributeArgs,
    /// The vault, credential and CA.
    #[command(flatten)]
    pub(crate) vault: VaultArgs,
    /// Output format.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secret show`.
#[derive(Debug, clap::Args)]
pub(crate) struct ShowArgs {
    /// Which secret.
    #[command(flatten)]
    pub(crate) target: NameArgs,
    /// The version (default: the latest).
    #[arg(short, long, conflicts_with = "id")]
    pub(crate) version: Option<String>,
    /// Output format.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secret list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// Stop after this many secrets.
    #[arg(long, value_name = "N")]
    pub(crate) maxresults: Option<String>,
    /// Include secrets managed by Key Vault (certificates' secrets).
    #[arg(long)]
    pub(crate) include_managed: bool,
    /// The vault, credential and CA.
    #[command(flatten)]
    pub(crate) vault: VaultArgs,
    /// Output format.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secret list-versions`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListVersionsArgs {
    /// Which secret.
    #[command(flatten)]
    pub(crate) target: NameArgs,
    /// Stop after this many versions.
    #[arg(long, value_name = "N")]
    pub(crate) maxresults: Option<String>,
    /// Output format.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secret list-deleted`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListDeletedArgs {
    /// Stop after this many deleted secrets.
    #[arg(long, value_name = "N")]
    pub(crate) maxresults: Option<String>,
    /// The vault, credential and CA.
    #[command(flatten)]
    pub(crate) vault: VaultArgs,
    /// Output format.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secret show-deleted`, `delete` and `recover`.
#[derive(Debug, clap::Args)]
pub(crate) struct DeletedArgs {
    /// Which secret (`--id` may be a secret or a deleted secret's recovery id).
    #[command(flatten)]
    pub(crate) target: NameArgs,
    /// Return at once instead of waiting for `delete` or `recover` to complete.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// Output format.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secret purge`.
#[derive(Debug, clap::Args)]
pub(crate) struct PurgeArgs {
    /// Which deleted secret.
    #[command(flatten)]
    pub(crate) target: NameArgs,
}

/// `secret backup`.
#[derive(Debug, clap::Args)]
pub(crate) struct BackupArgs {
    /// Which secret.
    #[command(flatten)]
    pub(crate) target: NameArgs,
    /// The file to write (must not exist).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// `secret restore`.
#[derive(Debug, clap::Args)]
pub(crate) struct RestoreArgs {
    /// The backup file.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// The vault, credential and CA.
    #[command(flatten)]
    pub(crate) vault: VaultArgs,
    /// Output format.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `secret download`.
#[derive(Debug, clap::Args)]
pub(crate) struct DownloadArgs {
    /// Which secret.
    #[command(flatten)]
    pub(crate) target: NameArgs,
    /// The version (default: the latest).
    #[arg(short, long, conflicts_with = "id")]
    pub(crate) version: Option<String>,
    /// The file to write (must not exist; `-` for standard output).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// How the value becomes bytes: utf-8, ascii, base64 or hex (decoded); default the secret's
    /// `file-encoding` tag, else utf-8.
    #[arg(short, long, value_name = "ENCODING")]
    pub(crate) encoding: Option<String>,
}

/// `secret set-attributes`.
#[derive(Debug, clap::Args)]
pub(crate) struct SetAttributesArgs {
    /// Which secret.
    #[command(flatten)]
    pub(crate) target: NameArgs,
    /// The version (default: the latest).
    #[arg(short, long, conflicts_with = "id")]
    pub(crate) version: Option<String>,
    /// Content type, tags, enabled, validity.
    #[command(flatten)]
    pub(crate) attributes: AttributeArgs,
    /// Output format.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}
