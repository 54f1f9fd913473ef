//! The HTTP pipeline that azkv's clients, and your own, are built from.
//!
//! A [`Pipeline`] runs a [`Request`] through [`Policy`] steps in a fixed order (per-call,
//! retry, per-try, logging) and hands it to an [`HttpClient`] transport. Credentials plug in
//! through [`TokenCredential`]. Every seam is an object-safe trait held as `Arc<dyn Trait>`,
//! so a test can replace any layer; the `test-util` feature ships ready-made doubles.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> azkv_pipeline::Result<()> {
//! use std::sync::Arc;
//! use azkv_pipeline::{ClientOptions, Context, Method, Pipeline, Request, StatusCode};
//! use azkv_pipeline::test_util::FnHttpClient;
//!
//! let transport = FnHttpClient::new(|_| Ok(azkv_pipeline::Response::json_body(StatusCode::OK, &serde_json::json!({}))));
//! let options = ClientOptions::default().with_transport(Arc::new(transport));
//! let pipeline = Pipeline::new("my-client", "0.1.0", options, vec![], vec![])?;
//! let mut request = Request::new(Method::GET, "https://example.com/".parse().unwrap());
//! let response = pipeline.send(&Context::new(), &mut request).await?.error_for_status()?;
//! # Ok(()) }
//! ```

mod context;
mod credential;
mod error;
mod fast_rand;
mod headers;
mod pipeline;
pub mod policies;
pub mod redact;
mod request;
mod response;
mod secret;
pub mod time;
pub mod token_cache;
pub mod transport;
pub mod www_authenticate;

#[cfg(feature = "test-util")]
pub mod test_util;

pub use context::Context;
pub use credential::{AccessToken, TokenCredential, TokenRequestOptions};
pub use error::{BoxError, ConnectionErrorKind, Error, HttpError, Result};
pub use headers::Headers;
pub use http::{Method, StatusCode};
pub use pipeline::{ClientOptions, Pipeline};
pub use policies::policy::Policy;
pub use request::Request;
pub use response::Response;
pub use secret::Secret;
pub use transport::http_client::HttpClient;
pub use url::Url;

/// Pins object safety of every seam: this stops compiling if a trait stops being dyn-compatible.
#[allow(dead_code)]
fn _object_safe(
    _: &dyn Policy,
    _: &dyn HttpClient,
    _: &dyn TokenCredential,
    _: &dyn time::TimeSource,
    _: &dyn time::AsyncSleep,
) {
}

/// The same for the hooks of the built-in policies and transport.
#[allow(dead_code)]
fn _object_safe_hooks(_: &dyn policies::OnChallenge, _: &dyn policies::ClassifyRetry, _: &dyn transport::Resolve) {}
