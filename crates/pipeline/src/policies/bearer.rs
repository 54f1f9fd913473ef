//! The bearer-token policy: secure transport only, a cached single-flight token, and a
//! challenge hook for services that name the token they want in a `401`.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use url::Url;

use crate::time::TimeComponents;
use crate::token_cache::TokenCache;
use crate::{Context, Error, Policy, Request, Response, Result, StatusCode, TokenCredential, TokenRequestOptions};

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

/// What a bearer policy asks the credential for: scopes and request options (the tenant, and
/// claims or a refresh when the service asked for them).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenTarget {
    /// The scopes of the token.
    pub scopes: Vec<String>,
    /// The tenant, claims and refresh signal.
    pub options: TokenRequestOptions,
}

impl TokenTarget {
    /// A token for `scopes` with default options.
    pub fn new(scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self { scopes: scopes.into_iter().map(Into::into).collect(), options: TokenRequestOptions::default() }
    }

    /// The same, in `tenant_id`.
    pub fn with_tenant(mut self, tenant_id: Option<String>) -> Self {
        self.options.tenant_id = tenant_id;
        self
    }
}

/// A service's challenge protocol, plugged into [`BearerTokenPolicy`] (in the spirit of
/// azure_core's `OnChallenge`): which token a request needs, and what a `401` answer says.
///
/// **When**: [`OnChallenge::target`] before every try; [`OnChallenge::on_challenge`] after a
/// `401`, with or without a token on the request.
/// **Available information**: the request as it will be sent; the `401` response.
/// **Error behaviour**: an error from either ends the try with that error, and no token is
/// requested or sent.
pub trait OnChallenge: Send + Sync + fmt::Debug {
    /// The token `request` needs, when known; `None` sends it first without a token and
    /// without its body, to learn the target from the `401` challenge. Called before every
    /// try, so it hands out a shared target rather than building one.
    fn target(&self, request: &Request) -> Option<Arc<TokenTarget>>;

    /// The token to try after `response`, a `401` to `request`. Refusing (an error) sends no
    /// token: for example when the challenge names a resource that is not the server's own.
    ///
    /// # Errors
    /// Whatever makes the challenge unacceptable.
    fn on_challenge(&self, request: &Request, response: &Response) -> Result<TokenTarget>;
}

/// The [`OnChallenge`] of a service without a challenge protocol: always the same scopes.
#[derive(Debug, Clone)]
pub struct FixedScopes(Arc<TokenTarget>);

impl FixedScopes {
    /// Always a token for `scopes`.
    pub fn new(scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self(Arc::new(TokenTarget::new(scopes)))
    }
}

impl OnChallenge for FixedScopes {
    fn target(&self, _request: &Request) -> Option<Arc<TokenTarget>> {
        Some(self.0.clone())
    }

    fn on_challenge(&self, _request: &Request, _response: &Response) -> Result<TokenTarget> {
        Ok(TokenTarget::clone(&self.0))
    }
}

/// The claims of a continuous-access-evaluation challenge in `response`'s `WWW-Authenticate`,
/// base64-decoded when encoded.
pub fn claims_challenge(response: &Response) -> Option<String> {
    use base64::Engine;
    let header = response.headers.get("www-authenticate")?;
    let challenges = crate::www_authenticate::parse_challenges(header);
    let claims = challenges.iter().find_map(|c| c.param("claims"))?;
    let engines = [base64::engine::general_purpose::STANDARD, base64::engine::general_purpose::URL_SAFE_NO_PAD];
    let decoded = engines
        .iter()
        .find_map(|e| e.decode(claims.trim_end_matches('=')).ok().or_else(|| e.decode(claims).ok()))
        .and_then(|b| String::from_utf8(b).ok());
    Some(decoded.unwrap_or_else(|| claims.to_owned()))
}

/// Adds `Authorization: Bearer <token>`: the one bearer path of every azkv client. A per-try
/// policy.
///
/// - Refuses requests that are not `https` unless the host is loopback, before asking the
///   credential for anything.
/// - Asks its [`OnChallenge`] which token a request needs; when that is not known yet, sends
///   the request without a token and without its body, and learns it from the `401`.
/// - Tokens come from a [`TokenCache`] (refresh ahead, single flight).
/// - After a `401` to a request that carried a token, asks the challenge again and retries
///   once: with the claims the service sent, or with [`TokenRequestOptions::refresh`] so that
///   the cache and the credential fetch a new token rather than the rejected one (at most one
///   forced fetch per [`crate::token_cache::MIN_FORCED_REFRESH_INTERVAL`]).
///
/// While one request is learning the target (its bodiless send is out), others that find it
/// unknown wait for that one and then look again, so that a burst of calls on a new client
/// sends one bodiless request, not one each, and opens one connection before the rest follow
/// (the transport cannot know in advance that the connection will be HTTP/2 and shared). If
/// that request learns nothing, the waiters learn for themselves, all at once.
#[derive(Debug)]
pub struct BearerTokenPolicy {
    credential: Arc<dyn TokenCredential>,
    challenge: Arc<dyn OnChallenge>,
    cache: TokenCache,
    learning: Learning,
}

