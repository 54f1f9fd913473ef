//! Which requests the emulated Entra ID and managed-identity endpoints answer, and their dispatch.

use super::error::OAuthError;
use super::{EntraRequest, grants, managed, metadata};
use crate::app::App;
use http::{Method, StatusCode};
use serde_json::Value;

/// An endpoint served here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/{tenant}/oauth2/v2.0/token`
    Token(String),
    /// `/{tenant}/oauth2/v2.0/devicecode`
    DeviceCode(String),
    /// `/{tenant}/v2.0/.well-known/openid-configuration`
    OpenIdConfiguration(String),
    /// `/{tenant}/discovery/v2.0/keys`
    Keys(String),
    /// `/{tenant}/oauth2/v2.0/authorize` and `/logout`: the browser flows, not emulated.
    Browser(String),
    /// `/metadata/identity/oauth2/token`
    Imds,
    /// `/_emulator/msi/servicefabric`
    ServiceFabric,
    /// `/_emulator/msi/azureml`
    AzureMl,
}

/// The IMDS token path.
pub(crate) const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
/// The Service Fabric token path.
pub(crate) const SERVICE_FABRIC_PATH: &str = "/_emulator/msi/servicefabric";
/// The Azure ML token path.
pub(crate) const AZURE_ML_PATH: &str = "/_emulator/msi/azureml";

/// The route for `path`, if it is one of these endpoints.
pub(crate) fn match_path(path: &str) -> Option<Route> {
    match path.trim_end_matches('/') {
        IMDS_PATH => return Some(Route::Imds),
        SERVICE_FABRIC_PATH => return Some(Route::ServiceFabric),
        AZURE_ML_PATH => return Some(Route::AzureMl),
        _ => {}
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [tenant, a, b, c] = segments.as_slice() else {
        return None;
    };
    if tenant.is_empty() || tenant.starts_with('_') {
        return None;
    }
    let t = (*tenant).to_owned();
    match (*a, *b, *c) {
        ("oauth2", "v2.0", "token") => Some(Route::Token(t)),
        ("oauth2", "v2.0", "devicecode") => Some(Route::DeviceCode(t)),
        ("oauth2", "v2.0", "authorize" | "logout") => Some(Route::Browser(t)),
        ("v2.0", ".well-known", "openid-configuration") => Some(Route::OpenIdConfiguration(t)),
        ("discovery", "v2.0", "keys") => Some(Route::Keys(t)),
        _ => None,
    }
}

/// Whether `tenant` names the emulator's tenant: its id (any case) or `organizations` / `common`.
fn is_our_tenant(app: &App, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&app.tenant)
        || tenant.eq_ignore_ascii_case("organizations")
        || tenant.eq_ignore_ascii_case("common")
}

/// Answers `route`: status and JSON body.
pub(crate) fn serve(app: &App, route: &Route, req: &EntraRequest<'_>) -> (StatusCode, Value) {
    let result = match route {
        Route::Imds => return managed::imds(app, req),
        Route::ServiceFabric => return managed::service_fabric(app, req),
        Route::AzureMl => return managed::azure_ml(app, req),
        Route::Token(t) | Route::DeviceCode(t) | Route::OpenIdConfiguration(t) | Route::Keys(t) | Route::Browser(t)
            if !is_our_tenant(app, t) =>
        {
            Err(OAuthError::tenant_not_found(t))
        }
        Route::Token(_) | Route::DeviceCode(_) if req.method != Method::POST => Err(OAuthError::post_only(req.method)),
        Route::Token(t) => grants::token(app, req, t),
        Route::DeviceCode(_) => grants::device_code(app, req),
        Route::OpenIdConfiguration(t) => Ok(metadata::openid_configuration(&req.base, t, &app.tenant)),
        Route::Keys(_) => Ok(metadata::keys()),
        Route::Browser(_) => Err(OAuthError::not_emulated("The browser sign-in")),
    };
    match result {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => {
            tracing::info!(error = e.error, code = e.code, "Entra request refused");
            let correlation = req.header("client-request-id");
            (e.status, e.body(app.clock.now(), correlation))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(match_path("/t/oauth2/v2.0/token"), Some(Route::Token("t".into())));
        assert_eq!(match_path("/t/oauth2/v2.0/devicecode"), Some(Route::DeviceCode("t".into())));
        assert_eq!(
            match_path("/t/v2.0/.well-known/openid-configuration"),
            Some(Route::OpenIdConfiguration("t".into()))
        );
        assert_eq!(match_path("/t/discovery/v2.0/keys"), Some(Route::Keys("t".into())));
        assert_eq!(match_path("/metadata/identity/oauth2/token/"), Some(Route::Imds));
        assert_eq!(match_path("/_emulator/msi/azureml"), Some(Route::AzureMl));
        assert_eq!(match_path("/_emulator/oauth2/v2.0/token"), None);
        assert_eq!(match_path("/secrets/a/b"), None);
        assert_eq!(match_path("//oauth2/v2.0/token"), None);
        assert_eq!(match_path("/t/oauth2/v2.0/token/x"), None);
    }
}
