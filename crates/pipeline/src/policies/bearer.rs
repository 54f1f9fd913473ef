//! A generic bearer-token policy with a cached, single-flight token.

use std::sync::Arc;

use async_trait::async_trait;
use url::Url;

use crate::time::TimeComponents;
use crate::{Context, Error, Policy, Request, Response, Result, TokenCache, TokenCredential, TokenRequestOptions};

/// Whether `url` is `https`, or `http` to a loopback host (`localhost`, 127.0.0.0/8, `::1`):
/// the only places a token may be sent.
pub fn is_secure_for_tokens(url: &Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url))
}

/// Whether `url`'s host is `localhost`, in 127.0.0.0/8, or `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Refuses to go on when `request` may not carry a token.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the scheme and host.
pub fn ensure_secure_for_tokens(request: &Request) -> Result<()> {
    if is_secure_for_tokens(&request.url) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "refusing to send a bearer token over {} to non-loopback host {}",
            request.url.scheme(),
            request.url.host_str().unwrap_or("(none)")
        )))
    }
}

/// Adds `Authorization: Bearer <token>` for fixed scopes. A per-try policy.
///
/// Refuses requests that are not `https` unless the host is loopback, before asking the
/// credential for anything.
#[derive(Debug)]
pub struct BearerTokenPolicy {
    scopes: Vec<String>,
    credential: Arc<dyn TokenCredential>,
    cache: TokenCache,
}

impl BearerTokenPolicy {
    /// A policy fetching tokens for `scopes` from `credential`.
    pub fn new(credential: Arc<dyn TokenCredential>, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::with_time(credential, scopes, TimeComponents::default())
    }

    /// The same, with an injected clock.
    pub fn with_time(
        credential: Arc<dyn TokenCredential>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
        time: TimeComponents,
    ) -> Self {
        Self { scopes: scopes.into_iter().map(Into::into).collect(), credential, cache: TokenCache::new(time) }
    }
}

#[async_trait]
impl Policy for BearerTokenPolicy {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        ensure_secure_for_tokens(request)?;
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let options = TokenRequestOptions::default();
        let token = self.cache.get_or_fetch(&scopes, &options, || self.credential.get_token(&scopes, &options)).await?;
        request.headers.insert("authorization", format!("Bearer {}", token.token.expose()));
        crate::policy::next(ctx, request, next).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in ["https://example.com", "http://localhost:8080", "http://127.0.0.2/", "http://[::1]:1/"] {
            assert!(is_secure_for_tokens(&Url::parse(ok).unwrap()), "{ok}");
        }
        for bad in ["http://example.com", "http://vault.localhost/", "http://10.0.0.1/", "ftp://localhost/"] {
            assert!(!is_secure_for_tokens(&Url::parse(bad).unwrap()), "{bad}");
        }
    }
}