/// The bodiless send in flight, if any: the [`tokio::sync::Notify`] its waiters wait on.
#[derive(Debug, Default)]
struct Learning(std::sync::Mutex<Option<Arc<tokio::sync::Notify>>>);

/// What a request that found its target unknown does.
enum Turn<'a> {
    /// Learns it: no one else is; the guard releases the waiters when dropped.
    Learn(Learner<'a>),
    /// Waits for the request that is learning it.
    Wait(tokio::sync::futures::OwnedNotified),
}

impl Learning {
    fn turn(&self) -> Turn<'_> {
        let mut slot = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*slot {
            // Created under the lock, so the learner's `notify_waiters` cannot come first.
            Some(notify) => Turn::Wait(notify.clone().notified_owned()),
            None => {
                *slot = Some(Arc::new(tokio::sync::Notify::new()));
                Turn::Learn(Learner(self))
            }
        }
    }
}

/// The learning request's turn; ends (releasing the waiters) when dropped, whether it learnt
/// the target, failed, or was cancelled.
struct Learner<'a>(&'a Learning);

impl Drop for Learner<'_> {
    fn drop(&mut self) {
        let notify = self.0.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(notify) = notify {
            notify.notify_waiters();
        }
    }
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
        Self::with_challenge(credential, Arc::new(FixedScopes::new(scopes)), time)
    }

    /// A policy following `challenge`'s protocol.
    pub fn with_challenge(
        credential: Arc<dyn TokenCredential>,
        challenge: Arc<dyn OnChallenge>,
        time: TimeComponents,
    ) -> Self {
        Self { credential, challenge, cache: TokenCache::new(time), learning: Learning::default() }
    }

    /// The target of a request whose target is unknown: learnt from the `401` to a bodiless
    /// send (`Err` holds any other answer, which goes back as it is). One request learns it
    /// while the others wait (see the type's docs); either way, look again first: it may have
    /// been learnt meanwhile.
    async fn learn_target(
        &self,
        ctx: &Context,
        restore: &mut Restore<'_>,
        next: &[Arc<dyn Policy>],
    ) -> Result<std::result::Result<Arc<TokenTarget>, Response>> {
        let learner = match self.learning.turn() {
            Turn::Wait(learnt) => {
                learnt.await;
                None
            }
            Turn::Learn(learner) => Some(learner),
        };
        if let Some(target) = self.challenge.target(restore.request) {
            return Ok(Ok(target));
        }
        let response = restore.send_bodiless(ctx, next).await?;
        if response.status != StatusCode::UNAUTHORIZED {
            return Ok(Err(response));
        }
        let target = Arc::new(self.challenge.on_challenge(restore.request, &response)?);
        drop(learner);
        Ok(Ok(target))
    }

    async fn send_with_token(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
        target: &TokenTarget,
    ) -> Result<Response> {
        // One scope (every Key Vault token) needs no vector.
        let (one, many): ([&str; 1], Vec<&str>);
        let scopes: &[&str] = match target.scopes.as_slice() {
            [scope] => {
                one = [scope.as_str()];
                &one
            }
            all => {
                many = all.iter().map(String::as_str).collect();
                &many
            }
        };
        let options = &target.options;
        // The cached token's header, prepared once per token; else the full path (which may
        // fetch, and serves a stale token while a refresh fails).
        if let Some(value) = self.cache.fresh_bearer(scopes, options) {
            request.headers.insert_value(http::header::AUTHORIZATION, value);
            return crate::policies::policy::next(ctx, request, next).await;
        }
        let token = self.cache.get_or_fetch(scopes, options, || self.credential.get_token(scopes, options)).await?;
        // A token HTTP does not allow is set as text, and the transport refuses the request
        // naming the header.
        match crate::token_cache::bearer_value(token.token.expose()) {
            Some(value) => request.headers.insert_value(http::header::AUTHORIZATION, value),
            None => request.headers.insert("authorization", format!("Bearer {}", token.token.expose())),
        }
        crate::policies::policy::next(ctx, request, next).await
    }
}

/// The request a bearer policy was given, put back as it was when the call ends or is dropped:
/// the `Authorization` values it had (usually none) and, after a bodiless first send, the body
/// with its `Content-Type` and `Content-Length`. So the policy restores what it changes, and a
/// retry policy above it needs no copy of the request.
struct Restore<'a> {
    request: &'a mut Request,
    /// Empty (no allocation) unless the caller set its own.
    authorization: Vec<http::HeaderValue>,
    /// The body and its two headers, while a bodiless send has them out.
    body: Option<(bytes::Bytes, Option<http::HeaderValue>, Option<http::HeaderValue>)>,
}

impl<'a> Restore<'a> {
    fn new(request: &'a mut Request) -> Self {
        let authorization =
            request.headers.as_header_map().get_all(http::header::AUTHORIZATION).iter().cloned().collect();
        Self { request, authorization, body: None }
    }

