//! Renders `generated/mod.rs` and `generated/models.rs`: the wire models and enums.

use std::fmt::Write as _;

use super::description::{Description, Enum, FieldType, Model, parse_type};
use super::text::{camel_case, doc, file_header};

pub(super) fn render_mod(desc: &Description) -> String {
    let mut out = file_header(&[
        &format!(
            "Code generated from `crates/models/api/secrets.toml`, the description of the {} API (api-version {}).",
            desc.api.title, desc.api.version
        ),
        &format!("Source of the description: {} at commit {}.", desc.api.source, desc.api.source_commit),
    ]);
    out.push_str("\npub mod models;\npub mod operations;\n");
    out
}

pub(super) fn render_models(desc: &Description) -> anyhow::Result<String> {
    let mut out = file_header(&[&format!(
        "Request and response models of the {} API (api-version {}).",
        desc.api.title, desc.api.version
    )]);
    out.push_str("\nuse std::collections::BTreeMap;\n\nuse serde::{Deserialize, Deserializer, Serialize, Serializer};\nuse time::OffsetDateTime;\n");

    for model in &desc.model {
        render_model(&mut out, model, desc)?;
    }
    for e in &desc.enums {
        render_enum(&mut out, e);
    }
    Ok(out)
}

fn render_model(out: &mut String, model: &Model, desc: &Description) -> anyhow::Result<()> {
    let name = model.rust_name();
    let manual_debug = model.field.iter().any(|f| f.sensitive);
    out.push('\n');
    doc(out, "", &model.doc);
    if model.rust.is_some() {
        doc(out, "", "");
        doc(out, "", &format!("The API calls this model `{}`.", model.name));
    }
    let debug = if manual_debug { "" } else { "Debug, " };
    writeln!(out, "#[derive({debug}Clone, Default, PartialEq, Eq, Serialize, Deserialize)]").unwrap();
    writeln!(out, "#[serde(rename_all = \"camelCase\")]").unwrap();
    writeln!(out, "pub struct {name} {{").unwrap();
    for field in &model.field {
        let ty = parse_type(&field.ty, desc)?;
        let rust = field.rust_name();
        let mut text = field.doc.clone();
        if field.read_only {
            text.push_str(" Set by the service; ignored in requests.");
        }
        doc(out, "    ", &text);
        let mut attrs: Vec<String> = Vec::new();
        if camel_case(&rust) != field.name {
            attrs.push(format!("rename = \"{}\"", field.name));
        }
        let optional = !field.required && !matches!(ty, FieldType::List(_));
        let rust_ty = match &ty {
            FieldType::String => "String".to_owned(),
            FieldType::Bool => "bool".to_owned(),
            FieldType::Int32 => "i32".to_owned(),
            FieldType::UnixTime => "OffsetDateTime".to_owned(),
            FieldType::Base64Url => "Vec<u8>".to_owned(),
            FieldType::StringMap => "BTreeMap<String, String>".to_owned(),
            FieldType::List(item) => format!("Vec<{item}>"),
            FieldType::Model(other) if other == name => format!("Box<{other}>"),
            FieldType::Model(other) | FieldType::Enum(other) => other.clone(),
        };
        if matches!(ty, FieldType::List(_)) || optional {
            attrs.push("default".to_owned());
        }
        match (&ty, optional) {
            (FieldType::UnixTime, true) => attrs.push("with = \"time::serde::timestamp::option\"".to_owned()),
            (FieldType::UnixTime, false) => attrs.push("with = \"time::serde::timestamp\"".to_owned()),
            (FieldType::Base64Url, true) => attrs.push("with = \"crate::base64url::option\"".to_owned()),
            (FieldType::Base64Url, false) => attrs.push("with = \"crate::base64url\"".to_owned()),
            _ => {}
        }
        if optional {
            attrs.push("skip_serializing_if = \"Option::is_none\"".to_owned());
        }
        if !attrs.is_empty() {
            writeln!(out, "    #[serde({})]", attrs.join(", ")).unwrap();
        }
        let full_ty = if optional { format!("Option<{rust_ty}>") } else { rust_ty };
        writeln!(out, "    pub {rust}: {full_ty},").unwrap();
    }
    out.push_str("}\n");

    if manual_debug {
        out.push('\n');
        writeln!(out, "impl std::fmt::Debug for {name} {{").unwrap();
        out.push_str("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n");
        writeln!(out, "        f.debug_struct(\"{name}\")").unwrap();
        for field in &model.field {
            let rust = field.rust_name();
            let ty = parse_type(&field.ty, desc)?;
            let value = match (field.sensitive, &ty, field.required) {
                (false, _, _) => format!("&self.{rust}"),
                (true, FieldType::Base64Url, true) => format!("&crate::redact::ByteLen(self.{rust}.len())"),
                (true, FieldType::Base64Url, false) => {
                    format!("&self.{rust}.as_ref().map(|bytes| crate::redact::ByteLen(bytes.len()))")
                }
                (true, _, true) => "&crate::redact::Redacted".to_owned(),
                (true, _, false) => format!("&self.{rust}.as_ref().map(|_| crate::redact::Redacted)"),
            };
            writeln!(out, "            .field(\"{rust}\", {value})").unwrap();
        }
        out.push_str("            .finish()\n    }\n}\n");
    }
    Ok(())
}

