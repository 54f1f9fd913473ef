//! A blocking client for code without an async runtime (feature `blocking`).
//!
//! ```no_run
//! # fn f(credential: std::sync::Arc<dyn azkv_pipeline::TokenCredential>) -> azkv_secrets::Result<()> {
//! use azkv_secrets::blocking::SecretClient;
//! let client = SecretClient::new("https://myvault.vault.azure.net", credential, None)?;
//! client.set_secret("db-password", "hunter2", None)?;
//! println!("{}", client.get_secret("db-password")?.value());
//! for secret in client.list_properties_of_secrets(None) {
//!     println!("{}", secret?.name);
//! }
//! client.begin_delete_secret("db-password")?.wait()?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;

use azkv_pipeline::{Request, Response, TokenCredential};
use futures::StreamExt;

use crate::{
    DeletedSecret, Error, KeyVaultSecret, ListOptions, Page, Result, SecretClientOptions, SecretProperties,
    SetSecretOptions, UpdateSecretProperties,
};

/// The blocking secrets client: the async client driven by a private single-threaded runtime.
///
/// Use it from ordinary threads. It also works from a thread that belongs to another tokio
/// runtime (`spawn_blocking`); calling it from an async task blocks that task's worker thread,
/// so prefer the async client there.
#[derive(Debug, Clone)]
pub struct SecretClient {
    inner: crate::SecretClient,
    runtime: Arc<Runtime>,
}

/// The private runtime; dropping it inside an async context shuts it down in the background
/// instead of panicking, as tokio would.
#[derive(Debug)]
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn new() -> Result<Arc<Self>> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| Arc::new(Self(Some(rt))))
            .map_err(|e| Error::Runtime(format!("cannot start its runtime: {e}")))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            rt.shutdown_background();
        }
    }
}

/// Drives `future` to completion on the private runtime. Inside another runtime's context
/// (a `spawn_blocking` thread, or an async task) it runs on a scoped helper thread, because
/// tokio forbids nesting runtimes on one thread.
fn block_on<F>(runtime: &Runtime, future: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let Some(rt) = &runtime.0 else {
        return Err(Error::Runtime("its runtime has shut down".into()));
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(rt.block_on(future));
    }
    std::thread::scope(|scope| scope.spawn(|| rt.block_on(future)).join())
        .map_err(|_| Error::Runtime("its helper thread panicked".into()))
}

impl SecretClient {
    /// A blocking client; see [`crate::SecretClient::new`].
    ///
    /// # Errors
    /// As [`crate::SecretClient::new`], or when the runtime cannot start.
    pub fn new(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        options: Option<SecretClientOptions>,
    ) -> Result<Self> {
        let runtime = Runtime::new()?;
        let inner = crate::SecretClient::new(vault_url, credential, options)?;
        Ok(Self { inner, runtime })
    }

    /// Wraps an async client.
    ///
    /// # Errors
    /// When the runtime cannot start.
    pub fn from_async(inner: crate::SecretClient) -> Result<Self> {
        Ok(Self { inner, runtime: Runtime::new()? })
    }

    /// The async client inside.
    pub fn as_async(&self) -> &crate::SecretClient {
        &self.inner
    }

    fn run<T: Send>(&self, future: impl Future<Output = Result<T>> + Send) -> Result<T> {
        block_on(&self.runtime, future)?
    }

    /// See [`crate::SecretClient::send_request`].
    ///
    /// # Errors
    /// As the async operation.
    pub fn send_request(&self, request: Request) -> Result<Response> {
        self.run(self.inner.send_request(request))
    }

    /// See [`crate::SecretClient::vault_request`].
    ///
    /// # Errors
    /// As the async method.
    pub fn vault_request(&self, method: azkv_pipeline::Method, path_and_query: &str) -> Result<Request> {
        self.inner.vault_request(method, path_and_query)
    }
}

macro_rules! define_blocking {
    (
        calls {
            $($id:ident => $name:ident $(<$lt:lifetime>)? ($($arg:ident: [$($ty:tt)*]),* $(,)?) -> [$($ret:tt)*];)*
        }
        lists {
            $($lid:ident => $lname:ident ($($larg:ident: [$($lty:tt)*]),* $(,)?) -> [$($lret:tt)*];)*
        }
    ) => {
        impl SecretClient {
            $(
                #[doc = concat!("See [`crate::SecretClient::", stringify!($name), "`].")]
                ///
                /// # Errors
                /// As the async operation, or [`Error::Runtime`] when the client's runtime is gone.
                pub fn $name $(<$lt>)? (&self, $($arg: $($ty)*),*) -> Result<$($ret)*> {
                    let output = self.run(self.inner.$name($($arg),*))?;
                    Ok(Blocking::from_async(output, &self.runtime))
                }
            )*
            $(
                #[doc = concat!("See [`crate::SecretClient::", stringify!($lname), "`]: an iterator fetching pages.")]
                pub fn $lname(&self, $($larg: $($lty)*),*) -> Iter<$($lret)*> {
                    Iter { pager: self.inner.$lname($($larg),*), runtime: self.runtime.clone(), refused: false }
                }
            )*
        }
    };
}
crate::operations::with_operations!(define_blocking);

/// How an async operation's output becomes the blocking face's: a poller gets the runtime,
/// anything else is itself.
trait Blocking<Async> {
    fn from_async(output: Async, runtime: &Arc<Runtime>) -> Self;
}

impl<T> Blocking<T> for T {
    fn from_async(output: T, _: &Arc<Runtime>) -> Self {
        output
    }
}

impl<T> Blocking<crate::Poller<T>> for Poller<T> {
    fn from_async(inner: crate::Poller<T>, runtime: &Arc<Runtime>) -> Self {
        Poller { inner, runtime: runtime.clone() }
    }
}

/// A blocking listing: an iterator of items; [`Iter::pages`] for pages.
#[derive(Debug)]
pub struct Iter<T> {
    pager: crate::Pager<T>,
    runtime: Arc<Runtime>,
    refused: bool,
}

impl<T: Send + 'static> Iter<T> {
    /// The pages instead of the items, each with its continuation token.
    pub fn pages(self) -> impl Iterator<Item = Result<Page<T>>> {
        let runtime = self.runtime;
        let mut pages = Box::pin(self.pager.into_pages());
        let mut refused = false;
        std::iter::from_fn(move || {
            if refused {
                return None;
            }
            block_on(&runtime, pages.next()).unwrap_or_else(|e| {
                refused = true;
                Some(Err(e))
            })
        })
    }
}

impl<T: Send + 'static> Iterator for Iter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.refused {
            return None;
        }
        block_on(&self.runtime, self.pager.next()).unwrap_or_else(|e| {
            self.refused = true;
            Some(Err(e))
        })
    }
}

/// A blocking poller.
#[derive(Debug)]
pub struct Poller<T> {
    inner: crate::Poller<T>,
    runtime: Arc<Runtime>,
}

impl<T: Send> Poller<T> {
    /// The operation's first result.
    pub fn result(&self) -> &T {
        self.inner.result()
    }

    /// Blocks until the operation completes.
    ///
    /// # Errors
    /// As [`crate::Poller::wait`].
    pub fn wait(self) -> Result<T> {
        block_on(&self.runtime, self.inner.wait())?
    }
}
