//! The secret types callers see: values, properties, deleted secrets.

use std::collections::HashMap;
use std::fmt;

use azkv_models::{
    DeletedSecretBundle, DeletedSecretItem, DeletionRecoveryLevel, SecretBundle, SecretIdentifier, SecretItem,
};
use azkv_pipeline::Secret;
use time::OffsetDateTime;

/// A secret with its value.
///
/// The value is redacted in `Debug` and `Display` and zeroized on drop; read it with
/// [`KeyVaultSecret::value`].
#[derive(Clone, PartialEq, Eq)]
pub struct KeyVaultSecret {
    /// The secret's name.
    pub name: String,
    value: Secret,
    /// Everything else about it.
    pub properties: SecretProperties,
}

impl KeyVaultSecret {
    /// The value.
    pub fn value(&self) -> &str {
        self.value.expose()
    }

    /// The value as a [`Secret`].
    pub fn secret(&self) -> &Secret {
        &self.value
    }

    /// Builds one (for tests and mocks).
    pub fn new(name: impl Into<String>, value: impl Into<Secret>, properties: SecretProperties) -> Self {
        Self { name: name.into(), value: value.into(), properties }
    }

    pub(crate) fn from_bundle(mut bundle: SecretBundle) -> Self {
        let value = Secret::from(bundle.value.take().unwrap_or_default());
        let properties = SecretProperties::from_bundle(bundle);
        Self { name: properties.name.clone(), value, properties }
    }
}

impl fmt::Debug for KeyVaultSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyVaultSecret")
            .field("name", &self.name)
            .field("value", &self.value)
            .field("properties", &self.properties)
            .finish()
    }
}

impl fmt::Display for KeyVaultSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.properties.id.as_deref().unwrap_or(&self.name), self.value)
    }
}

/// A secret's metadata: identity, attributes and tags, never its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretProperties {
    /// The full identifier, `https://{vault}/secrets/{name}/{version}`.
    pub id: Option<String>,
    /// The name.
    pub name: String,
    /// The version.
    pub version: Option<String>,
    /// The vault's URL.
    pub vault_url: Option<String>,
    /// Whether the secret is enabled.
    pub enabled: Option<bool>,
    /// Not valid before.
    pub not_before: Option<OffsetDateTime>,
    /// Not valid after.
    pub expires_on: Option<OffsetDateTime>,
    /// Created.
    pub created_on: Option<OffsetDateTime>,
    /// Last updated.
    pub updated_on: Option<OffsetDateTime>,
    /// Days a deleted secret stays recoverable.
    pub recoverable_days: Option<i32>,
    /// The vault's deletion recovery level.
    pub recovery_level: Option<DeletionRecoveryLevel>,
    /// The value's content type.
    pub content_type: Option<String>,
    /// Tags.
    pub tags: HashMap<String, String>,
    /// For a certificate's secret, the key's identifier.
    pub key_id: Option<String>,
    /// Whether the secret's lifetime is managed by Key Vault (a certificate's secret).
    pub managed: Option<bool>,
    /// For a certificate's secret, the previous certificate version.
    pub previous_version: Option<String>,
}

/// The [`SecretProperties`] of a wire model (a bundle or an item, deleted or not), moved out of
/// the fields they all have, with the bundles' `key_id` and `previous_version` (`None` for an
/// item).
macro_rules! properties_of {
    ($model:ident, $key_id:expr, $previous_version:expr) => {
        SecretProperties::from_parts(
            $model.id,
            $model.attributes,
            $model.tags,
            $model.content_type,
            $model.managed,
            $key_id,
            $previous_version,
        )
    };
}

impl SecretProperties {
    #[allow(clippy::too_many_arguments)]
    fn from_parts(
        id: Option<String>,
        attributes: Option<azkv_models::SecretAttributes>,
        tags: Option<std::collections::BTreeMap<String, String>>,
        content_type: Option<String>,
        managed: Option<bool>,
        key_id: Option<String>,
        previous_version: Option<String>,
    ) -> Self {
        let parsed = id.as_deref().and_then(|id| SecretIdentifier::parse(id).ok()).map(SecretIdentifier::into_parts);
        let (vault_url, name, version) = match parsed {
            Some((vault_url, name, version)) => (Some(vault_url), name, version),
            None => (None, String::new(), None),
        };
        let a = attributes.unwrap_or_default();
        Self {
            id,
            name,
            version,
            vault_url,
            enabled: a.enabled,
            not_before: a.not_before,
            expires_on: a.expires,
            created_on: a.created,
            updated_on: a.updated,
            recoverable_days: a.recoverable_days,
            recovery_level: a.recovery_level,
            content_type,
            tags: tags.map(|t| t.into_iter().collect()).unwrap_or_default(),
            key_id,
            managed,
            previous_version,
        }
    }

