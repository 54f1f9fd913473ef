//! Text utilities of the generator: doc comments wrapped to width, names, and rustfmt.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// Writes `text` as `///` lines, wrapped to about 100 columns.
pub(super) fn doc(out: &mut String, indent: &str, text: &str) {
    comment(out, indent, "///", text);
}

/// A generated file's opening: [`super::HEADER`], then `paragraphs` as `//!` lines with an
/// empty `//!` line between two paragraphs.
pub(super) fn file_header(paragraphs: &[&str]) -> String {
    let mut out = String::new();
    writeln!(out, "{}", super::HEADER).unwrap();
    for (i, paragraph) in paragraphs.iter().enumerate() {
        if i > 0 {
            module_doc(&mut out, "");
        }
        module_doc(&mut out, paragraph);
    }
    out
}

/// Writes `text` as `//!` lines, wrapped to about 100 columns.
pub(super) fn module_doc(out: &mut String, text: &str) {
    comment(out, "", "//!", text);
}

pub(super) fn comment(out: &mut String, indent: &str, marker: &str, text: &str) {
    if text.is_empty() {
        writeln!(out, "{indent}{marker}").unwrap();
        return;
    }
    let width = 100usize.saturating_sub(indent.len() + 4);
    // Continuation lines of a list item are indented, as Markdown wants.
    let hang = if text.starts_with("- ") { "  " } else { "" };
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            writeln!(out, "{indent}{marker} {line}").unwrap();
            line.clear();
            line.push_str(hang);
        }
        if !line.trim_start().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    writeln!(out, "{indent}{marker} {line}").unwrap();
}

/// `recoveryId` -> `recovery_id`.
pub(super) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `recovery_id` -> `recoveryId`, as serde's `rename_all = "camelCase"` does it.
pub(super) fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `GetSecretVersions` -> `GET_SECRET_VERSIONS`.
pub(super) fn const_name(id: &str) -> String {
    snake_case(id).to_ascii_uppercase()
}

pub(super) fn rustfmt(text: &str) -> anyhow::Result<String> {
    let config = crate::project_root().join("rustfmt.toml");
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024", "--config-path"])
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run rustfmt (is it installed? `rustup component add rustfmt`)")?;
    child.stdin.take().context("rustfmt stdin")?.write_all(text.as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("rustfmt failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?)
}
