//! `secret set`, `show`, `set-attributes` and `download`: one secret's value and attributes.

use std::collections::HashMap;

use azkv_models::validation;
use azkv_pipeline::Secret;
use azkv_secrets::{SetSecretOptions, UpdateSecretProperties};
use time::OffsetDateTime;

use super::{Target, client, read_input, write_new_file};
use crate::args::{AttributeArgs, DownloadArgs, SetArgs, SetAttributesArgs, ShowArgs};
use crate::encoding::{self, Encoding};
use crate::error::{CliError, Result};
use crate::{output, parse, vault};

/// `--content-type`, `--tags`, `--enabled`, `--expires` and `--not-before`, checked.
#[derive(Debug, Default)]
struct Attributes {
    content_type: Option<String>,
    tags: Option<HashMap<String, String>>,
    enabled: Option<bool>,
    expires: Option<OffsetDateTime>,
    not_before: Option<OffsetDateTime>,
}

impl Attributes {
    fn parse(a: &AttributeArgs) -> Result<Self> {
        if let Some(ct) = &a.content_type {
            validation::validate_content_type(ct).map_err(|e| CliError::arg("--content-type", e.to_string()))?;
        }
        Ok(Self {
            content_type: a.content_type.clone(),
            tags: a.tags.as_deref().map(|t| parse::tags("--tags", t)).transpose()?,
            enabled: a.enabled,
            expires: a.expires.as_deref().map(|t| parse::date("--expires", t)).transpose()?,
            not_before: a.not_before.as_deref().map(|t| parse::date("--not-before", t)).transpose()?,
        })
    }
}

/// The value of `set`: `--value`, `--value -` (stdin, one trailing line break dropped), or `--file`
/// (`-` for stdin) through `encoding`; with the argument it came from.
fn value(a: &SetArgs, encoding: Encoding) -> Result<(Secret, &'static str)> {
    match (&a.value, &a.file) {
        (Some(v), _) if v == "-" => {
            let bytes = read_input("--value", std::path::Path::new("-"))?;
            let mut text = Encoding::Utf8.encode("--value -", bytes)?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            Ok((Secret::new(text), "--value"))
        }
        (Some(v), _) => Ok((Secret::new(v.clone()), "--value")),
        (None, Some(path)) => {
            let bytes = read_input("--file", path)?;
            let text = encoding.encode(&format!("--file {}", path.display()), bytes)?;
            Ok((Secret::new(text), "--file"))
        }
        (None, None) => {
            Err(CliError::arg("--value", "give the value with --value, --file, or `--value -` for standard input"))
        }
    }
}

/// `secret set`.
pub(crate) async fn set(a: SetArgs) -> Result<()> {
    parse::secret_name("--name", &a.name)?;
    let encoding = Encoding::parse("--encoding", &a.encoding)?;
    let attributes = Attributes::parse(&a.attributes)?;
    let vault = vault::required(&a.vault)?;
    let (value, arg) = value(&a, encoding)?;
    validation::validate_secret_value(value.expose()).map_err(|e| CliError::arg(arg, e.to_string()))?;
    let mut options = SetSecretOptions::default();
    options.content_type = attributes.content_type;
    options.tags = attributes.tags;
    if a.file.is_some() {
        options.tags.get_or_insert_with(HashMap::new).entry(encoding::TAG.into()).or_insert(encoding.name().into());
        if let Some(tags) = &options.tags {
            validation::validate_tags(tags).map_err(|e| CliError::arg("--tags", e.to_string()))?;
        }
    }
    options.enabled = attributes.enabled.or(a.disabled.map(|d| !d));
    options = options.with_validity(attributes.not_before, attributes.expires);
    let client = client(&a.vault, &vault)?;
    let secret = client
        .set_secret(&a.name, value.expose(), Some(options))
        .await
        .map_err(|e| CliError::secrets(format!("set `{}`", a.name), e))?;
    output::print(a.output.output, &output::secret(&secret), output::SECRET)
}

/// `secret show`.
pub(crate) async fn show(a: ShowArgs) -> Result<()> {
    let target = Target::from_args(&a.target, a.version.as_deref(), false)?;
    let client = client(&a.target.vault, &target.vault)?;
    let secret = client
        .get_secret_version(&target.name, target.version.as_deref(), None)
        .await
        .map_err(|e| CliError::secrets(target.what("show"), e))?;
    output::print(a.output.output, &output::secret(&secret), output::SECRET)
}

/// `secret set-attributes`.
pub(crate) async fn set_attributes(a: SetAttributesArgs) -> Result<()> {
    let target = Target::from_args(&a.target, a.version.as_deref(), false)?;
    let at = Attributes::parse(&a.attributes)?;
    let mut changes = UpdateSecretProperties::default();
    if let Some(ct) = at.content_type {
        changes = changes.with_content_type(ct);
    }
    if let Some(tags) = at.tags {
        changes = changes.with_tags(tags);
    }
    if let Some(enabled) = at.enabled {
        changes = changes.with_enabled(enabled);
    }
    if let Some(t) = at.expires {
        changes = changes.with_expires_on(t);
    }
    if let Some(t) = at.not_before {
        changes = changes.with_not_before(t);
    }
    if changes == UpdateSecretProperties::default() {
        return Err(CliError::arg(
            "set-attributes",
            "nothing to change: give --enabled, --expires, --not-before, --content-type or --tags",
        ));
    }
    let client = client(&a.target.vault, &target.vault)?;
    let properties = client
        .update_secret_properties(&target.name, target.version.as_deref(), changes)
        .await
        .map_err(|e| CliError::secrets(target.what("set-attributes"), e))?;
    output::print(a.output.output, &output::properties(&properties), output::PROPERTIES)
}

/// `secret download`.
pub(crate) async fn download(a: DownloadArgs) -> Result<()> {
    let target = Target::from_args(&a.target, a.version.as_deref(), false)?;
    let chosen = a.encoding.as_deref().map(|e| Encoding::parse("--encoding", e)).transpose()?;
    if a.file.as_os_str() != "-" && a.file.exists() {
        return Err(CliError::arg(format!("--file {}", a.file.display()), "the file exists: azkv never overwrites it"));
    }
    let client = client(&a.target.vault, &target.vault)?;
    let secret = client
        .get_secret_version(&target.name, target.version.as_deref(), None)
        .await
        .map_err(|e| CliError::secrets(target.what("download"), e))?;
    let encoding = match chosen {
        Some(e) => e,
        None => match secret.properties.tags.get(encoding::TAG) {
            Some(tag) => Encoding::parse(&format!("the `{}` tag", encoding::TAG), tag)?,
            None => Encoding::Utf8,
        },
    };
    let bytes = zeroize::Zeroizing::new(encoding.decode(&format!("`{}`", target.name), secret.value())?);
    write_new_file(&a.file, &bytes)
}
