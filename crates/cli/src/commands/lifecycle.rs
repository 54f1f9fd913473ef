//! `secret show-deleted`, `delete`, `recover`, `purge`, `backup` and `restore`.

use super::{Target, client, read_input, write_new_file};
use crate::args::{BackupArgs, DeletedArgs, PurgeArgs, RestoreArgs};
use crate::error::{CliError, Result};
use crate::progress::Progress;
use crate::{output, vault};

/// `secret show-deleted`.
pub(crate) async fn show_deleted(a: DeletedArgs) -> Result<()> {
    let target = Target::from_args(&a.target, None, true)?;
    let client = client(&a.target.vault, &target.vault)?;
    let deleted =
        client.get_deleted_secret(&target.name).await.map_err(|e| CliError::secrets(target.what("show-deleted"), e))?;
    output::print(a.output.output, &output::deleted(&deleted), output::DELETED)
}

/// `secret delete`: waits until the deletion is visible unless `--no-wait`.
pub(crate) async fn delete(a: DeletedArgs) -> Result<()> {
    let target = Target::from_args(&a.target, None, false)?;
    let client = client(&a.target.vault, &target.vault)?;
    let what = target.what("delete");
    let poller = client.begin_delete_secret(&target.name).await.map_err(|e| CliError::secrets(&what, e))?;
    let deleted = if a.no_wait {
        poller.result().clone()
    } else {
        let _progress = Progress::spinner(format!("deleting `{}`", target.name));
        poller.wait().await.map_err(|e| CliError::secrets(&what, e))?
    };
    output::print(a.output.output, &output::deleted(&deleted), output::DELETED)
}

/// `secret recover`: waits until the secret can be read again unless `--no-wait`.
pub(crate) async fn recover(a: DeletedArgs) -> Result<()> {
    let target = Target::from_args(&a.target, None, true)?;
    let client = client(&a.target.vault, &target.vault)?;
    let what = target.what("recover");
    let poller = client.begin_recover_deleted_secret(&target.name).await.map_err(|e| CliError::secrets(&what, e))?;
    let properties = if a.no_wait {
        poller.result().clone()
    } else {
        let _progress = Progress::spinner(format!("recovering `{}`", target.name));
        poller.wait().await.map_err(|e| CliError::secrets(&what, e))?
    };
    output::print(a.output.output, &output::properties(&properties), output::PROPERTIES)
}

/// `secret purge`: prints nothing.
pub(crate) async fn purge(a: PurgeArgs) -> Result<()> {
    let target = Target::from_args(&a.target, None, true)?;
    let client = client(&a.target.vault, &target.vault)?;
    client.purge_deleted_secret(&target.name).await.map_err(|e| CliError::secrets(target.what("purge"), e))
}

/// `secret backup`: writes the protected blob to a new file.
pub(crate) async fn backup(a: BackupArgs) -> Result<()> {
    let target = Target::from_args(&a.target, None, false)?;
    if a.file.as_os_str() != "-" && a.file.exists() {
        return Err(CliError::arg(format!("--file {}", a.file.display()), "the file exists: azkv never overwrites it"));
    }
    let client = client(&a.target.vault, &target.vault)?;
    let blob = client.backup_secret(&target.name).await.map_err(|e| CliError::secrets(target.what("backup"), e))?;
    write_new_file(&a.file, &blob)
}

/// `secret restore`.
pub(crate) async fn restore(a: RestoreArgs) -> Result<()> {
    let blob = read_input("--file", &a.file)?;
    if blob.is_empty() {
        return Err(CliError::arg(format!("--file {}", a.file.display()), "the file is empty: not a backup"));
    }
    let vault = vault::required(&a.vault)?;
    let client = client(&a.vault, &vault)?;
    let properties = client
        .restore_secret_backup(&blob)
        .await
        .map_err(|e| CliError::secrets(format!("restore {}", a.file.display()), e))?;
    output::print(a.output.output, &output::properties(&properties), output::PROPERTIES)
}
