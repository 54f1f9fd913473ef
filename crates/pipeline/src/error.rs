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
/// [`Error::OutcomeUnknown`] is a write that may have been applied and was therefore not
/// sent again; [`Error::Http`] carries the service's answer.
///
/// Each message is one self-contained line: what failed, the host (never the query string),
/// the innermost cause and, for the common mistakes, a hint. The underlying error stays
/// available through [`Error::cause`] rather than as a `source`, so that printing the chain
/// (`{:#}` with anyhow) does not repeat it. Messages never contain secret values, tokens or
/// request bodies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection could not be made; the request did not reach the server.
    #[error("cannot connect to {host}: {message}{}", hint_suffix(kind.hint()))]
    Connection {
        /// Why the connection failed: a retry may help for some kinds, never for others.
        kind: ConnectionErrorKind,
        /// `host:port` of the destination.
        host: String,
        /// The innermost cause, in words.
        message: String,
        /// The underlying error.
        cause: Option<BoxError>,
    },
    /// The request was sent but the exchange broke off (reset, truncated body); it may have
    /// reached the server.
    #[error("transport error: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error.
        cause: Option<BoxError>,
    },
    /// A per-try timeout, the retry budget or the caller's deadline ran out.
    #[error("timed out: {message}")]
    Timeout {
        /// Which limit was reached.
        message: String,
    },
    /// A request that is not idempotent (PUT, POST, PATCH, DELETE) broke off after it may
    /// have reached the server: it may have been applied. It was not sent again, because a
    /// second copy could be applied twice (a second secret version, say). Read the resource
    /// to find out which.
    #[error("{method} {host}: the request may have been applied, so it was not retried ({error})")]
    OutcomeUnknown {
        /// The request's method.
        method: crate::Method,
        /// `host:port` of the destination.
        host: String,
        /// The failure: a [`Error::Timeout`] or [`Error::Transport`].
        error: Box<Error>,
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

fn hint_suffix(hint: Option<&'static str>) -> String {
    hint.map(|h| format!("; {h}")).unwrap_or_default()
}

/// Why a connection could not be made. The request never left, so it is safe to send
/// again; whether that can help depends on the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionErrorKind {
    /// Nothing listens on the port (connection refused).
    Refused,
    /// The connection was reset or closed before the request was sent.
    Reset,
    /// Opening the connection (TCP and TLS) took longer than the connect timeout.
    Timeout,
    /// The host name does not exist.
    NameNotFound,
    /// The name could not be resolved right now (no resolver answered, or it failed
    /// temporarily).
    NameLookupFailed,
    /// The server's certificate is not signed by a trusted root.
    TlsUntrusted,
    /// The server's certificate is not valid for the host name.
    TlsNameMismatch,
    /// The server's certificate has expired or is not valid yet.
    TlsExpired,
    /// The server's certificate is malformed, revoked or unsuitable.
    TlsBadCertificate,
    /// The TLS handshake failed for another reason (no common protocol or cipher, an alert
    /// from the server, a plain-HTTP server on an HTTPS URL).
    TlsHandshake,
    /// The proxy refused to open a tunnel to the destination: it wants credentials (401,
    /// 407) or forbids the destination (403). Another try cannot help.
    ProxyRefused,
    /// Any other failure to connect.
    Other,
}

