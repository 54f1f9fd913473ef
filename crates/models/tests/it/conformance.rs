//! The description (`api/secrets.toml`) against the official OpenAPI document and its examples, when
//! a reference copy is present beside the checkout (`../shared/reference/keyvault-secrets`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use crate::{description, flag, roundtrip_as, rust_model_name, tables, text};

fn reference_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/keyvault-secrets");
    if dir.join("secrets.json").is_file() {
        Some(dir)
    } else {
        println!("notice: {} is absent; skipping the OpenAPI conformance check", dir.display());
        None
    }
}

fn load(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// `#/definitions/SecretBundle` -> `SecretBundle`.
fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/definitions/")
}

/// The description's type for an OpenAPI property schema.
fn expected_type(schema: &Value) -> String {
    if let Some(name) = ref_name(schema) {
        return name.to_owned();
    }
    let format = schema.get("format").and_then(Value::as_str);
    match (schema["type"].as_str().unwrap(), format) {
        ("string", Some("base64url")) => "base64url".into(),
        ("string", _) => "string".into(),
        ("boolean", _) => "bool".into(),
        ("integer", Some("unixtime")) => "unixtime".into(),
        ("integer", Some("int32")) => "int32".into(),
        ("array", _) => format!("[{}]", ref_name(&schema["items"]).expect("arrays of models")),
        ("object", _) if schema["additionalProperties"]["type"] == "string" => "string-map".into(),
        other => panic!("no description type for {other:?}"),
    }
}

