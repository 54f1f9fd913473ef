//! A generic bearer-token policy with a cached, single-flight token.

use std::sync::Arc;

use async_trait::async_trait;
use url::Url;

use crate::time::TimeComponents;
use crate::{AccessToken, Context, Error, Policy, Request, Response, Result, TokenCredential, TokenRequestOptions};

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

/// A cached token shared by concurrent requests: one fetch at a time, refreshed at
/// [`AccessToken::refresh_at`], and a still-valid token kept when a refresh fails.
#[derive(Debug)]
pub struct TokenCache {
    credential: Arc<dyn TokenCredential>,
    time: TimeComponents,
    slot: tokio::sync::Mutex<Option<AccessToken>>,
}

impl TokenCache {
    /// A cache in front of `credential`.
    pub fn new(credential: Arc<dyn TokenCredential>, time: TimeComponents) -> Self {
        Self { credential, time, slot: tokio::sync::Mutex::new(None) }
    }

    /// A token for `scopes`: the cached one while it is fresh, else a new one (one fetch for
    /// all concurrent callers).
    ///
    /// # Errors
    /// The credential's error, when no still-valid token is cached.
    pub async fn get(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let mut slot = self.slot.lock().await;
        let now = self.time.now_utc();
        if let Some(token) = slot.as_ref().filter(|t| now < t.refresh_at()) {
            return Ok(token.clone());
        }
        match self.credential.get_token(scopes, options).await {
            Ok(token) => {
                *slot = Some(token.clone());
                Ok(token)
            }
            Err(e) => match slot.as_ref().filter(|t| now < t.expires_on) {
                Some(still_valid) => {
                    tracing::warn!(error = %e, "token refresh failed; using the cached token until it expires");
                    Ok(still_valid.clone())
                }
                None => Err(e),
            },
        }
    }

    /// Fetches a new token whatever the cache holds (for example with a claims challenge) and
    /// caches it.
    ///
    /// # Errors
    /// The credential's error; the cached token is then forgotten.
    pub async fn refresh(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let mut slot = self.slot.lock().await;
        *slot = None;
        let token = self.credential.get_token(scopes, options).await?;
        *slot = Some(token.clone());
        Ok(token)
    }

    /// Forgets the cached token (for example after the service rejected it).
    pub async fn clear(&self) {
        *self.slot.lock().await = None;
    }
}

/// Adds `Authorization: Bearer <token>` for fixed scopes. A per-try policy.
///
/// Refuses requests that are not `https` unless the host is loopback, before asking the
/// credential for anything.
#[derive(Debug)]
pub struct BearerTokenPolicy {
    scopes: Vec<String>,
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
        Self { scopes: scopes.into_iter().map(Into::into).collect(), cache: TokenCache::new(credential, time) }
    }
}

#[async_trait]
impl Policy for BearerTokenPolicy {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        ensure_secure_for_tokens(request)?;
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let token = self.cache.get(&scopes, &TokenRequestOptions::default()).await?;
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
