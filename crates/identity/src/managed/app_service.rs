//! App Service, Functions and Container Apps: `IDENTITY_ENDPOINT` with `IDENTITY_HEADER`.

use azkv_pipeline::{AccessToken, Method, Request, Result, Secret, Url};

use super::{Shared, endpoint_url, parse_response, token_url};
use crate::http::{Retry, send};

const WHAT: &str = "ManagedIdentityCredential (App Service)";

/// GET `{IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...` with `X-IDENTITY-HEADER`.
#[derive(Debug)]
pub(crate) struct AppService {
    shared: Shared,
    endpoint: Url,
    header: Secret,
}

impl AppService {
    pub(crate) fn new(shared: Shared, endpoint: &str, header: Secret) -> Result<Self> {
        Ok(Self { shared, endpoint: endpoint_url("IDENTITY_ENDPOINT", endpoint)?, header })
    }

    pub(crate) async fn get_token(&self, resource: &str) -> Result<AccessToken> {
        let id = self.shared.user_assigned_id.as_ref();
        let url = token_url(&self.endpoint, "2019-08-01", resource, id, "mi_res_id");
        let mut request = Request::new(Method::GET, url);
        request.headers.insert("x-identity-header", self.header.expose());
        request.headers.insert("metadata", "true");
        let response = send(&self.shared.http, &request, &self.shared.time, Retry::AAD).await?;
        parse_response(&response, self.shared.time.now_utc(), WHAT)
    }
}
