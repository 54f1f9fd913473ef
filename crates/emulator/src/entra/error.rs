//! Errors in Microsoft Entra ID's shape: `error`, `error_description` with the AADSTS code, `error_codes`,
//! `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
//!
//! Codes come from the service's published list of AADSTS codes where it has one; the few it lacks are
//! marked at their constructor. Nothing here ever quotes a secret or an assertion.

use http::StatusCode;
use serde_json::{Value, json};

/// An OAuth 2.0 error answered by the emulated Entra ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthError {
    pub(crate) status: StatusCode,
    /// The OAuth `error` value (`invalid_client`, `invalid_grant`, ...).
    pub(crate) error: &'static str,
    /// The AADSTS number.
    pub(crate) code: u32,
    /// The description after `AADSTS{code}: `.
    pub(crate) message: String,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Self { status, error, code, message: message.into() }
    }

    fn bad(error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, code, message)
    }

    /// A required parameter is missing (AADSTS900144).
    pub(crate) fn missing(name: &str) -> Self {
        Self::bad(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    /// A parameter is present but unusable (AADSTS90100, InvalidRequestParameter).
    pub(crate) fn invalid_parameter(name: &str) -> Self {
        Self::bad("invalid_request", 90100, format!("The parameter '{name}' is empty or not valid."))
    }

    /// The tenant in the path is not the emulator's (AADSTS90002).
    pub(crate) fn tenant_not_found(tenant: &str) -> Self {
        let shown: String = tenant.chars().take(100).collect();
        Self::bad(
            "invalid_request",
            90002,
            format!(
                "Tenant '{shown}' not found. Check to make sure you have the correct tenant ID and are signing into \
                 the correct cloud."
            ),
        )
    }

    /// A token endpoint reached with another method (AADSTS900561).
    pub(crate) fn post_only(method: &http::Method) -> Self {
        Self::bad(
            "invalid_request",
            900561,
            format!("The endpoint only accepts POST requests. Received a {method} request."),
        )
    }

    /// A grant type the emulator does not serve (AADSTS70003).
    pub(crate) fn unsupported_grant(grant: &str) -> Self {
        let shown: String = grant.chars().take(100).collect();
        Self::bad("unsupported_grant_type", 70003, format!("The app requested an unsupported grant type '{shown}'."))
    }

    /// The client id is not registered in the tenant (AADSTS700016).
    pub(crate) fn unknown_client(client_id: &str, tenant: &str) -> Self {
        let shown: String = client_id.chars().take(100).collect();
        Self::bad(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{shown}' was not found in the directory '{tenant}'. This can happen if \
                 the application has not been installed by the administrator of the tenant or consented to by any \
                 user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        )
    }

    /// A confidential client sent neither secret nor assertion (AADSTS7000218).
    pub(crate) fn no_client_credential() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    }

    /// The client secret does not match (AADSTS7000215).
    pub(crate) fn wrong_secret(client_id: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        )
    }

    /// The assertion's signature, algorithm or certificate does not check out (AADSTS700027).
    pub(crate) fn bad_assertion_signature(reason: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!("Client assertion failed signature validation. [Reason - {reason}]"),
        )
    }

    /// The assertion is not a JWT, or its claims do not fit (AADSTS50027, InvalidJwtToken).
    pub(crate) fn invalid_assertion(reason: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", 50027, format!("Invalid JWT token. {reason}"))
    }

    /// The assertion's `iss` and `sub` differ (AADSTS50048).
    pub(crate) fn subject_mismatches_issuer() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            50048,
            "Subject mismatches Issuer claim in the client assertion.",
        )
    }

    /// The assertion has expired or is not valid yet (AADSTS700024; the code is not in the service's
    /// published list, it is the one the service is widely reported to send).
    pub(crate) fn assertion_time(now: i64, nbf: Option<i64>, exp: i64) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, \
                 expiry time of assertion {}.",
                timestamp(now),
                nbf.map(timestamp).unwrap_or_else(|| "(unset)".into()),
                timestamp(exp)
            ),
        )
    }

    /// A client-credentials scope without `/.default` (AADSTS1002012; the code is not in the service's
    /// published list, the message is the service's).
    pub(crate) fn scope_needs_default(scope: &str) -> Self {
        let shown: String = scope.chars().take(200).collect();
        Self::bad(
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {shown} is not valid. Client credential flows must have a scope value \
                 with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    }

    /// Scopes of more than one resource (AADSTS700022).
    pub(crate) fn multiple_resources() -> Self {
        Self::bad(
            "invalid_scope",
            700022,
            "The provided value for the input parameter scope is not valid because it contains more than one resource.",
        )
    }

    /// No resource scope at all (AADSTS70011).
    pub(crate) fn invalid_scope(scope: &str) -> Self {
        let shown: String = scope.chars().take(200).collect();
        Self::bad(
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope '{shown}' is not valid."
            ),
        )
    }

    /// A device code still waiting for the user (AADSTS70016).
    pub(crate) fn authorization_pending() -> Self {
        Self::bad(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    }

    /// A device code past its lifetime (AADSTS70019, CodeExpired).
    pub(crate) fn device_code_expired() -> Self {
        Self::bad("expired_token", 70019, "Verification code expired. Have the user retry the sign-in.")
    }

    /// A device code or refresh token the emulator does not know (or already redeemed) (AADSTS70000).
    pub(crate) fn invalid_grant(what: &str) -> Self {
        Self::bad("invalid_grant", 70000, format!("Provided grant is invalid or malformed: the {what} is not valid."))
    }

    /// A refresh token past its lifetime (AADSTS700082).
    pub(crate) fn refresh_token_expired() -> Self {
        Self::bad(
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity. The token was issued by this emulator and has passed its lifetime.",
        )
    }

    /// Too many outstanding device codes (AADSTS90055, TenantThrottlingError).
    pub(crate) fn throttled() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            90055,
            "There are too many incoming requests.",
        )
    }

    /// A flow the emulator does not serve, such as the browser's authorization endpoint (AADSTS90056 family).
    pub(crate) fn not_emulated(what: &str) -> Self {
        Self::bad("invalid_request", 90056, format!("{what} is not emulated: use the token or device code endpoint."))
    }

    /// The JSON body, with a fresh trace id and the client's request id (if any) as correlation id.
    pub(crate) fn body(&self, now: i64, correlation_id: Option<&str>) -> Value {
        let trace = guid();
        let correlation = correlation_id.filter(|c| is_guid(c)).map(str::to_owned).unwrap_or_else(guid);
        let ts = timestamp(now);
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {ts}",
                self.code, self.message
            ),
            "error_codes": [self.code],
            "timestamp": ts,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        })
    }
}

