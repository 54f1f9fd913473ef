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
    ///
    /// The shift saturates at the limits of `i64` instead of wrapping.
    pub fn advance(&self, secs: i64) -> i64 {
        let _ = self.inner.offset.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| Some(o.saturating_add(secs)));
        self.now()
    }

    /// Moves the clock by `secs` unless the result would leave the range the emulator stores
    /// (1970-01-01 to 9999-12-31, see [`crate::store::MAX_TIME`]); `None` leaves it unchanged.
    pub(crate) fn checked_advance(&self, secs: i64) -> Option<i64> {
        let mut offset = self.inner.offset.load(Ordering::SeqCst);
        loop {
            let base = if self.inner.frozen { self.inner.base.load(Ordering::SeqCst) } else { wall_secs() };
            let new_offset = offset.checked_add(secs)?;
            let now = base.checked_add(new_offset).filter(|t| (0..=crate::store::MAX_TIME).contains(t))?;
            match self.inner.offset.compare_exchange(offset, new_offset, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return Some(now),
                Err(current) => offset = current,
            }
        }
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
    fn advances_saturate_and_checked_ones_refuse_to_leave_the_range() {
        let c = Clock::fixed(1_000);
        assert_eq!(c.advance(i64::MAX), i64::MAX);
        assert_eq!(c.advance(i64::MAX), i64::MAX, "no wrap");
        c.reset_shift();
        assert_eq!(c.checked_advance(i64::MAX), None);
        assert_eq!(c.checked_advance(-1_001), None);
        assert_eq!(c.now(), 1_000, "a refused shift changes nothing");
        assert_eq!(c.checked_advance(-1_000), Some(0));
    }

    #[test]
    fn system_clock_is_shifted() {
        let c = Clock::system();
        let before = c.now();
        assert!(c.advance(86_400) >= before + 86_400);
    }
}
