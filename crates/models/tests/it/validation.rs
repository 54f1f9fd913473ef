//! The service's limits.

use std::collections::BTreeMap;

use azkv_models::validation::*;
use azkv_models::{Error, SecretSetParameters};

#[test]
fn names() {
    for good in ["a", "A", "0", "-", "my-secret-01", &"z".repeat(127)] {
        assert!(is_valid_secret_name(good), "{good}");
        validate_secret_name(good).unwrap();
    }
    for bad in ["", "a_b", "a.b", "a b", "a/b", "café", "ａ", &"z".repeat(128)] {
        assert!(!is_valid_secret_name(bad), "{bad}");
        assert_eq!(validate_secret_name(bad), Err(Error::InvalidName { name: bad.to_owned() }));
    }
    assert_eq!(MAX_NAME_LEN, 127);
}

#[test]
fn values() {
    assert_eq!(MAX_VALUE_BYTES, 25_600);
    validate_secret_value("").unwrap();
    validate_secret_value(&"x".repeat(25 * 1024)).unwrap();
    assert_eq!(
        validate_secret_value(&"x".repeat(25 * 1024 + 1)),
        Err(Error::ValueTooLarge { size: 25_601, max: 25_600 })
    );
    // Bytes, not characters: 12,801 two-byte characters are 25,602 bytes.
    assert!(validate_secret_value(&"é".repeat(12_801)).is_err());
}

#[test]
fn tags() {
    let fifteen: BTreeMap<String, String> = (0..15).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    validate_tags(&fifteen).unwrap();
    let mut sixteen = fifteen.clone();
    sixteen.insert("k15".into(), "v".into());
    assert_eq!(validate_tags(&sixteen), Err(Error::TooManyTags { count: 16, max: 15 }));

    validate_tags([("n".repeat(512), "v".repeat(512))]).unwrap();
    validate_tags([("é".repeat(512), "é".repeat(512))]).unwrap();
    validate_tags([("k", "")]).unwrap();
    assert!(matches!(validate_tags([("n".repeat(513), "v")]), Err(Error::InvalidTagName { len: 513, .. })));
    assert!(matches!(validate_tags([("", "v")]), Err(Error::InvalidTagName { len: 0, .. })));
    assert!(matches!(validate_tags([("k", "v".repeat(513))]), Err(Error::TagValueTooLong { len: 513, .. })));
    validate_tags(Vec::<(String, String)>::new()).unwrap();
}

#[test]
fn content_types() {
    validate_content_type(&"c".repeat(255)).unwrap();
    assert_eq!(validate_content_type(&"c".repeat(256)), Err(Error::ContentTypeTooLong { len: 256, max: 255 }));
}

#[test]
fn set_secret_requests() {
    let mut parameters = SecretSetParameters { value: "v".into(), ..Default::default() };
    validate_set_secret("name", &parameters).unwrap();
    assert!(matches!(validate_set_secret("bad name", &parameters), Err(Error::InvalidName { .. })));
    parameters.content_type = Some("c".repeat(256));
    assert!(matches!(validate_set_secret("name", &parameters), Err(Error::ContentTypeTooLong { .. })));
    parameters.content_type = None;
    parameters.tags = Some((0..16).map(|i| (i.to_string(), String::new())).collect());
    assert!(matches!(validate_set_secret("name", &parameters), Err(Error::TooManyTags { .. })));
    parameters.tags = None;
    parameters.value = "v".repeat(MAX_VALUE_BYTES + 1);
    assert!(matches!(validate_set_secret("name", &parameters), Err(Error::ValueTooLarge { .. })));
}
