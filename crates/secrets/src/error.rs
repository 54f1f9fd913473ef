//! Typed errors a caller can `match`.

use std::time::Duration;

pub use azkv_pipeline::HttpError as ServiceError;

/// The secrets client's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with a secrets operation.
///
/// Service errors carry the service's code, inner code and message
/// ([`ServiceError`], boxed so that a `Result` stays small); nothing here ever contains a
/// secret value or a token.
///
/// ```
/// # fn handle(err: azkv_secrets::Error) {
/// use azkv_secrets::Error;
/// match err {
///     Error::NotFound(e) => eprintln!("no such secret: {}", e.message.unwrap_or_default()),
///     Error::Conflict(e) if e.inner_code.as_deref() == Some("ObjectIsDeletedButRecoverable") => {
///         eprintln!("deleted but recoverable: recover or purge it first")
///     }
///     other => eprintln!("{other}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 404: no such secret, version or deleted secret.
    #[error("not found: {0}")]
    NotFound(Box<ServiceError>),
    /// 409: for example `ObjectIsDeletedButRecoverable`, or a restore onto an existing name.
    #[error("conflict: {0}")]
    Conflict(Box<ServiceError>),
    /// 401: the credential's token was refused.
    #[error("unauthorized: {0}; {UNAUTHORIZED_HINT}")]
    Unauthorized(Box<ServiceError>),
    /// 403: for example `SecretDisabled`, missing permissions, or purge protection.
    #[error("forbidden: {error}{hint}", error = .0, hint = forbidden_hint(.0))]
    Forbidden(Box<ServiceError>),
    /// 429: throttled even after the retries, with the service's requested wait.
    #[error("throttled: {error}")]
    Throttled {
        /// The service's answer.
        error: Box<ServiceError>,
        /// How long the service asked to wait.
        retry_after: Option<Duration>,
    },
    /// 400: the service refused the request's content.
    #[error("bad request: {0}")]
    BadRequest(Box<ServiceError>),
    /// Any other error status.
    #[error("service error: {0}")]
    Service(Box<ServiceError>),
    /// The request did not complete: connection refused or broken, timeout.
    #[error("{error}{hint}", error = .0, hint = transport_hint(.0))]
    Transport(azkv_pipeline::Error),
    /// A write (set, update, delete, recover, purge, restore) broke off after it may have
    /// reached the vault: it may have been applied, and it was not sent again because a second
    /// copy could apply it twice. Read the secret to find out.
    #[error("{0}")]
    OutcomeUnknown(azkv_pipeline::Error),
    /// No token could be had, or the vault's challenge was refused.
    #[error(transparent)]
    Credential(azkv_pipeline::Error),
    /// A response could not be decoded.
    #[error(transparent)]
    Decode(azkv_pipeline::Error),
    /// A name, version, value, tag or content type broke the service's rules; refused before
    /// any request was sent. The model error says which rule.
    #[error("invalid argument: {0}")]
    Validation(#[from] azkv_models::Error),
    /// Another argument (a vault URL, a continuation token, a page size, a request for another
    /// origin) was refused before any request was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The blocking client's private runtime could not start, has shut down, or its helper
    /// thread panicked.
    #[error("blocking client: {0}")]
    Runtime(String),
    /// A long-running operation did not finish within the poller's timeout.
    #[error("{operation} of `{name}` did not complete within {timeout:?}")]
    PollTimeout {
        /// `delete` or `recover`.
        operation: &'static str,
        /// The secret.
        name: String,
        /// The timeout that ran out.
        timeout: Duration,
    },
}

/// What to check after a 401.
const UNAUTHORIZED_HINT: &str = "the vault refused the token: check that the credential signs in to the vault's tenant and asks for the vault's audience";

fn forbidden_hint(error: &ServiceError) -> &'static str {
    match error.inner_code.as_deref() {
        Some("SecretDisabled") | Some("ForbiddenByPolicy") => "",
        _ => {
            "; the identity needs secrets permissions on this vault: an access policy (get, list, set, delete, ...) or the Key Vault Secrets User / Key Vault Secrets Officer role"
        }
    }
}

fn transport_hint(error: &azkv_pipeline::Error) -> &'static str {
    match error.connection_kind() {
        Some(azkv_pipeline::ConnectionErrorKind::NameNotFound) => " (is KEY_VAULT_NAME or the vault URL right?)",
        _ => "",
    }
}

