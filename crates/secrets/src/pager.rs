//! Paging: a stream of items, or of pages with continuation tokens.

use std::fmt;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures::{Stream, StreamExt, TryStreamExt};

use crate::Result;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Pass to [`crate::ListOptions::continuation_token`] to resume after this page; `None` on
    /// the last page.
    pub continuation_token: Option<String>,
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

/// A listing: a `Stream` of items, fetched a page at a time as it is polled.
///
/// ```no_run
/// # async fn f(client: azkv_secrets::SecretClient) -> azkv_secrets::Result<()> {
/// use futures::TryStreamExt;
/// let names: Vec<String> = client
///     .list_properties_of_secrets(None)
///     .map_ok(|p| p.name)
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
pub struct Pager<T> {
    pages: Option<BoxStream<Page<T>>>,
    items: BoxStream<T>,
}

impl<T: Send + 'static> Pager<T> {
    /// A pager over a stream of pages.
    pub fn from_pages(pages: impl Stream<Item = Result<Page<T>>> + Send + 'static) -> Self {
        let pages: BoxStream<Page<T>> = Box::pin(pages);
        Self { pages: Some(pages), items: Box::pin(futures::stream::empty()) }
    }

    /// A pager over fixed pages (for tests and mocks).
    pub fn from_vec(pages: Vec<Page<T>>) -> Self {
        Self::from_pages(futures::stream::iter(pages.into_iter().map(Ok)))
    }

    /// The pages instead of the items: each with its continuation token.
    pub fn into_pages(self) -> impl Stream<Item = Result<Page<T>>> + Send {
        self.pages.unwrap_or_else(|| Box::pin(futures::stream::empty()))
    }

    fn items_stream(&mut self) -> &mut BoxStream<T> {
        if let Some(pages) = self.pages.take() {
            self.items =
                Box::pin(pages.map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok))).try_flatten());
        }
        &mut self.items
    }
}

impl<T: Send + 'static> Stream for Pager<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.items_stream().poll_next_unpin(cx)
    }
}

impl<T> fmt::Debug for Pager<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager").finish_non_exhaustive()
    }
}