#[test]
fn description_covers_the_openapi_document() {
    let Some(dir) = reference_dir() else { return };
    let spec = load(dir.join("secrets.json"));
    let desc = description();
    let api = desc["api"].as_table().unwrap();

    assert_eq!(text(api, "version"), spec["info"]["version"].as_str());
    assert_eq!(azkv_models::API_VERSION, spec["info"]["version"].as_str().unwrap());
    let scopes = spec["securityDefinitions"]["OAuth2Auth"]["scopes"].as_object().unwrap();
    assert!(scopes.contains_key(text(api, "auth_scope").unwrap()));
    assert!(scopes.contains_key(azkv_models::AUTH_SCOPE));
    let version_param = &spec["parameters"]["Azure.Core.Foundations.ApiVersionParameter"];
    assert_eq!(text(api, "version_param"), version_param["name"].as_str());

    // Operations.
    let ops = tables(&desc, "operation");
    let mut seen = BTreeSet::new();
    for (path, methods) in spec["paths"].as_object().unwrap() {
        for (method, spec_op) in methods.as_object().unwrap() {
            let id = spec_op["operationId"].as_str().unwrap();
            seen.insert(id);
            let op = ops.iter().find(|op| text(op, "id") == Some(id)).unwrap_or_else(|| panic!("{id} not described"));
            assert_eq!(text(op, "method"), Some(method.to_uppercase().as_str()), "{id}");
            assert_eq!(text(op, "path"), Some(path.as_str()), "{id}");

            let responses = spec_op["responses"].as_object().unwrap();
            let (status, response) = responses.iter().find(|(code, _)| code.starts_with('2')).unwrap();
            assert_eq!(op["status"].as_integer(), Some(status.parse().unwrap()), "{id}");
            assert_eq!(text(op, "response"), response.get("schema").and_then(ref_name), "{id}");
            assert_eq!(flag(op, "pageable"), spec_op.get("x-ms-pageable").is_some(), "{id}");

            let params = spec_op["parameters"].as_array().unwrap();
            let of = |kind: &'static str| params.iter().filter(move |p| p["in"] == kind);
            let body = of("body").next().map(|p| ref_name(&p["schema"]).unwrap());
            assert_eq!(text(op, "request"), body, "{id}");
            let path_params: Vec<&str> = of("path").map(|p| p["name"].as_str().unwrap()).collect();
            let described: Vec<&str> = tables(op, "path_param").iter().map(|p| text(p, "name").unwrap()).collect();
            assert_eq!(described, path_params, "{id}");

            let query: Vec<&Value> = of("query").collect();
            let described = tables(op, "query_param");
            assert_eq!(described.len(), query.len(), "{id}: query parameters");
            for (ours, theirs) in described.iter().zip(&query) {
                assert_eq!(text(ours, "name"), theirs["name"].as_str(), "{id}");
                assert_eq!(flag(ours, "required"), theirs["required"] == true, "{id}");
                let ty = match theirs.get("x-ms-enum") {
                    Some(e) => e["name"].as_str().unwrap().to_owned(),
                    None => expected_type(theirs),
                };
                assert_eq!(text(ours, "type"), Some(ty.as_str()), "{id}");
                assert_eq!(ours.get("min").and_then(toml::Value::as_integer), theirs["minimum"].as_i64(), "{id}");
                assert_eq!(ours.get("max").and_then(toml::Value::as_integer), theirs["maximum"].as_i64(), "{id}");
            }

            // The generated table agrees too.
            let table =
                azkv_models::OperationId::parse(id).unwrap_or_else(|| panic!("{id} not in OPERATIONS")).operation();
            assert_eq!(table.method.as_str(), method.to_uppercase(), "{id}");
            assert_eq!(table.path, path, "{id}");
            assert_eq!(table.path_params, path_params.as_slice(), "{id}");
            assert_eq!(table.success_status.to_string(), *status, "{id}");
            assert_eq!(
                table.query_params.iter().any(|q| q.name == "maxresults"),
                spec_op.get("x-ms-pageable").is_some(),
                "{id}"
            );
        }
    }
    let described: BTreeSet<&str> = ops.iter().map(|op| text(op, "id").unwrap()).collect();
    assert_eq!(described, seen, "described operations differ from the document's");
    assert_eq!(azkv_models::OPERATIONS.len(), seen.len());

    // Definitions: models and enums.
    let models = tables(&desc, "model");
    let enums = tables(&desc, "enum");
    let definitions = spec["definitions"].as_object().unwrap();
    for (name, definition) in definitions {
        if let Some(values) = definition.get("enum") {
            let ours = enums.iter().find(|e| text(e, "name") == Some(name)).unwrap_or_else(|| panic!("enum {name}"));
            let wire: Vec<&str> = tables(ours, "value").iter().map(|v| text(v, "wire").unwrap()).collect();
            let theirs: Vec<&str> = values.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(wire, theirs, "enum {name}");
            assert_eq!(flag(ours, "open"), definition["x-ms-enum"]["modelAsString"] == true, "enum {name}");
            continue;
        }
        let ours = models.iter().find(|m| text(m, "name") == Some(name)).unwrap_or_else(|| panic!("model {name}"));
        let fields = tables(ours, "field");
        let properties = definition["properties"].as_object().unwrap();
        let required: Vec<&str> = definition
            .get("required")
            .map(|r| r.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        for (property, schema) in properties {
            let field = fields
                .iter()
                .find(|f| text(f, "name") == Some(property))
                .unwrap_or_else(|| panic!("{name}.{property} not described"));
            assert_eq!(text(field, "type"), Some(expected_type(schema).as_str()), "{name}.{property}");
            assert_eq!(flag(field, "required"), required.contains(&property.as_str()), "{name}.{property} required");
            assert_eq!(flag(field, "read_only"), schema["readOnly"] == true, "{name}.{property} read-only");
        }
        assert_eq!(fields.len(), properties.len(), "{name}: the description has fields the document lacks");
    }
    let described: BTreeSet<&str> = models.iter().chain(&enums).map(|m| text(m, "name").unwrap()).collect();
    let theirs: BTreeSet<&str> = definitions.keys().map(String::as_str).collect();
    assert_eq!(described, theirs, "described definitions differ from the document's");
}

#[test]
fn every_example_round_trips_through_its_model() {
    let Some(dir) = reference_dir() else { return };
    let desc = description();
    let ops = tables(&desc, "operation");
    let mut checked = 0;
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir.join("examples")).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no examples");
    for path in files {
        let example = load(path.clone());
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let id = example["operationId"].as_str().unwrap();
        let op = ops.iter().find(|op| text(op, "id") == Some(id)).unwrap_or_else(|| panic!("{file}: {id}"));

        for (status, response) in example["responses"].as_object().unwrap() {
            assert_eq!(op["status"].as_integer(), Some(status.parse().unwrap()), "{file}: status");
            match (response.get("body"), text(op, "response")) {
                (Some(body), Some(model)) => {
                    let back = roundtrip_as(rust_model_name(&desc, model), body);
                    assert_eq!(&back, body, "{file}: response body through {model}");
                    checked += 1;
                }
                (None, None) => {}
                (body, model) => panic!("{file}: body {body:?} but described response {model:?}"),
            }
        }
        if let (Some(body), Some(model)) = (example["parameters"].get("parameters"), text(op, "request")) {
            let back = roundtrip_as(rust_model_name(&desc, model), body);
            assert_eq!(&back, body, "{file}: request body through {model}");
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} bodies checked");
}
