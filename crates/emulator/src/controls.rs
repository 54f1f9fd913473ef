//! Test controls under `/_emulator/`: clock, faults, visibility delays, reset, export/import, and the token endpoint.
//!
//! They exist for tests and local tooling only. In `strict` and `any` modes every route except `health`,
//! `ca.pem` and the token endpoint (which checks the identity header itself) needs a credential:
//! the identity header or a token this emulator issued (see `auth::check_control`).

use crate::app::App;
use crate::errors::ApiError;
use crate::store::{Mutation, Snapshot};
use http::{HeaderMap, Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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
struct FaultRequest {
    kind: FaultKind,
    #[serde(default = "one")]
    count: u32,
    #[serde(default = "one_u64")]
    retry_after_secs: u64,
}

/// Most fault entries queued at once.
const MAX_QUEUED_FAULTS: usize = 1024;

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

    fn clear(&self) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
        *self.delay.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Whether `/_emulator/{rest}` is served without a control credential.
pub(crate) fn is_open(rest: &str) -> bool {
    matches!(rest.trim_end_matches('/'), "health" | "ca.pem" | "msi/token")
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_parameter(format!("invalid control request: {e}")))
}

/// A control answer: status and optional JSON.
pub(crate) type ControlReply = (StatusCode, Option<Value>);

/// Handles `/_emulator/{rest}`. Blocking: reset and import write the log.
pub(crate) fn handle(
    app: &App,
    method: &Method,
    rest: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ControlReply, ApiError> {
    let now = app.clock.now();
    match (method.as_str(), rest.trim_end_matches('/')) {
        ("GET", "health") => Ok((StatusCode::OK, Some(json!({ "status": "ok" })))),
        ("GET", "stats") => Ok((
            StatusCode::OK,
            Some(json!({ "requests_served": app.requests_served.load(std::sync::atomic::Ordering::Relaxed) })),
        )),
        ("GET", "clock") => Ok((StatusCode::OK, Some(json!({ "now": now })))),
        ("POST", "clock") => {
            #[derive(Deserialize)]
            struct Advance {
                advance_secs: i64,
            }
            let a: Advance = parse(body)?;
            let now = app.clock.checked_advance(a.advance_secs).ok_or_else(|| {
                ApiError::bad_parameter(format!(
                    "advance_secs {} would move the clock outside 1970-01-01 to 9999-12-31",
                    a.advance_secs
                ))
            })?;
            Ok((StatusCode::OK, Some(json!({ "now": now }))))
        }
        ("GET", "faults") => {
            let q = app.controls.faults.lock().unwrap_or_else(|e| e.into_inner());
            Ok((StatusCode::OK, Some(json!({ "faults": q.iter().collect::<Vec<_>>() }))))
        }
        ("POST", "faults") => {
            let f: FaultRequest = parse(body)?;
            push_fault(app, f.kind, f.count, f.retry_after_secs)?;
            Ok((StatusCode::NO_CONTENT, None))
        }
        ("DELETE", "faults") => {
            clear_faults(app);
            Ok((StatusCode::NO_CONTENT, None))
        }
        ("POST", "delay") => {
            let d: Delay = parse(body)?;
            set_delay(app, Some(d));
            Ok((StatusCode::NO_CONTENT, None))
        }
        ("DELETE", "delay") => {
            *app.controls.delay.lock().unwrap_or_else(|e| e.into_inner()) = None;
            Ok((StatusCode::NO_CONTENT, None))
        }
        ("POST", "reset") => {
            reset(app)?;
            Ok((StatusCode::NO_CONTENT, None))
        }
        ("GET", "export") => Ok((StatusCode::OK, Some(export(app)))),
        ("POST", "import") => {
            import(app, body)?;
            Ok((StatusCode::NO_CONTENT, None))
        }
        ("GET", "msi/token") => msi_token(app, query, headers, now),
        (_, "health" | "stats" | "clock" | "faults" | "delay" | "reset" | "export" | "import" | "msi/token") => {
            Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("{method} is not allowed on /_emulator/{rest}"),
            ))
        }
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "NotFound", format!("No emulator control at /_emulator/{rest}"))),
    }
}

