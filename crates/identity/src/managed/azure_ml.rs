//! Azure Machine Learning: `MSI_ENDPOINT` with `MSI_SECRET`.

use azkv_pipeline::{AccessToken, Error, Method, Request, Result, Secret, Url};

use super::{Shared, UserAssignedId, endpoint_url, parse_response};
use crate::http::{Retry, send};

const WHAT: &str = "ManagedIdentityCredential (Azure ML)";

/// GET `{MSI_ENDPOINT}?api-version=2017-09-01&resource=...` with the header
/// `secret: {MSI_SECRET}`; a user-assigned identity as `clientid` (or `mi_res_id`), else the
/// compute's `DEFAULT_IDENTITY_CLIENT_ID`.
#[derive(Debug)]
pub(crate) struct AzureMl {
    shared: Shared,
    endpoint: Url,
    secret: Secret,
    default_client_id: Option<String>,
}

impl AzureMl {
    pub(crate) fn new(
        shared: Shared,
        endpoint: &str,
        secret: Secret,
        default_client_id: Option<String>,
    ) -> Result<Self> {
        Ok(Self { shared, endpoint: endpoint_url("MSI_ENDPOINT", endpoint)?, secret, default_client_id })
    }

    pub(crate) async fn get_token(&self, resource: &str) -> Result<AccessToken> {
        let mut url = self.endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("api-version", "2017-09-01").append_pair("resource", resource);
            match (&self.shared.user_assigned_id, &self.default_client_id) {
                (Some(UserAssignedId::ClientId(id)), _) | (None, Some(id)) => query.append_pair("clientid", id),
                (Some(UserAssignedId::ResourceId(id)), _) => query.append_pair("mi_res_id", id),
                (Some(UserAssignedId::ObjectId(_)), _) => {
                    return Err(Error::credential(format!(
                        "{WHAT}: a user-assigned identity cannot be chosen by object id here; use its client id"
                    )));
                }
                (None, None) => &mut query,
            };
        }
        let mut request = Request::new(Method::GET, url);
        request.headers.insert("secret", self.secret.expose());
        let response = send(&self.shared.http, &request, &self.shared.time, Retry::AAD).await?;
        parse_response(&response, self.shared.time.now_utc(), WHAT)
    }
}
