//! Azure Key Vault secrets client.

mod builder;
pub mod challenge;
mod client;
mod error;
mod options;
mod pager;
mod poller;
mod secret;

pub use builder::SecretClientBuilder;
pub use client::SecretClient;
pub use error::{Error, Result, ServiceError};
pub use options::{
    DEFAULT_API_VERSION, KNOWN_API_VERSIONS, ListOptions, SecretClientOptions, SetSecretOptions, UpdateSecretProperties,
};
pub use pager::{Page, Pager};
pub use poller::Poller;
pub use secret::{DeletedSecret, KeyVaultSecret, SecretProperties};
