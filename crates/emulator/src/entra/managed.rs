//! Managed-identity endpoints beside the App Service one (`/_emulator/msi/token`):
//!
//! - IMDS, `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…` with `Metadata: true`
//!   (400 without it, which is also how clients probe that IMDS is there);
//! - Service Fabric, `GET /_emulator/msi/servicefabric?api-version=2019-07-01-preview&resource=…` with
//!   the header `secret` (the emulator's identity header);
//! - Azure ML, `GET /_emulator/msi/azureml?api-version=2017-09-01&resource=…&clientid=…` with `secret`.
//!
//! Like IMDS, the IMDS endpoint needs no secret: anyone who reaches the emulator can take its tokens.
//! None of these tokens opens the `/_emulator/` controls.

use super::EntraRequest;
use crate::app::App;
use crate::token::LIFETIME_SECS;
use http::StatusCode;
use serde_json::{Value, json};

/// The client id reported when a request names none.
const SYSTEM_ASSIGNED: &str = "00000000-0000-0000-0000-000000000000";

/// A managed-identity answer.
pub(crate) type Reply = (StatusCode, Value);

fn imds_error(description: &str) -> Reply {
    (StatusCode::BAD_REQUEST, json!({ "error": "invalid_request", "error_description": description }))
}

fn audience(resource: &str) -> String {
    resource.trim_end_matches("/.default").trim_end_matches('/').to_owned()
}

/// The IMDS token endpoint.
pub(crate) fn imds(app: &App, req: &EntraRequest<'_>) -> Reply {
    if !req.header("metadata").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return imds_error("Required metadata header not specified");
    }
    if req.query("api-version").is_none() {
        return imds_error("Required query variable 'api-version' is missing");
    }
    let Some(resource) = req.query("resource") else {
        return imds_error("Required query variable 'resource' is missing");
    };
    let client_id = req.query("client_id").unwrap_or(SYSTEM_ASSIGNED);
    let now = app.clock.now();
    let token = app.issuer.issue_for(&audience(resource), client_id, client_id, now, LIFETIME_SECS);
    (
        StatusCode::OK,
        json!({
            "access_token": token,
            "client_id": client_id,
            "expires_in": LIFETIME_SECS.to_string(),
            "expires_on": now.saturating_add(LIFETIME_SECS).to_string(),
            "ext_expires_in": LIFETIME_SECS.to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
    )
}

fn secret_ok(app: &App, req: &EntraRequest<'_>) -> Option<bool> {
    let s = req.headers.get("secret")?;
    Some(crate::auth::constant_time_eq(s.as_bytes(), app.identity_header.as_bytes()))
}

fn sf_error(status: StatusCode, code: &str, message: &str) -> Reply {
    let correlation = super::error::guid();
    (status, json!({ "error": { "correlationId": correlation, "code": code, "message": message } }))
}

/// The Service Fabric token endpoint (api-version 2019-07-01-preview).
pub(crate) fn service_fabric(app: &App, req: &EntraRequest<'_>) -> Reply {
    match secret_ok(app, req) {
        None => {
            return sf_error(
                StatusCode::NOT_FOUND,
                "SecretHeaderNotFound",
                "Secret is not found in the request headers.",
            );
        }
        Some(false) => {
            return sf_error(
                StatusCode::NOT_FOUND,
                "ManagedIdentityNotFound",
                "Managed identity not found for the specified application host.",
            );
        }
        Some(true) => {}
    }
    if req.query("api-version") != Some("2019-07-01-preview") {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersion",
            "The api-version is not supported. Supported version is '2019-07-01-preview'.",
        );
    }
    let Some(resource) = req.query("resource") else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "ArgumentNullOrEmpty",
            "The parameter 'resource' should not be null or empty string.",
        );
    };
    let now = app.clock.now();
    let token = app.issuer.issue_for(&audience(resource), SYSTEM_ASSIGNED, SYSTEM_ASSIGNED, now, LIFETIME_SECS);
    (
        StatusCode::OK,
        json!({
            "token_type": "Bearer",
            "access_token": token,
            "expires_on": now.saturating_add(LIFETIME_SECS),
            "resource": resource,
        }),
    )
}

/// The Azure ML token endpoint (api-version 2017-09-01, `clientid` names a user-assigned identity).
pub(crate) fn azure_ml(app: &App, req: &EntraRequest<'_>) -> Reply {
    let refuse = |message: &str| {
        (StatusCode::UNAUTHORIZED, json!({ "error": "unauthorized_client", "error_description": message }))
    };
    match secret_ok(app, req) {
        None => return refuse("The secret header is missing."),
        Some(false) => return refuse("The secret header does not match."),
        Some(true) => {}
    }
    if req.query("api-version").is_none() {
        return imds_error("Required query variable 'api-version' is missing");
    }
    let Some(resource) = req.query("resource") else {
        return imds_error("Required query variable 'resource' is missing");
    };
    let client_id = req.query("clientid").unwrap_or(SYSTEM_ASSIGNED);
    let now = app.clock.now();
    let token = app.issuer.issue_for(&audience(resource), client_id, client_id, now, LIFETIME_SECS);
    (
        StatusCode::OK,
        json!({
            "access_token": token,
            "expires_on": now.saturating_add(LIFETIME_SECS).to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id,
        }),
    )
}
