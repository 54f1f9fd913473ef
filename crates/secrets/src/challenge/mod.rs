//! Key Vault challenge authentication.

mod parse;
mod policy;

pub use parse::{Challenge, parse_challenges};
pub use policy::{ChallengeAuthPolicy, VaultChallenge, verify_resource};
