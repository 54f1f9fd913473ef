//! `SecretClientApi`: every operation as an object-safe trait, so applications can mock the
//! client.

use async_trait::async_trait;

use crate::{
    DeletedSecret, KeyVaultSecret, ListOptions, Pager, Poller, Result, SecretClient, SecretProperties,
    SetSecretOptions, UpdateSecretProperties,
};

/// Every secrets operation. Implemented by [`SecretClient`]; with the `mock` feature,
/// `MockSecretClientApi` is a mockall mock of it.
///
/// Write application code against `Arc<dyn SecretClientApi>` (or a generic) and test it
/// without HTTP:
///
/// ```
/// # #[cfg(feature = "mock")]
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use azkv_secrets::{KeyVaultSecret, MockSecretClientApi, SecretClientApi, SecretProperties};
///
/// async fn connection_string(kv: &dyn SecretClientApi) -> azkv_secrets::Result<String> {
///     let password = kv.get_secret("db-password").await?;
///     Ok(format!("postgres://app:{}@db/app", password.value()))
/// }
///
/// let mut kv = MockSecretClientApi::new();
/// kv.expect_get_secret()
///     .withf(|name| name == "db-password")
///     .returning(|name| Ok(KeyVaultSecret::new(name, "hunter2", SecretProperties::with_name(name))));
/// assert_eq!(connection_string(&kv).await.unwrap(), "postgres://app:hunter2@db/app");
/// # }
/// # #[cfg(not(feature = "mock"))] fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SecretClientApi: Send + Sync + std::fmt::Debug {
    /// See [`SecretClient::set_secret`].
    async fn set_secret(&self, name: &str, value: &str, options: Option<SetSecretOptions>) -> Result<KeyVaultSecret>;
    /// See [`SecretClient::get_secret`].
    async fn get_secret(&self, name: &str) -> Result<KeyVaultSecret>;
    /// See [`SecretClient::get_secret_version`].
    async fn get_secret_version<'a>(
        &self,
        name: &str,
        version: &str,
        out_content_type: Option<&'a str>,
    ) -> Result<KeyVaultSecret>;
    /// See [`SecretClient::update_secret_properties`].
    async fn update_secret_properties<'a>(
        &self,
        name: &str,
        version: Option<&'a str>,
        changes: UpdateSecretProperties,
    ) -> Result<SecretProperties>;
    /// See [`SecretClient::begin_delete_secret`].
    async fn begin_delete_secret(&self, name: &str) -> Result<Poller<DeletedSecret>>;
    /// See [`SecretClient::begin_recover_deleted_secret`].
    async fn begin_recover_deleted_secret(&self, name: &str) -> Result<Poller<SecretProperties>>;
    /// See [`SecretClient::get_deleted_secret`].
    async fn get_deleted_secret(&self, name: &str) -> Result<DeletedSecret>;
    /// See [`SecretClient::purge_deleted_secret`].
    async fn purge_deleted_secret(&self, name: &str) -> Result<()>;
    /// See [`SecretClient::backup_secret`].
    async fn backup_secret(&self, name: &str) -> Result<Vec<u8>>;
    /// See [`SecretClient::restore_secret_backup`].
    async fn restore_secret_backup(&self, backup: &[u8]) -> Result<SecretProperties>;
    /// See [`SecretClient::list_properties_of_secrets`].
    fn list_properties_of_secrets(&self, options: Option<ListOptions>) -> Pager<SecretProperties>;
    /// See [`SecretClient::list_properties_of_secret_versions`].
    fn list_properties_of_secret_versions(&self, name: &str, options: Option<ListOptions>) -> Pager<SecretProperties>;
    /// See [`SecretClient::list_deleted_secrets`].
    fn list_deleted_secrets(&self, options: Option<ListOptions>) -> Pager<DeletedSecret>;
}

#[async_trait]
impl SecretClientApi for SecretClient {
    async fn set_secret(&self, name: &str, value: &str, options: Option<SetSecretOptions>) -> Result<KeyVaultSecret> {
        SecretClient::set_secret(self, name, value, options).await
    }
    async fn get_secret(&self, name: &str) -> Result<KeyVaultSecret> {
        SecretClient::get_secret(self, name).await
    }
    async fn get_secret_version<'a>(
        &self,
        name: &str,
        version: &str,
        out_content_type: Option<&'a str>,
    ) -> Result<KeyVaultSecret> {
        SecretClient::get_secret_version(self, name, version, out_content_type).await
    }
    async fn update_secret_properties<'a>(
        &self,
        name: &str,
        version: Option<&'a str>,
        changes: UpdateSecretProperties,
    ) -> Result<SecretProperties> {
        SecretClient::update_secret_properties(self, name, version, changes).await
    }
    async fn begin_delete_secret(&self, name: &str) -> Result<Poller<DeletedSecret>> {
        SecretClient::begin_delete_secret(self, name).await
    }
    async fn begin_recover_deleted_secret(&self, name: &str) -> Result<Poller<SecretProperties>> {
        SecretClient::begin_recover_deleted_secret(self, name).await
    }
    async fn get_deleted_secret(&self, name: &str) -> Result<DeletedSecret> {
        SecretClient::get_deleted_secret(self, name).await
    }
    async fn purge_deleted_secret(&self, name: &str) -> Result<()> {
        SecretClient::purge_deleted_secret(self, name).await
    }
    async fn backup_secret(&self, name: &str) -> Result<Vec<u8>> {
        SecretClient::backup_secret(self, name).await
    }
    async fn restore_secret_backup(&self, backup: &[u8]) -> Result<SecretProperties> {
        SecretClient::restore_secret_backup(self, backup).await
    }
    fn list_properties_of_secrets(&self, options: Option<ListOptions>) -> Pager<SecretProperties> {
        SecretClient::list_properties_of_secrets(self, options)
    }
    fn list_properties_of_secret_versions(&self, name: &str, options: Option<ListOptions>) -> Pager<SecretProperties> {
        SecretClient::list_properties_of_secret_versions(self, name, options)
    }
    fn list_deleted_secrets(&self, options: Option<ListOptions>) -> Pager<DeletedSecret> {
        SecretClient::list_deleted_secrets(self, options)
    }
}

#[cfg(test)]
fn _object_safe(_: &dyn SecretClientApi) {}
