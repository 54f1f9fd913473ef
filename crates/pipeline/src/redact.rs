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
    "x-ms-request-id",
    "x-ms-retry-after-ms",
    "x-ms-return-client-request-id",
];

/// Query parameters whose values may be logged.
pub const DEFAULT_ALLOWED_QUERY: &[&str] = &["api-version", "maxresults"];

/// JSON object keys whose values are always redacted in logged bodies, whatever their JSON
/// type. Keys match without regard to case, `_` or `-` (`Value`, `clientSecret` and
/// `client_secret` all match).
pub const SECRET_JSON_KEYS: &[&str] = &[
    "value",
    "password",
    "secret",
    "client_secret",
    "assertion",
    "client_assertion",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
];

/// Whether `key` is one of [`SECRET_JSON_KEYS`], ignoring case, `_` and `-`.
fn is_secret_key(key: &str) -> bool {
    let normal =
        |k: &str| k.chars().filter(|c| *c != '_' && *c != '-').map(|c| c.to_ascii_lowercase()).collect::<String>();
    let key = normal(key);
    SECRET_JSON_KEYS.iter().any(|k| normal(k) == key)
}

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
                // A list page's `value` is an array of item objects without secrets: walk into
                // it (each item is redacted in turn) rather than hide the page. Anything else
                // under a secret-bearing key goes whole, whatever its type.
                let list_page = k == "value" && v.as_array().is_some_and(|items| items.iter().all(|i| i.is_object()));
                if is_secret_key(k) && !list_page {
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
            redact_body(br#"{"value":[{"id":"https://v/secrets/a","value":"s3cr3t"},{"id":"b"}],"nextLink":null}"#);
        assert!(shown.contains("https://v/secrets/a"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn secret_keys_match_in_any_case_and_hide_any_type() {
        for body in [
            r#"{"Value":"canary"}"#,
            r#"{"PASSWORD":"canary"}"#,
            r#"{"clientSecret":"canary"}"#,
            r#"{"client-assertion":"canary"}"#,
            r#"{"Refresh_Token":"canary"}"#,
            r#"{"assertion":"canary","id_token":"canary","secret":"canary","accessToken":"canary"}"#,
            r#"{"value":["canary"]}"#,
            r#"{"value":[{"id":"x"},"canary"]}"#,
            r#"{"value":{"nested":"canary"}}"#,
            r#"{"items":[{"Secret":{"deep":["canary"]}}]}"#,
            r#"{"password":12345}"#,
        ] {
            let shown = redact_body(body.as_bytes());
            assert!(!shown.contains("canary") && !shown.contains("12345"), "{body} -> {shown}");
        }
        assert!(redact_body(br#"{"contentType":"text/plain"}"#).contains("text/plain"));
    }

    #[test]
    fn non_json_bodies_are_reduced_to_their_length() {
        assert_eq!(redact_body(b"client_secret=abc"), "REDACTED (17 bytes, not JSON)");
    }
}