impl Error {
    /// The error an unsuccessful `response` stands for; a 429's requested wait is computed
    /// once, here, with `now` from the client's injected clock.
    pub(crate) fn from_response(response: azkv_pipeline::Response, now: std::time::SystemTime) -> Self {
        let wait = azkv_pipeline::policies::retry_after(&response.headers, now);
        match Self::from(response.into_error()) {
            Self::Throttled { error, .. } => Self::Throttled { error, retry_after: wait },
            other => other,
        }
    }

    /// Whether an argument was refused before anything was sent ([`Error::Validation`] or
    /// [`Error::InvalidArgument`]).
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Self::Validation(_) | Self::InvalidArgument(_))
    }

    /// Whether this is an [`Error::OutcomeUnknown`]: a write that may have been applied.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown(_))
    }

    /// The HTTP status, for service errors.
    pub fn status(&self) -> Option<u16> {
        self.service_error().map(|e| e.status.as_u16())
    }

    /// The service's error code, for service errors.
    pub fn error_code(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.code.as_deref())
    }

    /// The service's inner error code (such as `SecretDisabled`), for service errors.
    pub fn inner_code(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.inner_code.as_deref())
    }

    /// The service's answer, for service errors.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Self::NotFound(e)
            | Self::Conflict(e)
            | Self::Unauthorized(e)
            | Self::Forbidden(e)
            | Self::BadRequest(e)
            | Self::Service(e)
            | Self::Throttled { error: e, .. } => Some(e),
            _ => None,
        }
    }
}

impl From<azkv_pipeline::Error> for Error {
    fn from(e: azkv_pipeline::Error) -> Self {
        use azkv_pipeline::Error as P;
        match e {
            P::Http(http) => {
                // Kept boxed, as the pipeline's error holds it: an `Error` stays small to move.
                match http.status.as_u16() {
                    400 => Self::BadRequest(http),
                    401 => Self::Unauthorized(http),
                    403 => Self::Forbidden(http),
                    404 => Self::NotFound(http),
                    409 => Self::Conflict(http),
                    // The wait is dated by the client's clock in `from_response`.
                    429 => Self::Throttled { error: http, retry_after: None },
                    _ => Self::Service(http),
                }
            }
            P::InvalidArgument(message) => Self::InvalidArgument(message),
            e @ P::Credential { .. } => Self::Credential(e),
            e @ P::Decode { .. } => Self::Decode(e),
            e @ P::OutcomeUnknown { .. } => Self::OutcomeUnknown(e),
            e => Self::Transport(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azkv_pipeline::{Headers, Response, StatusCode};

    fn from_status(status: u16, headers: Headers) -> Error {
        let body = serde_json::json!({"error": {"code": "C", "message": "m", "innererror": {"code": "I"}}});
        let mut resp = Response::json_body(StatusCode::from_u16(status).unwrap(), &body);
        resp.headers = headers;
        Error::from_response(resp, std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    }

    #[test]
    fn statuses_map_to_variants() {
        assert!(matches!(from_status(400, Headers::new()), Error::BadRequest(_)));
        assert!(matches!(from_status(401, Headers::new()), Error::Unauthorized(_)));
        assert!(matches!(from_status(403, Headers::new()), Error::Forbidden(_)));
        assert!(matches!(from_status(404, Headers::new()), Error::NotFound(_)));
        assert!(matches!(from_status(409, Headers::new()), Error::Conflict(_)));
        assert!(matches!(from_status(500, Headers::new()), Error::Service(_)));
        let mut h = Headers::new();
        h.insert("retry-after", "3");
        match from_status(429, h) {
            Error::Throttled { retry_after, error } => {
                assert_eq!(retry_after, Some(Duration::from_secs(3)));
                assert_eq!(error.inner_code.as_deref(), Some("I"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_dated_retry_after_counts_from_the_clients_clock() {
        let mut h = Headers::new();
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT: the clock `from_status` passes.
        h.insert("retry-after", "Tue, 14 Nov 2023 22:13:30 GMT");
        match from_status(429, h) {
            Error::Throttled { retry_after, .. } => assert_eq!(retry_after, Some(Duration::from_secs(10))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn helpers_read_the_service_error() {
        let e = from_status(409, Headers::new());
        assert_eq!(e.status(), Some(409));
        assert_eq!(e.error_code(), Some("C"));
        assert_eq!(e.inner_code(), Some("I"));
        assert_eq!(e.to_string(), "conflict: HTTP 409 Conflict (C/I): m");
    }
}
