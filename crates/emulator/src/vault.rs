//! Which vault a request addresses, and the base URL its object ids are built from.

use http::HeaderMap;
use http::Uri;

/// The vault used when the Host names none.
pub(crate) const DEFAULT_VAULT: &str = "default";

/// Per-request facts every handler needs.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// `{scheme}://{host[:port]}` as the client addressed us, without a trailing slash.
    pub(crate) base: String,
    /// The vault name (from the Host).
    pub(crate) vault: String,
    /// Decoded query parameters.
    pub(crate) query: Vec<(String, String)>,
    /// The request's `api-version`.
    pub(crate) api_version: String,
    /// Emulator time of the request.
    pub(crate) now: i64,
}

impl Ctx {
    /// The first value of a query parameter.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The authority the client used: the URI's (HTTP/2, absolute form), else the `Host` header, else `fallback`.
pub(crate) fn authority(uri: &Uri, headers: &HeaderMap, fallback: &str) -> String {
    uri.authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned))
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()) && !h.contains(['/', '?', '#', '@']))
        .unwrap_or_else(|| fallback.to_owned())
}

/// The vault a host names: `{name}.vault.azure.net` or `{name}.localhost`, otherwise the default vault.
pub(crate) fn vault_name(authority: &str) -> String {
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    }
    .to_ascii_lowercase();
    for suffix in [".vault.azure.net", ".localhost"] {
        if let Some(name) = host.strip_suffix(suffix)
            && !name.is_empty()
        {
            return name.to_owned();
        }
    }
    DEFAULT_VAULT.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vaults_by_host() {
        assert_eq!(vault_name("myvault.vault.azure.net:8443"), "myvault");
        assert_eq!(vault_name("MyVault.vault.azure.net"), "myvault");
        assert_eq!(vault_name("other.localhost:1234"), "other");
        assert_eq!(vault_name("localhost:1234"), "default");
        assert_eq!(vault_name("127.0.0.1:1234"), "default");
        assert_eq!(vault_name("[::1]:1234"), "default");
    }

    #[test]
    fn authority_prefers_uri_then_host() {
        let mut h = HeaderMap::new();
        h.insert(http::header::HOST, "a.localhost:9".parse().unwrap());
        assert_eq!(authority(&"/x".parse().unwrap(), &h, "f"), "a.localhost:9");
        assert_eq!(authority(&"https://b:1/x".parse().unwrap(), &h, "f"), "b:1");
        assert_eq!(authority(&"/x".parse().unwrap(), &HeaderMap::new(), "f"), "f");
        h.insert(http::header::HOST, "evil/path".parse().unwrap());
        assert_eq!(authority(&"/x".parse().unwrap(), &h, "f"), "f");
    }
}
