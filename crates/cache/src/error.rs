//! The cache's error: the vault's answer (shared by every reader of one fetch), a disabled
//! secret, a refused setting, or a missing runtime.

use std::sync::Arc;

/// The cache's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with a cached read or a write through the cache.
///
/// Cheap to clone: one fetch's error reaches every reader that waited for it, so the vault's
/// error is shared behind an `Arc`. Nothing here ever contains a secret value or a token.
///
/// ```
/// # fn handle(err: azkv_cache::Error) {
/// use azkv_cache::Error;
/// match &err {
///     e if e.is_not_found() => eprintln!("no such secret"),
///     Error::Vault(e) => eprintln!("the vault answered {:?}: {e}", e.status()),
///     other => eprintln!("{other}"),
/// }
/// # }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The vault's (or the client's) error, as `azkv_secrets` reports it.
    #[error(transparent)]
    Vault(Arc<azkv_secrets::Error>),
    /// The client returned a secret marked disabled; it was not cached.
    #[error("secret `{name}` is disabled")]
    Disabled {
        /// The secret's name.
        name: String,
    },
    /// A setting was refused at construction; nothing was built.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The cache could not run its fetch: no tokio runtime, or the fetch task ended without an
    /// answer (it panicked, or its runtime shut down).
    #[error("runtime error: {0}")]
    Runtime(String),
}

impl Error {
    /// The vault's error, when there is one.
    pub fn vault_error(&self) -> Option<&azkv_secrets::Error> {
        match self {
            Self::Vault(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the vault's answer, for service errors.
    pub fn status(&self) -> Option<u16> {
        self.vault_error().and_then(azkv_secrets::Error::status)
    }

    /// Whether the vault answered `NotFound` (possibly remembered by negative caching).
    pub fn is_not_found(&self) -> bool {
        matches!(self.vault_error(), Some(azkv_secrets::Error::NotFound(_)))
    }

    /// Whether the secret is disabled: the vault's `Forbidden` with inner code
    /// `SecretDisabled`, or a disabled secret returned by the client.
    pub fn is_disabled(&self) -> bool {
        matches!(self, Self::Disabled { .. })
            || self.vault_error().and_then(|e| e.inner_code()) == Some("SecretDisabled")
    }
}

impl From<azkv_secrets::Error> for Error {
    fn from(e: azkv_secrets::Error) -> Self {
        Self::Vault(Arc::new(e))
    }
}

/// What a failed fetch means for the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Throttling, 5xx, transport, timeout, credential: keep serving the value up to
    /// `max_stale`.
    Transient,
    /// `NotFound`: evict (and remember it, with negative caching on).
    NotFound,
    /// Anything else (`Forbidden` and a disabled secret among them): evict at once.
    Evict,
}

pub(crate) fn classify(e: &azkv_secrets::Error) -> Failure {
    use azkv_secrets::Error as E;
    match e {
        E::NotFound(_) => Failure::NotFound,
        E::Throttled { .. } | E::Transport(_) | E::Credential(_) => Failure::Transient,
        E::Service(s) if s.status.is_server_error() || s.status.as_u16() == 408 => Failure::Transient,
        _ => Failure::Evict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azkv_pipeline::{Headers, HttpError, StatusCode};

    pub(crate) fn http(status: u16, inner: Option<&str>) -> Box<HttpError> {
        Box::new(HttpError {
            status: StatusCode::from_u16(status).unwrap(),
            code: Some("Code".into()),
            message: Some("message".into()),
            inner_code: inner.map(str::to_owned),
            headers: Headers::new(),
        })
    }

    #[test]
    fn failures_are_classified() {
        use azkv_secrets::Error as E;
        assert_eq!(classify(&E::NotFound(http(404, None))), Failure::NotFound);
        assert_eq!(classify(&E::Forbidden(http(403, Some("SecretDisabled")))), Failure::Evict);
        assert_eq!(classify(&E::Unauthorized(http(401, None))), Failure::Evict);
        assert_eq!(classify(&E::Throttled { error: http(429, None), retry_after: None }), Failure::Transient);
        assert_eq!(classify(&E::Service(http(503, None))), Failure::Transient);
        assert_eq!(classify(&E::Service(http(500, None))), Failure::Transient);
        assert_eq!(classify(&E::Service(http(405, None))), Failure::Evict);
        assert_eq!(classify(&E::Transport(azkv_pipeline::Error::timeout("t"))), Failure::Transient);
        assert_eq!(classify(&E::Credential(azkv_pipeline::Error::credential("c"))), Failure::Transient);
        assert_eq!(classify(&E::BadRequest(http(400, None))), Failure::Evict);
    }

    #[test]
    fn helpers() {
        let e = Error::from(azkv_secrets::Error::Forbidden(http(403, Some("SecretDisabled"))));
        assert!(e.is_disabled() && !e.is_not_found());
        assert_eq!(e.status(), Some(403));
        assert!(Error::from(azkv_secrets::Error::NotFound(http(404, None))).is_not_found());
        assert!(Error::Disabled { name: "n".into() }.is_disabled());
        assert_eq!(
            Error::InvalidArgument("capacity must be at least 1".into()).to_string(),
            "invalid argument: capacity must be at least 1"
        );
    }
}
