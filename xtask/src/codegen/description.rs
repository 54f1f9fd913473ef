//! The API description (`crates/models/api/secrets.toml`): its types, loading and validation.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::operations::method_variant;
use super::text::snake_case;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Description {
    pub(super) api: Api,
    pub(super) operation: Vec<Operation>,
    pub(super) model: Vec<Model>,
    #[serde(rename = "enum")]
    pub(super) enums: Vec<Enum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Api {
    pub(super) title: String,
    pub(super) version: String,
    pub(super) version_param: String,
    pub(super) auth_scope: String,
    pub(super) source: String,
    pub(super) source_commit: String,
    /// Every api-version of the service, oldest first; `version` must be among them.
    pub(super) known_versions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Operation {
    pub(super) id: String,
    pub(super) method: String,
    pub(super) path: String,
    pub(super) request: Option<String>,
    pub(super) response: Option<String>,
    pub(super) status: u16,
    pub(super) pageable: bool,
    pub(super) doc: String,
    #[serde(default)]
    pub(super) path_param: Vec<PathParam>,
    #[serde(default)]
    pub(super) query_param: Vec<QueryParam>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PathParam {
    pub(super) name: String,
    pub(super) doc: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QueryParam {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) ty: String,
    #[serde(default)]
    pub(super) required: bool,
    pub(super) min: Option<i64>,
    pub(super) max: Option<i64>,
    pub(super) doc: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Model {
    pub(super) name: String,
    pub(super) rust: Option<String>,
    pub(super) doc: String,
    pub(super) field: Vec<Field>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Field {
    pub(super) name: String,
    pub(super) rust: Option<String>,
    #[serde(rename = "type")]
    pub(super) ty: String,
    #[serde(default)]
    pub(super) required: bool,
    #[serde(default)]
    pub(super) read_only: bool,
    #[serde(default)]
    pub(super) sensitive: bool,
    pub(super) doc: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Enum {
    pub(super) name: String,
    pub(super) open: bool,
    pub(super) doc: String,
    pub(super) value: Vec<EnumValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EnumValue {
    pub(super) rust: String,
    pub(super) wire: String,
    pub(super) doc: String,
}

impl Model {
    pub(super) fn rust_name(&self) -> &str {
        self.rust.as_deref().unwrap_or(&self.name)
    }
}

impl Field {
    pub(super) fn rust_name(&self) -> String {
        self.rust.clone().unwrap_or_else(|| snake_case(&self.name))
    }
}

/// The Rust shape of a field type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FieldType {
    String,
    Bool,
    Int32,
    UnixTime,
    Base64Url,
    StringMap,
    List(String),
    Model(String),
    Enum(String),
}

pub(super) fn parse_type(ty: &str, desc: &Description) -> anyhow::Result<FieldType> {
    Ok(match ty {
        "string" => FieldType::String,
        "bool" => FieldType::Bool,
        "int32" => FieldType::Int32,
        "unixtime" => FieldType::UnixTime,
        "base64url" => FieldType::Base64Url,
        "string-map" => FieldType::StringMap,
        _ => {
            if let Some(inner) = ty.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
                let model =
                    desc.model.iter().find(|m| m.name == inner).with_context(|| format!("unknown model `{inner}`"))?;
                FieldType::List(model.rust_name().to_owned())
            } else if let Some(model) = desc.model.iter().find(|m| m.name == ty) {
                FieldType::Model(model.rust_name().to_owned())
            } else if desc.enums.iter().any(|e| e.name == ty) {
                FieldType::Enum(ty.to_owned())
            } else {
                bail!("unknown type `{ty}`")
            }
        }
    })
}

pub(super) fn load(path: &Path) -> anyhow::Result<Description> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let desc: Description = toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    validate(&desc).with_context(|| format!("invalid description {}", path.display()))?;
    Ok(desc)
}

pub(super) fn validate(desc: &Description) -> anyhow::Result<()> {
    if !desc.api.known_versions.contains(&desc.api.version) {
        bail!("api.version `{}` is not among api.known_versions", desc.api.version);
    }
    max_page_size(desc)?;
    let mut ids = BTreeSet::new();
    for op in &desc.operation {
        if !ids.insert(op.id.as_str()) {
            bail!("operation `{}` is described twice", op.id);
        }
        method_variant(&op.method)?;
        let in_template: Vec<&str> = op
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let listed: Vec<&str> = op.path_param.iter().map(|p| p.name.as_str()).collect();
        if in_template != listed {
            bail!("operation `{}`: path parameters {listed:?} differ from the template's {in_template:?}", op.id);
        }
        for model in op.request.iter().chain(&op.response) {
            if !desc.model.iter().any(|m| &m.name == model) {
                bail!("operation `{}`: unknown model `{model}`", op.id);
            }
        }
        if op.pageable != op.query_param.iter().any(|q| q.name == "maxresults") {
            bail!("operation `{}`: pageable operations, and only they, take maxresults", op.id);
        }
        for query in &op.query_param {
            if !matches!(query.ty.as_str(), "int32" | "string") && !desc.enums.iter().any(|e| e.name == query.ty) {
                bail!("operation `{}`: query parameter `{}` has unknown type `{}`", op.id, query.name, query.ty);
            }
        }
    }
    for model in &desc.model {
        for field in &model.field {
            let ty = parse_type(&field.ty, desc).with_context(|| format!("field `{}.{}`", model.name, field.name))?;
            if field.sensitive && !matches!(ty, FieldType::String | FieldType::Base64Url) {
                bail!("field `{}.{}`: only string and base64url fields can be sensitive", model.name, field.name);
            }
        }
    }
    for e in &desc.enums {
        if !e.open {
            bail!("enum `{}`: only open enums are supported", e.name);
        }
    }
    Ok(())
}

/// The largest `maxresults` of the pageable operations; they must all agree.
pub(super) fn max_page_size(desc: &Description) -> anyhow::Result<i64> {
    let maxima: BTreeSet<Option<i64>> = desc
        .operation
        .iter()
        .flat_map(|op| op.query_param.iter().filter(|q| q.name == "maxresults").map(|q| q.max))
        .collect();
    match maxima.into_iter().collect::<Vec<_>>()[..] {
        [Some(max)] => Ok(max),
        ref other => bail!("the maxresults parameters must share one max, found {other:?}"),
    }
}
