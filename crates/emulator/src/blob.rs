//! Backup blobs: opaque, HMAC-SHA256-protected bytes holding a secret with all its versions (the format; `handlers/backup.rs` serves it).
//!
//! Layout: `MAGIC || JSON(Secret) || HMAC-SHA256(key, MAGIC || JSON)`; the wire carries it as base64url.
//! The key is random per emulator; with a data directory it is kept in `backup.key`, so blobs survive restarts.

use crate::store::Secret;
use ring::hmac;
use std::path::Path;

const MAGIC: &[u8] = b"AZKV-SECRET-BACKUP-1\0";
const TAG_LEN: usize = 32;
const KEY_FILE: &str = "backup.key";

/// The emulator's backup signing key.
#[derive(Debug)]
pub(crate) struct BackupKey {
    key: hmac::Key,
}

impl BackupKey {
    fn random_bytes() -> [u8; 32] {
        let mut bytes = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("the system RNG works");
        bytes
    }

    /// A random key, or the one stored in `data_dir` (created there on first use).
    pub(crate) fn load_or_create(data_dir: Option<&Path>) -> crate::Result<Self> {
        let bytes = match data_dir {
            None => Self::random_bytes().to_vec(),
            Some(dir) => {
                let path = dir.join(KEY_FILE);
                match crate::files::read_optional(&path) {
                    Ok(Some(b)) if b.len() == 32 => b,
                    Ok(Some(_)) => {
                        return Err(crate::Error::Persistence(format!("{} is not a 32-byte key", path.display())));
                    }
                    Ok(None) => {
                        let b = Self::random_bytes();
                        crate::files::create_private_dir_all(dir)
                            .and_then(|()| crate::files::write_new(&path, &b, crate::files::FILE_MODE))
                            .map_err(|e| crate::Error::Persistence(format!("cannot write {}: {e}", path.display())))?;
                        b.to_vec()
                    }
                    Err(e) => return Err(crate::Error::Persistence(format!("cannot read {}: {e}", path.display()))),
                }
            }
        };
        Ok(Self { key: hmac::Key::new(hmac::HMAC_SHA256, &bytes) })
    }

    /// Encodes a secret as a blob.
    pub(crate) fn seal(&self, secret: &Secret) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&serde_json::to_vec(secret).unwrap_or_default());
        let tag = hmac::sign(&self.key, &bytes);
        bytes.extend_from_slice(tag.as_ref());
        bytes
    }

    /// Decodes and authenticates a blob; `None` for anything malformed or tampered with.
    pub(crate) fn open(&self, bytes: &[u8]) -> Option<Secret> {
        if bytes.len() < MAGIC.len() + TAG_LEN || !bytes.starts_with(MAGIC) {
            return None;
        }
        let (signed, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        hmac::verify(&self.key, signed, tag).ok()?;
        let secret: Secret = serde_json::from_slice(&signed[MAGIC.len()..]).ok()?;
        let valid = crate::names::is_valid_name(&secret.name)
            && !secret.versions.is_empty()
            && secret.versions.iter().all(|v| crate::names::is_valid_version(&v.version));
        valid.then_some(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::version;

    #[test]
    fn seal_open_and_tamper() {
        let key = BackupKey::load_or_create(None).unwrap();
        let secret =
            Secret { name: "s".into(), versions: vec![version(&"a".repeat(32), 0), version(&"b".repeat(32), 1)] };
        let blob = key.seal(&secret);
        assert_eq!(key.open(&blob), Some(secret));
        let mut raw = blob.clone();
        raw[MAGIC.len() + 3] ^= 1;
        assert_eq!(key.open(&raw), None);
        assert_eq!(key.open(b"short"), None);
        assert_eq!(BackupKey::load_or_create(None).unwrap().open(&blob), None, "another emulator's key");
    }
}
