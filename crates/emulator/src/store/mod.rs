//! The emulator's data: vaults of secrets and deleted secrets, changed only through [`Mutation`]s.
//!
//! Every change is described by a `Mutation` that carries its full result (versions, sequence numbers,
//! timestamps), so that replaying the durable log rebuilds exactly the acknowledged state.

mod log;
mod memory;

pub(crate) use log::Log;
pub(crate) use memory::{Pending, State, Store};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One version of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Version {
    /// 32 lowercase hex characters.
    pub(crate) version: String,
    /// Creation order within the vault: versions list in this order.
    pub(crate) seq: u64,
    pub(crate) value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tags: Option<BTreeMap<String, String>>,
    pub(crate) enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exp: Option<i64>,
    pub(crate) created: i64,
    pub(crate) updated: i64,
}

/// A secret: its name as first written, and its versions in creation order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Secret {
    pub(crate) name: String,
    pub(crate) versions: Vec<Version>,
}

impl Secret {
    /// The current version (the last one created).
    pub(crate) fn latest(&self) -> Option<&Version> {
        self.versions.last()
    }

    /// The version with this id (case-insensitive).
    pub(crate) fn version(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.version.eq_ignore_ascii_case(id))
    }
}

/// A soft-deleted secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Deleted {
    pub(crate) secret: Secret,
    pub(crate) deleted_date: i64,
    pub(crate) scheduled_purge_date: i64,
}

/// One vault's content, keyed by lowercase secret name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VaultData {
    #[serde(default)]
    pub(crate) secrets: BTreeMap<String, Secret>,
    #[serde(default)]
    pub(crate) deleted: BTreeMap<String, Deleted>,
    #[serde(default)]
    pub(crate) next_seq: u64,
}

/// Every vault, keyed by vault name. This is also the export and seed format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    #[serde(default)]
    pub(crate) vaults: BTreeMap<String, VaultData>,
}

/// The lookup key of a secret name: names are case-insensitive.
pub(crate) fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A change to the data, as written to the durable log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Mutation {
    /// Adds a version, creating the secret if needed.
    SetVersion { vault: String, name: String, version: Version },
    /// Replaces the metadata of an existing version.
    UpdateVersion { vault: String, key: String, version: Version },
    /// Soft-deletes a secret.
    Delete { vault: String, key: String, deleted_date: i64, scheduled_purge_date: i64 },
    /// Brings a deleted secret back.
    Recover { vault: String, key: String },
    /// Removes a deleted secret for good.
    Purge { vault: String, key: String },
    /// Restores a secret from a backup.
    Restore { vault: String, secret: Secret },
    /// Replaces everything (reset, import, compaction).
    Replace { snapshot: Snapshot },
}

impl Snapshot {
    /// Applies a validated mutation. Mutations that no longer match the data are ignored.
    pub(crate) fn apply(&mut self, m: &Mutation) {
        match m {
            Mutation::SetVersion { vault, name, version } => {
                let v = self.vaults.entry(vault.clone()).or_default();
                v.next_seq = v.next_seq.max(version.seq + 1);
                v.secrets
                    .entry(key(name))
                    .or_insert_with(|| Secret { name: name.clone(), versions: Vec::new() })
                    .versions
                    .push(version.clone());
            }
            Mutation::UpdateVersion { vault, key, version } => {
                if let Some(s) = self.vaults.get_mut(vault).and_then(|v| v.secrets.get_mut(key))
                    && let Some(slot) = s.versions.iter_mut().find(|x| x.version == version.version)
                {
                    *slot = version.clone();
                }
            }
            Mutation::Delete { vault, key, deleted_date, scheduled_purge_date } => {
                if let Some(v) = self.vaults.get_mut(vault)
                    && let Some(secret) = v.secrets.remove(key)
                {
                    let d =
                        Deleted { secret, deleted_date: *deleted_date, scheduled_purge_date: *scheduled_purge_date };
                    v.deleted.insert(key.clone(), d);
                }
            }
            Mutation::Recover { vault, key } => {
                if let Some(v) = self.vaults.get_mut(vault)
                    && let Some(d) = v.deleted.remove(key)
                {
                    v.secrets.insert(key.clone(), d.secret);
                }
            }
            Mutation::Purge { vault, key } => {
                if let Some(v) = self.vaults.get_mut(vault) {
                    v.deleted.remove(key);
                }
            }
            Mutation::Restore { vault, secret } => {
                let v = self.vaults.entry(vault.clone()).or_default();
                let max = secret.versions.iter().map(|x| x.seq + 1).max().unwrap_or(0);
                v.next_seq = v.next_seq.max(max);
                v.secrets.insert(key(&secret.name), secret.clone());
            }
            Mutation::Replace { snapshot } => *self = snapshot.clone(),
        }
    }

    /// Purges every deleted secret whose scheduled purge date has passed. Returns how many.
    pub(crate) fn sweep(&mut self, now: i64) -> usize {
        let mut n = 0;
        for v in self.vaults.values_mut() {
            let before = v.deleted.len();
            v.deleted.retain(|_, d| d.scheduled_purge_date > now);
            n += before - v.deleted.len();
        }
        n
    }

    /// Checks invariants of imported data: valid names, keys and versions.
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (vault, data) in &self.vaults {
            let secrets = data.secrets.iter();
            let deleted = data.deleted.iter().map(|(k, d)| (k, &d.secret));
            for (k, s) in secrets.chain(deleted) {
                if !crate::names::is_valid_name(&s.name) || *k != key(&s.name) {
                    return Err(format!("vault {vault}: bad secret key {k:?} for name {:?}", s.name));
                }
                if s.versions.is_empty() {
                    return Err(format!("vault {vault}: secret {k} has no versions"));
                }
                if s.versions.iter().any(|v| !crate::names::is_valid_version(&v.version)) {
                    return Err(format!("vault {vault}: secret {k} has a malformed version id"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn version(id: &str, seq: u64) -> Version {
        Version {
            version: id.to_owned(),
            seq,
            value: "v".into(),
            content_type: None,
            tags: None,
            enabled: true,
            nbf: None,
            exp: None,
            created: 1,
            updated: 1,
        }
    }

    #[test]
    fn delete_recover_purge_round_trip() {
        let mut s = Snapshot::default();
        let vault = "default".to_owned();
        s.apply(&Mutation::SetVersion { vault: vault.clone(), name: "Foo".into(), version: version("a", 0) });
        assert_eq!(s.vaults[&vault].next_seq, 1);
        assert_eq!(s.vaults[&vault].secrets["foo"].name, "Foo");
        s.apply(&Mutation::Delete {
            vault: vault.clone(),
            key: "foo".into(),
            deleted_date: 5,
            scheduled_purge_date: 10,
        });
        assert!(s.vaults[&vault].secrets.is_empty());
        s.apply(&Mutation::Recover { vault: vault.clone(), key: "foo".into() });
        assert!(s.vaults[&vault].deleted.is_empty());
        s.apply(&Mutation::Delete {
            vault: vault.clone(),
            key: "foo".into(),
            deleted_date: 5,
            scheduled_purge_date: 10,
        });
        assert_eq!(s.sweep(9), 0);
        assert_eq!(s.sweep(10), 1);
        assert!(s.vaults[&vault].deleted.is_empty());
    }
}
