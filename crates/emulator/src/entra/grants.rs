//! `POST /{tenant}/oauth2/v2.0/token` (client credentials with a secret or an assertion, device code,
//! refresh token) and `POST /{tenant}/oauth2/v2.0/devicecode`.
//!
//! In strict mode a client must be registered (the device code flow also knows the Azure CLI's public
//! client). In `any` and `none` modes an unregistered client is served with any credential, while a
//! registered one is still checked, so the failure paths can be tried in every mode.

use super::apps::{AZURE_CLI_CLIENT_ID, RegisteredApp};
use super::error::OAuthError;
use super::{EntraRequest, assertion, lock, metadata, scopes};
use crate::app::App;
use crate::auth::AuthMode;
use crate::token::LIFETIME_SECS;
use base64::Engine;
use serde_json::{Value, json};

/// The device code grant type.
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The user every device-code sign-in signs in as.
pub(crate) const USER_OID: &str = "5c0ffee0-0000-4000-8000-00000000a2c0";
/// Its sign-in name.
pub(crate) const USER_NAME: &str = "emulated.user@azkv-emulator.localhost";

/// The form body's parameters.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().take(256).collect())
    }

    /// The first non-empty value of `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::missing(name))
    }
}

/// `Authorization: Basic` client credentials (`client_secret_basic`): form-encoded id and secret.
fn basic_auth(req: &EntraRequest<'_>) -> Option<(String, String)> {
    let (scheme, value) = req.header("authorization")?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// The `aud` values a client assertion may carry for this request.
fn assertion_audiences(app: &App, req: &EntraRequest<'_>, path_tenant: &str) -> Vec<String> {
    let mut v = Vec::new();
    for t in [path_tenant, app.tenant.as_str()] {
        v.push(format!("{}/{t}/oauth2/v2.0/token", req.base));
        v.push(format!("{}/{t}/oauth2/token", req.base));
        v.push(format!("{}/{t}/v2.0", req.base));
    }
    v
}

fn registered(app: &App, client_id: &str) -> Option<RegisteredApp> {
    lock(&app.entra.apps).get(client_id).cloned()
}

/// Authenticates a confidential client by secret (form or Basic) or assertion.
fn authenticate(
    app: &App,
    req: &EntraRequest<'_>,
    form: &Form,
    basic: Option<&(String, String)>,
    client_id: &str,
    path_tenant: &str,
) -> Result<(), OAuthError> {
    let secret = form.get("client_secret").or(basic.map(|(_, s)| s.as_str()).filter(|s| !s.is_empty()));
    let assertion_jwt = form.get("client_assertion");
    if assertion_jwt.is_some() && form.get("client_assertion_type") != Some(assertion::JWT_BEARER) {
        return Err(match form.get("client_assertion_type") {
            None => OAuthError::missing("client_assertion_type"),
            Some(_) => OAuthError::invalid_parameter("client_assertion_type"),
        });
    }
    let Some(registered) = registered(app, client_id) else {
        if app.auth == AuthMode::Strict {
            return Err(OAuthError::unknown_client(client_id, &app.tenant));
        }
        return if secret.is_some() || assertion_jwt.is_some() {
            Ok(())
        } else {
            Err(OAuthError::no_client_credential())
        };
    };
    match (assertion_jwt, secret) {
        (Some(jwt), _) => {
            let audiences = assertion_audiences(app, req, path_tenant);
            assertion::verify(&registered, client_id, jwt, &audiences, app.clock.now())
        }
        (None, Some(s)) if registered.secret_matches(s) => Ok(()),
        (None, Some(_)) => Err(OAuthError::wrong_secret(client_id)),
        (None, None) => Err(OAuthError::no_client_credential()),
    }
}

/// The token endpoint.
pub(crate) fn token(app: &App, req: &EntraRequest<'_>, path_tenant: &str) -> Result<Value, OAuthError> {
    let form = Form::parse(req.body);
    let basic = basic_auth(req);
    let grant = form.require("grant_type")?;
    let client_id = form
        .get("client_id")
        .or(basic.as_ref().map(|(id, _)| id.as_str()).filter(|id| !id.is_empty()))
        .ok_or_else(|| OAuthError::missing("client_id"))?
        .to_owned();
    let now = app.clock.now();
    match grant {
        "client_credentials" => {
            authenticate(app, req, &form, basic.as_ref(), &client_id, path_tenant)?;
            let resource = scopes::single_resource(form.require("scope")?, true)?;
            let token = app.issuer.issue_for(&resource, &client_id, &client_id, now, LIFETIME_SECS);
            tracing::info!(client_id, resource, "issued a client-credentials token");
            Ok(json!({
                "token_type": "Bearer",
                "expires_in": LIFETIME_SECS,
                "ext_expires_in": LIFETIME_SECS,
                "access_token": token,
            }))
        }
        DEVICE_CODE_GRANT => {
            let device_code = form.require("device_code")?;
            let code = lock(&app.entra.devices).redeem(device_code, &client_id, now)?;
            tracing::info!(client_id, "redeemed a device code");
            user_tokens(app, req, &form, &client_id, &code.scope, now)
        }
        "refresh_token" => {
            let refresh = form.require("refresh_token")?;
            let grant = lock(&app.entra.refresh).redeem(refresh, &client_id, now)?;
            // The scopes asked for now, keeping the offline access the grant had.
            let scope = match form.get("scope") {
                Some(s) if scopes::has(&grant.scope, "offline_access") && !scopes::has(s, "offline_access") => {
                    format!("{s} offline_access")
                }
                Some(s) => s.to_owned(),
                None => grant.scope.clone(),
            };
            user_tokens(app, req, &form, &client_id, &scope, now)
        }
        other => Err(OAuthError::unsupported_grant(other)),
    }
}

/// A signed-in user's tokens: access token, and refresh token, ID token and client info when asked for.
fn user_tokens(
    app: &App,
    req: &EntraRequest<'_>,
    form: &Form,
    client_id: &str,
    scope: &str,
    now: i64,
) -> Result<Value, OAuthError> {
    let resource = scopes::single_resource(scope, false)?;
    let access_token = app.issuer.issue_for(&resource, USER_OID, client_id, now, LIFETIME_SECS);
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scopes::resource_scopes(scope).join(" "),
        "expires_in": LIFETIME_SECS,
        "ext_expires_in": LIFETIME_SECS,
        "access_token": access_token,
    });
    if scopes::has(scope, "offline_access") {
        body["refresh_token"] = json!(lock(&app.entra.refresh).issue(client_id, scope, now));
    }
    if scopes::has(scope, "openid") {
        body["id_token"] = json!(app.issuer.sign(&json!({
            "aud": client_id,
            "iss": metadata::issuer(&req.base, &app.tenant),
            "iat": now,
            "nbf": now,
            "exp": now.saturating_add(LIFETIME_SECS),
            "sub": USER_OID,
            "oid": USER_OID,
            "tid": app.tenant,
            "name": "Emulated User",
            "preferred_username": USER_NAME,
            "ver": "2.0",
        })));
    }
    if form.get("client_info") == Some("1") {
        let info = json!({ "uid": USER_OID, "utid": app.tenant }).to_string();
        body["client_info"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(info));
    }
    Ok(body)
}

