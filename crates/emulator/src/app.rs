//! The state shared by every connection: options, store, keys and test controls.

use crate::auth::AuthMode;
use crate::blob::BackupKey;
use crate::clock::Clock;
use crate::faults::Controls;
use crate::store::Store;
use crate::token::TokenIssuer;
use crate::wire::Policy;
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

/// The emulator's shared state. `Debug` leaves out the store (secret values) and the identity
/// header (a credential).
pub(crate) struct App {
    pub(crate) store: Store,
    pub(crate) clock: Clock,
    pub(crate) auth: AuthMode,
    pub(crate) tenant: String,
    pub(crate) policy: Policy,
    pub(crate) issuer: TokenIssuer,
    pub(crate) backup_key: BackupKey,
    /// The secret a managed-identity client sends as `X-IDENTITY-HEADER`.
    pub(crate) identity_header: String,
    /// `https` or `http`, as served.
    pub(crate) scheme: &'static str,
    /// `host:port` to use when a request carries no Host.
    pub(crate) local_authority: String,
    pub(crate) controls: Controls,
    /// Unknown api-versions already logged (each is logged once).
    pub(crate) seen_api_versions: Mutex<HashSet<String>>,
    /// The PEM served at `GET /_emulator/ca.pem`; `None` without TLS.
    pub(crate) ca_pem: Option<String>,
    /// The data directory's lock, held as long as anything can still write to it.
    pub(crate) _lock: Option<crate::files::DirLock>,
    /// Key Vault requests answered (any status; control requests are not counted).
    pub(crate) requests_served: AtomicU64,
    /// The emulated Entra ID tenant: applications, device codes, refresh tokens.
    pub(crate) entra: crate::entra::Entra,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("auth", &self.auth)
            .field("tenant", &self.tenant)
            .field("scheme", &self.scheme)
            .field("local_authority", &self.local_authority)
            .field("identity_header", &"REDACTED")
            .finish_non_exhaustive()
    }
}

impl App {
    /// Logs an api-version this emulator does not know, once per value.
    pub(crate) fn note_api_version(&self, v: &str) {
        if azkv_models::KNOWN_API_VERSIONS.contains(&v) {
            return;
        }
        let mut seen = self.seen_api_versions.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() < 1024 && seen.insert(v.to_owned()) {
            tracing::warn!(api_version = v, served_as = azkv_models::API_VERSION, "unknown api-version accepted");
        }
    }
}
