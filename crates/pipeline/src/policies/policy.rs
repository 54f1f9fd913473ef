//! The `Policy` trait: one step of the pipeline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{Context, Error, Request, Response, Result};

/// One step of a [`crate::Pipeline`]: it may change the request, call the rest of the
/// pipeline (`next`) any number of times, and change or replace the response.
///
/// **When**: per-call policies run once per operation, per-try policies once per attempt.
/// **Available information**: the [`Context`], the request, and the policies after this one.
/// **Error behaviour**: an error returned here ends the attempt; the retry policy decides
/// whether to try again from [`Error::is_retryable`].
///
/// ```
/// use std::sync::Arc;
/// use async_trait::async_trait;
/// use azkv_pipeline::{Context, Policy, Request, Response, Result};
///
/// /// Adds a header to every request.
/// #[derive(Debug)]
/// struct Tag;
///
/// #[async_trait]
/// impl Policy for Tag {
///     async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
///         request.headers.insert("x-tag", "1");
///         azkv_pipeline::policies::next(ctx, request, next).await
///     }
/// }
/// ```
#[async_trait]
pub trait Policy: Send + Sync + fmt::Debug {
    /// Handles `request`, usually by calling [`next`] with the remaining policies.
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response>;

    /// Whether this policy gives the request back as it found it: when the future of
    /// [`Policy::send`] completes, or is dropped before that, the request's method, URL,
    /// headers and body are again what they were when `send` was called.
    ///
    /// A retry policy above per-try policies that all say so sends the request itself on each
    /// try; otherwise it keeps a copy to start each try from. The default, `false`, is always
    /// correct; say `true` only for a policy that really restores what it changes (the
    /// built-in bearer, logging and transport policies do).
    fn restores_request(&self) -> bool {
        false
    }
}

/// The future [`Policy::send`] returns: what `#[async_trait]` makes of `async fn send`, and
/// what [`next`] hands back.
pub type PolicyFuture<'a> = Pin<Box<dyn Future<Output = Result<Response>> + Send + 'a>>;

/// Implements [`Policy`] for a built-in policy that has nothing to do once the response is
/// back, so needs no future of its own: the closure-like body runs when the policy is called
/// and returns the future to hand back, usually [`next`]'s (the next policy's own). The
/// lifetimes are the ones `#[async_trait]` gives `Policy::send`.
macro_rules! impl_policy_without_future {
    ($policy:ty, |$this:ident, $ctx:ident, $request:ident, $next:ident| $body:block) => {
        $crate::policies::policy::impl_policy_without_future!(
            $policy,
            restores_request = false,
            |$this, $ctx, $request, $next| $body
        );
    };
    ($policy:ty, restores_request = $restores:expr, |$this:ident, $ctx:ident, $request:ident, $next:ident| $body:block) => {
        impl $crate::Policy for $policy {
            fn restores_request(&self) -> bool {
                $restores
            }

            fn send<'p, 'c, 'r, 'n, 'f>(
                &'p self,
                $ctx: &'c $crate::Context,
                $request: &'r mut $crate::Request,
                $next: &'n [std::sync::Arc<dyn $crate::Policy>],
            ) -> $crate::policies::PolicyFuture<'f>
            where
                'p: 'f,
                'c: 'f,
                'r: 'f,
                'n: 'f,
                Self: 'f,
            {
                let $this = self;
                $body
            }
        }
    };
}
pub(crate) use impl_policy_without_future;

/// Calls the first policy of `rest` with the others.
///
/// It hands back that policy's own future rather than wrapping it in another one, so a chain
/// of policies costs one future per policy.
///
/// # Errors
/// Whatever that policy returns; [`Error::InvalidArgument`] when `rest` is empty (a pipeline
/// always ends in a transport, so this means a hand-built chain lost its transport).
pub fn next<'a>(ctx: &'a Context, request: &'a mut Request, rest: &'a [Arc<dyn Policy>]) -> PolicyFuture<'a> {
    match rest.split_first() {
        Some((first, rest)) => first.send(ctx, request, rest),
        None => Box::pin(std::future::ready(Err(Error::invalid_argument(
            "the pipeline has no transport policy at its end",
        )))),
    }
}
