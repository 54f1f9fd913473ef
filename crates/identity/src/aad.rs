//! The Microsoft Entra ID (AAD) token endpoint: authority hosts, tenant ids, the token request
//! and its response.

use std::sync::Arc;

use azkv_pipeline::policies::is_loopback;
use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::{AccessToken, Error, HttpClient, Method, Request, Response, Result, Url};
use serde::Deserialize;

use crate::error::AuthenticationError;
use crate::http::{Retry, send};
use crate::variables::{Env, vars};

/// Well-known authority hosts.
pub mod authority_hosts {
    /// The Azure public cloud.
    pub const AZURE_PUBLIC_CLOUD: &str = "https://login.microsoftonline.com";
    /// Azure operated by 21Vianet (China).
    pub const AZURE_CHINA: &str = "https://login.chinacloudapi.cn";
    /// Azure US Government.
    pub const AZURE_US_GOVERNMENT: &str = "https://login.microsoftonline.us";
}

/// The authority host: `configured`, else `AZURE_AUTHORITY_HOST`, else the public cloud.
///
/// # Errors
/// [`Error::InvalidArgument`] for a URL that does not parse, or is not `https` (plain `http` is
/// allowed for loopback hosts, for tests).
pub(crate) fn authority_host(configured: Option<&str>, env: &dyn Env) -> Result<Url> {
    let raw = configured
        .map(str::to_owned)
        .or_else(|| env.non_empty(vars::AZURE_AUTHORITY_HOST))
        .unwrap_or_else(|| authority_hosts::AZURE_PUBLIC_CLOUD.to_owned());
    let mut url = Url::parse(&raw).map_err(|e| Error::invalid_argument(format!("authority host is not a URL: {e}")))?;
    let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
    if !secure || url.cannot_be_a_base() {
        return Err(Error::invalid_argument(format!(
            "authority host must be an https URL (http only for loopback hosts), not {}://{}",
            url.scheme(),
            url.host_str().unwrap_or("")
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The `claims` form field of a token request: the service's claims challenge, with the
/// `CP1` client capability (`xms_cc`) merged in when `options.enable_cae` asks for it.
pub(crate) fn claims_field(options: &azkv_pipeline::TokenRequestOptions) -> Option<String> {
    let challenge = options.claims.as_deref();
    if !options.enable_cae {
        return challenge.map(str::to_owned);
    }
    let capability = serde_json::json!({"values": ["CP1"]});
    let mut claims = match challenge.map(serde_json::from_str::<serde_json::Value>) {
        None => serde_json::json!({}),
        Some(Ok(value)) if value.is_object() => value,
        // A challenge that is not a JSON object is sent on as the service wrote it.
        Some(_) => return challenge.map(str::to_owned),
    };
    let access_token = claims
        .as_object_mut()
        .map(|o| o.entry("access_token").or_insert_with(|| serde_json::json!({})))
        .filter(|v| v.is_object());
    match access_token.and_then(|v| v.as_object_mut()) {
        Some(access_token) => {
            access_token.insert("xms_cc".into(), capability);
            Some(claims.to_string())
        }
        None => challenge.map(str::to_owned),
    }
}

/// Checks a tenant id: non-empty, only `[0-9a-zA-Z-.]`.
///
/// # Errors
/// [`Error::InvalidArgument`].
pub(crate) fn validate_tenant_id(tenant_id: &str) -> Result<()> {
    if !tenant_id.is_empty() && tenant_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        Ok(())
    } else {
        Err(Error::invalid_argument("tenant id must be non-empty and hold only alphanumeric characters, '-' and '.'"))
    }
}

/// Sends token requests to one authority.
#[derive(Debug, Clone)]
pub(crate) struct AadClient {
    pub(crate) http: Arc<dyn HttpClient>,
    pub(crate) authority: Url,
    pub(crate) time: TimeComponents,
}

impl AadClient {
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub(crate) fn token_endpoint(&self, tenant_id: &str) -> Result<Url> {
        self.endpoint(tenant_id, "token")
    }

    /// `{authority}/{tenant}/oauth2/v2.0/{name}`.
    pub(crate) fn endpoint(&self, tenant_id: &str, name: &str) -> Result<Url> {
        validate_tenant_id(tenant_id)?;
        self.authority
            .join(&format!("{tenant_id}/oauth2/v2.0/{name}"))
            .map_err(|e| Error::invalid_argument(format!("the {name} endpoint cannot be built: {e}")))
    }

    /// POSTs `form` to `url` (retrying as a token request) and returns the answer as it is.
    ///
    /// # Errors
    /// Transport errors, after the retries.
    pub(crate) async fn post_form(&self, url: Url, form: &[(&str, &str)]) -> Result<Response> {
        let mut request = Request::new(Method::POST, url);
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        request.set_body("application/x-www-form-urlencoded", body);
        request.headers.insert("accept", "application/json");
        send(&self.http, &request, &self.time, Retry::AAD).await
    }

    /// POSTs `form` to the tenant's token endpoint and parses the answer.
    ///
    /// # Errors
    /// [`Error::Credential`] quoting only the `error` and `error_description` of an AAD error
    /// response (with an [`AuthenticationError`] as source); transport errors as they are.
    pub(crate) async fn request_token(
        &self,
        tenant_id: &str,
        form: &[(&str, &str)],
        what: &str,
    ) -> Result<AccessToken> {
        let response = self.post_form(self.token_endpoint(tenant_id)?, form).await?;
        parse_token_response(&response, self.time.now_utc(), what)
    }

    /// Requests a token with the client credentials grant: `client_id`, the `credential` fields
    /// (a client secret, or a client assertion and its type), the `scope` field and, when there
    /// is one, the claims challenge of `options`.
    ///
    /// # Errors
    /// As [`AadClient::request_token`].
    pub(crate) async fn request_client_credentials_token(
        &self,
        tenant_id: &str,
        client_id: &str,
        credential: &[(&str, &str)],
        scope: &str,
        options: &azkv_pipeline::TokenRequestOptions,
        what: &str,
    ) -> Result<AccessToken> {
        let mut form = vec![("grant_type", "client_credentials"), ("client_id", client_id)];
        form.extend_from_slice(credential);
        form.push(("scope", scope));
        let claims = claims_field(options);
        if let Some(claims) = claims.as_deref() {
            form.push(("claims", claims));
        }
        self.request_token(tenant_id, &form, what).await
    }
}

/// The form fields for `scopes` and, when there is one, a claims challenge.
pub(crate) fn scope_field(scopes: &[&str]) -> Result<String> {
    if scopes.is_empty() || scopes.iter().any(|s| s.trim().is_empty()) {
        return Err(Error::invalid_argument("at least one non-empty scope is required"));
    }
    Ok(scopes.join(" "))
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    #[serde(default)]
    refresh_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// A token from an AAD token response; `refresh_in` sets `refresh_on`.
///
/// # Errors
/// [`Error::Credential`] for an error status (quoting only `error` and `error_description`)
/// or a body that is not a token response (quoting nothing of it).
pub(crate) fn parse_token_response(response: &Response, now: time::OffsetDateTime, what: &str) -> Result<AccessToken> {
    parse_token_and_refresh(response, now, what).map(|(token, _)| token)
}

/// As [`parse_token_response`], with the `refresh_token` when the answer holds one.
///
/// # Errors
/// As [`parse_token_response`].
pub(crate) fn parse_token_and_refresh(
    response: &Response,
    now: time::OffsetDateTime,
    what: &str,
) -> Result<(AccessToken, Option<azkv_pipeline::Secret>)> {
    if !response.is_success() {
        return Err(error_from_response(response, what));
    }
    let Ok(parsed) = serde_json::from_slice::<TokenResponse>(&response.body) else {
        return Err(Error::credential(format!(
            "{what}: the token endpoint answered HTTP {} with a body that is not a token response",
            response.status.as_u16()
        )));
    };
    let expires_on = parsed
        .expires_in
        .as_ref()
        .and_then(|v| crate::expiry::parse_expires_in(v, now))
        .or_else(|| parsed.expires_on.as_ref().and_then(crate::expiry::parse_expires_on))
        .ok_or_else(|| Error::credential(format!("{what}: the token response has no valid expires_in")))?;
    let refresh_token = parsed.refresh_token.filter(|r| !r.is_empty()).map(azkv_pipeline::Secret::new);
    let mut token = AccessToken::new(parsed.access_token, expires_on);
    token.refresh_on =
        parsed.refresh_in.as_ref().and_then(|v| crate::expiry::parse_expires_in(v, now)).filter(|r| *r < expires_on);
    Ok((token, refresh_token))
}

/// A credential error for a failed token response: status plus AAD's `error` and
/// `error_description`, never anything else of the body; the [`AuthenticationError`] is its
/// source.
pub(crate) fn error_from_response(response: &Response, what: &str) -> Error {
    let status = response.status.as_u16();
    match AuthenticationError::parse(status, &response.body) {
        Some(e) => {
            let description = e.description().map(|d| format!(": {d}")).unwrap_or_default();
            let message = format!("{what}: authentication failed (HTTP {status}, {}){description}", e.error());
            Error::Credential { message, unavailable: false, source: Some(Box::new(e)) }
        }
        None => Error::credential(format!("{what}: authentication failed (HTTP {status})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MapEnv;
    use azkv_pipeline::{Headers, StatusCode};
    use time::macros::datetime;

    #[test]
    fn authority_host_sources_and_checks() {
        let empty = MapEnv::default();
        assert_eq!(authority_host(None, &empty).unwrap().as_str(), "https://login.microsoftonline.com/");
        let env = MapEnv::new([("AZURE_AUTHORITY_HOST", "https://login.chinacloudapi.cn")]);
        assert_eq!(authority_host(None, &env).unwrap().as_str(), "https://login.chinacloudapi.cn/");
        assert_eq!(
            authority_host(Some("https://login.microsoftonline.us/"), &env).unwrap().as_str(),
            "https://login.microsoftonline.us/"
        );
        assert!(authority_host(Some("http://127.0.0.1:8080"), &empty).is_ok());
        let err = authority_host(Some("http://login.example.com"), &empty).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(authority_host(Some("not a url"), &empty).is_err());
    }

    #[test]
    fn cae_claims_merge_with_a_challenge() {
        use azkv_pipeline::TokenRequestOptions;
        assert_eq!(claims_field(&TokenRequestOptions::default()), None);
        let cae = TokenRequestOptions::default().with_cae();
        let only: serde_json::Value = serde_json::from_str(&claims_field(&cae).unwrap()).unwrap();
        assert_eq!(only, serde_json::json!({"access_token": {"xms_cc": {"values": ["CP1"]}}}));
        let challenge = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
        let merged: serde_json::Value =
            serde_json::from_str(&claims_field(&cae.clone().with_claims(challenge)).unwrap()).unwrap();
        assert_eq!(merged["access_token"]["nbf"]["value"], "1700000000");
        assert_eq!(merged["access_token"]["xms_cc"]["values"][0], "CP1");
        assert_eq!(claims_field(&TokenRequestOptions::default().with_claims("opaque")).as_deref(), Some("opaque"));
        assert_eq!(claims_field(&cae.with_claims("opaque")).as_deref(), Some("opaque"));
    }

    #[test]
    fn tenant_ids() {
        for ok in ["contoso.onmicrosoft.com", "72f988bf-86f1-41af-91ab-2d7cd011db47", "organizations"] {
            assert!(validate_tenant_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a/b", "a?b", "../x", "t t", "t%2f"] {
            assert!(validate_tenant_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_response_with_refresh_in() {
        let now = datetime!(2026-11-23 10:00:00 UTC);
        let body = serde_json::json!({"token_type": "Bearer", "expires_in": "3600", "refresh_in": 1800, "access_token": "tok"});
        let t = parse_token_response(&Response::json_body(StatusCode::OK, &body), now, "x").unwrap();
        assert_eq!(t.token.expose(), "tok");
        assert_eq!(t.expires_on, now + time::Duration::hours(1));
        assert_eq!(t.refresh_on, Some(now + time::Duration::minutes(30)));
    }

    #[test]
    fn error_quotes_only_error_fields() {
        let body = serde_json::json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret.\r\nTrace ID: 1",
            "access_token": "canary-token"});
        let e = error_from_response(&Response::json_body(StatusCode::UNAUTHORIZED, &body), "ClientSecretCredential");
        let text = e.to_string();
        assert!(text.contains("invalid_client") && text.contains("AADSTS7000215"), "{text}");
        assert!(!text.contains("canary") && !text.contains("Trace ID"), "{text}");
        assert!(!e.is_credential_unavailable());
    }

    #[test]
    fn garbage_body_is_never_quoted() {
        let garbage = Response::new(StatusCode::OK, Headers::new(), "<html>canary-garbage</html>");
        let text = parse_token_response(&garbage, datetime!(2026-11-23 10:00:00 UTC), "x").unwrap_err().to_string();
        assert!(!text.contains("canary"), "{text}");
        let garbage = Response::new(StatusCode::BAD_GATEWAY, Headers::new(), "canary-garbage");
        let text = error_from_response(&garbage, "x").to_string();
        assert!(text.contains("502") && !text.contains("canary"), "{text}");
    }
}
