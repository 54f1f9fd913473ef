//! Injectable time: a clock and a sleep, so that retry and expiry tests run instantly.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A future returned by [`AsyncSleep::sleep`].
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Tells the time.
pub trait TimeSource: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// Waits.
pub trait AsyncSleep: Send + Sync + fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> SleepFuture;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTimeSource;

impl TimeSource for SystemTimeSource {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// `tokio::time::sleep` (so `tokio::time::pause` applies).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl AsyncSleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The time source and sleep a component uses.
#[derive(Debug, Clone)]
pub struct TimeComponents {
    /// The clock.
    pub time_source: Arc<dyn TimeSource>,
    /// The sleep.
    pub sleep: Arc<dyn AsyncSleep>,
}

impl Default for TimeComponents {
    fn default() -> Self {
        Self { time_source: Arc::new(SystemTimeSource), sleep: Arc::new(TokioSleep) }
    }
}

impl TimeComponents {
    /// Now, as an `OffsetDateTime`.
    pub fn now_utc(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from(self.time_source.now())
    }
}
