//! ChainedTokenCredential semantics and its aggregated error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use azkv_identity::{ChainedTokenCredential, StaticTokenCredential};
use azkv_pipeline::{AccessToken, Error, Result, TokenCredential, TokenRequestOptions};

/// Answers with a fixed outcome and counts calls.
#[derive(Debug)]
pub(crate) struct Fake {
    outcome: fn() -> Result<AccessToken>,
    calls: AtomicUsize,
}

impl Fake {
    pub(crate) fn new(outcome: fn() -> Result<AccessToken>) -> Arc<Self> {
        Arc::new(Self { outcome, calls: AtomicUsize::new(0) })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenCredential for Fake {
    async fn get_token(&self, _: &[&str], _: &TokenRequestOptions) -> Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        (self.outcome)()
    }
}

fn token() -> Result<AccessToken> {
    Ok(AccessToken::new("chain-token", time::OffsetDateTime::now_utc() + time::Duration::hours(1)))
}

fn unavailable() -> Result<AccessToken> {
    Err(Error::credential_unavailable("not set up here"))
}

fn failed() -> Result<AccessToken> {
    Err(Error::credential("bad secret"))
}

fn named(list: Vec<(&str, Arc<Fake>)>) -> ChainedTokenCredential {
    ChainedTokenCredential::with_names(
        list.into_iter().map(|(n, f)| (n.to_owned(), f as Arc<dyn TokenCredential>)).collect(),
    )
    .unwrap()
}

async fn get(c: &ChainedTokenCredential) -> Result<AccessToken> {
    c.get_token(&["s"], &TokenRequestOptions::default()).await
}

#[tokio::test]
async fn unavailable_moves_on_and_the_working_source_is_remembered() {
    let (a, b, c) = (Fake::new(unavailable), Fake::new(token), Fake::new(token));
    let chain = named(vec![("A", a.clone()), ("B", b.clone()), ("C", c.clone())]);
    assert_eq!(chain.selected(), None);
    assert_eq!(get(&chain).await.unwrap().token.expose(), "chain-token");
    assert_eq!(chain.selected(), Some("B"));
    get(&chain).await.unwrap();
    get(&chain).await.unwrap();
    assert_eq!((a.calls(), b.calls(), c.calls()), (1, 3, 0));
}

#[tokio::test]
async fn an_authentication_failure_stops_the_chain() {
    let (a, b, c) = (Fake::new(unavailable), Fake::new(failed), Fake::new(token));
    let chain = named(vec![("A", a.clone()), ("B", b.clone()), ("C", c.clone())]);
    let e = get(&chain).await.unwrap_err();
    assert!(!e.is_credential_unavailable());
    assert_eq!(
        e.to_string(),
        "credential error: B failed to authenticate; attempts:\n- A: not set up here\n- B: bad secret"
    );
    assert_eq!(c.calls(), 0);
    assert!(std::error::Error::source(&e).is_some(), "the failing source's error is kept as source");
    assert_eq!(chain.selected(), None);
}

#[tokio::test]
async fn all_unavailable_lists_every_attempt() {
    let chain = named(vec![("A", Fake::new(unavailable)), ("B", Fake::new(unavailable))]);
    let e = get(&chain).await.unwrap_err();
    assert!(e.is_credential_unavailable());
    assert_eq!(
        e.to_string(),
        "credential error: no credential in the chain could authenticate; attempts:\n- A: not set up here\n- B: not set up here"
    );
}

#[tokio::test]
async fn names_default_to_type_names() {
    let fixed = StaticTokenCredential::new("t", time::OffsetDateTime::now_utc());
    let chain = ChainedTokenCredential::new(vec![Fake::new(unavailable), Arc::new(fixed)]).unwrap();
    assert_eq!(chain.source_names(), ["Fake", "StaticTokenCredential"]);
    assert!(ChainedTokenCredential::new(vec![]).is_err());
}
