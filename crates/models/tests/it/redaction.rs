//! `Debug` never shows a secret value or a backup blob.

use azkv_models::*;
use serde_json::{Value, json};

use crate::{debug_as, description, tables, text};

const SENTINEL: &str = "hunter2-Sentinel-Value";

#[test]
fn every_sensitive_field_is_hidden_from_debug() {
    let desc = description();
    let mut checked = 0;
    for model in tables(&desc, "model") {
        let rust = text(model, "rust").or(text(model, "name")).unwrap();
        for field in tables(model, "field").into_iter().filter(|f| f.get("sensitive").is_some()) {
            let name = text(field, "name").unwrap();
            let blob = text(field, "type") == Some("base64url");
            let wire = if blob { azkv_models::base64url::encode(SENTINEL.as_bytes()) } else { SENTINEL.to_owned() };
            let json = Value::Object([(name.to_owned(), json!(wire))].into_iter().collect());
            let debug = debug_as(rust, &json);
            assert!(!debug.contains(SENTINEL) && !debug.contains(&wire), "{rust}.{name} leaks: {debug}");
            if blob {
                let bytes = SENTINEL.as_bytes();
                assert!(debug.contains(&format!("<{} bytes>", bytes.len())), "{rust}.{name}: {debug}");
                assert!(!debug.contains(&format!("{}, {}", bytes[0], bytes[1])), "{rust}.{name} shows bytes: {debug}");
            } else {
                assert!(debug.contains("<redacted>"), "{rust}.{name}: {debug}");
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked, 5,
        "SecretBundle, DeletedSecretBundle, SecretSetParameters, SecretRestoreParameters, BackupSecretResult"
    );
}

#[test]
fn debug_still_shows_the_rest() {
    let bundle =
        SecretBundle { value: Some(SENTINEL.into()), id: Some("https://v/secrets/n/1".into()), ..Default::default() };
    let debug = format!("{bundle:?}");
    assert!(!debug.contains(SENTINEL), "{debug}");
    assert!(debug.contains("https://v/secrets/n/1"), "{debug}");
    assert!(debug.contains("value: Some(<redacted>)"), "{debug}");
    let alternate = format!("{bundle:#?}");
    assert!(!alternate.contains(SENTINEL), "{alternate}");

    let empty = format!("{:?}", SecretBundle::default());
    assert!(empty.contains("value: None"), "{empty}");

    let set =
        SecretSetParameters { value: SENTINEL.into(), content_type: Some("password".into()), ..Default::default() };
    let debug = format!("{set:?}");
    assert!(!debug.contains(SENTINEL) && debug.contains("password"), "{debug}");

    let list = SecretListResult { value: vec![SecretItem::default()], next_link: None };
    assert!(format!("{list:?}").contains("SecretItem"));

    let restore = SecretRestoreParameters { value: vec![7; 4096] };
    assert_eq!(format!("{restore:?}"), "SecretRestoreParameters { value: <4096 bytes> }");
    let backup = BackupSecretResult { value: Some(vec![7; 10]) };
    assert_eq!(format!("{backup:?}"), "BackupSecretResult { value: Some(<10 bytes>) }");
}
