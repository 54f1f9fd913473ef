//! Test controls under `/_emulator/`: clock, faults, visibility delays, reset, export/import, and the token endpoint.
//!
//! They exist for tests and local tooling only. In `strict` and `any` modes every route except `health`,
//! `ca.pem` and the token endpoint (which checks the identity header itself) needs a credential:
//! the identity header or a token this emulator issued (see `auth::check_control`).

use crate::app::App;
use crate::error::ApiError;
use crate::faults::{Delay, FaultKind, FaultRequest};
use crate::store::{Mutation, Snapshot};
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

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
        ("GET", "faults") => Ok((StatusCode::OK, Some(json!({ "faults": app.controls.queued() })))),
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
            app.controls.set_delay(None);
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
        (_, r) if crate::entra::controls::owns(r) => crate::entra::controls::handle(app, method, r, body),
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
    app.controls.push(FaultRequest { kind, count, retry_after_secs })
}

/// How many faulted requests are still queued.
pub(crate) fn queued_faults(app: &App) -> u64 {
    app.controls.queued().iter().map(|f| u64::from(f.count)).sum()
}

/// Clears every queued fault.
pub(crate) fn clear_faults(app: &App) {
    app.controls.clear_faults();
}

/// Sets (or with `None` clears) the visibility delay of deletions and recoveries.
pub(crate) fn set_delay(app: &App, delay: Option<Delay>) {
    app.controls.set_delay(delay);
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
