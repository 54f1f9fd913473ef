//! Key Vault challenge authentication.

mod policy;

pub use policy::{KeyVaultChallenge, VaultChallenge, verify_resource};
