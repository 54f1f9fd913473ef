//! Renders `generated/operations.rs`: the operation table, `OperationId` and the API constants.

use std::fmt::Write as _;

use anyhow::Context;

use super::description::{Description, max_page_size};
use super::text::{const_name, doc, file_header};

/// The method enum variants, in a fixed order.
const METHODS: &[(&str, &str)] =
    &[("GET", "Get"), ("PUT", "Put"), ("PATCH", "Patch"), ("POST", "Post"), ("DELETE", "Delete")];

pub(super) fn method_variant(method: &str) -> anyhow::Result<&'static str> {
    METHODS
        .iter()
        .find(|(wire, _)| *wire == method)
        .map(|(_, variant)| *variant)
        .with_context(|| format!("unknown method `{method}`"))
}

pub(super) fn render_operations(desc: &Description) -> anyhow::Result<String> {
    let mut out = file_header(&[
        &format!(
            "The operation table of the {} API (api-version {}): one [`Operation`] per REST operation.",
            desc.api.title, desc.api.version
        ),
        "The client builds its requests and the emulator routes them from this one table, so every route is \
         defined once. [`Operation::fill_path`] and [`crate::match_route`] work on it.",
    ]);
    out.push('\n');

    doc(&mut out, "", "The api-version this crate speaks.");
    writeln!(out, "pub const API_VERSION: &str = {:?};", desc.api.version).unwrap();
    doc(&mut out, "", "The name of the query parameter that carries the api-version on every operation.");
    writeln!(out, "pub const API_VERSION_PARAM: &str = {:?};", desc.api.version_param).unwrap();
    doc(&mut out, "", "The OAuth 2 scope a bearer token for the service must have.");
    writeln!(out, "pub const AUTH_SCOPE: &str = {:?};", desc.api.auth_scope).unwrap();
    doc(&mut out, "", "Every api-version of the service, oldest first; [`API_VERSION`] is among them.");
    let versions: Vec<String> = desc.api.known_versions.iter().map(|v| format!("{v:?}")).collect();
    writeln!(out, "pub const KNOWN_API_VERSIONS: &[&str] = &[{}];", versions.join(", ")).unwrap();
    doc(&mut out, "", "The largest page a list operation returns, and its size when `maxresults` is absent.");
    writeln!(out, "pub const MAX_PAGE_SIZE: u32 = {};", max_page_size(desc)?).unwrap();
    render_operation_id(&mut out, desc);

    out.push('\n');
    doc(&mut out, "", "HTTP method of an operation (kept free of any HTTP crate).");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum Method {\n");
    for (wire, variant) in METHODS {
        doc(&mut out, "    ", &format!("`{wire}`"));
        writeln!(out, "    {variant},").unwrap();
    }
    out.push_str("}\n\nimpl Method {\n");
    doc(&mut out, "    ", "Every method, in a fixed order.");
    let all: Vec<String> = METHODS.iter().map(|(_, variant)| format!("Self::{variant}")).collect();
    writeln!(out, "    pub const ALL: &'static [Self] = &[{}];", all.join(", ")).unwrap();
    out.push('\n');
    doc(&mut out, "    ", "The method's name in upper case, as on the wire.");
    out.push_str("    pub const fn as_str(self) -> &'static str {\n        match self {\n");
    for (wire, variant) in METHODS {
        writeln!(out, "            Self::{variant} => {wire:?},").unwrap();
    }
    out.push_str("        }\n    }\n\n");
    doc(&mut out, "    ", "Parses a method name, ignoring ASCII case.");
    out.push_str("    pub fn parse(name: &str) -> Option<Self> {\n");
    out.push_str("        Self::ALL.iter().copied().find(|method| method.as_str().eq_ignore_ascii_case(name))\n");
    out.push_str("    }\n}\n\n");
    out.push_str("impl std::fmt::Display for Method {\n");
    out.push_str("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n");
    out.push_str("        f.write_str(self.as_str())\n    }\n}\n\n");

    doc(&mut out, "", "A query parameter of an operation (besides the api-version, which every operation takes).");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq)]\n#[non_exhaustive]\npub struct QueryParam {\n");
    doc(&mut out, "    ", "Name on the wire.");
    out.push_str("    pub name: &'static str,\n");
    doc(&mut out, "    ", "Value type: `int32`, `string`, or the name of an enum in [`crate::models`].");
    out.push_str("    pub value_type: &'static str,\n");
    doc(&mut out, "    ", "Whether the operation needs it.");
    out.push_str("    pub required: bool,\n");
    doc(&mut out, "    ", "Smallest allowed value of an integer parameter.");
    out.push_str("    pub min: Option<i64>,\n");
    doc(&mut out, "    ", "Largest allowed value of an integer parameter.");
    out.push_str("    pub max: Option<i64>,\n");
    doc(&mut out, "    ", "What it means.");
    out.push_str("    pub doc: &'static str,\n}\n\n");

    doc(&mut out, "", "One REST operation of the API.");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq)]\n#[non_exhaustive]\npub struct Operation {\n");
    doc(&mut out, "    ", "The API's operation id.");
    out.push_str("    pub id: OperationId,\n");
    doc(&mut out, "    ", "HTTP method.");
    out.push_str("    pub method: Method,\n");
    doc(
        &mut out,
        "    ",
        "Path template below the vault URL, with `{name}` placeholders, for example `/secrets/{secret-name}`.",
    );
    out.push_str("    pub path: &'static str,\n");
    doc(&mut out, "    ", "Names of the path parameters, in template order.");
    out.push_str("    pub path_params: &'static [&'static str],\n");
    doc(&mut out, "    ", "Query parameters, besides the api-version.");
    out.push_str("    pub query_params: &'static [QueryParam],\n");
    doc(&mut out, "    ", "Name of the request body model in [`crate::models`], if the operation takes a body.");
    out.push_str("    pub request_body: Option<&'static str>,\n");
    doc(&mut out, "    ", "HTTP status of success.");
    out.push_str("    pub success_status: u16,\n");
    doc(&mut out, "    ", "What the operation does.");
    out.push_str("    pub doc: &'static str,\n}\n");

    for op in &desc.operation {
        out.push('\n');
        doc(&mut out, "", &format!("`{} {}` ({}): {}", op.method, op.path, op.id, op.doc));
        let params: Vec<String> = op.path_param.iter().map(|p| format!("{:?}", p.name)).collect();
        if !op.path_param.is_empty() {
            doc(&mut out, "", "");
            doc(&mut out, "", "Path parameters:");
            for p in &op.path_param {
                doc(&mut out, "", &format!("- `{}`: {}", p.name, p.doc));
            }
        }
        let queries: Vec<String> = op
            .query_param
            .iter()
            .map(|q| {
                format!(
                    "QueryParam {{ name: {:?}, value_type: {:?}, required: {}, min: {:?}, max: {:?}, doc: {:?} }}",
                    q.name, q.ty, q.required, q.min, q.max, q.doc
                )
            })
            .collect();
        let body = |model: &Option<String>| -> anyhow::Result<String> {
            Ok(match model {
                None => "None".to_owned(),
                Some(name) => {
                    let model = desc.model.iter().find(|m| &m.name == name).context("unknown model")?;
                    format!("Some({:?})", model.rust_name())
                }
            })
        };
        writeln!(out, "pub const {}: Operation = Operation {{", const_name(&op.id)).unwrap();
        writeln!(out, "    id: OperationId::{},", op.id).unwrap();
        writeln!(out, "    method: Method::{},", method_variant(&op.method)?).unwrap();
        writeln!(out, "    path: {:?},", op.path).unwrap();
        writeln!(out, "    path_params: &[{}],", params.join(", ")).unwrap();
        writeln!(out, "    query_params: &[{}],", queries.join(", ")).unwrap();
        writeln!(out, "    request_body: {},", body(&op.request)?).unwrap();
        writeln!(out, "    success_status: {},", op.status).unwrap();
        writeln!(out, "    doc: {:?},", op.doc).unwrap();
        out.push_str("};\n");
    }

    out.push('\n');
    doc(&mut out, "", "Every operation, in the order of the API description.");
    let all: Vec<String> = desc.operation.iter().map(|op| const_name(&op.id)).collect();
    writeln!(out, "pub const OPERATIONS: &[Operation] = &[{}];", all.join(", ")).unwrap();
    Ok(out)
}

