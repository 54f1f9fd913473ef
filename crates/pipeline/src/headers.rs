//! Case-insensitive HTTP headers, kept as an `http::HeaderMap` so that the transports hand
//! them to the HTTP stack and take them back without converting each header.

use std::fmt;

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// HTTP headers with case-insensitive names.
///
/// Backed by an [`http::HeaderMap`]: names are lower-case [`HeaderName`]s and values
/// [`HeaderValue`]s, which the transports pass to and from hyper (and reqwest) as they are. A
/// name may hold several values (for example several `WWW-Authenticate` challenges);
/// [`Headers::get`] returns the first.
///
/// The string API ([`Headers::insert`], [`Headers::get`], [`Headers::iter`]) reads values as
/// UTF-8: a value that is not UTF-8 (rare; servers may send Latin-1 bytes) is skipped by
/// `get`, `get_all` and `iter`, and kept whole in [`Headers::as_header_map`]. A name or value
/// that HTTP does not allow (a control character, a space in a name) is not stored: the
/// request then fails in the transport with [`crate::Error::InvalidArgument`] naming the header,
/// as it did when headers were checked only there.
///
/// ```
/// use azkv_pipeline::Headers;
/// let mut headers = Headers::new();
/// headers.insert("Content-Type", "application/json");
/// assert_eq!(headers.get("content-type"), Some("application/json"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    map: HeaderMap,
    /// The name of the first header refused by `insert` or `append`, lower-cased.
    invalid: Option<Box<str>>,
}

fn text(value: &HeaderValue) -> Option<&str> {
    std::str::from_utf8(value.as_bytes()).ok()
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    fn parse(&mut self, name: &str, value: String) -> Option<(HeaderName, HeaderValue)> {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::try_from(value)) {
            (Ok(name), Ok(value)) => Some((name, value)),
            _ => {
                if self.invalid.is_none() {
                    self.invalid = Some(name.to_ascii_lowercase().into());
                }
                None
            }
        }
    }

    /// Sets `name` to `value`, replacing every earlier value.
    pub fn insert(&mut self, name: impl AsRef<str>, value: impl Into<String>) {
        let name = name.as_ref();
        match self.parse(name, value.into()) {
            Some((name, value)) => {
                self.map.insert(name, value);
            }
            None => {
                if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                    self.map.remove(name);
                }
            }
        }
    }

    /// Adds a value for `name`, keeping earlier ones.
    pub fn append(&mut self, name: impl AsRef<str>, value: impl Into<String>) {
        if let Some((name, value)) = self.parse(name.as_ref(), value.into()) {
            self.map.append(name, value);
        }
    }

    /// Sets `name` to `value`, replacing every earlier value, with no parsing: the cheap path
    /// for names and values known to be valid (`HeaderName::from_static`, a prepared value).
    pub fn insert_value(&mut self, name: HeaderName, value: HeaderValue) {
        self.map.insert(name, value);
    }

    /// The first value of `name`, if it is UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get_all(name).iter().find_map(text)
    }

    /// Every UTF-8 value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.map.get_all(name).into_iter().filter_map(text)
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Removes every value of `name`.
    pub fn remove(&mut self, name: &str) {
        self.map.remove(name);
        if self.invalid.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            self.invalid = None;
        }
    }

    /// Removes every value of `name` and returns the first.
    pub fn take(&mut self, name: &str) -> Option<HeaderValue> {
        self.map.remove(name)
    }

    /// All `(name, value)` pairs with UTF-8 values, names lower-cased, values of one name
    /// together.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().filter_map(|(n, v)| Some((n.as_str(), text(v)?)))
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The headers as the HTTP stack holds them.
    pub fn as_header_map(&self) -> &HeaderMap {
        &self.map
    }

    /// The headers as the HTTP stack holds them, mutable.
    pub fn header_map_mut(&mut self) -> &mut HeaderMap {
        &mut self.map
    }

    /// The headers as the HTTP stack holds them.
    pub fn into_header_map(self) -> HeaderMap {
        self.map
    }

    /// The name of the first header that [`Headers::insert`] or [`Headers::append`] refused
    /// (an invalid name or value), which makes the transports refuse the request.
    pub fn invalid_header(&self) -> Option<&str> {
        self.invalid.as_deref()
    }

    /// A copy in which every header not in `allowed` (lower-case names) reads `REDACTED`.
    pub fn redacted(&self, allowed: &[&str]) -> Headers {
        let redacted = HeaderValue::from_static(crate::redact::REDACTED);
        let mut map = HeaderMap::with_capacity(self.map.len());
        for (name, value) in &self.map {
            let keep = allowed.contains(&name.as_str());
            map.append(name.clone(), if keep { value.clone() } else { redacted.clone() });
        }
        Headers { map, invalid: self.invalid.clone() }
    }
}

