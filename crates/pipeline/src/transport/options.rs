//! Settings for the built-in transports.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::{ProxySettings, Resolve};

/// The largest response body a built-in transport buffers: 32 MiB. A Key Vault response is
/// far smaller; anything larger is refused as a transport error rather than exhausting memory.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 32 * 1024 * 1024;

/// Settings for [`super::default_transport`], `new_reqwest_client` (feature `reqwest`) and
/// `HyperClient` (feature `hyper`).
///
/// Defaults: connect timeout 10 s, read timeout 60 s (between two reads, not for the whole
/// response; the retry policy's per-try timeout bounds the whole exchange), idle pooled
/// connections kept 90 s, platform roots plus any given here.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportOptions {
    /// Time allowed to open a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed between two reads of a response.
    pub read_timeout: Duration,
    /// How long an idle pooled connection is kept.
    pub pool_idle_timeout: Duration,
    /// Extra trusted roots, PEM (for example the emulator's CA).
    pub root_certificates_pem: Vec<Vec<u8>>,
    /// Trust only `root_certificates_pem`, not the platform's roots.
    pub only_given_roots: bool,
    /// Checks server certificates with this verifier instead of any roots: for a service
    /// whose certificate is pinned rather than issued by a CA (Service Fabric's token
    /// endpoint, say). The default transport and `ReqwestTransport` use it.
    pub server_verifier: Option<Arc<dyn rustls::client::danger::ServerCertVerifier>>,
    /// DNS overrides: connect to this address for this host name.
    pub resolve: Vec<(String, SocketAddr)>,
    /// A resolver used instead of the system's (the overrides in `resolve` still apply).
    pub resolver: Option<Arc<dyn Resolve>>,
    /// Which proxy to use: the environment's by default. Loopback and link-local
    /// destinations are always reached directly, whatever this says. (`HyperClient` never
    /// uses a proxy.)
    pub proxy: ProxySettings,
    /// The largest response body accepted by the default transport, `ReqwestTransport` and
    /// `HyperClient`. A plain `reqwest::Client` used as a transport applies
    /// [`DEFAULT_MAX_RESPONSE_BODY`].
    pub max_response_body: usize,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            pool_idle_timeout: Duration::from_secs(90),
            root_certificates_pem: Vec::new(),
            only_given_roots: false,
            server_verifier: None,
            resolve: Vec::new(),
            resolver: None,
            proxy: ProxySettings::Environment,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
        }
    }
}

impl TransportOptions {
    /// Trusts the PEM certificate(s) in `pem` as well.
    pub fn with_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates_pem.push(pem.into());
        self
    }

    /// Checks server certificates with `verifier` instead of any roots (see
    /// [`TransportOptions::server_verifier`]).
    pub fn with_server_verifier(mut self, verifier: Arc<dyn rustls::client::danger::ServerCertVerifier>) -> Self {
        self.server_verifier = Some(verifier);
        self
    }

    /// Ignores proxy environment variables: every connection goes direct.
    pub fn without_proxy(mut self) -> Self {
        self.proxy = ProxySettings::Direct;
        self
    }

    /// Sends every non-local connection through `proxy`.
    pub fn with_proxy(mut self, proxy: super::ExplicitProxy) -> Self {
        self.proxy = ProxySettings::Explicit(proxy);
        self
    }

    /// Resolves host names with `resolver` instead of the system resolver.
    pub fn with_resolver(mut self, resolver: Arc<dyn Resolve>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Connects to `addr` whenever `host` is asked for.
    pub fn with_resolve(mut self, host: impl Into<String>, addr: SocketAddr) -> Self {
        self.resolve.push((host.into(), addr));
        self
    }
}
