//! `secret list`, `list-versions` and `list-deleted`: paged listings, with progress on a terminal.

use azkv_secrets::{Page, Pager};
use futures::StreamExt;
use serde_json::Value;

use super::{Target, client};
use crate::args::{ListArgs, ListDeletedArgs, ListVersionsArgs};
use crate::error::{CliError, Result};
use crate::progress::Progress;
use crate::{output, parse, vault};

/// Up to `max` items of `pager` that `keep` accepts, as JSON, counting pages on the progress line.
async fn collect<T: Send + 'static>(
    pager: Pager<T>,
    max: Option<usize>,
    what: &str,
    keep: impl Fn(&T) -> bool,
    json: impl Fn(&T) -> Value,
) -> Result<Value> {
    let progress = Progress::spinner(format!("{what}:"));
    let mut items = Vec::new();
    let mut pages = std::pin::pin!(pager.into_pages());
    while let Some(page) = pages.next().await {
        let page: Page<T> = page.map_err(|e: azkv_secrets::Error| CliError::secrets(what, e))?;
        progress.inc(page.items.len());
        for item in page.items.iter().filter(|i| keep(i)) {
            if max.is_some_and(|m| items.len() >= m) {
                return Ok(Value::Array(items));
            }
            items.push(json(item));
        }
        if max.is_some_and(|m| items.len() >= m) {
            break;
        }
    }
    Ok(Value::Array(items))
}

fn max(text: Option<&str>) -> Result<Option<usize>> {
    text.map(|t| parse::count("--maxresults", t)).transpose()
}

/// `secret list`: managed secrets (certificates') only with `--include-managed`, as the Azure CLI.
pub(crate) async fn list(a: ListArgs) -> Result<()> {
    let max = max(a.maxresults.as_deref())?;
    let vault = vault::required(&a.vault)?;
    let client = client(&a.vault, &vault)?;
    let include_managed = a.include_managed;
    let items = collect(
        client.list_properties_of_secrets(None),
        max,
        "list",
        |p| include_managed || p.managed != Some(true),
        output::properties,
    )
    .await?;
    output::print(a.output.output, &items, output::PROPERTIES)
}

/// `secret list-versions`.
pub(crate) async fn versions(a: ListVersionsArgs) -> Result<()> {
    let max = max(a.maxresults.as_deref())?;
    let target = Target::from_args(&a.target, None, false)?;
    let client = client(&a.target.vault, &target.vault)?;
    let pager = client.list_properties_of_secret_versions(&target.name, None);
    let items = collect(pager, max, &target.what("list-versions"), |_| true, output::properties).await?;
    output::print(a.output.output, &items, output::PROPERTIES)
}

/// `secret list-deleted`.
pub(crate) async fn deleted(a: ListDeletedArgs) -> Result<()> {
    let max = max(a.maxresults.as_deref())?;
    let vault = vault::required(&a.vault)?;
    let client = client(&a.vault, &vault)?;
    let items = collect(client.list_deleted_secrets(None), max, "list-deleted", |_| true, output::deleted).await?;
    output::print(a.output.output, &items, output::DELETED)
}
