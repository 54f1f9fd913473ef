//! The typed Microsoft Entra ID error kept as the source of a credential's
//! [`azkv_pipeline::Error::Credential`].

use std::fmt;

use serde::Deserialize;

/// What kind of Microsoft Entra ID error a token endpoint answered (its `error` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthenticationErrorKind {
    /// `invalid_client`: a wrong secret, an unknown or badly signed assertion.
    InvalidClient,
    /// `unauthorized_client`: an unknown application, or one not allowed this grant.
    UnauthorizedClient,
    /// `invalid_grant`: an expired or revoked grant (refresh token, assertion), a wrong tenant.
    InvalidGrant,
    /// `invalid_request`: a malformed request (for example an unknown tenant).
    InvalidRequest,
    /// `invalid_scope`: a scope the service does not know.
    InvalidScope,
    /// `authorization_declined`: the user declined the device code sign-in.
    AuthorizationDeclined,
    /// `expired_token`: the device code expired before the user signed in.
    ExpiredToken,
    /// `bad_verification_code`: the service does not know the device code.
    BadVerificationCode,
    /// Any other `error` value, or none.
    Other,
}

impl AuthenticationErrorKind {
    fn of(error: &str) -> Self {
        match error {
            "invalid_client" => Self::InvalidClient,
            "unauthorized_client" => Self::UnauthorizedClient,
            "invalid_grant" => Self::InvalidGrant,
            "invalid_request" => Self::InvalidRequest,
            "invalid_scope" => Self::InvalidScope,
            "authorization_declined" => Self::AuthorizationDeclined,
            "expired_token" => Self::ExpiredToken,
            "bad_verification_code" => Self::BadVerificationCode,
            _ => Self::Other,
        }
    }
}

/// A Microsoft Entra ID error response: the HTTP status, the OAuth `error` code, the first line
/// of `error_description` and the `AADSTS` numbers. Kept as the `source` of the
/// [`azkv_pipeline::Error::Credential`] a credential returns; read it back with
/// [`AuthenticationError::of`].
///
/// It holds only what the service wrote in those fields, never a secret or a token.
///
/// ```
/// # async fn f(credential: &dyn azkv_pipeline::TokenCredential) {
/// use azkv_identity::{AuthenticationError, AuthenticationErrorKind};
/// if let Err(e) = credential.get_token(&["https://vault.azure.net/.default"], &Default::default()).await {
///     if let Some(aad) = AuthenticationError::of(&e) {
///         if aad.kind() == AuthenticationErrorKind::InvalidClient {
///             eprintln!("check the client secret (AADSTS{:?})", aad.aadsts());
///         }
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationError {
    status: u16,
    error: String,
    description: Option<String>,
    codes: Vec<u32>,
}

#[derive(Deserialize)]
struct Body {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<serde_json::Value>,
}

impl AuthenticationError {
    /// Parses an error body; `None` when it is not an Entra error response.
    pub(crate) fn parse(status: u16, body: &[u8]) -> Option<Self> {
        let body: Body = serde_json::from_slice(body).ok()?;
        let description = body.error_description.as_deref().map(first_line).filter(|d| !d.is_empty());
        let mut codes: Vec<u32> = body.error_codes.iter().filter_map(|c| c.as_u64()?.try_into().ok()).collect();
        if codes.is_empty() {
            codes = description.as_deref().map(aadsts_codes).unwrap_or_default();
        }
        Some(Self { status, error: body.error, description, codes })
    }

    /// The typed error a credential returned, if the failure was an Entra error response.
    pub fn of(error: &azkv_pipeline::Error) -> Option<&Self> {
        let mut source = error.cause().map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(e) = source {
            if let Some(found) = e.downcast_ref::<Self>() {
                return Some(found);
            }
            source = e.source();
        }
        None
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The OAuth `error` code, for example `invalid_client`.
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The kind of [`Self::error`].
    pub fn kind(&self) -> AuthenticationErrorKind {
        AuthenticationErrorKind::of(&self.error)
    }

    /// The first line of `error_description` (the rest holds trace and correlation ids).
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The first `AADSTS` number, from `error_codes` or the description (for example
    /// `7000215` for a wrong client secret).
    pub fn aadsts(&self) -> Option<u32> {
        self.codes.first().copied()
    }

    /// Every `AADSTS` number the answer gave.
    pub fn aadsts_codes(&self) -> &[u32] {
        &self.codes
    }
}

impl fmt::Display for AuthenticationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}, {}", self.status, self.error)?;
        if let Some(d) = &self.description {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AuthenticationError {}

/// The first line of a description, trimmed.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_owned()
}

/// The numbers following `AADSTS` in `text`.
fn aadsts_codes(text: &str) -> Vec<u32> {
    text.match_indices("AADSTS")
        .filter_map(|(i, m)| {
            let digits: String = text[i + m.len()..].chars().take_while(char::is_ascii_digit).take(9).collect();
            digits.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_error_codes_or_the_description() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret.\r\nTrace ID: x","error_codes":[7000215]}"#;
        let e = AuthenticationError::parse(401, body).unwrap();
        assert_eq!(
            (e.kind(), e.aadsts(), e.description()),
            (AuthenticationErrorKind::InvalidClient, Some(7000215), Some("AADSTS7000215: Invalid client secret."))
        );
        assert_eq!(e.to_string(), "HTTP 401, invalid_client: AADSTS7000215: Invalid client secret.");
        let body = br#"{"error":"expired_token","error_description":"AADSTS70019: Verification code expired."}"#;
        let e = AuthenticationError::parse(400, body).unwrap();
        assert_eq!((e.kind(), e.aadsts()), (AuthenticationErrorKind::ExpiredToken, Some(70019)));
        assert!(AuthenticationError::parse(500, b"<html>").is_none());
        let e = AuthenticationError::parse(400, br#"{"error":"weird","error_description":"AADSTS"}"#).unwrap();
        assert_eq!((e.kind(), e.aadsts()), (AuthenticationErrorKind::Other, None));
    }

    #[test]
    fn found_through_the_credential_error() {
        let aad = AuthenticationError::parse(400, br#"{"error":"invalid_grant"}"#).unwrap();
        let e =
            azkv_pipeline::Error::Credential { message: "x".into(), unavailable: false, source: Some(Box::new(aad)) };
        assert_eq!(AuthenticationError::of(&e).map(|a| a.kind()), Some(AuthenticationErrorKind::InvalidGrant));
        assert!(AuthenticationError::of(&azkv_pipeline::Error::credential("x")).is_none());
    }
}
