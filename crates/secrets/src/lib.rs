//! Azure Key Vault secrets client.

pub mod challenge;
