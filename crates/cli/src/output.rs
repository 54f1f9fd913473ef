//! Printing results: JSON shaped as the Azure CLI's (`json`, `jsonc`), `table`, `tsv` or `none`.
//!
//! A secret's value is printed only by `show` and `set`, in their result, as the Azure CLI does.

use std::io::{self, Write};

use azkv_secrets::{DeletedSecret, KeyVaultSecret, SecretProperties};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::args::Format;
use crate::error::{CliError, Result};

/// The columns of `table` and `tsv`: a header and a path into the JSON (`version` is the id's last part).
pub(crate) type Columns = &'static [(&'static str, &'static str)];

/// A secret with its value (`show`, `set`).
pub(crate) const SECRET: Columns = &[
    ("Name", "/name"),
    ("Version", "version"),
    ("Enabled", "/attributes/enabled"),
    ("ContentType", "/contentType"),
    ("Expires", "/attributes/expires"),
    ("Value", "/value"),
];

/// A secret's properties (`list`, `list-versions`, `set-attributes`, `recover`, `restore`).
pub(crate) const PROPERTIES: Columns = &[
    ("Name", "/name"),
    ("Version", "version"),
    ("Enabled", "/attributes/enabled"),
    ("ContentType", "/contentType"),
    ("Expires", "/attributes/expires"),
    ("Updated", "/attributes/updated"),
];

/// A deleted secret (`list-deleted`, `show-deleted`, `delete`).
pub(crate) const DELETED: Columns = &[
    ("Name", "/name"),
    ("DeletedDate", "/deletedDate"),
    ("ScheduledPurgeDate", "/scheduledPurgeDate"),
    ("RecoveryId", "/recoveryId"),
];

/// A time as the Azure CLI prints it: `2030-01-31T00:00:00+00:00`.
fn time_json(t: Option<OffsetDateTime>) -> Value {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    t.and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok()).map_or(Value::Null, Value::String)
}

fn attributes(p: &SecretProperties) -> Value {
    json!({
        "created": time_json(p.created_on),
        "enabled": p.enabled,
        "expires": time_json(p.expires_on),
        "notBefore": time_json(p.not_before),
        "recoverableDays": p.recoverable_days,
        "recoveryLevel": p.recovery_level.as_ref().map(|l| l.to_string()),
        "updated": time_json(p.updated_on),
    })
}

/// A secret's properties as the Azure CLI's list item (no value).
pub(crate) fn properties(p: &SecretProperties) -> Value {
    json!({
        "attributes": attributes(p),
        "contentType": p.content_type,
        "id": p.id,
        "managed": p.managed,
        "name": p.name,
        "tags": p.tags,
    })
}

/// A secret with its value, as `az keyvault secret show` prints it.
pub(crate) fn secret(s: &KeyVaultSecret) -> Value {
    let mut v = properties(&s.properties);
    if let Value::Object(map) = &mut v {
        map.insert("kid".into(), json!(s.properties.key_id));
        map.insert("value".into(), Value::String(s.value().to_owned()));
    }
    v
}

/// A deleted secret, as `az keyvault secret show-deleted` prints it.
pub(crate) fn deleted(d: &DeletedSecret) -> Value {
    let mut v = properties(&d.properties);
    if let Value::Object(map) = &mut v {
        map.insert("deletedDate".into(), time_json(d.deleted_on));
        map.insert("recoveryId".into(), json!(d.recovery_id));
        map.insert("scheduledPurgeDate".into(), time_json(d.scheduled_purge_date));
    }
    v
}

/// Prints `value` (an object, or an array of them) in `format` on stdout. A closed pipe
/// (`azkv ... | head`) ends the output quietly.
pub(crate) fn print(format: Format, value: &Value, columns: Columns) -> Result<()> {
    let text = render(format, value, columns);
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::io("stdout", e)),
        _ => Ok(()),
    }
}

/// `value` rendered in `format`, ending with a newline (empty for `none`).
pub(crate) fn render(format: Format, value: &Value, columns: Columns) -> String {
    match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(value).unwrap_or_default()),
        Format::Jsonc => {
            let mut out = String::new();
            colour(value, 0, &mut out);
            out.push('\n');
            out
        }
        Format::Table | Format::Tsv => {
            let rows: Vec<Vec<String>> = match value {
                Value::Array(items) => items.iter().map(|i| row(i, columns)).collect(),
                other => vec![row(other, columns)],
            };
            if format == Format::Tsv { tsv(&rows) } else { table(columns, &rows) }
        }
        Format::None => String::new(),
    }
}

