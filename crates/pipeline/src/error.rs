//! The pipeline's one error type.

use std::fmt;

use crate::{Headers, StatusCode};

/// A boxed error kept as the `source` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The pipeline's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, and whether the request may have reached the server.
///
/// Every variant tells the caller what it can do next:
/// [`Error::Connection`] means the request was never sent, so it is safe to send again;
/// [`Error::Timeout`] and [`Error::Transport`] mean it may have been processed;
/// [`Error::Http`] carries the service's answer.
/// Messages never contain secret values, tokens or request bodies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection could not be made; the request did not reach the server.
    #[error("connection failed: {message}")]
    Connection {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The request was sent but the exchange broke off (reset, truncated body); it may have
    /// reached the server.
    #[error("transport error: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// A per-try timeout, the retry budget or the caller's deadline ran out.
    #[error("timed out: {message}")]
    Timeout {
        /// Which limit was reached.
        message: String,
    },
    /// The service answered with an error status.
    #[error("{0}")]
    Http(Box<HttpError>),
    /// A credential could not produce a token.
    #[error("credential error: {message}")]
    Credential {
        /// What failed; never contains a secret or token.
        message: String,
        /// Whether another credential may be tried (the source is not set up here), as
        /// opposed to a failed authentication.
        unavailable: bool,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// A response could not be decoded.
    #[error("could not decode {what}: {message}")]
    Decode {
        /// What was being decoded.
        what: String,
        /// Why it failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// An argument was refused before anything was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// An error response from the service, with secrets removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The service's error code, from the body's `error.code` or the `x-ms-error-code` header.
    pub code: Option<String>,
    /// The service's message, from the body's `error.message`.
    pub message: Option<String>,
    /// The innermost `innererror.code`, when the body has one (for example
    /// `ObjectIsDeletedButRecoverable` or `SecretDisabled`).
    pub inner_code: Option<String>,
    /// Response headers, with every header outside the logging allow-list redacted.
    pub headers: Headers,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " ({code}")?;
            if let Some(inner) = &self.inner_code {
                write!(f, "/{inner}")?;
            }
            write!(f, ")")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl Error {
    /// A [`Error::Connection`] with a source.
    pub fn connection(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Connection { message: message.into(), source: Some(source.into()) }
    }

    /// A [`Error::Transport`] with a source.
    pub fn transport(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Transport { message: message.into(), source: Some(source.into()) }
    }

    /// A [`Error::Timeout`].
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::Timeout { message: message.into() }
    }

    /// A failed authentication: a chain of credentials stops here.
    pub fn credential(message: impl Into<String>) -> Self {
        Self::Credential { message: message.into(), unavailable: false, source: None }
    }

    /// A credential that is not set up in this environment: a chain moves on.
    pub fn credential_unavailable(message: impl Into<String>) -> Self {
        Self::Credential { message: message.into(), unavailable: true, source: None }
    }

    /// A [`Error::Decode`] for `what`, with its source.
    pub fn decode(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Self::Decode { what: what.into(), message: source.to_string(), source: Some(source) }
    }

    /// A [`Error::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::InvalidArgument(message.into())
    }

    /// The HTTP status, for [`Error::Http`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Http(e) => Some(e.status),
            _ => None,
        }
    }

    /// The service's error code, for [`Error::Http`].
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Http(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// The service error, for [`Error::Http`].
    pub fn http(&self) -> Option<&HttpError> {
        match self {
            Self::Http(e) => Some(e),
            _ => None,
        }
    }

    /// Whether sending the same request again may succeed: connection and transport
    /// failures, timeouts, and the statuses the retry policy retries.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connection { .. } | Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Http(e) => crate::policies::retry::is_retryable_status(e.status),
            _ => false,
        }
    }

    /// Whether this is a credential that is not available here (a chain moves on).
    pub fn is_credential_unavailable(&self) -> bool {
        matches!(self, Self::Credential { unavailable: true, .. })
    }
}

impl From<HttpError> for Error {
    fn from(e: HttpError) -> Self {
        Self::Http(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_status_codes_and_message() {
        let e = Error::from(HttpError {
            status: StatusCode::CONFLICT,
            code: Some("Conflict".into()),
            message: Some("Secret is deleted".into()),
            inner_code: Some("ObjectIsDeletedButRecoverable".into()),
            headers: Headers::new(),
        });
        assert_eq!(e.to_string(), "HTTP 409 Conflict (Conflict/ObjectIsDeletedButRecoverable): Secret is deleted");
        assert_eq!(e.status(), Some(StatusCode::CONFLICT));
        assert_eq!(e.error_code(), Some("Conflict"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn retryable_kinds() {
        assert!(Error::timeout("x").is_retryable());
        assert!(Error::Connection { message: "x".into(), source: None }.is_retryable());
        assert!(!Error::invalid_argument("x").is_retryable());
        assert!(!Error::credential("x").is_retryable());
        assert!(Error::credential_unavailable("x").is_credential_unavailable());
    }
}
