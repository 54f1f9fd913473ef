//! The durable log: an fsync'd, append-only JSON-lines file with one checksummed record per mutation.
//!
//! Each line is `<16 hex digits of SHA-256 over the JSON> <JSON of a Mutation>\n`.
//! On open the log is verified and replayed: a torn tail (bytes after the last newline, an unacknowledged
//! write cut short) is reported and dropped; a corrupt record that ends in a newline was written whole, so
//! it is an error, unless it is the last one and `repair` is asked for; then the log is compacted into one
//! snapshot record.
//!
//! Every byte goes through the [`Storage`] seam, so tests can observe the fsync before an acknowledgement
//! and make it fail.

use super::{Mutation, Snapshot};
use crate::Error;
use crate::files;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

const FILE_NAME: &str = "secrets.log";

/// Where the log's bytes go: a file, or a test double that records and fails operations.
pub(crate) trait Storage: Send + std::fmt::Debug {
    /// Appends `bytes` (not yet durable).
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything written so far durable (fsync).
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the log back to `len` bytes (rolling back a failed append).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// The log file.
#[derive(Debug)]
struct FileStorage(File);

impl Storage for FileStorage {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
}

/// The open log, positioned for appends.
#[derive(Debug)]
pub(crate) struct Log {
    storage: Box<dyn Storage>,
    len: u64,
    /// Set when a failed append could not be rolled back: further writes would follow a torn record.
    poisoned: bool,
}

fn checksum(json: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, json);
    digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Encodes one record line, newline included.
pub(crate) fn encode(m: &Mutation) -> Vec<u8> {
    let json = serde_json::to_vec(m).unwrap_or_default();
    let mut line = checksum(&json).into_bytes();
    line.push(b' ');
    line.extend_from_slice(&json);
    line.push(b'\n');
    line
}

fn decode(line: &[u8]) -> Option<Mutation> {
    let (sum, json) = (line.get(..16)?, line.get(17..)?);
    if line.get(16) != Some(&b' ') || sum != checksum(json).as_bytes() {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// What reading a log found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Replay {
    pub(crate) mutations: Vec<Mutation>,
    /// Bytes of a torn last record that was dropped.
    pub(crate) torn_bytes: usize,
    /// Records dropped with them (0 or 1).
    pub(crate) torn_records: usize,
    /// Length of the valid prefix.
    pub(crate) valid_len: usize,
    /// Whether a corrupt, newline-terminated last record was dropped (`repair`).
    pub(crate) repaired: bool,
}

/// Parses a whole log. A corrupt newline-terminated record is an error, except the last one with `repair`.
pub(crate) fn parse(bytes: &[u8], repair: bool) -> Result<Replay, String> {
    let mut replay = Replay::default();
    let mut pos = 0;
    let mut lines = Vec::new();
    while let Some(nl) = bytes[pos..].iter().position(|&b| b == b'\n') {
        lines.push((pos, &bytes[pos..pos + nl]));
        pos += nl + 1;
    }
    let tail = &bytes[pos..];
    let count = lines.len();
    for (i, (start, line)) in lines.into_iter().enumerate() {
        match decode(line) {
            Some(m) => {
                replay.mutations.push(m);
                replay.valid_len = start + line.len() + 1;
            }
            // A whole last line that does not verify was not torn by a crash: drop it only when asked to.
            None if i + 1 == count && repair => {
                replay.torn_records = 1;
                replay.torn_bytes = bytes.len().saturating_sub(start);
                replay.repaired = true;
                return Ok(replay);
            }
            None if i + 1 == count => {
                return Err(format!(
                    "corrupt last record {} at byte {start}: it ends with a newline, so it is not a torn write; \
                     start with --repair to drop it",
                    i + 1
                ));
            }
            None => return Err(format!("corrupt record {} at byte {start}", i + 1)),
        }
    }
    if !tail.is_empty() {
        replay.torn_records = usize::from(!tail.iter().all(|&b| b == 0));
        replay.torn_bytes = tail.len();
    }
    Ok(replay)
}

impl Log {
    /// Opens (creating if needed) the log in `dir`, replays it and compacts it.
    pub(crate) fn open(dir: &Path, now: i64, repair: bool) -> crate::Result<(Self, Snapshot)> {
        let perr = |what: &str, e: io::Error| Error::Persistence(format!("{what} {}: {e}", dir.display()));
        files::create_private_dir_all(dir).map_err(|e| perr("cannot create", e))?;
        let path = dir.join(FILE_NAME);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(perr("cannot read the log in", e)),
        };
        let replay = parse(&bytes, repair).map_err(|e| Error::Persistence(format!("{}: {e}", path.display())))?;
        if replay.repaired {
            tracing::warn!(
                dropped_bytes = replay.torn_bytes,
                path = %path.display(),
                "--repair: the data log's last record is corrupt; truncating it"
            );
        } else if replay.torn_bytes > 0 {
            tracing::warn!(
                dropped_records = replay.torn_records,
                dropped_bytes = replay.torn_bytes,
                path = %path.display(),
                "the data log ends with a torn, unacknowledged record; truncating it"
            );
        }
        let mut snapshot = Snapshot::default();
        for m in &replay.mutations {
            snapshot.apply(m);
        }
        snapshot.sweep(now);
        tracing::info!(records = replay.mutations.len(), path = %path.display(), "replayed the data log");
        Self::compact(&path, &snapshot).map_err(|e| perr("cannot compact the log in", e))?;
        let file = files::open_append(&path).map_err(|e| perr("cannot open the log in", e))?;
        let len = file.metadata().map_err(|e| perr("cannot stat the log in", e))?.len();
        Ok((Self::with_storage(Box::new(FileStorage(file)), len), snapshot))
    }

    /// A log appending to `storage`, which already holds `len` bytes.
    pub(crate) fn with_storage(storage: Box<dyn Storage>, len: u64) -> Self {
        Self { storage, len, poisoned: false }
    }

    /// Rewrites the log as one snapshot record (atomically, mode 0600).
    fn compact(path: &Path, snapshot: &Snapshot) -> io::Result<()> {
        let bytes = if snapshot.vaults.is_empty() {
            Vec::new()
        } else {
            encode(&Mutation::Replace { snapshot: snapshot.clone() })
        };
        files::replace(path, &bytes, files::FILE_MODE)
    }

    /// Appends one record and fsyncs it. On failure the file is rolled back to its previous length.
    pub(crate) fn append(&mut self, m: &Mutation) -> io::Result<()> {
        if self.poisoned {
            return Err(io::Error::other("the log is unusable after an earlier failed write"));
        }
        let line = encode(m);
        // Acknowledged means durable: the response waits for this sync.
        let result = self.storage.write_all(&line).and_then(|()| self.storage.sync());
        match result {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                if self.storage.truncate(self.len).and_then(|()| self.storage.sync()).is_err() {
                    self.poisoned = true;
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::version;

    fn set(n: u64) -> Mutation {
        Mutation::SetVersion { vault: "v".into(), name: format!("s{n}"), version: version(&format!("{n:032x}"), n) }
    }

    fn log_of(n: u64) -> Vec<u8> {
        (0..n).flat_map(|i| encode(&set(i))).collect()
    }

    #[test]
    fn clean_log_replays_everything() {
        let r = parse(&log_of(3), false).unwrap();
        assert_eq!(r.mutations.len(), 3);
        assert_eq!((r.torn_bytes, r.torn_records), (0, 0));
    }

    #[test]
    fn torn_tail_is_dropped_and_counted() {
        let mut bytes = log_of(3);
        let extra = encode(&set(9));
        bytes.extend_from_slice(&extra[..extra.len() / 2]);
        let r = parse(&bytes, false).unwrap();
        assert_eq!(r.mutations.len(), 3);
        assert_eq!(r.torn_records, 1);
        assert_eq!(r.valid_len, log_of(3).len());
    }

    #[test]
    fn a_corrupt_newline_terminated_last_record_refuses_unless_repaired() {
        let mut bytes = log_of(2);
        let n = bytes.len();
        bytes[n - 5] ^= 1;
        assert!(parse(&bytes, false).unwrap_err().contains("--repair"));
        let r = parse(&bytes, true).unwrap();
        assert_eq!((r.mutations.len(), r.torn_records, r.repaired), (1, 1, true));
        assert_eq!(r.valid_len, encode(&set(0)).len());
        // A torn tail without a newline is still dropped without --repair.
        let mut torn = log_of(2);
        torn.extend_from_slice(&[0, 0, 0]);
        let r = parse(&torn, false).unwrap();
        assert_eq!((r.mutations.len(), r.repaired), (2, false));
    }

    #[test]
    fn corrupt_middle_record_is_an_error() {
        let mut bytes = log_of(3);
        let first = encode(&set(0)).len();
        bytes[first + 20] ^= 1;
        assert!(parse(&bytes, false).unwrap_err().contains("corrupt record 2"));
    }

    #[test]
    fn open_compacts_and_appends() {
        let dir = std::env::temp_dir().join(format!("azkv-emu-log-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        {
            let (mut log, snap) = Log::open(&dir, 0, false).unwrap();
            assert!(snap.vaults.is_empty());
            log.append(&set(1)).unwrap();
            log.append(&set(2)).unwrap();
        }
        let (_, snap) = Log::open(&dir, 0, false).unwrap();
        assert_eq!(snap.vaults["v"].secrets.len(), 2);
        let bytes = fs::read(dir.join(FILE_NAME)).unwrap();
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1, "compacted into one record");
        let _ = fs::remove_dir_all(&dir);
    }
}
