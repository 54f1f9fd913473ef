//! Every model survives JSON -> model -> JSON with every field set; wire details are as the service
//! expects them.

use azkv_models::*;
use serde_json::{Value, json};
use time::macros::datetime;

use crate::{description, roundtrip_as, tables, text};

fn attributes() -> Value {
    json!({
        "enabled": true, "nbf": 1262332800, "exp": 1893484800, "created": 1493938113, "updated": 1493938114,
        "recoverableDays": 90, "recoveryLevel": "Recoverable+Purgeable"
    })
}

fn error() -> Value {
    json!({"code": "Forbidden", "message": "no", "innererror": {"code": "AccessDenied", "message": "deeper",
        "innererror": {"code": "Innermost"}}})
}

/// A sample of each model, every field present (keyed by Rust name).
fn full_samples() -> Vec<(&'static str, Value)> {
    let tags = json!({"env": "prod", "team": "core"});
    let secret_id = "https://myvault.vault.azure.net/secrets/name/0123456789abcdef0123456789abcdef";
    let deleted_item = json!({
        "id": secret_id, "attributes": attributes(), "tags": tags, "contentType": "text/plain", "managed": true,
        "recoveryId": "https://myvault.vault.azure.net/deletedsecrets/name",
        "scheduledPurgeDate": 1501714433, "deletedDate": 1493938433
    });
    let item = json!({"id": secret_id, "attributes": attributes(), "tags": tags, "contentType": "text/plain", "managed": false});
    vec![
        ("SecretAttributes", attributes()),
        ("Attributes", json!({"enabled": false, "nbf": 1, "exp": 2, "created": 3, "updated": 4})),
        (
            "SecretBundle",
            json!({"value": "s3cr3t", "id": secret_id, "contentType": "text/plain", "attributes": attributes(),
                "tags": tags, "kid": "https://myvault.vault.azure.net/keys/cert/1", "managed": true,
                "previousVersion": "abc"}),
        ),
        (
            "DeletedSecretBundle",
            json!({"value": "s3cr3t", "id": secret_id, "contentType": "text/plain", "attributes": attributes(),
                "tags": tags, "kid": "https://myvault.vault.azure.net/keys/cert/1", "managed": true,
                "previousVersion": "abc", "recoveryId": "https://myvault.vault.azure.net/deletedsecrets/name",
                "scheduledPurgeDate": 1501714433, "deletedDate": 1493938433}),
        ),
        ("SecretItem", item.clone()),
        ("DeletedSecretItem", deleted_item.clone()),
        (
            "SecretListResult",
            json!({"value": [item], "nextLink": "https://myvault.vault.azure.net/secrets?$skiptoken=x"}),
        ),
        (
            "DeletedSecretListResult",
            json!({"value": [deleted_item], "nextLink": "https://myvault.vault.azure.net/deletedsecrets?$skiptoken=x"}),
        ),
        (
            "SecretSetParameters",
            json!({"value": "s3cr3t", "tags": tags, "contentType": "password", "attributes": {"enabled": true, "exp": 1893484800}}),
        ),
        ("SecretUpdateParameters", json!({"contentType": "password", "attributes": {"enabled": false}, "tags": tags})),
        ("SecretRestoreParameters", json!({"value": "AAEC_-8"})),
        ("BackupSecretResult", json!({"value": "AAEC_-8"})),
        ("SecretProperties", json!({"contentType": "application/x-pem-file"})),
        ("KeyVaultError", json!({"error": error()})),
        ("ErrorDetail", error()),
    ]
}

#[test]
fn every_model_round_trips_with_every_field() {
    let samples = full_samples();
    let desc = description();
    for model in tables(&desc, "model") {
        let rust = text(model, "rust").or(text(model, "name")).unwrap();
        let (_, sample) =
            samples.iter().find(|(name, _)| *name == rust).unwrap_or_else(|| panic!("no sample for {rust}"));
        // The sample sets every described field, so the round trip proves none is lost.
        for field in tables(model, "field") {
            let name = text(field, "name").unwrap();
            assert!(sample.get(name).is_some(), "sample of {rust} lacks `{name}`");
        }
        assert_eq!(&roundtrip_as(rust, sample), sample, "{rust}");
    }
}

