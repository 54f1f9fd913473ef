//! Secret identifiers: `https://{vault}/secrets/{name}[/{version}]` and `https://{vault}/deletedsecrets/{name}`.

use std::fmt;
use std::str::FromStr;

use crate::Error;
use crate::validation::{validate_secret_name, validate_secret_version};

/// Which collection an identifier points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierKind {
    /// `/secrets/{name}[/{version}]`: a secret, or one version of it.
    Secret,
    /// `/deletedsecrets/{name}`: a deleted secret (the `recoveryId` of a deleted secret).
    DeletedSecret,
}

/// A parsed secret identifier, such as the `id` of a [`crate::SecretBundle`].
///
/// ```
/// use azkv_models::SecretIdentifier;
///
/// let id: SecretIdentifier = "https://myvault.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79".parse()?;
/// assert_eq!(id.vault_url(), "https://myvault.vault.azure.net");
/// assert_eq!(id.name(), "db-password");
/// assert_eq!(id.version(), Some("4387e9f3d6e14c459867679a90fd0f79"));
/// # Ok::<(), azkv_models::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretIdentifier {
    vault_url: String,
    name: String,
    version: Option<String>,
    kind: IdentifierKind,
}

impl SecretIdentifier {
    /// Parses an identifier. The scheme must be `https` (or `http`, for a local emulator); an explicit
    /// port is kept; one trailing `/` is allowed; user info, a query or a fragment are refused.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], [`Error::UnsupportedScheme`], [`Error::UnexpectedUrlPart`],
    /// [`Error::UnexpectedPath`], [`Error::InvalidName`] or [`Error::InvalidVersion`].
    pub fn parse(input: &str) -> Result<Self, Error> {
        match Self::parse_plain(input) {
            Some(parts) => Self::from_parts(parts),
            None => Self::parse_url(input),
        }
    }

    /// The fast path, for the identifiers Key Vault returns: a lower-case `https://` or
    /// `http://`, a lower-case DNS name whose last label holds a letter (so never an IPv4
    /// address the URL parser would rewrite, nor punycode it would check) with an optional
    /// written port, and one of the identifier paths with nothing but letters, digits and `-`
    /// in its segments. On these the URL parser changes nothing, so the result is the same;
    /// anything else (`None`) goes through [`url::Url`]. A property test compares both paths.
    fn parse_plain(input: &str) -> Option<(String, IdentifierKind, &str, Option<&str>)> {
        let rest = match input.strip_prefix("https://") {
            Some(rest) => rest,
            None => input.strip_prefix("http://")?,
        };
        let bytes = rest.as_bytes();
        // The host, one pass: lower-case labels of letters, digits and `-`, none empty, none
        // punycode (`xn--`); the last one holding a letter and not starting with `0x`.
        let mut i = 0;
        let (mut label_start, mut label_has_letter) = (0, false);
        loop {
            match bytes.get(i).copied()? {
                b'a'..=b'z' => label_has_letter = true,
                b'0'..=b'9' | b'-' => {}
                b'.' | b':' | b'/' => {
                    let label = &bytes[label_start..i];
                    if label.is_empty() || label.starts_with(b"xn--") {
                        return None;
                    }
                    if bytes[i] != b'.' {
                        if !label_has_letter || label.starts_with(b"0x") {
                            return None;
                        }
                        break;
                    }
                    (label_start, label_has_letter) = (i + 1, false);
                }
                _ => return None,
            }
            i += 1;
        }
        // An optional port: 1 to 5 digits, at most 65535.
        if bytes[i] == b':' {
            let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0
                || bytes.get(i + 1 + digits) != Some(&b'/')
                || rest[i + 1..i + 1 + digits].parse::<u16>().is_err()
            {
                return None;
            }
            i += 1 + digits;
        }
        let authority_end = i;
        let path = &rest[authority_end + 1..];
        let path = path.strip_suffix('/').unwrap_or(path);
        let (collection, path) = path.split_once('/')?;
        let (name, version) = match path.split_once('/') {
            Some((name, version)) => (name, Some(version)),
            None => (path, None),
        };
        let segment_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !segment_ok(name) || !version.is_none_or(segment_ok) {
            return None;
        }
        let kind = match (collection, version) {
            ("secrets", _) => IdentifierKind::Secret,
            ("deletedsecrets", None) => IdentifierKind::DeletedSecret,
            _ => return None,
        };
        // The scheme and authority exactly as written: what the URL parser would give back.
        let vault_url = input[..input.len() - rest.len() + authority_end].to_owned();
        Some((vault_url, kind, name, version))
    }

    fn from_parts(
        (vault_url, kind, name, version): (String, IdentifierKind, &str, Option<&str>),
    ) -> Result<Self, Error> {
        validate_secret_name(name)?;
        if let Some(version) = version {
            validate_secret_version(version)?;
        }
        Ok(Self { vault_url, name: name.to_owned(), version: version.map(str::to_owned), kind })
    }