fn row(item: &Value, columns: Columns) -> Vec<String> {
    columns
        .iter()
        .map(|(_, path)| {
            let cell = if *path == "version" {
                item.pointer("/id")
                    .and_then(Value::as_str)
                    .and_then(|id| azkv_models::SecretIdentifier::parse(id).ok())
                    .and_then(|id| id.version().map(|v| Value::String(v.to_owned())))
                    .unwrap_or(Value::Null)
            } else {
                item.pointer(path).cloned().unwrap_or(Value::Null)
            };
            match cell {
                Value::Null => String::new(),
                Value::String(s) => s,
                other => other.to_string(),
            }
        })
        .collect()
}

/// Cells with tabs and line breaks replaced by spaces, so that each row stays one line.
fn clean(cell: &str) -> String {
    cell.replace(['\t', '\n', '\r'], " ")
}

fn tsv(rows: &[Vec<String>]) -> String {
    rows.iter().map(|r| r.iter().map(|c| clean(c)).collect::<Vec<_>>().join("\t") + "\n").collect()
}

fn table(columns: Columns, rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| clean(c)).collect()).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (h, _))| rows.iter().map(|r| r[i].chars().count()).chain([h.len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let mut out = line(columns.iter().map(|(h, _)| *h).collect());
    out += &line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect());
    for r in &rows {
        out += &line(r.iter().map(String::as_str).collect());
    }
    out
}

/// Pretty JSON with ANSI colours: keys blue, strings green, other scalars yellow.
fn colour(value: &Value, depth: usize, out: &mut String) {
    const KEY: &str = "\x1b[94m";
    const STRING: &str = "\x1b[32m";
    const SCALAR: &str = "\x1b[33m";
    const RESET: &str = "\x1b[0m";
    let pad = |d: usize| "  ".repeat(d);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            let entries: Vec<(&String, &Value)> = Map::iter(map).collect();
            for (i, (k, v)) in entries.iter().enumerate() {
                out.push_str(&format!("{}{KEY}{}{RESET}: ", pad(depth + 1), Value::String((*k).clone())));
                colour(v, depth + 1, out);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{}}}", pad(depth)));
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                colour(v, depth + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{}]", pad(depth)));
        }
        Value::String(_) => out.push_str(&format!("{STRING}{value}{RESET}")),
        Value::Object(_) | Value::Array(_) => out.push_str(&value.to_string()),
        other => out.push_str(&format!("{SCALAR}{other}{RESET}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        let mut p = SecretProperties::with_name("db");
        p.id = Some("https://v.vault.azure.net/secrets/db/0123abcd".into());
        p.enabled = Some(true);
        p.expires_on = Some(OffsetDateTime::from_unix_timestamp(1_896_048_000).unwrap());
        p.tags.insert("env".into(), "prod".into());
        secret(&KeyVaultSecret::new("db", "s3cret", p))
    }

    #[test]
    fn json_is_shaped_as_the_azure_cli() {
        let v = sample();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["attributes", "contentType", "id", "kid", "managed", "name", "tags", "value"]);
        assert_eq!(v["attributes"]["expires"], "2030-01-31T00:00:00+00:00");
        assert_eq!(v["attributes"]["notBefore"], Value::Null);
        assert_eq!(v["tags"]["env"], "prod");
        assert_eq!(v["value"], "s3cret");
        let listed = properties(&SecretProperties::with_name("x"));
        assert!(listed.get("value").is_none());
    }

    #[test]
    fn table_tsv_and_none() {
        let v = sample();
        let table = render(Format::Table, &Value::Array(vec![v.clone()]), SECRET);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "Name  Version   Enabled  ContentType  Expires                    Value");
        assert!(lines[1].starts_with("----  --------  -------"), "{table}");
        assert_eq!(lines[2], "db    0123abcd  true                  2030-01-31T00:00:00+00:00  s3cret");
        assert_eq!(render(Format::Tsv, &v, SECRET), "db\t0123abcd\ttrue\t\t2030-01-31T00:00:00+00:00\ts3cret\n");
        assert_eq!(render(Format::None, &v, SECRET), "");
    }

    #[test]
    fn jsonc_is_json_with_colours() {
        let v = sample();
        let coloured = render(Format::Jsonc, &v, SECRET);
        assert!(coloured.contains("\x1b[94m\"name\"\x1b[0m: \x1b[32m\"db\"\x1b[0m"), "{coloured}");
        let plain =
            coloured.replace("\x1b[94m", "").replace("\x1b[32m", "").replace("\x1b[33m", "").replace("\x1b[0m", "");
        assert_eq!(plain, render(Format::Json, &v, SECRET));
    }
}