#[test]
fn typed_values_and_wire_names() {
    let bundle: SecretBundle = serde_json::from_value(full_samples()[2].1.clone()).unwrap();
    let attributes = bundle.attributes.as_ref().unwrap();
    assert_eq!(attributes.not_before, Some(datetime!(2010-01-01 08:00 UTC)));
    assert_eq!(attributes.expires, Some(datetime!(2030-01-01 08:00 UTC)));
    assert_eq!(attributes.recovery_level, Some(DeletionRecoveryLevel::RecoverablePurgeable));
    assert_eq!(attributes.recoverable_days, Some(90));
    assert_eq!(bundle.previous_version.as_deref(), Some("abc"));

    let error: KeyVaultError = serde_json::from_value(json!({"error": error()})).unwrap();
    let detail = error.error.unwrap();
    assert_eq!(detail.inner_error.unwrap().inner_error.unwrap().code.as_deref(), Some("Innermost"));

    let backup: BackupSecretResult = serde_json::from_value(json!({"value": "AAEC_-8"})).unwrap();
    assert_eq!(backup.value, Some(vec![0, 1, 2, 0xff, 0xef]));
}

#[test]
fn requests_serialize_only_what_is_set() {
    let set = SecretSetParameters { value: "v".into(), ..Default::default() };
    assert_eq!(serde_json::to_value(&set).unwrap(), json!({"value": "v"}));
    let update = SecretUpdateParameters {
        attributes: Some(SecretAttributes { enabled: Some(false), ..Default::default() }),
        ..Default::default()
    };
    assert_eq!(serde_json::to_value(&update).unwrap(), json!({"attributes": {"enabled": false}}));
    let restore = SecretRestoreParameters { value: vec![0xfb, 0xff] };
    assert_eq!(serde_json::to_value(&restore).unwrap(), json!({"value": "-_8"}));
}

#[test]
fn unknown_fields_nulls_and_padding_are_tolerated() {
    let bundle: SecretBundle = serde_json::from_value(json!({
        "value": "v", "futureField": {"nested": [1, 2]}, "tags": null,
        "attributes": {"enabled": true, "exp": null, "hsm": false}
    }))
    .unwrap();
    assert_eq!(bundle.tags, None);
    assert_eq!(bundle.attributes.unwrap().expires, None);

    let page: SecretListResult = serde_json::from_value(json!({"nextLink": null})).unwrap();
    assert!(page.value.is_empty() && page.next_link.is_none());

    let padded: SecretRestoreParameters = serde_json::from_value(json!({"value": "YWI="})).unwrap();
    assert_eq!(padded.value, b"ab");
    assert!(serde_json::from_value::<SecretRestoreParameters>(json!({"value": "not base64!"})).is_err());
    assert!(serde_json::from_value::<SecretRestoreParameters>(json!({})).is_err(), "value is required");
    assert!(serde_json::from_value::<SecretSetParameters>(json!({"tags": {}})).is_err(), "value is required");
}

#[test]
fn enums_are_open() {
    for level in DeletionRecoveryLevel::KNOWN {
        let json = serde_json::to_value(level).unwrap();
        assert_eq!(json, Value::String(level.as_str().to_owned()));
        assert_eq!(&serde_json::from_value::<DeletionRecoveryLevel>(json).unwrap(), level);
    }
    assert_eq!(DeletionRecoveryLevel::KNOWN.len(), 7);
    let future: DeletionRecoveryLevel = serde_json::from_value(json!("Recoverable+Quantum")).unwrap();
    assert_eq!(future, DeletionRecoveryLevel::Other("Recoverable+Quantum".into()));
    assert_eq!(serde_json::to_value(&future).unwrap(), json!("Recoverable+Quantum"));
    assert_eq!(
        "CustomizedRecoverable".parse::<DeletionRecoveryLevel>(),
        Ok(DeletionRecoveryLevel::CustomizedRecoverable)
    );
    assert_eq!(DeletionRecoveryLevel::from(String::from("Purgeable")), DeletionRecoveryLevel::Purgeable);

    assert_eq!(ContentType::Pem.to_string(), "application/x-pem-file");
    assert_eq!(ContentType::from("application/x-pkcs12"), ContentType::Pfx);
    assert_eq!(ContentType::from("text/plain"), ContentType::Other("text/plain".into()));
    let json: ContentType = serde_json::from_value(json!("application/json")).unwrap();
    assert_eq!(json, ContentType::Other("application/json".into()));
}
