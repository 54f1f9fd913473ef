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
}

/// Calls the first policy of `rest` with the others.
///
/// It hands back that policy's own future rather than wrapping it in another one, so a chain
/// of policies costs one future per policy.
///
/// # Errors
/// Whatever that policy returns; [`Error::InvalidArgument`] when `rest` is empty (a pipeline
/// always ends in a transport, so this means a hand-built chain lost its transport).
pub fn next<'a>(
    ctx: &'a Context,
    request: &'a mut Request,
    rest: &'a [Arc<dyn Policy>],
) -> Pin<Box<dyn Future<Output = Result<Response>> + Send + 'a>> {
    match rest.split_first() {
        Some((first, rest)) => first.send(ctx, request, rest),
        None => Box::pin(std::future::ready(Err(Error::invalid_argument(
            "the pipeline has no transport policy at its end",
        )))),
    }
}
