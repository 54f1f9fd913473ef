//! `SecretClient`: every secrets operation over the pipeline.

use std::sync::Arc;
use std::time::Duration;

use azkv_models::MAX_PAGE_SIZE;
use azkv_models::operations::{self, Operation};
use azkv_models::{
    DeletedSecretBundle, DeletedSecretListResult, SecretAttributes, SecretBundle, SecretListResult,
    SecretRestoreParameters, SecretSetParameters, SecretUpdateParameters, validation,
};
use azkv_pipeline::policies::is_secure_for_tokens;
use azkv_pipeline::time::TimeComponents;
use azkv_pipeline::{Context, Method, Pipeline, Request, Response, TokenCredential, Url};
use futures::Stream;

use crate::challenge::KeyVaultChallenge;
use crate::options::{ListOptions, SecretClientOptions, SetSecretOptions, UpdateSecretProperties};
use crate::pager::{Page, Pager};
use crate::poller::{PollKind, Poller};
use crate::{DeletedSecret, Error, KeyVaultSecret, Result, SecretProperties};

/// The Key Vault secrets client. Cheap to clone; clones share one pipeline and connection pool.
///
/// ```no_run
/// # async fn f() -> azkv_secrets::Result<()> {
/// use std::sync::Arc;
/// use azkv_secrets::SecretClient;
/// # let credential: Arc<dyn azkv_pipeline::TokenCredential> = unimplemented!();
/// let client = SecretClient::new("https://myvault.vault.azure.net", credential, None)?;
/// client.set_secret("db-password", "hunter2", None).await?;
/// let secret = client.get_secret("db-password").await?;
/// assert_eq!(secret.value(), "hunter2");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SecretClient {
    inner: Arc<Inner>,
    context: Context,
}

#[derive(Debug)]
struct Inner {
    vault_url: Url,
    /// The vault URL with `?api-version=…`: each request's URL starts as a copy of it.
    versioned_url: Url,
    api_version: String,
    pipeline: Pipeline,
    poll_interval: Duration,
    poll_timeout: Duration,
    time: TimeComponents,
}