/// The devicecode endpoint: a new device code for a known client.
pub(crate) fn device_code(app: &App, req: &EntraRequest<'_>) -> Result<Value, OAuthError> {
    let form = Form::parse(req.body);
    let client_id = form.require("client_id")?;
    let scope = form.require("scope")?;
    super::apps::check_client_id(client_id).map_err(|_| OAuthError::invalid_parameter("client_id"))?;
    let known = client_id == AZURE_CLI_CLIENT_ID || registered(app, client_id).is_some();
    if !known && app.auth == AuthMode::Strict {
        return Err(OAuthError::unknown_client(client_id, &app.tenant));
    }
    scopes::single_resource(scope, false)?;
    let now = app.clock.now();
    let (device_code, user_code) = lock(&app.entra.devices).create(client_id, scope, now, app.entra.auto_approve)?;
    let uri = format!("{}/_emulator/devicecodes", req.base);
    tracing::info!(client_id, user_code, "issued a device code");
    Ok(json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": uri,
        "expires_in": super::device::EXPIRES_IN,
        "interval": super::device::INTERVAL,
        "message": format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate. \
             (Emulator: approve it with POST /_emulator/devicecodes/approve.)"
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(headers: &'a http::HeaderMap, body: &'a [u8]) -> EntraRequest<'a> {
        EntraRequest { method: &http::Method::POST, headers, query: &[], body, base: "https://h".into() }
    }

    #[test]
    fn basic_auth_is_form_decoded() {
        let mut h = http::HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode("my%20app:s%3Acret+x");
        h.insert("authorization", format!("Basic {v}").parse().unwrap());
        assert_eq!(basic_auth(&req(&h, b"")), Some(("my app".into(), "s:cret x".into())));
        h.insert("authorization", "Bearer x".parse().unwrap());
        assert_eq!(basic_auth(&req(&h, b"")), None);
        h.insert("authorization", "Basic !!!".parse().unwrap());
        assert_eq!(basic_auth(&req(&h, b"")), None);
    }

    #[test]
    fn form_takes_the_first_non_empty_value() {
        let f = Form::parse(b"a=&a=1&a=2&b=%20");
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.get("b"), Some(" "));
        assert_eq!(f.require("c").unwrap_err().code, 900144);
    }
}
