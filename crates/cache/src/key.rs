//! Cache keys: a secret's latest value or one explicit version, names folded to lower case
//! (Key Vault's names and versions are case-insensitive).

use std::borrow::Cow;
use std::fmt;

/// Folds ASCII upper case to lower case, borrowing when there is nothing to fold (the usual
/// case, so a hot read allocates nothing).
pub(crate) fn normalize(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) { Cow::Owned(s.to_ascii_lowercase()) } else { Cow::Borrowed(s) }
}

/// An owned key: what a fetch task carries.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) name: Box<str>,
    pub(crate) version: Option<Box<str>>,
}

impl Key {
    pub(crate) fn as_ref(&self) -> KeyRef<'_> {
        KeyRef { name: &self.name, version: self.version.as_deref() }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_ref(), f)
    }
}

/// A borrowed, already normalized key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRef<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: Option<&'a str>,
}

impl KeyRef<'_> {
    pub(crate) fn to_owned(self) -> Key {
        Key { name: self.name.into(), version: self.version.map(Into::into) }
    }
}

impl fmt::Display for KeyRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}/{v}", self.name),
            None => f.write_str(self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_names_are_borrowed() {
        assert!(matches!(normalize("db-password"), Cow::Borrowed("db-password")));
        assert_eq!(normalize("DB-Password"), "db-password");
        let key = KeyRef { name: "a", version: Some("b") }.to_owned();
        assert_eq!(key.as_ref().to_string(), "a/b");
    }
}
