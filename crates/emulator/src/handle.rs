//! The running emulator, as seen by tests and the binary.

use crate::app::App;
use crate::clock::Clock;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running emulator, served on its own runtime (two worker threads), so it keeps answering while the
/// caller's thread blocks. Dropping it stops the server at once; [`EmulatorHandle::shutdown`] lets
/// in-flight requests finish first.
#[derive(Debug)]
pub struct EmulatorHandle {
    pub(crate) url: String,
    pub(crate) addr: SocketAddr,
    pub(crate) ca_pem: Option<String>,
    /// The served certificate's SHA-1 thumbprint (uppercase hex); `None` without TLS.
    pub(crate) server_thumbprint: Option<String>,
    pub(crate) ca_path: Option<std::path::PathBuf>,
    /// The private directory holding the CA file, removed on drop.
    pub(crate) _ca_temp: Option<crate::files::PrivateTempDir>,
    pub(crate) app: Arc<App>,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) task: Option<JoinHandle<()>>,
    /// The emulator's own runtime (the server never runs on the caller's).
    pub(crate) runtime: Option<tokio::runtime::Runtime>,
}

impl EmulatorHandle {
    /// The default vault's URL: `https://127.0.0.1:PORT` (or `http://` without TLS; `[::1]` for an IPv6 bind).
    ///
    /// The loopback IP is used rather than `localhost`, which may resolve to an address the emulator does
    /// not listen on. The certificate is also valid for `localhost`, `*.localhost` and `*.vault.azure.net`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of the named vault, `https://{name}.vault.azure.net:PORT`: resolve that host to
    /// [`EmulatorHandle::addr`] in the client (for example with reqwest's `resolve`) to keep the SDKs'
    /// challenge-resource check on.
    pub fn vault_url(&self, name: &str) -> String {
        format!("{}://{name}.vault.azure.net:{}", self.app.scheme, self.addr.port())
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM of this run's certificate authority, to trust in clients; `None` without TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Where the CA certificate (PEM) was written: [`crate::EmulatorBuilder::ca_out`], else
    /// `DATA_DIR/ca.pem`, else the private temp directory of [`crate::EmulatorBuilder::ca_temp_dir`];
    /// `None` when it was not written (or without TLS).
    pub fn ca_path(&self) -> Option<&std::path::Path> {
        self.ca_path.as_deref()
    }

    /// The managed-identity token endpoint (set it as `IDENTITY_ENDPOINT`).
    pub fn token_endpoint(&self) -> String {
        format!("{}/_emulator/msi/token", self.url)
    }

    /// The secret the token endpoint expects in `X-IDENTITY-HEADER` (set it as `IDENTITY_HEADER`).
    pub fn identity_header(&self) -> &str {
        &self.app.identity_header
    }

    /// The header a client sends to authenticate to the `/_emulator/` controls: `("x-identity-header", value)`.
    ///
    /// A bearer token from [`EmulatorHandle::issue_token`] works too. In [`crate::AuthMode::None`] the
    /// controls are open.
    pub fn control_header(&self) -> (&'static str, &str) {
        (crate::auth::CONTROL_HEADER, &self.app.identity_header)
    }

    /// How many Key Vault requests the emulator has answered (any status, challenges included;
    /// `/_emulator/` control requests are not counted). `POST /_emulator/reset` sets it back to 0;
    /// `GET /_emulator/stats` reads it over HTTP.
    pub fn requests_served(&self) -> u64 {
        self.app.requests_served.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The whole state as a JSON seed, the format of `GET /_emulator/export` (secret values included).
    pub fn export(&self) -> String {
        crate::controls::export(&self.app).to_string()
    }

    /// Replaces the whole state with a seed in the export format (validated first), as
    /// `POST /_emulator/import` does. Blocks on the disk write with a data directory.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Import`] for a malformed or invalid seed (nothing changed), [`crate::Error::Control`]
    /// when the data log cannot be written.
    pub fn import(&self, seed: &str) -> crate::Result<()> {
        crate::controls::import(&self.app, seed.as_bytes()).map_err(|e| match e.status.as_u16() {
            400 => crate::Error::Import(e.message),
            _ => crate::Error::Control(e.message),
        })
    }

    /// Removes every secret, fault and delay and the clock shift, and zeroes
    /// [`EmulatorHandle::requests_served`], as `POST /_emulator/reset` does.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Control`] when the data log cannot be written.
    pub fn reset(&self) -> crate::Result<()> {
        crate::controls::reset(&self.app).map_err(|e| crate::Error::Control(e.message))
    }

    /// Queues a fault for the next `count` authenticated Key Vault requests (after any already queued),
    /// as `POST /_emulator/faults` does.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Control`] when 1,024 entries are already queued.
    pub fn inject_fault(&self, fault: Fault, count: u32) -> crate::Result<()> {
        use crate::faults::FaultKind;
        let (kind, retry_after) = match fault {
            Fault::Throttle { retry_after_secs } => (FaultKind::Throttle, retry_after_secs),
            Fault::Unavailable { retry_after_secs } => (FaultKind::Unavailable, retry_after_secs),
            Fault::Error => (FaultKind::Error, 0),
            Fault::Drop => (FaultKind::Drop, 0),
        };
        crate::controls::push_fault(&self.app, kind, count, retry_after).map_err(|e| crate::Error::Control(e.message))
    }

    /// How many requests the queued faults will still hit.
    pub fn queued_faults(&self) -> u64 {
        crate::controls::queued_faults(&self.app)
    }

    /// Clears every queued fault (`DELETE /_emulator/faults`).
    pub fn clear_faults(&self) {
        crate::controls::clear_faults(&self.app);
    }

    /// Makes later deletions and recoveries visible only after a delay (`POST /_emulator/delay`);
    /// `None` removes it (`DELETE /_emulator/delay`).
    pub fn set_delay(&self, delay: Option<VisibilityDelay>) {
        let d = delay.map(|d| match d {
            VisibilityDelay::Secs(s) => crate::faults::Delay { secs: Some(s), polls: 0 },
            VisibilityDelay::Polls(p) => crate::faults::Delay { secs: None, polls: p },
        });
        crate::controls::set_delay(&self.app, d);
    }

    /// Moves the emulator clock by `secs` (negative: back) and returns the new time, as
    /// `POST /_emulator/clock` does; shorthand for `clock().advance(secs)`.
    pub fn advance_clock(&self, secs: i64) -> i64 {
        self.app.clock.advance(secs)
    }

    /// A cloneable source of tokens that strict mode accepts, for a credential that outlives a borrow
    /// of this handle.
    pub fn token_source(&self) -> TokenSource {
        TokenSource(self.app.clone())
    }

    /// Revokes every token issued so far (strict mode): each is refused with a 401 from now on,
    /// however long it still has to live, as the service refuses a revoked token. Tokens
    /// issued afterwards are accepted.
    pub fn revoke_tokens(&self) {
        self.app.issuer.revoke_all();
    }

    /// Mints a token the emulator accepts in strict mode, valid for one hour of emulator time.
    pub fn issue_token(&self) -> String {
        self.app.issuer.issue(crate::token::VAULT_AUDIENCE, self.app.clock.now(), crate::token::LIFETIME_SECS)
    }

    /// The emulator's clock (shared: advancing it here is what `POST /_emulator/clock` does).
    pub fn clock(&self) -> &Clock {
        &self.app.clock
    }

    /// Stops accepting connections and waits (up to 10 seconds) for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A fault for [`EmulatorHandle::inject_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 `Throttled` with `Retry-After`.
    Throttle {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// 503 `ServiceUnavailable` with `Retry-After`.
    Unavailable {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// 500 `InternalError`.
    Error,
    /// The connection is closed without a response.
    Drop,
}

/// A visibility delay for [`EmulatorHandle::set_delay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VisibilityDelay {
    /// Visible after this many emulator-clock seconds.
    Secs(i64),
    /// Visible after this many polls (GETs of the object) answered 404.
    Polls(u32),
}

/// Mints tokens the emulator accepts in strict mode (see [`EmulatorHandle::token_source`]).
/// `Debug` shows nothing of the signing key.
#[derive(Clone)]
pub struct TokenSource(Arc<App>);

impl TokenSource {
    /// A token valid for one hour of emulator time, and its expiry in emulator-clock Unix seconds.
    pub fn issue(&self) -> (String, i64) {
        let now = self.0.clock.now();
        let token = self.0.issuer.issue(crate::token::VAULT_AUDIENCE, now, crate::token::LIFETIME_SECS);
        (token, now.saturating_add(crate::token::LIFETIME_SECS))
    }

    /// The emulator's current time, in Unix seconds (to convert an expiry to wall time).
    pub fn now(&self) -> i64 {
        self.0.clock.now()
    }
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSource")
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            // Without `shutdown`, in-flight requests are cut off.
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn debug_shows_no_secret_value_or_identity_header() {
        let emulator = crate::Emulator::builder().auth(crate::AuthMode::None).tls(false).start().await.unwrap();
        let shown = format!("{emulator:?}");
        assert!(!shown.contains(emulator.identity_header()), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
        assert!(!shown.contains("store"), "the store (secret values) stays out: {shown}");
        emulator.shutdown().await;
    }
}