fn render_enum(out: &mut String, e: &Enum) {
    let name = &e.name;
    out.push('\n');
    doc(out, "", &e.doc);
    doc(out, "", "");
    doc(
        out,
        "",
        "An open enum: a value this version does not know is kept in [`Self::Other`] rather than rejected. \
         Serialized as its string.",
    );
    out.push_str("#[derive(Debug, Clone, PartialEq, Eq, Hash)]\n#[non_exhaustive]\n");
    writeln!(out, "pub enum {name} {{").unwrap();
    for value in &e.value {
        doc(out, "    ", &format!("`{}`: {}", value.wire, value.doc));
        writeln!(out, "    {},", value.rust).unwrap();
    }
    doc(out, "    ", "A value this version does not know, kept as sent.");
    out.push_str("    Other(String),\n}\n\n");

    writeln!(out, "impl {name} {{").unwrap();
    doc(out, "    ", "The known values, in the order of the API description.");
    let known: Vec<String> = e.value.iter().map(|v| format!("Self::{}", v.rust)).collect();
    writeln!(out, "    pub const KNOWN: &'static [Self] = &[{}];", known.join(", ")).unwrap();
    out.push('\n');
    doc(out, "    ", "The wire string.");
    out.push_str("    pub fn as_str(&self) -> &str {\n        match self {\n");
    for value in &e.value {
        writeln!(out, "            Self::{} => {:?},", value.rust, value.wire).unwrap();
    }
    out.push_str("            Self::Other(other) => other,\n        }\n    }\n}\n\n");

    writeln!(out, "impl From<&str> for {name} {{").unwrap();
    out.push_str("    fn from(value: &str) -> Self {\n        match value {\n");
    for value in &e.value {
        writeln!(out, "            {:?} => Self::{},", value.wire, value.rust).unwrap();
    }
    out.push_str("            other => Self::Other(other.to_owned()),\n        }\n    }\n}\n\n");

    writeln!(out, "impl From<String> for {name} {{").unwrap();
    out.push_str("    fn from(value: String) -> Self {\n        match Self::from(value.as_str()) {\n");
    out.push_str(
        "            Self::Other(_) => Self::Other(value),\n            known => known,\n        }\n    }\n}\n\n",
    );

    writeln!(out, "impl std::str::FromStr for {name} {{").unwrap();
    out.push_str("    type Err = std::convert::Infallible;\n\n");
    out.push_str(
        "    fn from_str(value: &str) -> Result<Self, Self::Err> {\n        Ok(Self::from(value))\n    }\n}\n\n",
    );

    writeln!(out, "impl std::fmt::Display for {name} {{").unwrap();
    out.push_str("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n");
    out.push_str("        f.write_str(self.as_str())\n    }\n}\n\n");

    writeln!(out, "impl Serialize for {name} {{").unwrap();
    out.push_str("    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {\n");
    out.push_str("        serializer.serialize_str(self.as_str())\n    }\n}\n\n");

    writeln!(out, "impl<'de> Deserialize<'de> for {name} {{").unwrap();
    out.push_str("    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {\n");
    out.push_str("        crate::open_enum::deserialize(deserializer)\n    }\n}\n");
}
