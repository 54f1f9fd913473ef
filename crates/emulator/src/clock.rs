//! The emulator's clock: wall time plus a shift that tests can move forward.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A shareable clock, in whole Unix seconds.
///
/// Every time-dependent rule of the emulator (timestamps, token expiry,
/// scheduled purges, visibility delays) reads this clock, never the wall clock
/// directly, so tests move time with [`Clock::advance`] or
/// `POST /_emulator/clock` instead of sleeping.
/// Clones share the same state.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    /// `false`: wall time; `true`: frozen at `base` until advanced.
    frozen: bool,
    base: AtomicI64,
    offset: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The wall clock, shiftable forward with [`Clock::advance`].
    pub fn system() -> Self {
        Self { inner: Arc::new(ClockInner { frozen: false, base: AtomicI64::new(0), offset: AtomicI64::new(0) }) }
    }

    /// A clock frozen at `unix_secs`, which moves only when advanced.
    pub fn fixed(unix_secs: i64) -> Self {
        Self {
            inner: Arc::new(ClockInner { frozen: true, base: AtomicI64::new(unix_secs), offset: AtomicI64::new(0) }),
        }
    }

    /// The current emulator time in Unix seconds.
    pub fn now(&self) -> i64 {
        let base = if self.inner.frozen { self.inner.base.load(Ordering::SeqCst) } else { wall_secs() };
        base.saturating_add(self.inner.offset.load(Ordering::SeqCst))
    }

    /// Moves the clock forward (or back, with a negative value) by `secs` seconds and returns the new time.
    pub fn advance(&self, secs: i64) -> i64 {
        self.inner.offset.fetch_add(secs, Ordering::SeqCst);
        self.now()
    }

    /// Removes every shift made with [`Clock::advance`].
    pub fn reset_shift(&self) {
        self.inner.offset.store(0, Ordering::SeqCst);
    }
}

fn wall_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_advanced() {
        let c = Clock::fixed(1_000);
        assert_eq!(c.now(), 1_000);
        assert_eq!(c.clone().advance(60), 1_060);
        assert_eq!(c.now(), 1_060);
        c.reset_shift();
        assert_eq!(c.now(), 1_000);
    }

    #[test]
    fn system_clock_is_shifted() {
        let c = Clock::system();
        let before = c.now();
        assert!(c.advance(86_400) >= before + 86_400);
    }
}