    /// The general path, through the URL parser.
    fn parse_url(input: &str) -> Result<Self, Error> {
        let url = url::Url::parse(input)
            .map_err(|err| Error::InvalidUrl { input: input.to_owned(), reason: err.to_string() })?;
        let scheme = url.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(Error::UnsupportedScheme { input: input.to_owned(), scheme: scheme.to_owned() });
        }
        let unexpected = |part| Error::UnexpectedUrlPart { input: input.to_owned(), part };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(unexpected("user info"));
        }
        if url.query().is_some() {
            return Err(unexpected("query"));
        }
        if url.fragment().is_some() {
            return Err(unexpected("fragment"));
        }
        let host = url.host_str().ok_or_else(|| Error::UnexpectedPath { input: input.to_owned() })?;
        let vault_url = match explicit_port(input) {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        };

        let mut segments: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
        if segments.len() > 1 && segments.last() == Some(&"") {
            segments.pop();
        }
        let (kind, name, version) = match segments.as_slice() {
            ["secrets", name] => (IdentifierKind::Secret, *name, None),
            ["secrets", name, version] => (IdentifierKind::Secret, *name, Some(*version)),
            ["deletedsecrets", name] => (IdentifierKind::DeletedSecret, *name, None),
            _ => return Err(Error::UnexpectedPath { input: input.to_owned() }),
        };
        Self::from_parts((vault_url, kind, name, version))
    }

    /// The vault's URL, scheme and authority only, without a trailing `/`: `https://myvault.vault.azure.net`.
    pub fn vault_url(&self) -> &str {
        &self.vault_url
    }

    /// The secret's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version, when the identifier names one.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Which collection the identifier points into.
    pub fn kind(&self) -> IdentifierKind {
        self.kind
    }

    /// Whether this is a `/deletedsecrets/` identifier.
    pub fn is_deleted(&self) -> bool {
        self.kind == IdentifierKind::DeletedSecret
    }

    /// The vault URL, name and version, moved out without copying.
    ///
    /// ```
    /// use azkv_models::SecretIdentifier;
    ///
    /// let id = SecretIdentifier::parse("https://myvault.vault.azure.net/secrets/db-password")?;
    /// let (vault_url, name, version) = id.into_parts();
    /// assert_eq!((vault_url.as_str(), name.as_str(), version), ("https://myvault.vault.azure.net", "db-password", None));
    /// # Ok::<(), azkv_models::Error>(())
    /// ```
    pub fn into_parts(self) -> (String, String, Option<String>) {
        (self.vault_url, self.name, self.version)
    }
}

/// The port written in the URL's authority, if any (the URL parser drops a default port such as
/// `:443`; an identifier keeps it as written).
fn explicit_port(input: &str) -> Option<&str> {
    let rest = &input.trim()[input.trim().find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = host_port.rsplit_once(':')?;
    // `[::1]` alone has colons but no port.
    if host.starts_with('[') && !host.ends_with(']') {
        return None;
    }
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())).then_some(port)
}

impl FromStr for SecretIdentifier {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        Self::parse(input)
    }
}

impl fmt::Display for SecretIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, &self.version) {
            (IdentifierKind::DeletedSecret, _) => write!(f, "{}/deletedsecrets/{}", self.vault_url, self.name),
            (IdentifierKind::Secret, None) => write!(f, "{}/secrets/{}", self.vault_url, self.name),
            (IdentifierKind::Secret, Some(version)) => {
                write!(f, "{}/secrets/{}/{}", self.vault_url, self.name, version)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path and the URL parser agree, on identifiers it takes and on near misses it
    /// must leave to the parser.
    #[test]
    fn the_fast_path_agrees_with_the_url_parser() {
        let version = "4387e9f3d6e14c459867679a90fd0f79";
        let mut inputs = vec![];
        for authority in [
            "myvault.vault.azure.net",
            "myvault.vault.azure.net:443",
            "myvault.vault.azure.net:0443",
            "myvault.vault.azure.net:8443",
            "benchvault.vault.azure.net:65535",
            "benchvault.vault.azure.net:65536",
            "benchvault.vault.azure.net:",
            "localhost:1",
            "127.0.0.1:8443",
            "127.1",
            "a.0x7f",
            "MyVault.vault.azure.net",
            "xn--nxasmq6b.example",
            "a..b",
            "a.b.",
            "u:p@vault.azure.net",
            "[::1]:8443",
            "vault_underscore.net",
            "",
        ] {
            for scheme in ["https", "http", "HTTPS", "ftp"] {
                for path in [
                    "/secrets/db-password".to_owned(),
                    "/secrets/db-password/".to_owned(),
                    format!("/secrets/db-password/{version}"),
                    format!("/secrets/db-password/{version}/"),
                    format!("/secrets/db-password/{version}//"),
                    "/deletedsecrets/db-password".to_owned(),
                    "/deletedsecrets/db-password/".to_owned(),
                    format!("/deletedsecrets/db-password/{version}"),
                    "/secrets/".to_owned(),
                    "/secrets//x".to_owned(),
                    "/secrets/a.b".to_owned(),
                    "/secrets/./x".to_owned(),
                    "/secrets/%41".to_owned(),
                    "/secrets/a?x=1".to_owned(),
                    "/secrets/a#f".to_owned(),
                    "/secrets/a b".to_owned(),
                    "/keys/a".to_owned(),
                    "".to_owned(),
                    "/".to_owned(),
                ] {
                    inputs.push(format!("{scheme}://{authority}{path}"));
                }
            }
        }
        let mut fast = 0;
        for input in &inputs {
            let (got, expected) = (SecretIdentifier::parse(input), SecretIdentifier::parse_url(input));
            assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{input}");
            fast += usize::from(SecretIdentifier::parse_plain(input).is_some());
        }
        assert!(fast > 40, "the fast path took only {fast} inputs");
    }
}
