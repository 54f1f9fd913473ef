//! Azure Cloud Shell: `MSI_ENDPOINT`.

use azkv_pipeline::{AccessToken, Error, Method, Request, Result, Url};

use super::{Shared, endpoint_url, parse_response};
use crate::http::{Retry, send};

const WHAT: &str = "ManagedIdentityCredential (Cloud Shell)";

/// POST `MSI_ENDPOINT` with the form `resource=...` and `Metadata: true`.
#[derive(Debug)]
pub(crate) struct CloudShell {
    shared: Shared,
    endpoint: Url,
}

impl CloudShell {
    pub(crate) fn new(shared: Shared, endpoint: &str) -> Result<Self> {
        Ok(Self { shared, endpoint: endpoint_url("MSI_ENDPOINT", endpoint)? })
    }

    pub(crate) async fn get_token(&self, resource: &str) -> Result<AccessToken> {
        if self.shared.user_assigned_id.is_some() {
            return Err(Error::credential(format!("{WHAT}: user-assigned identities are not supported")));
        }
        let mut request = Request::new(Method::POST, self.endpoint.clone());
        let body = url::form_urlencoded::Serializer::new(String::new()).append_pair("resource", resource).finish();
        request.set_body("application/x-www-form-urlencoded", body);
        request.headers.insert("metadata", "true");
        let response = send(&self.shared.http, &request, &self.shared.time, Retry::AAD).await?;
        parse_response(&response, self.shared.time.now_utc(), WHAT)
    }
}
