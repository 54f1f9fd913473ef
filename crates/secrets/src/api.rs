//! `SecretClientApi`: every operation as an object-safe trait, so applications can mock the
//! client. Generated from the one operation list in `operations.rs`.

// mockall's generated items take their spans from the macro below, so the crate's lints reach them.
#![cfg_attr(feature = "mock", allow(unreachable_pub, missing_debug_implementations))]

use async_trait::async_trait;

use crate::{
    DeletedSecret, KeyVaultSecret, ListOptions, Pager, Poller, Result, SecretClient, SecretProperties,
    SetSecretOptions, UpdateSecretProperties,
};

macro_rules! define_api {
    (
        calls {
            $($id:ident => $name:ident $(<$lt:lifetime>)? ($($arg:ident: [$($ty:tt)*]),* $(,)?) -> [$($ret:tt)*];)*
        }
        lists {
            $($lid:ident => $lname:ident ($($larg:ident: [$($lty:tt)*]),* $(,)?) -> [$($lret:tt)*];)*
        }
    ) => {
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
            $(
                #[doc = concat!("See [`SecretClient::", stringify!($name), "`].")]
                async fn $name $(<$lt>)? (&self, $($arg: $($ty)*),*) -> Result<$($ret)*>;
            )*
            $(
                #[doc = concat!("See [`SecretClient::", stringify!($lname), "`].")]
                fn $lname(&self, $($larg: $($lty)*),*) -> Pager<$($lret)*>;
            )*
        }

        #[async_trait]
        impl SecretClientApi for SecretClient {
            $(
                async fn $name $(<$lt>)? (&self, $($arg: $($ty)*),*) -> Result<$($ret)*> {
                    SecretClient::$name(self, $($arg),*).await
                }
            )*
            $(
                fn $lname(&self, $($larg: $($lty)*),*) -> Pager<$($lret)*> {
                    SecretClient::$lname(self, $($larg),*)
                }
            )*
        }
    };
}
crate::operations::with_operations!(define_api);

#[cfg(test)]
fn _object_safe(_: &dyn SecretClientApi) {}
