//! A clock that moves only when told or when something sleeps on it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::time::{AsyncSleep, SleepFuture, TimeComponents, TimeSource};

/// A manual clock: [`AsyncSleep::sleep`] returns at once, records the duration and moves the
/// clock forward by it, so retry and expiry tests never wait.
#[derive(Debug, Clone)]
pub struct ManualTime {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    now: SystemTime,
    sleeps: Vec<Duration>,
}

impl ManualTime {
    /// A clock reading `start`.
    pub fn new(start: SystemTime) -> Self {
        Self { inner: Arc::new(Mutex::new(State { now: start, sleeps: Vec::new() })) }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.lock().now += by;
    }

    /// Every sleep asked for, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// This clock as both time source and sleep.
    pub fn components(&self) -> TimeComponents {
        TimeComponents { time_source: Arc::new(self.clone()), sleep: Arc::new(self.clone()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for ManualTime {
    fn default() -> Self {
        Self::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    }
}

impl TimeSource for ManualTime {
    fn now(&self) -> SystemTime {
        self.lock().now
    }
}

impl AsyncSleep for ManualTime {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        let mut state = self.lock();
        state.sleeps.push(duration);
        state.now += duration;
        Box::pin(std::future::ready(()))
    }
}