/// Queues `count` faults of `kind`, as `POST /_emulator/faults` does.
pub(crate) fn push_fault(app: &App, kind: FaultKind, count: u32, retry_after_secs: u64) -> Result<(), ApiError> {
    let mut q = app.controls.faults.lock().unwrap_or_else(|e| e.into_inner());
    if q.len() >= MAX_QUEUED_FAULTS {
        return Err(ApiError::bad_parameter(format!("at most {MAX_QUEUED_FAULTS} faults can be queued")));
    }
    if count > 0 {
        q.push_back(FaultRequest { kind, count, retry_after_secs });
    }
    Ok(())
}

/// How many faulted requests are still queued.
pub(crate) fn queued_faults(app: &App) -> u64 {
    app.controls.faults.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|f| u64::from(f.count)).sum()
}

/// Clears every queued fault.
pub(crate) fn clear_faults(app: &App) {
    app.controls.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// Sets (or with `None` clears) the visibility delay of deletions and recoveries.
pub(crate) fn set_delay(app: &App, delay: Option<Delay>) {
    let d = delay.filter(|d| d.secs.is_some_and(|s| s > 0) || d.polls > 0);
    *app.controls.delay.lock().unwrap_or_else(|e| e.into_inner()) = d;
}

/// Removes every secret, fault and delay, the clock shift, and zeroes the request counter.
pub(crate) fn reset(app: &App) -> Result<(), ApiError> {
    app.controls.clear();
    app.clock.reset_shift();
    app.requests_served.store(0, std::sync::atomic::Ordering::Relaxed);
    let now = app.clock.now();
    app.store.write(now, |_| Ok((Some(Mutation::Replace { snapshot: Snapshot::default() }), ())))
}

/// The whole state in the export (and seed) format, values included.
pub(crate) fn export(app: &App) -> Value {
    let snapshot = app.store.read(app.clock.now(), |s| s.data.clone());
    serde_json::to_value(snapshot).unwrap_or_default()
}

/// Parses and validates a seed, then replaces the whole state with it; a refused seed changes nothing.
pub(crate) fn import(app: &App, seed: &[u8]) -> Result<(), ApiError> {
    let mut snapshot: Snapshot = parse(seed)?;
    snapshot.validate().map_err(|e| ApiError::bad_parameter(format!("invalid snapshot: {e}")))?;
    snapshot.normalize();
    app.store.write(app.clock.now(), |_| Ok((Some(Mutation::Replace { snapshot }), ())))
}

/// The App Service managed-identity token endpoint (`IDENTITY_ENDPOINT`, api-version 2019-08-01).
fn msi_token(app: &App, query: &[(String, String)], headers: &HeaderMap, now: i64) -> Result<ControlReply, ApiError> {
    let q = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let secret = headers.get(crate::auth::CONTROL_HEADER);
    if !secret.is_some_and(|s| crate::auth::constant_time_eq(s.as_bytes(), app.identity_header.as_bytes())) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "The X-IDENTITY-HEADER header is missing or does not match the emulator's identity header.",
        ));
    }
    let resource = q("resource")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::bad_parameter("The resource query parameter is required."))?;
    let audience = resource.trim_end_matches("/.default").trim_end_matches('/');
    let token = app.issuer.issue(audience, now, crate::token::LIFETIME_SECS);
    Ok((
        StatusCode::OK,
        Some(json!({
            "access_token": token,
            "expires_on": now.saturating_add(crate::token::LIFETIME_SECS).to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": q("client_id").unwrap_or("00000000-0000-0000-0000-000000000000"),
        })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order() {
        let c = Controls::default();
        c.faults.lock().unwrap().push_back(FaultRequest { kind: FaultKind::Throttle, count: 2, retry_after_secs: 7 });
        c.faults.lock().unwrap().push_back(FaultRequest { kind: FaultKind::Drop, count: 1, retry_after_secs: 1 });
        let Some(FaultAction::Respond(e)) = c.next_fault() else { panic!("expected a response fault") };
        assert_eq!((e.status, e.headers[0].1.as_str()), (StatusCode::TOO_MANY_REQUESTS, "7"));
        assert!(matches!(c.next_fault(), Some(FaultAction::Respond(_))));
        assert_eq!(c.next_fault(), Some(FaultAction::Drop));
        assert_eq!(c.next_fault(), None);
    }
}
