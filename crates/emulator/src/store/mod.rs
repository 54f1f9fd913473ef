//! The emulator's data: vaults of secrets and deleted secrets, changed only through [`Mutation`]s.
//!
//! Every change is described by a `Mutation` that carries its full result (versions, sequence numbers,
//! timestamps), so that replaying the durable log rebuilds exactly the acknowledged state.

#[cfg(test)]
pub(crate) mod faulty;
mod log;
mod memory;

pub(crate) use log::Log;
#[cfg(test)]
pub(crate) use log::Storage;
pub(crate) use memory::{Pending, State, Store};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest timestamp stored or served (9999-12-31T23:59:59Z), in Unix seconds.
pub(crate) const MAX_TIME: i64 = 253_402_300_799;

/// Sequence numbers stay below this (2^53, exact in every JSON reader), so `next_seq` never overflows.
pub(crate) const MAX_SEQ: u64 = 1 << 53;

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
                v.next_seq = v.next_seq.max(version.seq.saturating_add(1));
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
                let max = secret.versions.iter().map(|x| x.seq.saturating_add(1)).max().unwrap_or(0);
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
            n += before.saturating_sub(v.deleted.len());
        }
        n
    }

    /// Raises each vault's `next_seq` above every sequence number it holds (a hand-written seed may leave it out).
    pub(crate) fn normalize(&mut self) {
        for data in self.vaults.values_mut() {
            let live = data.secrets.values();
            let max =
                live.chain(data.deleted.values().map(|d| &d.secret)).flat_map(|s| &s.versions).map(|v| v.seq).max();
            if let Some(max) = max {
                data.next_seq = data.next_seq.max(max.saturating_add(1));
            }
        }
    }

    /// Checks every invariant the handlers rely on, so that imported data can never make one panic,
    /// wrap or misbehave: names and keys, version ids (unique), sequence numbers (increasing within
    /// a secret, below [`MAX_SEQ`]), timestamps (0 to [`MAX_TIME`]), and the service's size limits.
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (vault, data) in &self.vaults {
            if vault.is_empty()
                || vault.len() > 255
                || !vault.bytes().all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase() && b != b'/')
            {
                return Err(format!("bad vault name {vault:?}"));
            }
            if data.next_seq > MAX_SEQ {
                return Err(format!("vault {vault}: next_seq {} is above {MAX_SEQ}", data.next_seq));
            }
            let secrets = data.secrets.iter().map(|(k, s)| (k, s, None));
            let deleted = data.deleted.iter().map(|(k, d)| (k, &d.secret, Some(d)));
            for (k, s, d) in secrets.chain(deleted) {
                let at = |what: String| format!("vault {vault}: secret {k:?}: {what}");
                if !crate::names::is_valid_name(&s.name) || *k != key(&s.name) {
                    return Err(at(format!("bad key for name {:?}", s.name)));
                }
                if d.is_some() && data.secrets.contains_key(k) {
                    return Err(at("both live and deleted".into()));
                }
                if s.versions.is_empty() {
                    return Err(at("no versions".into()));
                }
                let mut ids = std::collections::HashSet::new();
                let mut last_seq = None;
                for v in &s.versions {
                    if !crate::names::is_valid_version(&v.version) || !ids.insert(v.version.to_ascii_lowercase()) {
                        return Err(at(format!("malformed or repeated version id {:?}", v.version)));
                    }
                    if last_seq.is_some_and(|l| v.seq <= l) || v.seq >= MAX_SEQ {
                        return Err(at(format!("version seq {} must increase and stay below {MAX_SEQ}", v.seq)));
                    }
                    last_seq = Some(v.seq);
                    validate_version(v).map_err(|e| at(format!("version {}: {e}", v.version)))?;
                }
                if let Some(d) = d
                    && (!in_time_range(d.deleted_date)
                        || !in_time_range(d.scheduled_purge_date)
                        || d.scheduled_purge_date < d.deleted_date)
                {
                    return Err(at("deletion dates out of range".into()));
                }
            }
        }
        Ok(())
    }
}

fn in_time_range(t: i64) -> bool {
    (0..=MAX_TIME).contains(&t)
}

fn validate_version(v: &Version) -> Result<(), String> {
    use azkv_models::validation;
    validation::validate_secret_value(&v.value).map_err(|e| e.to_string())?;
    if let Some(tags) = &v.tags {
        validation::validate_tags(tags).map_err(|e| e.to_string())?;
    }
    if let Some(ct) = &v.content_type {
        validation::validate_content_type(ct).map_err(|e| e.to_string())?;
    }
    let times = [Some(v.created), Some(v.updated), v.nbf, v.exp];
    if !times.into_iter().flatten().all(in_time_range) {
        return Err("a timestamp is outside 1970-01-01 to 9999-12-31".into());
    }
    Ok(())
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

    fn one_secret(next_seq: u64, versions: Vec<Version>) -> Snapshot {
        let mut data = VaultData { next_seq, ..VaultData::default() };
        data.secrets.insert("s".into(), Secret { name: "S".into(), versions });
        Snapshot { vaults: [("default".to_owned(), data)].into() }
    }

    #[test]
    fn validation_refuses_what_would_wrap_or_panic() {
        let ok = one_secret(0, vec![version(&"a".repeat(32), 0), version(&"b".repeat(32), 1)]);
        assert_eq!(ok.validate(), Ok(()));
        let mut normalized = ok.clone();
        normalized.normalize();
        assert_eq!(normalized.vaults["default"].next_seq, 2, "next_seq is raised above every seq");
        assert!(one_secret(u64::MAX, vec![version(&"a".repeat(32), 0)]).validate().is_err());
        assert!(one_secret(0, vec![version(&"a".repeat(32), MAX_SEQ)]).validate().is_err());
        let repeated = one_secret(0, vec![version(&"a".repeat(32), 0), version(&"A".repeat(32), 1)]);
        assert!(repeated.validate().unwrap_err().contains("repeated"));
        let unordered = one_secret(0, vec![version(&"a".repeat(32), 5), version(&"b".repeat(32), 5)]);
        assert!(unordered.validate().is_err());
        for t in [-1, MAX_TIME + 1, i64::MAX] {
            let mut v = version(&"a".repeat(32), 0);
            v.exp = Some(t);
            assert!(one_secret(0, vec![v]).validate().is_err(), "{t}");
        }
        let mut big = version(&"a".repeat(32), 0);
        big.value = "x".repeat(25 * 1024 + 1);
        assert!(one_secret(0, vec![big]).validate().is_err());
    }
}
