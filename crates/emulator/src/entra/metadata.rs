//! The OpenID Connect discovery document MSAL-style clients read when instance discovery is off, and the
//! (empty) signing keys.
//!
//! Endpoints keep the tenant segment the client used (`organizations`, `common` or the tenant id), as the
//! service does; the issuer always names the tenant id.

use serde_json::{Value, json};

/// The issuer of ID tokens for `tenant_id` at `base`: `{base}/{tenant_id}/v2.0`.
pub(crate) fn issuer(base: &str, tenant_id: &str) -> String {
    format!("{base}/{tenant_id}/v2.0")
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(crate) fn openid_configuration(base: &str, path_tenant: &str, tenant_id: &str) -> Value {
    let t = format!("{base}/{path_tenant}");
    json!({
        "token_endpoint": format!("{t}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{t}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        // Tokens are HS256 under a per-run key, so no public key is published.
        "id_token_signing_alg_values_supported": ["HS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer(base, tenant_id),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{t}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{t}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{t}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid", "ver",
                             "preferred_username"],
        "tenant_region_scope": null,
        "cloud_instance_name": "azkv-emulator",
        "grant_types_supported": ["client_credentials", "urn:ietf:params:oauth:grant-type:device_code",
                                  "refresh_token"],
    })
}

/// `GET /{tenant}/discovery/v2.0/keys`: no keys (tokens are signed with a symmetric per-run key).
pub(crate) fn keys() -> Value {
    json!({ "keys": [] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_path_tenant_and_the_issuer_names_the_tenant_id() {
        let c = openid_configuration("https://127.0.0.1:1", "organizations", "tid");
        assert_eq!(c["token_endpoint"], "https://127.0.0.1:1/organizations/oauth2/v2.0/token");
        assert_eq!(c["device_authorization_endpoint"], "https://127.0.0.1:1/organizations/oauth2/v2.0/devicecode");
        assert_eq!(c["issuer"], "https://127.0.0.1:1/tid/v2.0");
        assert_eq!(keys()["keys"], json!([]));
    }
}
