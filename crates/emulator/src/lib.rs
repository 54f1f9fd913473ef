//! A local Azure Key Vault **secrets** emulator: the 12 secrets operations over HTTPS, with the service's
//! challenge authentication, soft delete, backups, paging and error bodies, optional durable storage,
//! and test controls under `/_emulator/`.
//!
//! Routes come from the operation table of `azkv-models`, and bodies are its wire types; the emulator
//! never depends on the client crate. See `docs/emulator.md` for running it and pointing SDKs at it.
//!
//! ```no_run
//! # async fn run() -> azkv_emulator::Result<()> {
//! let emulator = azkv_emulator::Emulator::builder().start().await?;
//! let token = emulator.issue_token();
//! let ca = emulator.ca_pem().expect("TLS is on by default");
//! // ... trust `ca`, send `Authorization: Bearer {token}` to `emulator.url()` ...
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

mod app;
mod auth;
mod blob;
mod builder;
#[cfg(feature = "cli")]
pub mod cli;
mod clock;
mod controls;
mod entra;
mod error;
mod faults;
mod files;
mod handle;
mod handlers;
mod names;
mod paging;
mod router;
mod server;
mod store;
mod tls;
mod token;
mod vault;
mod wire;

pub use auth::AuthMode;
pub use builder::{DEFAULT_TENANT, Emulator, EmulatorBuilder};
pub use clock::Clock;
pub use error::{Error, Result};
pub use handle::{EmulatorHandle, Fault, TokenSource, VisibilityDelay};
pub use server::ConnectionLimits;
