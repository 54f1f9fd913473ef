//! The outgoing HTTP request.

use bytes::Bytes;
use url::Url;

use crate::{Headers, Method};

/// An HTTP request travelling down the pipeline.
///
/// Policies may change it; the retry policy hands each try a fresh copy of the original,
/// so a retried request carries the identical body. `Debug` shows the body's length, never
/// its content (it may hold a secret value), and only allow-listed header values.
#[derive(Clone)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// Request headers.
    pub headers: Headers,
    /// The body; empty for none.
    pub body: Bytes,
    /// Whether sending it twice has the same effect as once; `None` follows the method.
    idempotent: Option<bool>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &crate::redact::redact_url(&self.url, crate::redact::DEFAULT_ALLOWED_QUERY))
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: Url) -> Self {
        Self { method, url, headers: Headers::new(), body: Bytes::new(), idempotent: None }
    }

    /// Whether sending this request twice has the same effect as sending it once, so that
    /// the retry policy may send it again after a lost response: by default true for GET,
    /// HEAD, OPTIONS and TRACE, false for PUT, POST, PATCH and DELETE.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or(matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE))
    }

    /// Declares whether this request is idempotent whatever its method: a POST that only
    /// reads (a backup download, a token request) may be marked so.
    pub fn set_idempotent(&mut self, idempotent: bool) {
        self.idempotent = Some(idempotent);
    }

    /// Sets a JSON body and its `Content-Type`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when `value` cannot be serialized.
    pub fn set_json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> crate::Result<()> {
        let body = serde_json::to_vec(value)
            .map_err(|e| crate::Error::invalid_argument(format!("body cannot be serialized: {e}")))?;
        self.headers.insert_value(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_body_and_the_token() {
        let mut r = Request::new(Method::PUT, "https://v/secrets/a?api-version=7.6&sig=canary-sig".parse().unwrap());
        r.headers.insert("authorization", "Bearer canary-token");
        r.set_json(&serde_json::json!({"value": "canary-value"})).unwrap();
        let shown = format!("{r:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("body_len") && shown.contains("api-version=7.6"), "{shown}");
    }
}
