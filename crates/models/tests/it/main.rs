//! Integration tests of azkv-models, in one binary.

mod conformance;
mod identifier;
mod props;
mod redaction;
mod roundtrip;
mod routing;
mod validation;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// JSON -> `T` -> JSON.
fn roundtrip<T: DeserializeOwned + Serialize>(json: &Value) -> Value {
    let model: T = serde_json::from_value(json.clone()).unwrap_or_else(|err| panic!("{err}: {json}"));
    serde_json::to_value(&model).unwrap()
}

/// JSON -> the model named `name` (its Rust name) -> JSON.
fn roundtrip_as(name: &str, json: &Value) -> Value {
    use azkv_models::*;
    match name {
        "SecretAttributes" => roundtrip::<SecretAttributes>(json),
        "Attributes" => roundtrip::<Attributes>(json),
        "SecretBundle" => roundtrip::<SecretBundle>(json),
        "DeletedSecretBundle" => roundtrip::<DeletedSecretBundle>(json),
        "SecretItem" => roundtrip::<SecretItem>(json),
        "DeletedSecretItem" => roundtrip::<DeletedSecretItem>(json),
        "SecretListResult" => roundtrip::<SecretListResult>(json),
        "DeletedSecretListResult" => roundtrip::<DeletedSecretListResult>(json),
        "SecretSetParameters" => roundtrip::<SecretSetParameters>(json),
        "SecretUpdateParameters" => roundtrip::<SecretUpdateParameters>(json),
        "SecretRestoreParameters" => roundtrip::<SecretRestoreParameters>(json),
        "BackupSecretResult" => roundtrip::<BackupSecretResult>(json),
        "SecretProperties" => roundtrip::<SecretProperties>(json),
        "KeyVaultError" => roundtrip::<KeyVaultError>(json),
        "ErrorDetail" => roundtrip::<ErrorDetail>(json),
        "DeletionRecoveryLevel" => roundtrip::<DeletionRecoveryLevel>(json),
        "ContentType" => roundtrip::<ContentType>(json),
        other => panic!("no round trip for model `{other}`: add it to tests/it/main.rs"),
    }
}

/// `{:?}` of the model named `name`, deserialized from `json`.
fn debug_as(name: &str, json: &Value) -> String {
    use azkv_models::*;
    fn debug<T: DeserializeOwned + std::fmt::Debug>(json: &Value) -> String {
        format!("{:?}", serde_json::from_value::<T>(json.clone()).unwrap())
    }
    match name {
        "SecretBundle" => debug::<SecretBundle>(json),
        "DeletedSecretBundle" => debug::<DeletedSecretBundle>(json),
        "SecretSetParameters" => debug::<SecretSetParameters>(json),
        "SecretRestoreParameters" => debug::<SecretRestoreParameters>(json),
        "BackupSecretResult" => debug::<BackupSecretResult>(json),
        other => panic!("no Debug check for model `{other}`: add it to tests/it/main.rs"),
    }
}

/// The API description, parsed.
fn description() -> toml::Table {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("api/secrets.toml");
    std::fs::read_to_string(&path).unwrap().parse().unwrap()
}

/// The `[[name]]` tables of the description.
fn tables<'a>(desc: &'a toml::Table, name: &str) -> Vec<&'a toml::Table> {
    desc.get(name)
        .and_then(toml::Value::as_array)
        .map(|items| items.iter().filter_map(toml::Value::as_table).collect())
        .unwrap_or_default()
}

fn text<'a>(table: &'a toml::Table, key: &str) -> Option<&'a str> {
    table.get(key).and_then(toml::Value::as_str)
}

fn flag(table: &toml::Table, key: &str) -> bool {
    table.get(key).and_then(toml::Value::as_bool).unwrap_or(false)
}

/// The Rust name of the described model `name`.
fn rust_model_name<'a>(desc: &'a toml::Table, name: &'a str) -> &'a str {
    tables(desc, "model")
        .into_iter()
        .find(|m| text(m, "name") == Some(name))
        .and_then(|m| text(m, "rust"))
        .unwrap_or(name)
}