impl ConnectionErrorKind {
    /// Whether another try can help: a refused, reset or timed-out connection can; a
    /// certificate or a name that does not exist cannot.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Refused | Self::Reset | Self::Timeout | Self::NameLookupFailed | Self::Other)
    }

    /// Whether this is a TLS failure.
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            Self::TlsUntrusted
                | Self::TlsNameMismatch
                | Self::TlsExpired
                | Self::TlsBadCertificate
                | Self::TlsHandshake
        )
    }

    /// What to check, for the common mistakes.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            Self::TlsUntrusted => Some(
                "to trust the server's CA, add it to the system's trust store, point SSL_CERT_FILE at a PEM bundle \
                 that holds it, or pass it to TransportOptions::with_root_certificate_pem",
            ),
            Self::TlsNameMismatch => Some("check the host name in the URL: the certificate names other hosts"),
            Self::TlsExpired => Some("check the server's certificate dates and this machine's clock"),
            Self::TlsBadCertificate => Some(
                "the server's certificate is malformed or unsuitable (a self-signed CA certificate serving as the \
                 server's own is refused): give the server a certificate issued by a CA, and trust that CA",
            ),
            Self::NameNotFound => Some("check the host name in the URL"),
            Self::NameLookupFailed => Some("check this machine's DNS settings and network"),
            Self::Refused => Some("check the URL's port and that the server is running"),
            Self::ProxyRefused => Some(
                "check the proxy's credentials (the user and password in the proxy URL, or \
                 ExplicitProxy::with_basic_auth) and that it lets this destination through",
            ),
            _ => None,
        }
    }
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
    /// A [`Error::Connection`] of `kind` to `host` (`host:port`), with the cause in words.
    pub fn connection(kind: ConnectionErrorKind, host: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Connection { kind, host: host.into(), message: message.into(), cause: None }
    }

    /// A [`Error::Transport`] with its underlying error.
    pub fn transport(message: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::Transport { message: message.into(), cause: Some(cause.into()) }
    }

    /// Attaches the underlying error of a [`Error::Connection`] or [`Error::Transport`]
    /// (read it back with [`Error::cause`]); other variants are returned unchanged.
    pub fn with_cause(mut self, error: impl Into<BoxError>) -> Self {
        if let Self::Connection { cause, .. } | Self::Transport { cause, .. } = &mut self {
            *cause = Some(error.into());
        }
        self
    }

    /// The underlying error of a [`Error::Connection`] or [`Error::Transport`] (for example
    /// a `std::io::Error` or a `rustls::Error` inside the transport's own error), or the
    /// source of the other variants.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Self::Connection { cause, .. } | Self::Transport { cause, .. } => cause.as_deref(),
            Self::OutcomeUnknown { error, .. } => error.cause(),
            Self::Credential { source, .. } | Self::Decode { source, .. } => source.as_deref(),
            _ => None,
        }
    }

    /// Whether this is an [`Error::OutcomeUnknown`]: a write that may have been applied.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown { .. })
    }

    /// The kind of a [`Error::Connection`].
    pub fn connection_kind(&self) -> Option<ConnectionErrorKind> {
        match self {
            Self::Connection { kind, .. } => Some(*kind),
            _ => None,
        }
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

    /// Whether sending the same request again may succeed: connection failures of a
    /// retryable kind, transport failures, timeouts, and the statuses the retry policy
    /// retries. Whether it is also *safe* depends on the request; see
    /// [`crate::policies::DefaultRetryClassifier`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connection { kind, .. } => kind.is_retryable(),
            Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Http(e) => crate::policies::is_retryable_status(e.status),
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
        assert!(Error::connection(ConnectionErrorKind::Refused, "h:1", "x").is_retryable());
        assert!(!Error::connection(ConnectionErrorKind::TlsUntrusted, "h:1", "x").is_retryable());
        assert!(!Error::connection(ConnectionErrorKind::NameNotFound, "h:1", "x").is_retryable());
        assert!(!Error::invalid_argument("x").is_retryable());
        assert!(!Error::credential("x").is_retryable());
        assert!(Error::credential_unavailable("x").is_credential_unavailable());
    }

    #[test]
    fn connection_errors_are_one_line_with_host_and_hint() {
        let e = Error::connection(
            ConnectionErrorKind::TlsUntrusted,
            "myvault.vault.azure.net:443",
            "invalid peer certificate: UnknownIssuer",
        )
        .with_cause(std::io::Error::other("inner"));
        let shown = e.to_string();
        assert!(
            shown.starts_with(
                "cannot connect to myvault.vault.azure.net:443: invalid peer certificate: UnknownIssuer; "
            ),
            "{shown}"
        );
        assert!(shown.contains("SSL_CERT_FILE") && shown.contains("with_root_certificate_pem"), "{shown}");
        assert!(!shown.contains('\n'));
        assert!(std::error::Error::source(&e).is_none(), "the cause is not repeated as a source");
        assert_eq!(e.cause().unwrap().to_string(), "inner");
        assert_eq!(e.connection_kind(), Some(ConnectionErrorKind::TlsUntrusted));
    }
}