    /// Sends the request without its body (and so without its content type), then puts the
    /// body back: a challenge is learnt before any payload travels.
    async fn send_bodiless(&mut self, ctx: &Context, next: &[Arc<dyn Policy>]) -> Result<Response> {
        let headers = &mut self.request.headers;
        let (content_type, content_length) = (headers.take("content-type"), headers.take("content-length"));
        self.body = Some((std::mem::take(&mut self.request.body), content_type, content_length));
        self.request.headers.insert_value(http::header::CONTENT_LENGTH, http::HeaderValue::from_static("0"));
        let outcome = crate::policies::policy::next(ctx, self.request, next).await;
        self.put_body_back();
        outcome
    }

    fn put_body_back(&mut self) {
        if let Some((body, content_type, content_length)) = self.body.take() {
            self.request.body = body;
            set(&mut self.request.headers, http::header::CONTENT_TYPE, content_type);
            set(&mut self.request.headers, http::header::CONTENT_LENGTH, content_length);
        }
    }
}

/// Sets `name` to `value`, or removes it for `None`.
fn set(headers: &mut crate::Headers, name: http::HeaderName, value: Option<http::HeaderValue>) {
    match value {
        Some(value) => headers.insert_value(name, value),
        None => {
            headers.header_map_mut().remove(name);
        }
    }
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        self.put_body_back();
        let map = self.request.headers.header_map_mut();
        map.remove(http::header::AUTHORIZATION);
        for value in self.authorization.drain(..) {
            map.append(http::header::AUTHORIZATION, value);
        }
    }
}

#[async_trait]
impl Policy for BearerTokenPolicy {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        ensure_secure_for_tokens(request)?;
        let mut restore = Restore::new(request);
        let target = match self.challenge.target(restore.request) {
            Some(target) => target,
            // Boxed, so that the future of every call with a known target stays small.
            None => match Box::pin(self.learn_target(ctx, &mut restore, next)).await? {
                Ok(target) => target,
                Err(answer) => return Ok(answer),
            },
        };
        let request = &mut *restore.request;
        let response = self.send_with_token(ctx, request, next, &target).await?;
        if response.status != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        // A 401 to a token: revoked, rejected early (clock skew), or a claims challenge. Once
        // more, with a token that is not the rejected one.
        let mut retry = self.challenge.on_challenge(request, &response)?;
        match claims_challenge(&response) {
            Some(claims) => retry.options.claims = Some(claims),
            None => retry.options.refresh = true,
        }
        self.send_with_token(ctx, request, next, &retry).await
    }

    /// The token (and, on a first bodiless send, the body) are undone when the call ends.
    fn restores_request(&self) -> bool {
        true
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

    fn token(name: &str, time: &crate::test_util::ManualTime) -> crate::AccessToken {
        let now = time.components().time_source.now();
        crate::AccessToken::new(name, time::OffsetDateTime::from(now + std::time::Duration::from_secs(3600)))
    }

    #[tokio::test]
    async fn the_bearer_header_follows_the_served_token() {
        let clock = crate::test_util::ManualTime::default();
        let cache = TokenCache::new(clock.components());
        let (scopes, options) = (["b", "a"], TokenRequestOptions::default());
        assert_eq!(cache.fresh_bearer(&scopes, &options), None, "nothing cached");
        let t1 = token("t1", &clock);
        cache.get_or_fetch(&scopes, &options, || async { Ok(t1) }).await.unwrap();
        assert_eq!(cache.fresh_bearer(&scopes, &options).unwrap(), "Bearer t1");
        assert_eq!(cache.fresh_bearer(&["a", "b", "a"], &options).unwrap(), "Bearer t1", "the same key, any order");
        let (tenant, refresh) = (
            TokenRequestOptions { tenant_id: Some("t".into()), ..options.clone() },
            TokenRequestOptions { refresh: true, ..options.clone() },
        );
        assert_eq!((cache.fresh_bearer(&scopes, &tenant), cache.fresh_bearer(&scopes, &refresh)), (None, None));
        clock.advance(std::time::Duration::from_secs(3599));
        assert_eq!(cache.fresh_bearer(&scopes, &options), None, "past the refresh point");
        let t2 = token("t2", &clock);
        cache.get_or_fetch(&scopes, &options, || async { Ok(t2) }).await.unwrap();
        assert_eq!(cache.fresh_bearer(&scopes, &options).unwrap(), "Bearer t2", "a new token, a new header");
        cache.invalidate(&scopes, None);
        assert_eq!(cache.fresh_bearer(&scopes, &options), None, "invalidated");
        let t3 = token("t3", &clock);
        cache.get_or_fetch(&scopes, &options, || async { Ok(t3) }).await.unwrap();
        assert!(!format!("{cache:?}").contains("t3"), "Debug shows no token, the prepared header included");
        cache.clear();
        assert_eq!(cache.fresh_bearer(&scopes, &options), None, "cleared, the shortcut included");
    }
}
