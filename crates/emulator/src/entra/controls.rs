//! `/_emulator/` controls for the emulated tenant: register applications, list and approve device codes.
//!
//! | route | body | effect |
//! |---|---|---|
//! | `GET apps` | | `{"tenant_id", "apps": [{"client_id", "secrets": N, "certificates": [x5t#S256…]}]}` |
//! | `POST apps` | `{"client_id", "secret"}` or `{"client_id", "certificate_pem"}` | registers (204) |
//! | `GET devicecodes` | | `{"pending": [user codes], "auto_approve": bool}` |
//! | `POST devicecodes/approve` | `{"user_code"}` | approves it (204), 404 if unknown or expired |

use super::lock;
use crate::app::App;
use crate::controls::ControlReply;
use crate::error::ApiError;
use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

/// Whether `/_emulator/{rest}` is one of these controls.
pub(crate) fn owns(rest: &str) -> bool {
    matches!(rest, "apps" | "devicecodes" | "devicecodes/approve")
}

#[derive(Deserialize)]
struct Registration {
    client_id: String,
    secret: Option<String>,
    certificate_pem: Option<String>,
}

#[derive(Deserialize)]
struct Approval {
    user_code: String,
}

/// Registers a secret or a certificate for a client, as `POST /_emulator/apps` does.
pub(crate) fn register(app: &App, client_id: &str, secret: Option<&str>, pem: Option<&str>) -> Result<(), String> {
    let mut apps = lock(&app.entra.apps);
    match (secret, pem) {
        (Some(s), None) => apps.add_secret(client_id, s),
        (None, Some(p)) => apps.add_certificate(client_id, p),
        _ => Err("give either secret or certificate_pem".into()),
    }
}

/// Handles `/_emulator/{rest}` for [`owns`] routes.
pub(crate) fn handle(app: &App, method: &Method, rest: &str, body: &[u8]) -> Result<ControlReply, ApiError> {
    let now = app.clock.now();
    match (method.as_str(), rest) {
        ("GET", "apps") => {
            let apps: Vec<_> = lock(&app.entra.apps)
                .iter()
                .map(|(id, a)| {
                    let (secrets, certificates) = a.summary();
                    json!({ "client_id": id, "secrets": secrets, "certificates": certificates })
                })
                .collect();
            Ok((StatusCode::OK, Some(json!({ "tenant_id": app.tenant, "apps": apps }))))
        }
        ("POST", "apps") => {
            // serde's message could quote a value, so it is not passed on.
            let r: Registration = serde_json::from_slice(body).map_err(|_| {
                ApiError::bad_parameter(
                    "invalid app registration: expected {\"client_id\", \"secret\" or \"certificate_pem\"}",
                )
            })?;
            register(app, &r.client_id, r.secret.as_deref(), r.certificate_pem.as_deref())
                .map_err(|e| ApiError::bad_parameter(format!("invalid app registration: {e}")))?;
            Ok((StatusCode::NO_CONTENT, None))
        }
        ("GET", "devicecodes") => Ok((
            StatusCode::OK,
            Some(json!({ "pending": lock(&app.entra.devices).pending(now), "auto_approve": app.entra.auto_approve })),
        )),
        ("POST", "devicecodes/approve") => {
            let a: Approval = serde_json::from_slice(body)
                .map_err(|_| ApiError::bad_parameter("invalid approval: expected {\"user_code\"}"))?;
            lock(&app.entra.devices)
                .approve(&a.user_code, now)
                .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "NotFound", e))?;
            Ok((StatusCode::NO_CONTENT, None))
        }
        _ => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not allowed on /_emulator/{rest}"),
        )),
    }
}
