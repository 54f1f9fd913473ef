//! The request pipeline: controls, authentication, faults, api-version, routing by the operation table, body, handler.

use crate::app::App;
use crate::error::ApiError;
use crate::handlers::{self, Reply};
use crate::vault::{self, Ctx};
use crate::{auth, controls};
use azkv_models::{Method as OpMethod, match_route};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use std::sync::Arc;

/// Largest request body accepted (413 above).
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Path prefixes of other Key Vault APIs: known, but not emulated (501).
const UNSUPPORTED_PREFIXES: &[&str] = &[
    "/keys",
    "/deletedkeys",
    "/certificates",
    "/deletedcertificates",
    "/storage",
    "/deletedstorage",
    "/rng",
    "/securitydomain",
    "/settings",
];

/// Returned by the service to make hyper close the connection without a response (an injected fault).
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

/// The response body type.
pub(crate) type Body = Full<Bytes>;

fn response(status: StatusCode, body: Option<Vec<u8>>, headers: &[(&'static str, String)]) -> Response<Body> {
    let has_body = body.is_some();
    let mut r = Response::new(Full::new(body.map(Bytes::from).unwrap_or_default()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if has_body {
        h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    }
    h.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-ms-request-id", HeaderValue::from_str(&crate::names::new_version()).expect("hex is a valid header"));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.append(*name, v);
        }
    }
    r
}

fn error_response(e: &ApiError) -> Response<Body> {
    response(e.status, Some(serde_json::to_vec(&e.body()).unwrap_or_default()), &e.headers)
}

fn reply_response((status, reply): (StatusCode, Reply)) -> Response<Body> {
    response(status, reply.body, &[])
}

/// Runs `f` on the blocking pool when writes fsync, inline otherwise.
async fn blocking<T: Send + 'static>(
    durable: bool,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    if durable {
        tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| Err(ApiError::internal("the request handler failed")))
    } else {
        f()
    }
}

async fn read_body(body: hyper::body::Incoming, headers: &HeaderMap) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        )
    };
    let declared = headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(ApiError::bad_parameter(format!("The request body could not be read: {e}"))),
    }
}

fn no_route(method: &http::Method, path: &str) -> ApiError {
    let allowed: Vec<&str> =
        OpMethod::ALL.iter().filter(|m| match_route(**m, path).is_some()).map(|m| m.as_str()).collect();
    if !allowed.is_empty() {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The method {method} is not allowed on {path}."),
        )
        .with_header("allow", allowed.join(", "));
    }
    let lower = path.to_ascii_lowercase();
    if UNSUPPORTED_PREFIXES.iter().any(|p| lower == *p || lower.starts_with(&format!("{p}/"))) {
        return ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!("{method} {path} is a Key Vault operation the emulator does not support (secrets only)."),
        );
    }
    ApiError::new(StatusCode::NOT_FOUND, "NotFound", format!("No operation matches {method} {path}."))
}

/// Handles one request. `Err` drops the connection (only for an injected fault).
pub(crate) async fn handle(
    app: Arc<App>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query: Vec<(String, String)> =
        parts.uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let result = route(app, &parts, &path, query, body).await;
    let response = match result {
        Ok(r) => r,
        Err(Outcome::Error(e)) => error_response(&e),
        Err(Outcome::Drop) => {
            tracing::info!(method = %parts.method, path, "dropping the connection (injected fault)");
            return Err(DropConnection);
        }
    };
    tracing::debug!(method = %parts.method, path, status = response.status().as_u16(), "request");
    let mut response = response;
    if let Some(id) = parts.headers.get("x-ms-client-request-id") {
        response.headers_mut().insert("x-ms-client-request-id", id.clone());
    }
    Ok(response)
}

enum Outcome {
    Error(ApiError),
    Drop,
}

impl From<ApiError> for Outcome {
    fn from(e: ApiError) -> Self {
        Self::Error(e)
    }
}

async fn route(
    app: Arc<App>,
    parts: &http::request::Parts,
    path: &str,
    query: Vec<(String, String)>,
    body: hyper::body::Incoming,
) -> Result<Response<Body>, Outcome> {
    if let Some(entra_route) = crate::entra::routes::match_path(path) {
        let bytes = read_body(body, &parts.headers).await?;
        let authority = vault::authority(&parts.uri, &parts.headers, &app.local_authority);
        let req = crate::entra::EntraRequest {
            method: &parts.method,
            headers: &parts.headers,
            query: &query,
            body: &bytes,
            base: format!("{}://{authority}", app.scheme),
        };
        let (status, json) = crate::entra::routes::serve(&app, &entra_route, &req);
        return Ok(response(status, Some(serde_json::to_vec(&json).unwrap_or_default()), &[]));
    }
    if let Some(rest) = path.strip_prefix("/_emulator/") {
        if rest == "ca.pem" && parts.method == http::Method::GET {
            let pem = app.ca_pem.clone().ok_or_else(|| {
                ApiError::new(StatusCode::NOT_FOUND, "NotFound", "The emulator serves plain HTTP: there is no CA.")
            })?;
            let mut r = response(StatusCode::OK, None, &[]);
            r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/x-pem-file"));
            *r.body_mut() = Full::new(Bytes::from(pem));
            return Ok(r);
        }
        if !controls::is_open(rest) {
            auth::check_control(app.auth, &parts.headers, &app.identity_header, &app.issuer, app.clock.now())?;
        }
        let bytes = read_body(body, &parts.headers).await?;
        let (method, rest, headers) = (parts.method.clone(), rest.to_owned(), parts.headers.clone());
        let app2 = app.clone();
        let (status, json) =
            blocking(app.store.is_durable(), move || controls::handle(&app2, &method, &rest, &query, &headers, &bytes))
                .await?;
        return Ok(response(status, json.map(|j| serde_json::to_vec(&j).unwrap_or_default()), &[]));
    }

    app.requests_served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = app.clock.now();
    auth::check(app.auth, &parts.headers, &app.issuer, &app.tenant, now)?;
    match app.controls.next_fault() {
        Some(crate::faults::FaultAction::Respond(e)) => return Err(e.into()),
        Some(crate::faults::FaultAction::Drop) => return Err(Outcome::Drop),
        None => {}
    }
    let api_version =
        query.iter().find(|(k, _)| k == "api-version").map(|(_, v)| v.clone()).filter(|v| !v.is_empty()).ok_or_else(
            || ApiError::bad_parameter("The request URI contains an invalid or missing api-version query parameter."),
        )?;
    app.note_api_version(&api_version);
    let route = OpMethod::parse(parts.method.as_str())
        .and_then(|m| match_route(m, path))
        .ok_or_else(|| no_route(&parts.method, path))?;
    let bytes = read_body(body, &parts.headers).await?;
    auth::discovery_probe(
        app.auth,
        &parts.headers,
        route.operation.request_body.is_some(),
        bytes.is_empty(),
        &app.tenant,
    )?;
    let authority = vault::authority(&parts.uri, &parts.headers, &app.local_authority);
    let ctx = Ctx {
        base: format!("{}://{authority}", app.scheme),
        vault: vault::vault_name(&authority),
        query,
        api_version,
        now,
    };
    let reply = blocking(app.store.is_durable(), move || handlers::dispatch(&app, &ctx, &route, &bytes)).await?;
    Ok(reply_response(reply))
}
