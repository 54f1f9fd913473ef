//! Error responses in the service's shape, and the crate's start-up error.

use http::StatusCode;
use serde_json::{Value, json};

/// An error answered to a client: status, service code, message and optional inner code.
///
/// Rendered as `{"error":{"code","message","innererror":{"code"}}}`, the body Key Vault sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) inner: Option<&'static str>,
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), inner: None, headers: Vec::new() }
    }

    pub(crate) fn with_inner(mut self, inner: &'static str) -> Self {
        self.inner = Some(inner);
        self
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn bad_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadParameter", message)
    }

    pub(crate) fn secret_not_found(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "SecretNotFound",
            format!(
                "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret \
                 you may be able to recover it using the correct recovery command. For help resolving this issue, \
                 please see https://go.microsoft.com/fwlink/?linkid=2125182"
            ),
        )
    }

    pub(crate) fn deleted_secret_not_found(name: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "SecretNotFound", format!("Deleted Secret not found: {name}"))
    }

    pub(crate) fn disabled() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", "Operation get is not allowed on a disabled secret.")
            .with_inner("SecretDisabled")
    }

    pub(crate) fn deleted_but_recoverable(name: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this \
                 state, the secret can only be recovered or purged."
            ),
        )
        .with_inner("ObjectIsDeletedButRecoverable")
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(inner) = self.inner {
            error["innererror"] = json!({ "code": inner });
        }
        json!({ "error": error })
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding the listening socket failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Generating the CA or leaf certificate, or configuring TLS, failed.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The data directory or its log could not be read, written or trusted.
    #[error("persistence error: {0}")]
    Persistence(String),
    /// A seed (`import`) was refused: malformed JSON or data that breaks an invariant. Nothing changed.
    #[error("invalid seed: {0}")]
    Import(String),
    /// A test control failed (for example, the data log could not be written).
    #[error("control failed: {0}")]
    Control(String),
    /// Another emulator holds the lock on this data directory.
    #[error("the data directory {} is in use by another emulator", .0.display())]
    Locked(std::path::PathBuf),
    /// An option is out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
}

/// The result type of this crate's fallible start-up functions.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_service_shape() {
        let body = ApiError::disabled().body();
        assert_eq!(body["error"]["code"], "Forbidden");
        assert_eq!(body["error"]["innererror"]["code"], "SecretDisabled");
        let plain = ApiError::bad_parameter("x").body();
        assert!(plain["error"].get("innererror").is_none());
    }
}
