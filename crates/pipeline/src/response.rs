//! The HTTP response coming back up the pipeline.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::{Error, Headers, HttpError, Result, StatusCode};

/// A buffered HTTP response.
#[derive(Clone)]
pub struct Response {
    /// The HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: Headers,
    /// The whole body.
    pub body: Bytes,
}

/// Shows status, headers (redacted) and the body's length, never its content, which may hold
/// a secret value or a token.
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Response {
    /// A response with a status, headers and body.
    pub fn new(status: StatusCode, headers: Headers, body: impl Into<Bytes>) -> Self {
        Self { status, headers, body: body.into() }
    }

    /// A response with a JSON body.
    pub fn json_body(status: StatusCode, body: &serde_json::Value) -> Self {
        let mut headers = Headers::new();
        headers.insert("content-type", "application/json");
        Self::new(status, headers, body.to_string())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Decodes the body as JSON.
    ///
    /// # Errors
    /// [`Error::Decode`] naming the target type; the message quotes no body content.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        // Checking the UTF-8 once, for the whole body, is cheaper than string by string.
        let decoded = match std::str::from_utf8(&self.body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(&self.body),
        };
        decoded.map_err(|e| Error::Decode {
            what: std::any::type_name::<T>().rsplit("::").next().unwrap_or("body").to_owned(),
            message: format!("{} at line {} column {}", classify(&e), e.line(), e.column()),
            source: None,
        })
    }

    /// This response when it is 2xx, else the [`Error::Http`] it stands for.
    ///
    /// # Errors
    /// [`Error::Http`] with the service's code and message.
    pub fn error_for_status(self) -> Result<Self> {
        if self.is_success() { Ok(self) } else { Err(self.into_error()) }
    }

    /// The [`Error::Http`] this response stands for: code and message from an Azure error
    /// body (`{"error":{"code","message","innererror"}}`) or the `x-ms-error-code` header;
    /// headers redacted.
    pub fn into_error(self) -> Error {
        let parsed = serde_json::from_slice::<serde_json::Value>(&self.body).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let text = |v: Option<&serde_json::Value>, key: &str| {
            v.and_then(|v| v.get(key)).and_then(|c| c.as_str()).map(str::to_owned)
        };
        let mut inner_code = None;
        let mut inner = error.and_then(|e| e.get("innererror"));
        // Bounded: a hostile body cannot make this loop long.
        for _ in 0..16 {
            let Some(i) = inner.filter(|i| i.is_object()) else { break };
            inner_code = text(Some(i), "code").or(inner_code);
            inner = i.get("innererror");
        }
        let code = text(error, "code").or_else(|| self.headers.get("x-ms-error-code").map(str::to_owned));
        Error::from(HttpError {
            status: self.status,
            code,
            message: text(error, "message"),
            inner_code,
            headers: self.headers.redacted(crate::redact::DEFAULT_ALLOWED_HEADERS),
        })
    }
}

fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_is_parsed_with_nested_inner_codes() {
        let body = serde_json::json!({"error": {"code": "Forbidden", "message": "disabled",
            "innererror": {"code": "SecretDisabled", "innererror": {"code": "Deeper"}}}});
        let err = Response::json_body(StatusCode::FORBIDDEN, &body).into_error();
        let http = err.http().unwrap();
        assert_eq!(http.code.as_deref(), Some("Forbidden"));
        assert_eq!(http.message.as_deref(), Some("disabled"));
        assert_eq!(http.inner_code.as_deref(), Some("Deeper"));
    }

    #[test]
    fn error_code_falls_back_to_header() {
        let mut headers = Headers::new();
        headers.insert("x-ms-error-code", "Throttled");
        let err = Response::new(StatusCode::TOO_MANY_REQUESTS, headers, "not json").into_error();
        assert_eq!(err.error_code(), Some("Throttled"));
        assert_eq!(err.http().unwrap().message, None);
    }

    #[test]
    fn decode_error_does_not_quote_the_body() {
        let resp = Response::new(StatusCode::OK, Headers::new(), r#"{"value": "s3cr3t""#);
        let err = resp.json::<serde_json::Map<String, serde_json::Value>>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("truncated JSON"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }

    /// A body that is not UTF-8 takes the byte path and fails as it always did: a decode
    /// error at the bad byte, quoting nothing; a UTF-8 body decodes as before.
    #[test]
    fn a_body_that_is_not_utf8_is_a_decode_error_at_its_position() {
        let bad = bytes::Bytes::from_static(b"{\"value\": \"s3cr3t\xff\"}");
        let err = Response::new(StatusCode::OK, Headers::new(), bad).json::<serde_json::Value>().unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(text.contains("line 1 column"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
        let good = Response::new(StatusCode::OK, Headers::new(), r#"{"value": "h\u00e9 ü"}"#);
        assert_eq!(good.json::<serde_json::Value>().unwrap()["value"], "hé ü");
    }
}