/// Checks a vault URL: `https` (or `http` to a loopback host), no path, query or user info.
fn parse_vault_url(vault_url: &str) -> Result<Url> {
    let url = Url::parse(vault_url).map_err(|e| Error::InvalidArgument(format!("vault URL `{vault_url}`: {e}")))?;
    if !is_secure_for_tokens(&url) {
        return Err(Error::InvalidArgument(format!(
            "vault URL `{vault_url}` must use https (plain http is allowed only to a loopback host)"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err(Error::InvalidArgument(format!(
            "vault URL `{vault_url}` must not carry user info, a query or a fragment"
        )));
    }
    if url.path() != "/" {
        return Err(Error::InvalidArgument(format!("vault URL `{vault_url}` must have no path")));
    }
    Ok(url)
}

/// Key Vault's response headers whose values the client's logging shows.
pub(crate) const KEY_VAULT_LOGGED_HEADERS: &[&str] =
    &["x-ms-keyvault-network-info", "x-ms-keyvault-region", "x-ms-keyvault-service-version"];

impl SecretClient {
    /// A client for the vault at `vault_url`, authenticating with `credential`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a vault URL that is not https (or http to a loopback
    /// host), or has a path, query or user info; or a transport that cannot be built.
    pub fn new(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        options: Option<SecretClientOptions>,
    ) -> Result<Self> {
        let mut options = options.unwrap_or_default();
        let vault_url = parse_vault_url(vault_url)?;
        let time = options.client.time.clone();
        // The service's diagnostic headers are safe to log; the pipeline knows nothing of them.
        for header in KEY_VAULT_LOGGED_HEADERS {
            if !options.client.logging.additional_allowed_headers.iter().any(|h| h.eq_ignore_ascii_case(header)) {
                options.client.logging.additional_allowed_headers.push((*header).to_owned());
            }
        }
        let auth = azkv_pipeline::policies::BearerTokenPolicy::with_challenge(
            credential,
            Arc::new(KeyVaultChallenge::new(options.verify_challenge_resource, options.enable_cae)),
            time.clone(),
        );
        let pipeline = Pipeline::new(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            options.client,
            vec![],
            vec![Arc::new(auth)],
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                versioned_url: {
                    let mut url = vault_url.clone();
                    url.query_pairs_mut().append_pair(operations::API_VERSION_PARAM, &options.api_version);
                    url
                },
                vault_url,
                api_version: options.api_version,
                pipeline,
                poll_interval: options.poll_interval,
                poll_timeout: options.poll_timeout,
                time,
            }),
            context: Context::new(),
        })
    }

    /// This client with `context` applied to every call made through the copy: a deadline,
    /// a client request id, or body logging for just these operations.
    ///
    /// ```no_run
    /// # async fn f(client: azkv_secrets::SecretClient) -> azkv_secrets::Result<()> {
    /// use std::time::Duration;
    /// use azkv_pipeline::Context;
    /// let ctx = Context::new().with_timeout(Duration::from_secs(5)).with_log_body(true);
    /// let secret = client.with_context(ctx).get_secret("db-password").await?;
    /// # Ok(()) }
    /// ```
    pub fn with_context(&self, context: Context) -> Self {
        Self { inner: self.inner.clone(), context }
    }

    /// A builder for the common cases.
    pub fn builder(vault_url: impl Into<String>) -> crate::SecretClientBuilder {
        crate::SecretClientBuilder::new(vault_url)
    }

    /// The vault's URL, without a trailing slash.
    pub fn vault_url(&self) -> &str {
        self.inner.vault_url.as_str().trim_end_matches('/')
    }

    /// The `api-version` this client sends.
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// The pipeline, for SDK authors who send their own requests.
    pub fn pipeline(&self) -> &Pipeline {
        &self.inner.pipeline
    }

    pub(crate) fn poll_settings(&self) -> (Duration, Duration) {
        (self.inner.poll_interval, self.inner.poll_timeout)
    }

    pub(crate) fn time(&self) -> &TimeComponents {
        &self.inner.time
    }

    fn url(&self, op: &Operation, params: &[(&str, &str)], query: &[(&str, &str)]) -> Result<Url> {
        let base = &self.inner.versioned_url;
        url_cache::url(base, op.id.as_str(), params, query, || {
            let path = op.fill_path(params)?;
            // The copy keeps its `api-version` query when the path is set.
            let mut url = base.clone();
            url.set_path(&path);
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(query);
            }
            Ok(url)
        })
    }

    fn request(&self, op: &Operation, params: &[(&str, &str)], query: &[(&str, &str)]) -> Result<Request> {
        let method = match op.method {
            operations::Method::Get => Method::GET,
            operations::Method::Put => Method::PUT,
            operations::Method::Patch => Method::PATCH,
            operations::Method::Post => Method::POST,
            operations::Method::Delete => Method::DELETE,
        };
        let mut request = Request::new(method, self.url(op, params, query)?);
        request.headers.insert_value(http::header::ACCEPT, http::HeaderValue::from_static("application/json"));
        Ok(request)
    }

    async fn call(&self, operation: &'static str, mut request: Request) -> Result<Response> {
        let ctx = self.context.clone().with_operation(operation);
        let response = self.inner.pipeline.send(&ctx, &mut request).await?;
        if response.is_success() {
            return Ok(response);
        }
        Err(Error::from_response(response, self.inner.time.time_source.now()))
    }

    async fn call_json<T: serde::de::DeserializeOwned>(&self, operation: &'static str, request: Request) -> Result<T> {
        Ok(self.call(operation, request).await?.json()?)
    }

    /// Sends `request` through the client's pipeline (retries, authentication, logging) and
    /// returns the response whatever its status: for operations the typed API does not cover.
    /// Build it with [`SecretClient::vault_request`] for a path on the vault.
    ///
    /// The request must go to the vault's own origin (scheme, host and port): the challenge
    /// flow picks the token's audience and tenant from whatever server answers, so a request
    /// to another origin would let that server choose what token it receives. Such a request
    /// is refused before anything is sent; send it with a pipeline of your own instead.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a URL on another origin; transport and credential
    /// errors; a non-2xx status is returned as a response.
    pub async fn send_request(&self, mut request: Request) -> Result<Response> {
        let vault = &self.inner.vault_url;
        if request.url.origin() != vault.origin() {
            return Err(Error::InvalidArgument(format!(
                "send_request only sends to the vault ({}), not to {}",
                vault.origin().ascii_serialization(),
                request.url.origin().ascii_serialization()
            )));
        }
        let ctx = self.context.clone().with_operation("send_request");
        Ok(self.inner.pipeline.send(&ctx, &mut request).await?)
    }

    /// A request for `path_and_query` (such as `/secrets/name/?maxresults=5`) on the vault,
    /// with the client's `api-version` added unless the query names one, as Python's
    /// `send_request` does for a relative URL.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `path_and_query` does not start with `/` or does not parse.
    pub fn vault_request(&self, method: Method, path_and_query: &str) -> Result<Request> {
        if !path_and_query.starts_with('/') || path_and_query.starts_with("//") {
            return Err(Error::InvalidArgument(format!(
                "`{path_and_query}` is not a path on the vault (it must start with one `/`)"
            )));
        }
        let mut url = self
            .inner
            .vault_url
            .join(path_and_query)
            .map_err(|e| Error::InvalidArgument(format!("`{path_and_query}` is not a valid path: {e}")))?;
        if !url.query_pairs().any(|(k, _)| k == operations::API_VERSION_PARAM) {
            url.query_pairs_mut().append_pair(operations::API_VERSION_PARAM, &self.inner.api_version);
        }
        let mut request = Request::new(method, url);
        request.headers.insert("accept", "application/json");
        Ok(request)
    }

    /// Stores a secret; a new version when the name exists.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad name, a value over 25 KB, too many or too long
    /// tags, or a content type over 255 characters (checked before sending);
    /// [`Error::Conflict`] with inner code `ObjectIsDeletedButRecoverable` when the name is
    /// deleted but recoverable.
    pub async fn set_secret(
        &self,
        name: &str,
        value: &str,
        options: Option<SetSecretOptions>,
    ) -> Result<KeyVaultSecret> {
        let o = options.unwrap_or_default();
        let has_attributes = o.enabled.is_some() || o.not_before.is_some() || o.expires_on.is_some();
        let parameters = SecretSetParameters {
            value: value.to_owned(),
            tags: o.tags.map(|t| t.into_iter().collect()),
            content_type: o.content_type,
            attributes: has_attributes.then(|| SecretAttributes {
                enabled: o.enabled,
                not_before: o.not_before,
                expires: o.expires_on,
                ..SecretAttributes::default()
            }),
        };
        validation::validate_set_secret(name, &parameters).map_err(invalid)?;
        let mut request = self.request(&operations::SET_SECRET, &[("secret-name", name)], &[])?;
        request.set_json(&parameters)?;
        let bundle: SecretBundle = self.call_json("set_secret", request).await?;
        Ok(KeyVaultSecret::from_bundle(bundle))
    }

    /// The latest version of a secret, value included.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Forbidden`] with inner code `SecretDisabled`.
    pub async fn get_secret(&self, name: &str) -> Result<KeyVaultSecret> {
        self.get_secret_version(name, None, None).await
    }

    /// One version of a secret (`None` for the latest), optionally converted with
    /// `out_content_type` (a certificate's PFX secret as PEM).
    ///
    /// # Errors
    /// As [`SecretClient::get_secret`].
    pub async fn get_secret_version(
        &self,
        name: &str,
        version: Option<&str>,
        out_content_type: Option<&str>,
    ) -> Result<KeyVaultSecret> {
        validate_name_version(name, version)?;
        let query: Vec<(&str, &str)> = out_content_type.map(|c| ("outContentType", c)).into_iter().collect();
        let params = [("secret-name", name), ("secret-version", version.unwrap_or(LATEST))];
        let request = self.request(&operations::GET_SECRET, &params, &query)?;
        let bundle: SecretBundle = self.call_json("get_secret", request).await?;
        Ok(KeyVaultSecret::from_bundle(bundle))
    }

    /// Changes a secret's attributes, content type or tags (never its value). `version`
    /// `None` updates the latest version.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::InvalidArgument`] for bad tags or content type.
    pub async fn update_secret_properties(
        &self,
        name: &str,
        version: Option<&str>,
        changes: UpdateSecretProperties,
    ) -> Result<SecretProperties> {
        validate_name_version(name, version)?;
        let version = version.unwrap_or(LATEST);
        if let Some(tags) = &changes.tags {
            validation::validate_tags(tags).map_err(invalid)?;
        }
        if let Some(ct) = &changes.content_type {
            validation::validate_content_type(ct).map_err(invalid)?;
        }
        let has_attributes = changes.enabled.is_some() || changes.not_before.is_some() || changes.expires_on.is_some();
        let parameters = SecretUpdateParameters {
            content_type: changes.content_type,
            attributes: has_attributes.then(|| SecretAttributes {
                enabled: changes.enabled,
                not_before: changes.not_before,
                expires: changes.expires_on,
                ..SecretAttributes::default()
            }),
            tags: changes.tags.map(|t| t.into_iter().collect()),
        };
        let mut request =
            self.request(&operations::UPDATE_SECRET, &[("secret-name", name), ("secret-version", version)], &[])?;
        request.set_json(&parameters)?;
        let bundle: SecretBundle = self.call_json("update_secret_properties", request).await?;
        Ok(SecretProperties::from_bundle(bundle))
    }

    /// Deletes a secret (every version). The poller's result is the deleted secret at once;
    /// awaiting it waits until the deletion is visible.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub async fn begin_delete_secret(&self, name: &str) -> Result<Poller<DeletedSecret>> {
        validate_name_version(name, None)?;
        let request = self.request(&operations::DELETE_SECRET, &[("secret-name", name)], &[])?;
        let bundle: DeletedSecretBundle = self.call_json("delete_secret", request).await?;
        let deleted = DeletedSecret::from_bundle(bundle);
        Ok(if deleted.recovery_id.is_none() {
            Poller::done(deleted)
        } else {
            Poller::pending(deleted, self.clone(), PollKind::Delete, name.to_owned())
        })
    }

    /// Recovers a deleted secret. The poller's result is the secret's properties at once;
    /// awaiting it waits until the secret can be read again.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no such deleted secret exists.
    pub async fn begin_recover_deleted_secret(&self, name: &str) -> Result<Poller<SecretProperties>> {
        validate_name_version(name, None)?;
        let request = self.request(&operations::RECOVER_DELETED_SECRET, &[("secret-name", name)], &[])?;
        let bundle: SecretBundle = self.call_json("recover_deleted_secret", request).await?;
        Ok(Poller::pending(SecretProperties::from_bundle(bundle), self.clone(), PollKind::Recover, name.to_owned()))
    }

    /// A deleted secret.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub async fn get_deleted_secret(&self, name: &str) -> Result<DeletedSecret> {
        validate_name_version(name, None)?;
        let request = self.request(&operations::GET_DELETED_SECRET, &[("secret-name", name)], &[])?;
        let bundle: DeletedSecretBundle = self.call_json("get_deleted_secret", request).await?;
        Ok(DeletedSecret::from_bundle(bundle))
    }

    /// Deletes a deleted secret for good.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Forbidden`] under purge protection.
    pub async fn purge_deleted_secret(&self, name: &str) -> Result<()> {
        validate_name_version(name, None)?;
        let request = self.request(&operations::PURGE_DELETED_SECRET, &[("secret-name", name)], &[])?;
        self.call("purge_deleted_secret", request).await.map(drop)
    }

    /// A protected backup of every version of a secret, for [`SecretClient::restore_secret_backup`].
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Decode`] when the service sends no blob.
    pub async fn backup_secret(&self, name: &str) -> Result<Vec<u8>> {
        validate_name_version(name, None)?;
        let mut request = self.request(&operations::BACKUP_SECRET, &[("secret-name", name)], &[])?;
        // A POST that only reads: safe to send again after a lost response.
        request.set_idempotent(true);
        let result: azkv_models::BackupSecretResult = self.call_json("backup_secret", request).await?;
        result.value.ok_or_else(|| {
            Error::Decode(azkv_pipeline::Error::Decode {
                what: "BackupSecretResult".into(),
                message: "the response holds no backup blob".into(),
                source: None,
            })
        })
    }

    /// Restores a backup made by [`SecretClient::backup_secret`].
    ///
    /// # Errors
    /// [`Error::Conflict`] when the name exists; [`Error::BadRequest`] for a damaged blob.
    pub async fn restore_secret_backup(&self, backup: &[u8]) -> Result<SecretProperties> {
        if backup.is_empty() {
            return Err(Error::InvalidArgument("the backup blob is empty".into()));
        }
        let mut request = self.request(&operations::RESTORE_SECRET, &[], &[])?;
        request.set_json(&SecretRestoreParameters { value: backup.to_vec() })?;
        let bundle: SecretBundle = self.call_json("restore_secret_backup", request).await?;
        Ok(SecretProperties::from_bundle(bundle))
    }
}

fn invalid(e: azkv_models::Error) -> Error {
    Error::Validation(e)
}

/// The `secret-version` path segment of the latest version: empty, as on the wire
/// (`/secrets/{name}/`). Only the path is built with it; every API takes `Option<&str>`.
const LATEST: &str = "";

fn validate_name_version(name: &str, version: Option<&str>) -> Result<()> {
    validation::validate_secret_name(name).map_err(invalid)?;
    if let Some(version) = version {
        validation::validate_secret_version(version).map_err(invalid)?;
    }
    Ok(())
}

mod lists;
mod url_cache;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_urls_are_checked() {
        assert!(parse_vault_url("https://myvault.vault.azure.net").is_ok());
        assert!(parse_vault_url("https://myvault.vault.azure.net/").is_ok());
        assert!(parse_vault_url("http://127.0.0.1:8443").is_ok());
        assert!(parse_vault_url("http://localhost:1").is_ok());
        for bad in [
            "http://myvault.vault.azure.net",
            "https://myvault.vault.azure.net/secrets",
            "https://u:p@myvault.vault.azure.net",
            "https://myvault.vault.azure.net?x=1",
            "not a url",
        ] {
            let err = parse_vault_url(bad).unwrap_err();
            assert!(err.is_invalid_argument(), "{bad}: {err:?}");
        }
    }
}
