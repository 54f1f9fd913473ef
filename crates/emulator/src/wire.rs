//! Conversions from stored secrets to the models crate's wire types, with ids built from the request's base URL.

use crate::store::{Deleted, Secret, Version};
use azkv_models::{
    DeletedSecretBundle, DeletedSecretItem, DeletionRecoveryLevel, SecretAttributes, SecretBundle, SecretItem,
};
use time::OffsetDateTime;

/// The vault's soft-delete settings, reported in every secret's attributes.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) recoverable_days: u32,
    pub(crate) purge_protection: bool,
}

impl Policy {
    /// The recovery level that retention and purge protection imply.
    pub(crate) fn level(&self) -> DeletionRecoveryLevel {
        match (self.recoverable_days >= 90, self.purge_protection) {
            (true, false) => DeletionRecoveryLevel::RecoverablePurgeable,
            (true, true) => DeletionRecoveryLevel::Recoverable,
            (false, false) => DeletionRecoveryLevel::CustomizedRecoverablePurgeable,
            (false, true) => DeletionRecoveryLevel::CustomizedRecoverable,
        }
    }
}

/// Unix seconds to a timestamp.
pub(crate) fn ts(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// `{base}/secrets/{name}` or `{base}/secrets/{name}/{version}`.
pub(crate) fn secret_id(base: &str, name: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("{base}/secrets/{name}/{v}"),
        None => format!("{base}/secrets/{name}"),
    }
}

fn attributes(v: &Version, p: &Policy) -> SecretAttributes {
    SecretAttributes {
        enabled: Some(v.enabled),
        not_before: v.nbf.and_then(ts),
        expires: v.exp.and_then(ts),
        created: ts(v.created),
        updated: ts(v.updated),
        recoverable_days: Some(p.recoverable_days as i32),
        recovery_level: Some(p.level()),
    }
}

/// A version as Get/Set/Update/Recover/Restore return it; the value only when asked.
pub(crate) fn bundle(base: &str, name: &str, v: &Version, p: &Policy, with_value: bool) -> SecretBundle {
    SecretBundle {
        value: with_value.then(|| v.value.clone()),
        id: Some(secret_id(base, name, Some(&v.version))),
        content_type: v.content_type.clone(),
        attributes: Some(attributes(v, p)),
        tags: v.tags.clone(),
        ..SecretBundle::default()
    }
}

/// A list item: the secret (no version in the id) with its latest version's metadata.
pub(crate) fn item(base: &str, s: &Secret, p: &Policy) -> Option<SecretItem> {
    let v = s.latest()?;
    let mut i = version_item(base, &s.name, v, p);
    i.id = Some(secret_id(base, &s.name, None));
    Some(i)
}

/// A version list item.
pub(crate) fn version_item(base: &str, name: &str, v: &Version, p: &Policy) -> SecretItem {
    SecretItem {
        id: Some(secret_id(base, name, Some(&v.version))),
        attributes: Some(attributes(v, p)),
        tags: v.tags.clone(),
        content_type: v.content_type.clone(),
        ..SecretItem::default()
    }
}

/// `{base}/deletedsecrets/{name}`.
pub(crate) fn recovery_id(base: &str, name: &str) -> String {
    format!("{base}/deletedsecrets/{name}")
}

/// A deleted secret as Delete and Get Deleted return it (no value).
pub(crate) fn deleted_bundle(base: &str, d: &Deleted, p: &Policy) -> Option<DeletedSecretBundle> {
    let v = d.secret.latest()?;
    let b = bundle(base, &d.secret.name, v, p, false);
    Some(DeletedSecretBundle {
        id: b.id,
        content_type: b.content_type,
        attributes: b.attributes,
        tags: b.tags,
        recovery_id: Some(recovery_id(base, &d.secret.name)),
        deleted_date: ts(d.deleted_date),
        scheduled_purge_date: ts(d.scheduled_purge_date),
        ..DeletedSecretBundle::default()
    })
}

/// A deleted secret list item.
pub(crate) fn deleted_item(base: &str, d: &Deleted, p: &Policy) -> Option<DeletedSecretItem> {
    let i = item(base, &d.secret, p)?;
    Some(DeletedSecretItem {
        id: i.id,
        attributes: i.attributes,
        tags: i.tags,
        content_type: i.content_type,
        recovery_id: Some(recovery_id(base, &d.secret.name)),
        deleted_date: ts(d.deleted_date),
        scheduled_purge_date: ts(d.scheduled_purge_date),
        ..DeletedSecretItem::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::version;

    #[test]
    fn bundle_json_matches_the_service() {
        let p = Policy { recoverable_days: 90, purge_protection: false };
        let v = version(&"a".repeat(32), 0);
        let json = serde_json::to_value(bundle("https://h:1", "n", &v, &p, true)).unwrap();
        assert_eq!(json["id"], format!("https://h:1/secrets/n/{}", "a".repeat(32)));
        assert_eq!(json["value"], "v");
        assert_eq!(json["attributes"]["recoveryLevel"], "Recoverable+Purgeable");
        assert_eq!(json["attributes"]["recoverableDays"], 90);
        assert_eq!(json["attributes"]["created"], 1);
        let json = serde_json::to_value(bundle("https://h:1", "n", &v, &p, false)).unwrap();
        assert!(json.get("value").is_none());
        assert_eq!(Policy { recoverable_days: 7, purge_protection: true }.level().as_str(), "CustomizedRecoverable");
    }
}
