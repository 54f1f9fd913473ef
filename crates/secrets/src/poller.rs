//! Pollers for the long-running operations: delete and recover.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use crate::{Error, Result, SecretClient};

/// What a poller checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollKind {
    /// `GET /deletedsecrets/{name}` until it stops answering 404.
    Delete,
    /// `GET /secrets/{name}/` until it stops answering 404.
    Recover,
}

impl PollKind {
    fn name(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Recover => "recover",
        }
    }
}

/// A long-running operation: its first result at once ([`Poller::result`]), its completion
/// when awaited.
///
/// Awaiting polls every `poll_interval` (404 means pending; 200 or 403 mean done) until the
/// client's `poll_timeout` runs out, then fails with [`Error::PollTimeout`]. An operation the
/// service reports complete at once (a delete without `recoveryId`) needs no polling.
///
/// ```no_run
/// # async fn f(client: azkv_secrets::SecretClient) -> azkv_secrets::Result<()> {
/// let poller = client.begin_delete_secret("db-password").await?;
/// println!("deletion scheduled: {:?}", poller.result().scheduled_purge_date);
/// let deleted = poller.await?; // waits until the deletion is visible
/// # Ok(()) }
/// ```
pub struct Poller<T> {
    result: T,
    pending: Option<(SecretClient, PollKind, String)>,
}

impl<T> Poller<T> {
    /// A finished operation (for tests and mocks).
    pub fn done(result: T) -> Self {
        Self { result, pending: None }
    }

    pub(crate) fn pending(result: T, client: SecretClient, kind: PollKind, name: String) -> Self {
        Self { result, pending: Some((client, kind, name)) }
    }

    /// The operation's first result.
    pub fn result(&self) -> &T {
        &self.result
    }

    /// Whether the operation may still be running.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Waits for completion and returns the first result.
    ///
    /// # Errors
    /// [`Error::PollTimeout`], or any error of the status request other than 404 and 403.
    pub async fn wait(self) -> Result<T> {
        let Some((client, kind, name)) = self.pending else { return Ok(self.result) };
        let options = client.poll_settings();
        let time = client.time();
        let mut waited = Duration::ZERO;
        loop {
            let status = match kind {
                PollKind::Delete => client.status_deleted(&name).await,
                PollKind::Recover => client.status_secret(&name).await,
            };
            match status {
                Ok(()) | Err(Error::Forbidden(_)) => return Ok(self.result),
                Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
            if waited >= options.1 {
                return Err(Error::PollTimeout { operation: kind.name(), name, timeout: options.1 });
            }
            let step = options.0.min(options.1 - waited).max(Duration::from_millis(1));
            time.sleep.sleep(step).await;
            waited += step;
        }
    }
}

impl<T: Send + 'static> IntoFuture for Poller<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}

impl<T: fmt::Debug> fmt::Debug for Poller<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller").field("result", &self.result).field("pending", &self.is_pending()).finish()
    }
}
