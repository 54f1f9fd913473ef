//! Shared helpers for the pipeline tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use azkv_pipeline::policies::RetryOptions;
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::transport::{TransportOptions, new_reqwest_client};
use azkv_pipeline::{
    AccessToken, ClientOptions, HttpClient, Pipeline, Policy, Result, TokenCredential, TokenRequestOptions,
};

/// A pipeline over the real reqwest transport with a manual clock.
pub(crate) fn reqwest_pipeline(retry: RetryOptions, time: &ManualTime, per_try: Vec<Arc<dyn Policy>>) -> Pipeline {
    let transport: Arc<dyn HttpClient> = Arc::new(new_reqwest_client(&TransportOptions::default()).unwrap());
    pipeline_over(transport, retry, time, per_try)
}

/// A pipeline over `transport` with a manual clock.
pub(crate) fn pipeline_over(
    transport: Arc<dyn HttpClient>,
    retry: RetryOptions,
    time: &ManualTime,
    per_try: Vec<Arc<dyn Policy>>,
) -> Pipeline {
    let options = ClientOptions::default().with_transport(transport).with_retry(retry).with_time(time.components());
    Pipeline::new("azkv-test", "0.0.1", options, vec![], per_try).unwrap()
}

/// A credential counting its calls; token `n` is `"token-n"`, valid for `lifetime` from the
/// clock's now. With `fail_after`, calls past that number fail.
#[derive(Debug)]
pub(crate) struct CountingCredential {
    pub(crate) calls: AtomicUsize,
    pub(crate) time: ManualTime,
    pub(crate) lifetime: time::Duration,
    pub(crate) fail_after: Option<usize>,
}

impl CountingCredential {
    pub(crate) fn new(time: &ManualTime) -> Self {
        Self { calls: AtomicUsize::new(0), time: time.clone(), lifetime: time::Duration::hours(1), fail_after: None }
    }

    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenCredential for CountingCredential {
    async fn get_token(&self, _scopes: &[&str], _options: &TokenRequestOptions) -> Result<AccessToken> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        // Let other tasks run, so that concurrent callers really overlap with this fetch.
        tokio::task::yield_now().await;
        if self.fail_after.is_some_and(|limit| n > limit) {
            return Err(azkv_pipeline::Error::credential("token endpoint down"));
        }
        let now = time::OffsetDateTime::from(azkv_pipeline::time::TimeSource::now(&self.time));
        Ok(AccessToken::new(format!("token-{n}"), now + self.lifetime))
    }
}

/// A transport that never answers.
#[derive(Debug)]
pub(crate) struct Silent;

#[async_trait]
impl HttpClient for Silent {
    async fn execute(&self, _request: &azkv_pipeline::Request) -> Result<azkv_pipeline::Response> {
        std::future::pending().await
    }
}
