//! Injected faults and visibility delays: the state behind the fault and delay controls.
//!
//! [`Controls`] lives in [`crate::app::App`]; the router asks it for the next fault, and
//! `controls.rs` (the `/_emulator/` routes) and the handle change it.

use crate::error::ApiError;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;

/// A fault injected into the next Key Vault requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FaultKind {
    /// 429 `Throttled` with `Retry-After`.
    Throttle,
    /// 503 `ServiceUnavailable`.
    Unavailable,
    /// 500 `InternalError`.
    Error,
    /// The connection is closed without a response.
    Drop,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FaultRequest {
    pub(crate) kind: FaultKind,
    #[serde(default = "one")]
    pub(crate) count: u32,
    #[serde(default = "one_u64")]
    pub(crate) retry_after_secs: u64,
}

/// Most fault entries queued at once.
pub(crate) const MAX_QUEUED_FAULTS: usize = 1024;

fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}

/// A configured delay before deletions and recoveries become visible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Delay {
    /// Emulator-clock seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) secs: Option<i64>,
    /// Number of polls (GETs of the object) answered 404 first.
    #[serde(default)]
    pub(crate) polls: u32,
}

/// What an injected fault does to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultAction {
    Respond(ApiError),
    Drop,
}

/// Mutable control state.
#[derive(Debug, Default)]
pub(crate) struct Controls {
    faults: Mutex<VecDeque<FaultRequest>>,
    delay: Mutex<Option<Delay>>,
}

impl Controls {
    /// The delay to apply to a deletion or recovery now, if any.
    pub(crate) fn delay(&self) -> Option<Delay> {
        *self.delay.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one fault for the current request, if any are queued.
    pub(crate) fn next_fault(&self) -> Option<FaultAction> {
        let mut q = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let front = q.front_mut()?;
        let f = front.clone();
        front.count = front.count.saturating_sub(1);
        if front.count == 0 {
            q.pop_front();
        }
        Some(match f.kind {
            FaultKind::Throttle => FaultAction::Respond(
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Throttled",
                    "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
                )
                .with_header("retry-after", f.retry_after_secs.to_string()),
            ),
            FaultKind::Unavailable => FaultAction::Respond(
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "The service is unavailable (injected fault).")
                    .with_header("retry-after", f.retry_after_secs.to_string()),
            ),
            FaultKind::Error => FaultAction::Respond(ApiError::internal("Internal error (injected fault).")),
            FaultKind::Drop => FaultAction::Drop,
        })
    }

    /// Queues `count` faults of `kind`; refused past [`MAX_QUEUED_FAULTS`] entries.
    pub(crate) fn push(&self, fault: FaultRequest) -> Result<(), ApiError> {
        let mut q = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= MAX_QUEUED_FAULTS {
            return Err(ApiError::bad_parameter(format!("at most {MAX_QUEUED_FAULTS} faults can be queued")));
        }
        if fault.count > 0 {
            q.push_back(fault);
        }
        Ok(())
    }

    /// The queued fault entries, oldest first.
    pub(crate) fn queued(&self) -> Vec<FaultRequest> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// Clears every queued fault.
    pub(crate) fn clear_faults(&self) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Sets (or with `None` clears) the visibility delay; a delay of nothing is no delay.
    pub(crate) fn set_delay(&self, delay: Option<Delay>) {
        let d = delay.filter(|d| d.secs.is_some_and(|s| s > 0) || d.polls > 0);
        *self.delay.lock().unwrap_or_else(|e| e.into_inner()) = d;
    }

    pub(crate) fn clear(&self) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
        *self.delay.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order() {
        let c = Controls::default();
        c.push(FaultRequest { kind: FaultKind::Throttle, count: 2, retry_after_secs: 7 }).unwrap();
        c.push(FaultRequest { kind: FaultKind::Drop, count: 1, retry_after_secs: 1 }).unwrap();
        let Some(FaultAction::Respond(e)) = c.next_fault() else { panic!("expected a response fault") };
        assert_eq!((e.status, e.headers[0].1.as_str()), (StatusCode::TOO_MANY_REQUESTS, "7"));
        assert!(matches!(c.next_fault(), Some(FaultAction::Respond(_))));
        assert_eq!(c.next_fault(), Some(FaultAction::Drop));
        assert_eq!(c.next_fault(), None);
    }
}
