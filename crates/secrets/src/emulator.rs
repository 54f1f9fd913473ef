//! One call from a test to a [`SecretClient`] wired to an in-process emulator (feature `emulator`).
//!
//! The client reaches the emulator the way it reaches a real vault: over HTTPS with the emulator's CA
//! trusted, `https://{vault}.vault.azure.net:PORT` resolved to the emulator's loopback address (so the
//! challenge's resource check stays on), strict token checking, and tokens the emulator issued.
//! The emulator crate never depends on this one; this module only uses its public API.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let (client, emulator) = azkv_secrets::emulator::emulated_client().await?;
//! client.set_secret("db-password", "s3cret", None).await?;
//! assert!(emulator.requests_served() >= 2); // the challenge and the set
//! # Ok(())
//! # }
//! ```

use crate::{SecretClient, SecretClientBuilder};
use azkv_pipeline::transport::{TransportOptions, default_transport};
use azkv_pipeline::{AccessToken, HttpClient, TokenCredential, TokenRequestOptions};
use std::sync::Arc;

pub use azkv_emulator::{AuthMode, Clock, Emulator, EmulatorBuilder, EmulatorHandle, Fault, VisibilityDelay};

/// The vault name [`emulated_client`] addresses: `https://myvault.vault.azure.net:PORT`.
pub const VAULT: &str = "myvault";

/// What can go wrong while wiring the client: the emulator does not start, or the client cannot be built.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Starts an emulator with the defaults (HTTPS with its own CA, strict tokens, in memory) and a client
/// for its vault [`VAULT`].
///
/// # Errors
///
/// When the emulator cannot start or the client cannot be built.
pub async fn emulated_client() -> Result<(SecretClient, EmulatorHandle), Error> {
    emulated_client_with(Emulator::builder(), VAULT).await
}

/// As [`emulated_client`], for an emulator from `builder` (a fixed clock, a data directory, ...) and
/// the vault `vault`. `builder` must keep TLS on.
///
/// # Errors
///
/// When the emulator cannot start (or serves plain HTTP) or the client cannot be built.
pub async fn emulated_client_with(
    builder: EmulatorBuilder,
    vault: &str,
) -> Result<(SecretClient, EmulatorHandle), Error> {
    let emulator = builder.start().await?;
    let client = client_builder(&emulator, vault)?.build()?;
    Ok((client, emulator))
}

/// A client builder for the emulator's vault `vault`, with [`transport`] and an emulator credential set:
/// add policies, options or another credential, then `build()`.
///
/// # Errors
///
/// When the emulator serves plain HTTP or the transport cannot be built.
pub fn client_builder(emulator: &EmulatorHandle, vault: &str) -> Result<SecretClientBuilder, Error> {
    let credential = EmulatorCredential(emulator.token_source());
    Ok(SecretClient::builder(emulator.vault_url(vault))
        .credential(Arc::new(credential))
        .transport(transport(emulator, vault)?))
}

/// The default transport, ignoring proxy variables, trusts the emulator's CA and resolves
/// `{vault}.vault.azure.net` to the emulator (every other host resolves as usual).
///
/// # Errors
///
/// When the emulator serves plain HTTP or the client cannot be built.
pub fn transport(emulator: &EmulatorHandle, vault: &str) -> Result<Arc<dyn HttpClient>, Error> {
    let ca = emulator.ca_pem().ok_or("the emulator serves plain HTTP; the helper needs its CA")?;
    let options = TransportOptions::default()
        .without_proxy()
        .with_root_certificate_pem(ca.as_bytes().to_vec())
        .with_resolve(format!("{vault}.vault.azure.net"), emulator.addr());
    Ok(default_transport(&options)?)
}

/// A credential whose tokens the emulator issued (strict mode accepts them). Each expires one hour of
/// emulator time after it was issued, reported in wall time.
#[derive(Debug)]
struct EmulatorCredential(azkv_emulator::TokenSource);

#[async_trait::async_trait]
impl TokenCredential for EmulatorCredential {
    async fn get_token(&self, _scopes: &[&str], _options: &TokenRequestOptions) -> azkv_pipeline::Result<AccessToken> {
        let (token, expires) = self.0.issue();
        let left = time::Duration::seconds(expires.saturating_sub(self.0.now()));
        Ok(AccessToken::new(token, time::OffsetDateTime::now_utc() + left))
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn one_call_gives_a_working_client_over_https_with_strict_tokens() {
        let (client, emulator) = super::emulated_client().await.unwrap();
        assert!(emulator.ca_pem().is_some());
        let set = client.set_secret("helper", "value", None).await.unwrap();
        assert_eq!(set.name, "helper");
        assert_eq!(client.get_secret("helper").await.unwrap().value(), "value");
        assert!(emulator.requests_served() >= 2);
        emulator.shutdown().await;
    }

    #[tokio::test]
    async fn plain_http_is_refused_with_an_error() {
        let builder = super::Emulator::builder().tls(false);
        let e = super::emulated_client_with(builder, "v").await.unwrap_err();
        assert!(e.to_string().contains("plain HTTP"), "{e}");
    }
}
