//! The name-resolution seam of the built-in transports.

use std::fmt;
use std::net::SocketAddr;

use async_trait::async_trait;

/// Why a host name could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The name does not exist (`NXDOMAIN`): no retry can help.
    #[error("no such host `{host}`")]
    NotFound {
        /// The name asked for.
        host: String,
    },
    /// The resolver could not answer now: it may on a later try.
    #[error("cannot resolve `{host}` now: {message}")]
    Temporary {
        /// The name asked for.
        host: String,
        /// What the resolver said.
        message: String,
    },
}

/// Resolves host names for the default transport ([`super::default_transport`]) and
/// `ReqwestTransport` (feature `reqwest`), in place of the system resolver.
///
/// A seam for tests (a resolver that answers "no such host" without touching the network)
/// and for applications with their own DNS. Overrides from
/// [`super::TransportOptions::with_resolve`] still apply on top of it.
///
/// ```
/// use std::net::SocketAddr;
/// use azkv_pipeline::transport::{Resolve, ResolveError};
///
/// #[derive(Debug)]
/// struct NoSuchHost;
///
/// #[async_trait::async_trait]
/// impl Resolve for NoSuchHost {
///     async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, ResolveError> {
///         Err(ResolveError::NotFound { host: host.to_owned() })
///     }
/// }
/// ```
#[async_trait]
pub trait Resolve: Send + Sync + fmt::Debug {
    /// The addresses of `host` (the port is replaced by the URL's).
    async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, ResolveError>;
}

/// Adapts a [`Resolve`] to reqwest's resolver trait.
#[cfg(feature = "reqwest")]
pub(crate) struct ReqwestResolver(pub(crate) std::sync::Arc<dyn Resolve>);

#[cfg(feature = "reqwest")]
impl reqwest::dns::Resolve for ReqwestResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.0.clone();
        Box::pin(async move {
            let addrs = resolver.resolve(name.as_str()).await?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}
