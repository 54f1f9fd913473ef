//! A mockall mock of the transport.

use async_trait::async_trait;

use crate::{HttpClient, Request, Response, Result};

mockall::mock! {
    /// A mockall mock of [`HttpClient`]: set expectations with `expect_execute()`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use azkv_pipeline::{HttpClient, Headers, Method, Request, Response, StatusCode};
    /// use azkv_pipeline::test_util::MockHttpClient;
    /// let mut mock = MockHttpClient::new();
    /// mock.expect_execute()
    ///     .withf(|r| r.url.path() == "/x")
    ///     .times(1)
    ///     .returning(|_| Ok(Response::new(StatusCode::NO_CONTENT, Headers::new(), "")));
    /// let req = Request::new(Method::GET, "https://h/x".parse().unwrap());
    /// assert_eq!(mock.execute(&req).await.unwrap().status, StatusCode::NO_CONTENT);
    /// # }
    /// ```
    pub HttpClient {}

    #[async_trait]
    impl HttpClient for HttpClient {
        async fn execute(&self, request: &Request) -> Result<Response>;
    }
}

impl std::fmt::Debug for MockHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockHttpClient")
    }
}
