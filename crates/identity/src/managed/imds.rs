//! The instance metadata service (IMDS) of virtual machines, scale sets and AKS nodes.

use std::time::Duration;

use azkv_pipeline::{AccessToken, Error, Method, Request, Result, StatusCode, Url};

use super::{ManagedIdentityCredentialOptions, Shared, endpoint_url, parse_response, token_url};
use crate::http::{Retry, send};

const WHAT: &str = "ManagedIdentityCredential (IMDS)";

/// IMDS's token endpoint.
pub const DEFAULT_IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// The token path under an IMDS host.
pub(crate) const IMDS_TOKEN_PATH: &str = "/metadata/identity/oauth2/token";

/// GET `{endpoint}?api-version=2018-02-01&resource=...` with `Metadata: true`.
#[derive(Debug)]
pub(crate) struct Imds {
    shared: Shared,
    endpoint: Url,
    probe_timeout: Option<Duration>,
    retry: Retry,
    reachable: tokio::sync::Mutex<bool>,
}

/// IMDS asks for retries of 404 (identity not yet assigned), 410 (IMDS updating), 429 and 5xx.
fn imds_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 404 | 410 | 429) || status.is_server_error()
}

impl Imds {
    pub(crate) fn new(
        shared: Shared,
        endpoint: Option<&str>,
        options: &ManagedIdentityCredentialOptions,
    ) -> Result<Self> {
        let endpoint = endpoint_url("the IMDS endpoint", endpoint.unwrap_or(DEFAULT_IMDS_ENDPOINT))?;
        Ok(Self {
            shared,
            endpoint,
            probe_timeout: options.probe_imds.then_some(options.imds_probe_timeout),
            retry: Retry {
                max_retries: options.imds_max_retries,
                initial_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(30),
                statuses: imds_retryable,
            },
            reachable: tokio::sync::Mutex::new(false),
        })
    }

    pub(crate) async fn get_token(&self, resource: &str) -> Result<AccessToken> {
        let id = self.shared.user_assigned_id.as_ref();
        let url = token_url(&self.endpoint, "2018-02-01", resource, id, "msi_res_id");
        let mut request = Request::new(Method::GET, url);
        request.headers.insert("metadata", "true");
        if let Some(timeout) = self.probe_timeout {
            let mut reachable = self.reachable.lock().await;
            if !*reachable {
                let response = match tokio::time::timeout(timeout, self.shared.http.execute(&request)).await {
                    Err(_) => {
                        return Err(Error::credential_unavailable(format!(
                            "{WHAT}: no answer from IMDS within {timeout:?}; this machine is probably not in Azure"
                        )));
                    }
                    Ok(Err(e @ (Error::Connection { .. } | Error::Timeout { .. } | Error::Transport { .. }))) => {
                        return Err(Error::credential_unavailable(format!("{WHAT}: IMDS cannot be reached: {e}")));
                    }
                    Ok(Err(e)) => return Err(e),
                    Ok(Ok(response)) => response,
                };
                *reachable = true;
                if response.status == StatusCode::BAD_REQUEST {
                    let e = crate::aad::error_from_response(&response, WHAT);
                    return Err(Error::credential_unavailable(format!("{e}; no managed identity is assigned here?")));
                }
                if !imds_retryable(response.status) {
                    return parse_response(&response, self.shared.time.now_utc(), WHAT);
                }
            }
        }
        let response = send(&self.shared.http, &request, &self.shared.time, self.retry).await?;
        parse_response(&response, self.shared.time.now_utc(), WHAT)
    }
}
