//! The outgoing HTTP request.

use bytes::Bytes;
use url::Url;

use crate::{Headers, Method};

/// An HTTP request travelling down the pipeline.
///
/// Policies may change it; the retry policy hands each try a fresh copy of the original,
/// so a retried request carries the identical body.
#[derive(Clone, Debug)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// Request headers.
    pub headers: Headers,
    /// The body; empty for none.
    pub body: Bytes,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: Url) -> Self {
        Self { method, url, headers: Headers::new(), body: Bytes::new() }
    }

    /// Sets a JSON body and its `Content-Type`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when `value` cannot be serialized.
    pub fn set_json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> crate::Result<()> {
        let body = serde_json::to_vec(value)
            .map_err(|e| crate::Error::invalid_argument(format!("body cannot be serialized: {e}")))?;
        self.headers.insert("content-type", "application/json");
        self.body = Bytes::from(body);
        Ok(())
    }

    /// Sets a body and its `Content-Type`.
    pub fn set_body(&mut self, content_type: &str, body: impl Into<Bytes>) {
        self.headers.insert("content-type", content_type);
        self.body = body.into();
    }

    /// The URL's host, lower-case.
    pub fn host(&self) -> Option<&str> {
        self.url.host_str()
    }
}
