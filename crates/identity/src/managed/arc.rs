//! Azure Arc: `IDENTITY_ENDPOINT` with `IMDS_ENDPOINT`, and its key-file challenge.

use std::path::{Path, PathBuf};

use azkv_pipeline::{AccessToken, Error, Method, Request, Result, Secret, StatusCode, Url};

use super::{Shared, endpoint_url, parse_response};
use crate::http::{Retry, send};

const WHAT: &str = "ManagedIdentityCredential (Azure Arc)";

/// The largest key file Arc's challenge may name.
const MAX_KEY_FILE_LEN: u64 = 4096;

/// Where the Arc agent writes its challenge key files on this platform.
pub(crate) fn default_key_directory() -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(r"C:\ProgramData\AzureConnectedMachineAgent\Tokens\")
    } else {
        PathBuf::from("/var/opt/azcmagent/tokens/")
    }
}

/// GET `{IDENTITY_ENDPOINT}?api-version=2020-06-01&resource=...` with `Metadata: true`; the
/// agent answers 401 with `WWW-Authenticate: Basic realm=<key file>`; the request is sent again
/// with `Authorization: Basic <key file contents>`.
#[derive(Debug)]
pub(crate) struct ArcSource {
    shared: Shared,
    endpoint: Url,
    key_directory: PathBuf,
}

impl ArcSource {
    pub(crate) fn new(shared: Shared, endpoint: &str, key_directory: PathBuf) -> Result<Self> {
        Ok(Self { shared, endpoint: endpoint_url("IDENTITY_ENDPOINT", endpoint)?, key_directory })
    }

    pub(crate) async fn get_token(&self, resource: &str) -> Result<AccessToken> {
        if self.shared.user_assigned_id.is_some() {
            return Err(Error::credential(format!("{WHAT}: user-assigned identities are not supported")));
        }
        let mut url = self.endpoint.clone();
        url.query_pairs_mut().append_pair("api-version", "2020-06-01").append_pair("resource", resource);
        let mut request = Request::new(Method::GET, url);
        request.headers.insert("metadata", "true");
        let challenge = send(&self.shared.http, &request, &self.shared.time, Retry::AAD).await?;
        if challenge.status != StatusCode::UNAUTHORIZED {
            return Err(Error::credential(format!(
                "{WHAT}: expected a 401 challenge from the Arc agent, got HTTP {}",
                challenge.status.as_u16()
            )));
        }
        let realm = challenge
            .headers
            .get_all("www-authenticate")
            .find_map(|v| v.trim().strip_prefix("Basic realm=").or_else(|| v.trim().strip_prefix("basic realm=")))
            .map(|r| r.trim().trim_matches('"').to_owned())
            .ok_or_else(|| Error::credential(format!("{WHAT}: the Arc agent's 401 has no Basic realm challenge")))?;
        let key = read_key_file(Path::new(&realm), &self.key_directory).await?;
        request.headers.insert("authorization", format!("Basic {}", key.expose()));
        let response = send(&self.shared.http, &request, &self.shared.time, Retry::AAD).await?;
        parse_response(&response, self.shared.time.now_utc(), WHAT)
    }
}

/// Reads the challenge key file, only when it is directly in `directory`, ends in `.key` and
/// holds at most [`MAX_KEY_FILE_LEN`] bytes.
async fn read_key_file(path: &Path, directory: &Path) -> Result<Secret> {
    let refuse =
        |why: &str| Error::credential(format!("{WHAT}: refusing the challenge key file {}: {why}", path.display()));
    if path.extension().and_then(|e| e.to_str()) != Some("key") {
        return Err(refuse("it does not have the .key extension"));
    }
    let canonical = tokio::fs::canonicalize(path).await.map_err(|e| refuse(&format!("it cannot be resolved: {e}")))?;
    let allowed = tokio::fs::canonicalize(directory)
        .await
        .map_err(|e| refuse(&format!("the allowed directory {} cannot be resolved: {e}", directory.display())))?;
    if canonical.parent() != Some(allowed.as_path()) {
        return Err(refuse(&format!("it is not in {}", directory.display())));
    }
    let metadata = tokio::fs::metadata(&canonical).await.map_err(|e| refuse(&e.to_string()))?;
    if !metadata.is_file() || metadata.len() > MAX_KEY_FILE_LEN {
        return Err(refuse(&format!("it is not a file of at most {MAX_KEY_FILE_LEN} bytes")));
    }
    let contents = tokio::fs::read_to_string(&canonical).await.map_err(|e| refuse(&e.to_string()))?;
    Ok(Secret::new(contents.trim()))
}
