#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
#[cfg(feature = "blocking")]
pub mod blocking;
mod builder;
pub mod challenge;
mod client;
#[cfg(feature = "emulator")]
pub mod emulator;
mod error;
mod key_vault_secret;
mod operations;
mod options;
mod pager;
mod poller;

#[cfg(feature = "mock")]
pub use api::MockSecretClientApi;
pub use api::SecretClientApi;
pub use builder::SecretClientBuilder;
pub use client::SecretClient;
pub use error::{Error, Result, ServiceError};
pub use key_vault_secret::{DeletedSecret, KeyVaultSecret, SecretProperties};
pub use options::{ListOptions, SecretClientOptions, SetSecretOptions, UpdateSecretProperties};
pub use pager::{Page, Pager};
pub use poller::Poller;
