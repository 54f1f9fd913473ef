//! The shared, locked state: data, visibility delays and the optional durable log.

use super::{Log, Mutation, Snapshot};
use crate::error::ApiError;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// A delay before a deletion or a recovery becomes visible (a test control, never persisted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Pending {
    /// Hidden while the emulator clock is before this time.
    pub(crate) until: Option<i64>,
    /// Hidden for this many more polls (GETs of the object).
    pub(crate) polls: u32,
}

impl Pending {
    /// Whether the object is still hidden, without counting a poll.
    pub(crate) fn hidden(&self, now: i64) -> bool {
        self.polls > 0 || self.until.is_some_and(|t| now < t)
    }

    /// Counts one poll and says whether the object was hidden for it.
    pub(crate) fn poll(&mut self, now: i64) -> bool {
        if self.polls > 0 {
            self.polls -= 1;
            return true;
        }
        self.until.is_some_and(|t| now < t)
    }
}

/// Data plus in-memory-only visibility delays, keyed by `(vault, key)`.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) data: Snapshot,
    pub(crate) pending_delete: HashMap<(String, String), Pending>,
    pub(crate) pending_recover: HashMap<(String, String), Pending>,
    /// No deleted secret is due for purging before this time (a lower bound; `i64::MIN`: unknown),
    /// so that a request does not scan every deleted secret.
    next_purge: i64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            data: Snapshot::default(),
            pending_delete: HashMap::new(),
            pending_recover: HashMap::new(),
            next_purge: i64::MIN,
        }
    }
}

impl State {
    fn apply(&mut self, m: &Mutation) {
        self.data.apply(m);
        match m {
            Mutation::Recover { vault, key } | Mutation::Purge { vault, key } => {
                self.pending_delete.remove(&(vault.clone(), key.clone()));
            }
            Mutation::Delete { vault, key, scheduled_purge_date, .. } => {
                self.pending_recover.remove(&(vault.clone(), key.clone()));
                self.next_purge = self.next_purge.min(*scheduled_purge_date);
            }
            Mutation::Replace { .. } => {
                self.pending_delete.clear();
                self.pending_recover.clear();
                self.next_purge = i64::MIN;
            }
            Mutation::SetVersion { .. } | Mutation::UpdateVersion { .. } | Mutation::Restore { .. } => {}
        }
    }

    fn sweep(&mut self, now: i64) {
        if now < self.next_purge {
            return;
        }
        if self.data.sweep(now) > 0 {
            let data = &self.data;
            self.pending_delete.retain(|(v, k), _| data.vaults.get(v).is_some_and(|d| d.deleted.contains_key(k)));
        }
        let due = self.data.vaults.values().flat_map(|v| v.deleted.values()).map(|d| d.scheduled_purge_date).min();
        self.next_purge = due.unwrap_or(i64::MAX);
    }
}

#[derive(Debug)]
struct Inner {
    state: State,
    log: Option<Log>,
}

/// The store: one lock over all vaults; writes are logged (and fsync'd) before they are applied.
#[derive(Debug)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
    durable: bool,
}

impl Store {
    /// An in-memory store, or a durable one replayed from `data_dir`.
    pub(crate) fn open(data_dir: Option<&Path>, now: i64, repair: bool) -> crate::Result<Self> {
        match data_dir {
            None => Ok(Self { inner: Mutex::new(Inner { state: State::default(), log: None }), durable: false }),
            Some(dir) => {
                let (log, mut data) = Log::open(dir, now, repair)?;
                data.sweep(now);
                let state = State { data, ..State::default() };
                Ok(Self { inner: Mutex::new(Inner { state, log: Some(log) }), durable: true })
            }
        }
    }

    /// A durable store over `log`, starting empty (tests inject a fault-injecting storage this way).
    #[cfg(test)]
    pub(crate) fn with_log(log: Log) -> Self {
        Self { inner: Mutex::new(Inner { state: State::default(), log: Some(log) }), durable: true }
    }

    /// Whether writes reach the disk (and so block on fsync).
    pub(crate) fn is_durable(&self) -> bool {
        self.durable
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied mutation: recover the guard.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` over the state after purging what is due at `now`; nothing is logged.
    pub(crate) fn read<R>(&self, now: i64, f: impl FnOnce(&mut State) -> R) -> R {
        let mut inner = self.lock();
        inner.state.sweep(now);
        f(&mut inner.state)
    }

    /// Runs `f`, which validates a change and returns it with the response; logs the change durably, then applies it.
    ///
    /// The change is visible to other requests only after it is on disk, and the response is sent only after that.
    pub(crate) fn write<R>(
        &self,
        now: i64,
        f: impl FnOnce(&mut State) -> Result<(Option<Mutation>, R), ApiError>,
    ) -> Result<R, ApiError> {
        let mut inner = self.lock();
        inner.state.sweep(now);
        let (mutation, response) = f(&mut inner.state)?;
        if let Some(m) = mutation {
            if let Some(log) = inner.log.as_mut() {
                log.append(&m).map_err(|e| {
                    tracing::error!(error = %e, "cannot write the data log");
                    ApiError::internal("the emulator could not persist the change")
                })?;
            }
            inner.state.apply(&m);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_counts_polls_then_time() {
        let mut p = Pending { until: None, polls: 2 };
        assert!(p.hidden(0));
        assert!(p.poll(0));
        assert!(p.poll(0));
        assert!(!p.poll(0));
        let mut t = Pending { until: Some(10), polls: 0 };
        assert!(t.poll(9));
        assert!(!t.poll(10));
    }

    #[test]
    fn failed_validation_changes_nothing() {
        let store = Store::open(None, 0, false).unwrap();
        let r: Result<(), _> = store.write(0, |_| Err(ApiError::bad_parameter("no")));
        assert!(r.is_err());
        store.read(0, |s| assert!(s.data.vaults.is_empty()));
    }
}