impl From<HeaderMap> for Headers {
    fn from(map: HeaderMap) -> Self {
        Self { map, invalid: None }
    }
}

/// Shows only header names allowed for logging with their values; everything else is
/// `REDACTED`, so that a `Debug` print never leaks an `Authorization` header.
impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted(crate::redact::DEFAULT_ALLOWED_HEADERS);
        f.debug_map().entries(shown.iter()).finish()
    }
}

impl<N: AsRef<str>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        let mut headers = Headers::new();
        for (n, v) in iter {
            headers.append(n, v);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_insert_replaces() {
        let mut h = Headers::new();
        h.append("WWW-Authenticate", "Bearer a");
        h.append("www-authenticate", "Basic b");
        assert_eq!(h.get_all("Www-Authenticate").collect::<Vec<_>>(), ["Bearer a", "Basic b"]);
        h.insert("WWW-AUTHENTICATE", "c");
        assert_eq!(h.get_all("www-authenticate").collect::<Vec<_>>(), ["c"]);
        h.remove("Www-authenticate");
        assert!(h.is_empty());
    }

    #[test]
    fn debug_redacts_authorization() {
        let mut h = Headers::new();
        h.insert("Authorization", "Bearer secret-token");
        h.insert("Content-Type", "application/json");
        let shown = format!("{h:?}");
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(shown.contains("application/json"), "{shown}");
    }

    #[test]
    fn iteration_lower_cases_names_and_keeps_values_of_a_name_together() {
        let h: Headers = [("B", "1"), ("a", "2"), ("b", "3")].into_iter().collect();
        assert_eq!(h.iter().collect::<Vec<_>>(), [("b", "1"), ("b", "3"), ("a", "2")]);
        assert_eq!(h.len(), 3);
        assert_eq!(h.redacted(&["a"]).iter().collect::<Vec<_>>(), [("b", "REDACTED"), ("b", "REDACTED"), ("a", "2")]);
    }

    #[test]
    fn invalid_names_and_values_are_refused_and_remembered() {
        let mut h = Headers::new();
        h.insert("x-ok", "1");
        h.insert("x-ok", "line\nbreak");
        assert_eq!(h.get("x-ok"), None, "an invalid insert still replaces the earlier value");
        assert_eq!(h.invalid_header(), Some("x-ok"));
        h.append("Bad Name", "v");
        assert_eq!(h.invalid_header(), Some("x-ok"), "the first refusal is the one named");
        h.remove("X-OK");
        assert_eq!(h.invalid_header(), None, "removing the header removes the refusal");
        assert!(h.is_empty());
    }

    #[test]
    fn utf8_values_read_back_and_other_bytes_stay_in_the_map() {
        let mut h = Headers::new();
        h.insert("x-name", "café");
        assert_eq!(h.get("x-name"), Some("café"));
        let mut map = HeaderMap::new();
        map.insert("x-latin1", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let h = Headers::from(map);
        assert_eq!(h.get("x-latin1"), None);
        assert_eq!(h.iter().count(), 0);
        assert_eq!(h.as_header_map()["x-latin1"].as_bytes(), b"caf\xe9");
    }
}
