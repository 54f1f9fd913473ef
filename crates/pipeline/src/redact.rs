//! Redaction of URLs, headers and bodies before they reach a log or an error.

use url::Url;

/// What stands in for a hidden value.
pub const REDACTED: &str = "REDACTED";

/// Headers whose values may be logged, lower-case. `Authorization` is never among them.
pub const DEFAULT_ALLOWED_HEADERS: &[&str] = &[
    "accept",
    "cache-control",
    "connection",
    "content-length",
    "content-type",
    "date",
    "etag",
    "expires",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "last-modified",
    "pragma",
    "request-id",
    "retry-after",
    "retry-after-ms",
    "server",
    "traceparent",
    "transfer-encoding",
    "user-agent",
    "x-ms-client-request-id",
    "x-ms-error-code",
    "x-ms-keyvault-network-info",
    "x-ms-keyvault-region",
    "x-ms-keyvault-service-version",
    "x-ms-request-id",
    "x-ms-retry-after-ms",
    "x-ms-return-client-request-id",
];

/// Query parameters whose values may be logged.
pub const DEFAULT_ALLOWED_QUERY: &[&str] = &["api-version", "maxresults"];

/// JSON object keys whose values are always redacted in logged bodies.
pub const SECRET_JSON_KEYS: &[&str] = &[
    "value",
    "access_token",
    "accessToken",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "password",
    "token",
];

/// The URL with user info removed and every query value outside `allowed` redacted.
pub fn redact_url(url: &Url, allowed_query: &[&str]) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let keep = allowed_query.iter().any(|a| a.eq_ignore_ascii_case(&k));
                (k.into_owned(), if keep { v.into_owned() } else { REDACTED.to_owned() })
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// A body made fit for a log: JSON with every secret-bearing key redacted at any depth;
/// anything else reduced to its length.
pub fn redact_body(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut json) => {
            redact_json(&mut json);
            json.to_string()
        }
        Err(_) => format!("{REDACTED} ({} bytes, not JSON)", body.len()),
    }
}

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                // A list page's `value` is an array of items without secrets: walk into it
                // (each item is redacted in turn) rather than hide the page.
                let list_page = k == "value" && v.is_array();
                if SECRET_JSON_KEYS.contains(&k.as_str()) && !list_page {
                    *v = serde_json::Value::String(REDACTED.to_owned());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_query_values_outside_allow_list_are_redacted() {
        let url = Url::parse("https://u:p@v.vault.azure.net/secrets/a?api-version=7.6&sig=abc").unwrap();
        let shown = redact_url(&url, DEFAULT_ALLOWED_QUERY);
        assert_eq!(shown, "https://v.vault.azure.net/secrets/a?api-version=7.6&sig=REDACTED");
    }

    #[test]
    fn nested_json_values_are_redacted() {
        let shown = redact_body(br#"{"value":"s3cr3t","attributes":{"enabled":true},"items":[{"value":"x"}]}"#);
        assert!(!shown.contains("s3cr3t") && !shown.contains("\"x\""), "{shown}");
        assert!(shown.contains("enabled"), "{shown}");
    }

    #[test]
    fn list_pages_stay_readable_but_nested_values_do_not() {
        let shown =
            redact_body(br#"{"value":[{"id":"https://v/secrets/a","value":"s3cr3t"},["nested"]],"nextLink":null}"#);
        assert!(shown.contains("https://v/secrets/a"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn non_json_bodies_are_reduced_to_their_length() {
        assert_eq!(redact_body(b"client_secret=abc"), "REDACTED (17 bytes, not JSON)");
    }
}
