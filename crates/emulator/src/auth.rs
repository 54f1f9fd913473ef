//! Authentication at the edge: the bearer challenge and the three token modes.

use crate::error::ApiError;
use crate::token::{Rejection, TokenIssuer};
use http::{HeaderMap, StatusCode};

/// How the emulator checks `Authorization: Bearer` tokens on Key Vault operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMode {
    /// Only tokens this emulator run issued (its token endpoint or `EmulatorHandle::issue_token`):
    /// HS256 signature, audience `https://vault.azure.net` and expiry against the emulator clock.
    #[default]
    Strict,
    /// Any non-empty bearer token; requests without one still get the challenge.
    Any,
    /// No authentication: no token needed. A write sent without a token and without its body
    /// (an SDK's challenge discovery) still gets the challenge, so that SDKs work unchanged.
    None,
}

impl std::str::FromStr for AuthMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(Self::Strict),
            "any" => Ok(Self::Any),
            "none" => Ok(Self::None),
            other => Err(format!("unknown auth mode {other:?} (expected strict, any or none)")),
        }
    }
}

impl std::fmt::Display for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Strict => "strict",
            Self::Any => "any",
            Self::None => "none",
        })
    }
}

/// The `WWW-Authenticate` value Key Vault sends with a 401.
pub(crate) fn challenge(tenant: &str) -> String {
    format!(r#"Bearer authorization="https://login.microsoftonline.com/{tenant}", resource="https://vault.azure.net""#)
}

fn unauthorized(tenant: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", message).with_header("www-authenticate", challenge(tenant))
}

/// Checks the request's credentials under `mode`; `Err` is the 401 to send.
pub(crate) fn check(
    mode: AuthMode,
    headers: &HeaderMap,
    issuer: &TokenIssuer,
    tenant: &str,
    now: i64,
) -> Result<(), ApiError> {
    if mode == AuthMode::None {
        return Ok(());
    }
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(unauthorized(tenant, "AKV10000: Request is missing a Bearer or PoP token."));
    };
    if mode == AuthMode::Any {
        return Ok(());
    }
    issuer.verify(token, now).map_err(|r| {
        let message = match r {
            Rejection::Malformed => "AKV10022: Invalid access token: malformed.",
            Rejection::BadSignature => {
                "AKV10032: Invalid issuer or signature: the token was not issued by this emulator."
            }
            Rejection::WrongAudience => "AKV10022: Invalid audience: expected https://vault.azure.net.",
            Rejection::Expired => "AKV10022: Invalid access token: the token has expired.",
            Rejection::NotYetValid => "AKV10022: Invalid access token: the token is not yet valid.",
            Rejection::Revoked => "AKV10022: Invalid access token: the token was revoked.",
        };
        unauthorized(tenant, message)
    })
}

/// In [`AuthMode::None`], the answer to an SDK's challenge discovery: a request without
/// `Authorization` and without the body its operation needs. Every official SDK (and azkv)
/// sends a write's first request that way and expects the service's 401 challenge before it
/// sends the body; the service always challenges, so serving the bodiless request would answer
/// "body missing" to every first write. Any other request is served without authentication.
pub(crate) fn discovery_probe(
    mode: AuthMode,
    headers: &HeaderMap,
    needs_body: bool,
    body_is_empty: bool,
    tenant: &str,
) -> Result<(), ApiError> {
    if mode == AuthMode::None && needs_body && body_is_empty && !headers.contains_key(http::header::AUTHORIZATION) {
        return Err(unauthorized(tenant, "AKV10000: Request is missing a Bearer or PoP token."));
    }
    Ok(())
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The header that authenticates control requests (and the token endpoint): the ready line's `identity_header`.
pub(crate) const CONTROL_HEADER: &str = "x-identity-header";

/// Checks a request to a protected `/_emulator/` route: open in [`AuthMode::None`], else it needs the
/// identity header or a bearer token this emulator issued (whatever the mode: `any` does not open the controls).
pub(crate) fn check_control(
    mode: AuthMode,
    headers: &HeaderMap,
    identity_header: &str,
    issuer: &TokenIssuer,
    now: i64,
) -> Result<(), ApiError> {
    if mode == AuthMode::None {
        return Ok(());
    }
    let by_header =
        headers.get(CONTROL_HEADER).is_some_and(|v| constant_time_eq(v.as_bytes(), identity_header.as_bytes()));
    let by_token = || {
        headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .is_some_and(|(_, t)| issuer.verify_control(t.trim(), now).is_ok())
    };
    if by_header || by_token() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "The emulator's control routes need the X-IDENTITY-HEADER header with the ready line's identity_header \
         value, or a bearer token this emulator issued.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn modes() {
        let issuer = TokenIssuer::new("t");
        let good = format!("Bearer {}", issuer.issue(crate::token::VAULT_AUDIENCE, 100, 60));
        assert!(check(AuthMode::None, &HeaderMap::new(), &issuer, "t", 100).is_ok());
        let e = check(AuthMode::Any, &HeaderMap::new(), &issuer, "t", 100).unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert_eq!(e.headers[0].1, challenge("t"));
        assert!(check(AuthMode::Any, &with_auth("Bearer x"), &issuer, "t", 100).is_ok());
        assert!(check(AuthMode::Strict, &with_auth("Bearer x"), &issuer, "t", 100).is_err());
        assert!(check(AuthMode::Strict, &with_auth(&good), &issuer, "t", 100).is_ok());
        assert!(check(AuthMode::Strict, &with_auth(&good), &issuer, "t", 1_000).is_err());
        assert_eq!("any".parse::<AuthMode>().unwrap(), AuthMode::Any);
    }

    #[test]
    fn controls_need_the_identity_header_or_an_issued_token() {
        let issuer = TokenIssuer::new("t");
        let mut h = HeaderMap::new();
        assert!(check_control(AuthMode::None, &h, "id", &issuer, 100).is_ok());
        for mode in [AuthMode::Strict, AuthMode::Any] {
            assert_eq!(check_control(mode, &h, "id", &issuer, 100).unwrap_err().status, StatusCode::UNAUTHORIZED);
            assert!(check_control(mode, &with_auth("Bearer dummy"), "id", &issuer, 100).is_err(), "{mode}");
            let good = format!("Bearer {}", issuer.issue(crate::token::VAULT_AUDIENCE, 100, 60));
            assert!(check_control(mode, &with_auth(&good), "id", &issuer, 100).is_ok());
            h.insert(CONTROL_HEADER, "idx".parse().unwrap());
            assert!(check_control(mode, &h, "id", &issuer, 100).is_err());
            h.insert(CONTROL_HEADER, "id".parse().unwrap());
            assert!(check_control(mode, &h, "id", &issuer, 100).is_ok());
            h.clear();
        }
        assert!(constant_time_eq(b"ab", b"ab") && !constant_time_eq(b"ab", b"abc") && !constant_time_eq(b"ab", b"ac"));
    }
}
