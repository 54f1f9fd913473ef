#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
