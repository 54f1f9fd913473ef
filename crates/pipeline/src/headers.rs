//! Case-insensitive HTTP headers.

use std::fmt;

/// HTTP headers with case-insensitive names, in insertion order.
///
/// Names are stored lower-cased. A name may hold several values (for example several
/// `WWW-Authenticate` challenges); [`Headers::get`] returns the first.
///
/// ```
/// use azkv_pipeline::Headers;
/// let mut headers = Headers::new();
/// headers.insert("Content-Type", "application/json");
/// assert_eq!(headers.get("content-type"), Some("application/json"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, String)>,
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`, replacing every earlier value.
    pub fn insert(&mut self, name: impl AsRef<str>, value: impl Into<String>) {
        let name = name.as_ref().to_ascii_lowercase();
        self.entries.retain(|(n, _)| *n != name);
        self.entries.push((name, value.into()));
    }

    /// Adds a value for `name`, keeping earlier ones.
    pub fn append(&mut self, name: impl AsRef<str>, value: impl Into<String>) {
        self.entries.push((name.as_ref().to_ascii_lowercase(), value.into()));
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Removes every value of `name`.
    pub fn remove(&mut self, name: &str) {
        self.entries.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// All `(name, value)` pairs, names lower-cased.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A copy in which every header not in `allowed` (lower-case names) reads `REDACTED`.
    pub fn redacted(&self, allowed: &[&str]) -> Headers {
        Headers {
            entries: self
                .entries
                .iter()
                .map(|(n, v)| {
                    let keep = allowed.contains(&n.as_str());
                    (n.clone(), if keep { v.clone() } else { crate::redact::REDACTED.to_owned() })
                })
                .collect(),
        }
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
}