/// `YYYY-MM-DD HH:MM:SSZ`, the service's timestamp format.
pub(crate) fn timestamp(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => secs.to_string(),
    }
}

/// A random GUID, `8-4-4-4-12` lowercase hex.
pub(crate) fn guid() -> String {
    let h = crate::names::new_version();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_service_shape() {
        let b = OAuthError::authorization_pending().body(1_700_000_000, Some("0b5e5f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"));
        assert_eq!(b["error"], "authorization_pending");
        assert_eq!(b["error_codes"], json!([70016]));
        assert_eq!(b["timestamp"], "2023-11-14 22:13:20Z");
        assert_eq!(b["correlation_id"], "0b5e5f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
        let d = b["error_description"].as_str().unwrap();
        assert!(
            d.starts_with("AADSTS70016: ") && d.contains("\r\nTrace ID: ") && d.ends_with("2023-11-14 22:13:20Z"),
            "{d}"
        );
        assert!(is_guid(b["trace_id"].as_str().unwrap()));
        let b = OAuthError::wrong_secret("c").body(0, Some("not a guid"));
        assert!(is_guid(b["correlation_id"].as_str().unwrap()), "a bad client id is replaced");
        assert_eq!(OAuthError::no_client_credential().status, StatusCode::UNAUTHORIZED);
        assert_eq!(OAuthError::unknown_client(&"x".repeat(500), "t").message.matches('x').count(), 100);
    }
}
