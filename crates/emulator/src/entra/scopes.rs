//! Scopes to the resource a token is for: `https://vault.azure.net/.default` → audience `https://vault.azure.net`.

use super::error::OAuthError;

/// OpenID Connect scopes, which name no resource.
const RESERVED: &[&str] = &["openid", "profile", "offline_access", "email"];

/// The audience of a bare scope such as `User.Read` (Microsoft Graph's shorthand).
const GRAPH: &str = "https://graph.microsoft.com";

/// The scopes of `scope` that name a resource (OIDC scopes left out).
pub(crate) fn resource_scopes(scope: &str) -> Vec<&str> {
    scope.split(' ').filter(|s| !s.is_empty() && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))).collect()
}

/// Whether `scope` asks for `name` (an OIDC scope).
pub(crate) fn has(scope: &str, name: &str) -> bool {
    scope.split(' ').any(|s| s.eq_ignore_ascii_case(name))
}

/// The resource one scope names: the scope without `/.default` or its last path segment.
pub(crate) fn resource_of(scope: &str) -> String {
    let r = match scope.strip_suffix("/.default") {
        Some(r) => r.to_owned(),
        None => {
            let after_scheme = scope.find("://").map(|i| i + 3).unwrap_or(0);
            match scope[after_scheme..].rfind('/') {
                Some(i) => scope[..after_scheme + i].to_owned(),
                None if after_scheme > 0 => scope.to_owned(),
                None => GRAPH.to_owned(),
            }
        }
    };
    r.trim_end_matches('/').to_owned()
}

/// The one resource `scope` names. `client_credentials` insists on `/.default` scopes.
pub(crate) fn single_resource(scope: &str, client_credentials: bool) -> Result<String, OAuthError> {
    let scopes = resource_scopes(scope);
    if client_credentials && let Some(s) = scopes.iter().find(|s| !s.ends_with("/.default")) {
        return Err(OAuthError::scope_needs_default(s));
    }
    let mut resources: Vec<String> = scopes.iter().map(|s| resource_of(s)).collect();
    resources.sort_by_key(|r| r.to_ascii_lowercase());
    resources.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    match resources.len() {
        1 if !resources[0].is_empty() => Ok(resources.remove(0)),
        0 | 1 => Err(OAuthError::invalid_scope(scope)),
        _ => Err(OAuthError::multiple_resources()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_name_resources() {
        assert_eq!(resource_of("https://vault.azure.net/.default"), "https://vault.azure.net");
        assert_eq!(resource_of("https://vault.azure.net//.default"), "https://vault.azure.net");
        assert_eq!(resource_of("https://vault.azure.net/user_impersonation"), "https://vault.azure.net");
        assert_eq!(resource_of("https://vault.azure.net"), "https://vault.azure.net");
        assert_eq!(resource_of("api://app/.default"), "api://app");
        assert_eq!(resource_of("User.Read"), GRAPH);
        assert_eq!(resource_of("00000000-1111/.default"), "00000000-1111");
        let device = "https://vault.azure.net/.default offline_access openid profile";
        assert_eq!(single_resource(device, false).unwrap(), "https://vault.azure.net");
        assert!(has(device, "OFFLINE_ACCESS") && !has(device, "email"));
        assert_eq!(single_resource(device, true).unwrap(), "https://vault.azure.net", "OIDC scopes are not checked");
        assert_eq!(single_resource("https://vault.azure.net/x", true).unwrap_err().code, 1002012);
        assert_eq!(single_resource("https://a/.default https://b/.default", true).unwrap_err().code, 700022);
        assert_eq!(single_resource("https://a/.default https://a/x", false).unwrap(), "https://a");
        assert_eq!(single_resource("openid profile", false).unwrap_err().code, 70011);
        assert_eq!(single_resource("/.default", true).unwrap_err().code, 70011);
    }
}
