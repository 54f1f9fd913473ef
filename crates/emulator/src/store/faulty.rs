//! A fault-injecting [`Storage`] for tests: it models a page cache (written bytes become durable
//! only at a sync), records every operation, and fails syncs on demand.

use super::Storage;
use std::io;
use std::sync::{Arc, Mutex};

/// One operation on the storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Write(usize),
    Sync,
    Truncate(u64),
}

#[derive(Debug, Default)]
pub(crate) struct Disk {
    /// What survives a crash (or power loss): bytes synced so far.
    pub(crate) durable: Vec<u8>,
    /// What the process sees: durable bytes plus unsynced writes.
    pub(crate) visible: Vec<u8>,
    pub(crate) ops: Vec<Op>,
    /// Syncs still to fail.
    pub(crate) fail_syncs: usize,
}

/// The storage; clones share the same disk, so a test keeps one to look and to inject.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultyStorage(pub(crate) Arc<Mutex<Disk>>);

impl FaultyStorage {
    pub(crate) fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        self.0.lock().unwrap()
    }
}

impl Storage for FaultyStorage {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut d = self.disk();
        d.ops.push(Op::Write(bytes.len()));
        d.visible.extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut d = self.disk();
        d.ops.push(Op::Sync);
        if d.fail_syncs > 0 {
            d.fail_syncs -= 1;
            return Err(io::Error::other("injected fsync failure"));
        }
        d.durable = d.visible.clone();
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let mut d = self.disk();
        d.ops.push(Op::Truncate(len));
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        d.visible.truncate(len);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::store::log::{Log, parse};
    use crate::store::tests::version;
    use crate::store::{Mutation, Store};

    fn store() -> (Store, FaultyStorage) {
        let disk = FaultyStorage::default();
        (Store::with_log(Log::with_storage(Box::new(disk.clone()), 0)), disk)
    }

    fn set(store: &Store, name: &str) -> Result<(), ApiError> {
        let m = Mutation::SetVersion { vault: "v".into(), name: name.into(), version: version(&"a".repeat(32), 0) };
        store.write(0, |_| Ok((Some(m), ())))
    }

    /// What a restart after a crash right after the acknowledgement would replay.
    fn after_crash(disk: &FaultyStorage) -> Vec<Mutation> {
        parse(&disk.disk().durable, false).unwrap().mutations
    }

    #[test]
    fn an_acknowledged_write_was_fsynced_before_the_acknowledgement() {
        let (store, disk) = store();
        set(&store, "a").unwrap();
        // The acknowledgement (`write` returning) comes after the write and its sync, in that order.
        let ops = disk.disk().ops.clone();
        assert!(matches!(ops.as_slice(), [Op::Write(_), Op::Sync]), "{ops:?}");
        // And so a crash right after the acknowledgement keeps it.
        assert_eq!(after_crash(&disk).len(), 1, "the acknowledged write is durable");
        set(&store, "b").unwrap();
        assert_eq!(after_crash(&disk).len(), 2);
    }

    #[test]
    fn an_fsync_error_is_a_500_and_leaves_the_store_unchanged() {
        let (store, disk) = store();
        set(&store, "a").unwrap();
        disk.disk().fail_syncs = 1;
        let e = set(&store, "b").unwrap_err();
        assert_eq!(e.status, http::StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("injected"), "no I/O detail reaches the client: {}", e.message);
        store.read(0, |s| {
            let names: Vec<&String> = s.data.vaults["v"].secrets.keys().collect();
            assert_eq!(names, ["a"], "the failed write is not applied");
        });
        {
            let d = disk.disk();
            assert_eq!(d.visible, d.durable, "the failed record was rolled back");
            assert!(matches!(d.ops[d.ops.len() - 2..], [Op::Truncate(_), Op::Sync]), "{:?}", d.ops);
        }
        assert_eq!(after_crash(&disk).len(), 1);
        set(&store, "c").unwrap();
        assert_eq!(after_crash(&disk).len(), 2, "writes go on after the error");
    }
}