/// `OperationId`: one variant per operation, so that code which handles every operation can say
/// so with an exhaustive `match`, and a new operation in the description fails to compile there.
fn render_operation_id(out: &mut String, desc: &Description) {
    out.push('\n');
    doc(
        out,
        "",
        "The id of an operation. Match on it exhaustively: an operation added to the description then \
         fails to compile until every such `match` handles it.",
    );
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum OperationId {\n");
    for op in &desc.operation {
        doc(out, "    ", &format!("`{} {}`: [`{}`].", op.method, op.path, const_name(&op.id)));
        writeln!(out, "    {},", op.id).unwrap();
    }
    out.push_str("}\n\nimpl OperationId {\n");
    doc(out, "    ", "Every operation id, in the order of the API description.");
    let all: Vec<String> = desc.operation.iter().map(|op| format!("Self::{}", op.id)).collect();
    writeln!(out, "    pub const ALL: &'static [Self] = &[{}];", all.join(", ")).unwrap();
    out.push('\n');
    doc(out, "    ", "The id as the API spells it, for example `GetSecret`.");
    out.push_str("    pub const fn as_str(self) -> &'static str {\n        match self {\n");
    for op in &desc.operation {
        writeln!(out, "            Self::{} => {:?},", op.id, op.id).unwrap();
    }
    out.push_str("        }\n    }\n\n");
    doc(out, "    ", "The operation's entry in the table.");
    out.push_str("    pub const fn operation(self) -> &'static Operation {\n        match self {\n");
    for op in &desc.operation {
        writeln!(out, "            Self::{} => &{},", op.id, const_name(&op.id)).unwrap();
    }
    out.push_str("        }\n    }\n\n");
    doc(out, "    ", "The id spelled `name`, exactly.");
    out.push_str("    pub fn parse(name: &str) -> Option<Self> {\n");
    out.push_str("        Self::ALL.iter().copied().find(|id| id.as_str() == name)\n    }\n}\n\n");
    out.push_str("impl std::fmt::Display for OperationId {\n");
    out.push_str("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n");
    out.push_str("        f.write_str(self.as_str())\n    }\n}\n");
}