    pub(crate) fn from_bundle(b: SecretBundle) -> Self {
        properties_of!(b, b.kid, b.previous_version)
    }

    pub(crate) fn from_item(i: SecretItem) -> Self {
        properties_of!(i, None, None)
    }

    /// Properties named `name` (for tests and mocks).
    pub fn with_name(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }
}

/// A deleted secret: its properties and its deletion schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeletedSecret {
    /// The secret's properties.
    pub properties: SecretProperties,
    /// Where to recover it: `https://{vault}/deletedsecrets/{name}`. Absent in a vault without
    /// soft delete, where the deletion is final at once.
    pub recovery_id: Option<String>,
    /// When it was deleted.
    pub deleted_on: Option<OffsetDateTime>,
    /// When it will be purged.
    pub scheduled_purge_date: Option<OffsetDateTime>,
}

impl DeletedSecret {
    /// The secret's name.
    pub fn name(&self) -> &str {
        &self.properties.name
    }

    pub(crate) fn from_bundle(b: DeletedSecretBundle) -> Self {
        let (recovery_id, deleted_on, purge_on) = (b.recovery_id, b.deleted_date, b.scheduled_purge_date);
        let properties = properties_of!(b, b.kid, b.previous_version);
        Self::from_parts(properties, recovery_id, deleted_on, purge_on)
    }

    pub(crate) fn from_item(i: DeletedSecretItem) -> Self {
        let (recovery_id, deleted_on, purge_on) = (i.recovery_id, i.deleted_date, i.scheduled_purge_date);
        Self::from_parts(properties_of!(i, None, None), recovery_id, deleted_on, purge_on)
    }

    /// A deleted secret from its `properties` and deletion fields; a name missing from the
    /// properties' identifier is taken from the `recovery_id`.
    fn from_parts(
        mut properties: SecretProperties,
        recovery_id: Option<String>,
        deleted_on: Option<OffsetDateTime>,
        scheduled_purge_date: Option<OffsetDateTime>,
    ) -> Self {
        if properties.name.is_empty()
            && let Some(parsed) = recovery_id.as_deref().and_then(|r| SecretIdentifier::parse(r).ok())
        {
            let (vault_url, name, _) = parsed.into_parts();
            properties.name = name;
            properties.vault_url = Some(vault_url);
        }
        Self { properties, recovery_id, deleted_on, scheduled_purge_date }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_redacted_in_debug_and_display() {
        let s = KeyVaultSecret::new("n", "canary-value", SecretProperties::with_name("n"));
        assert!(!format!("{s:?}").contains("canary"));
        assert!(!s.to_string().contains("canary"));
        assert_eq!(s.value(), "canary-value");
    }

    #[test]
    fn properties_come_from_the_identifier_and_attributes() {
        let bundle: SecretBundle = serde_json::from_value(serde_json::json!({
            "value": "v", "id": "https://myvault.vault.azure.net:8443/secrets/name1/0123456789abcdef0123456789abcdef",
            "contentType": "text/plain", "tags": {"a": "b"}, "kid": "https://k", "managed": true,
            "attributes": {"enabled": false, "nbf": 1, "exp": 2, "created": 3, "updated": 4, "recoverableDays": 90, "recoveryLevel": "Recoverable+Purgeable"}
        }))
        .unwrap();
        let s = KeyVaultSecret::from_bundle(bundle);
        let p = &s.properties;
        assert_eq!(s.name, "name1");
        assert_eq!(p.version.as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(p.vault_url.as_deref(), Some("https://myvault.vault.azure.net:8443"));
        assert_eq!(p.enabled, Some(false));
        assert_eq!(p.not_before.map(|t| t.unix_timestamp()), Some(1));
        assert_eq!(p.expires_on.map(|t| t.unix_timestamp()), Some(2));
        assert_eq!(p.created_on.map(|t| t.unix_timestamp()), Some(3));
        assert_eq!(p.updated_on.map(|t| t.unix_timestamp()), Some(4));
        assert_eq!(p.recoverable_days, Some(90));
        assert_eq!(p.recovery_level, Some(DeletionRecoveryLevel::RecoverablePurgeable));
        assert_eq!(p.tags.get("a").map(String::as_str), Some("b"));
        assert_eq!(p.key_id.as_deref(), Some("https://k"));
        assert_eq!(p.managed, Some(true));
    }
}
