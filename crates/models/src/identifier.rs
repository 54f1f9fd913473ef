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
        validate_secret_name(name)?;
        if let Some(version) = version {
            validate_secret_version(version)?;
        }
        Ok(Self { vault_url, name: name.to_owned(), version: version.map(str::to_owned), kind })
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
