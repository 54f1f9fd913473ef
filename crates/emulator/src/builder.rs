//! `Emulator::builder()`: options, then `start()`.

use crate::app::App;
use crate::auth::AuthMode;
use crate::blob::BackupKey;
use crate::clock::Clock;
use crate::faults::Controls;
use crate::files::PrivateTempDir;
use crate::handle::EmulatorHandle;
use crate::server::ConnectionLimits;
use crate::store::Store;
use crate::token::TokenIssuer;
use crate::wire::Policy;
use crate::{Error, Result};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// The tenant named in the `WWW-Authenticate` challenge unless another is set.
pub const DEFAULT_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// The Key Vault emulator. Start one with [`Emulator::builder`].
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> azkv_emulator::Result<()> {
/// use azkv_emulator::{AuthMode, Emulator};
///
/// let emulator = Emulator::builder().auth(AuthMode::Any).start().await?;
/// println!("vault at {}", emulator.url());
/// emulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Emulator(());

impl Emulator {
    /// A builder with the defaults: `127.0.0.1:0`, TLS on, strict auth, in memory, 90 retention days,
    /// no purge protection, the system clock.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Options of an emulator; [`EmulatorBuilder::start`] runs it.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    bind: SocketAddr,
    tls: bool,
    auth: AuthMode,
    tenant: String,
    data_dir: Option<PathBuf>,
    retention_days: u32,
    purge_protection: bool,
    clock: Clock,
    extra_hosts: Vec<String>,
    allow_remote: bool,
    ca_out: Option<PathBuf>,
    ca_temp_dir: bool,
    tls_files: Option<(PathBuf, PathBuf)>,
    repair: bool,
    limits: ConnectionLimits,
    /// Registered applications and device-code options (set in `entra::api`).
    pub(crate) entra: crate::entra::EntraConfig,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tls: true,
            auth: AuthMode::Strict,
            tenant: DEFAULT_TENANT.to_owned(),
            data_dir: None,
            retention_days: 90,
            purge_protection: false,
            clock: Clock::system(),
            extra_hosts: Vec::new(),
            allow_remote: false,
            ca_out: None,
            ca_temp_dir: false,
            tls_files: None,
            repair: false,
            limits: ConnectionLimits::default(),
            entra: Default::default(),
        }
    }
}

impl EmulatorBuilder {
    /// The address to listen on (default `127.0.0.1:0`, an ephemeral port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Serve HTTPS with a per-run CA (default), or plain HTTP (`false`, loopback addresses only).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// How bearer tokens are checked (default [`AuthMode::Strict`]).
    pub fn auth(mut self, mode: AuthMode) -> Self {
        self.auth = mode;
        self
    }

    /// The tenant id in the `WWW-Authenticate` challenge and in issued tokens (default [`DEFAULT_TENANT`]).
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = tenant.into();
        self
    }

    /// Keep data in `dir` (an fsync'd log, replayed on start) instead of memory only.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Soft-delete retention in days, 7 to 90 (default 90).
    pub fn retention_days(mut self, days: u32) -> Self {
        self.retention_days = days;
        self
    }

    /// Refuse purges (403) so deleted secrets live out their retention (default off).
    pub fn purge_protection(mut self, on: bool) -> Self {
        self.purge_protection = on;
        self
    }

    /// The clock to read (default [`Clock::system`]); keep a clone to move time from the test.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Also make the TLS certificate valid for `host` (for example `myvault.localhost`).
    ///
    /// The certificate always covers `localhost`, `127.0.0.1`, `::1`, `*.vault.azure.net` and `*.localhost`,
    /// but most TLS clients (rustls, OpenSSL) refuse a wildcard over a single label such as `*.localhost`,
    /// so name each `{vault}.localhost` host you use here.
    pub fn extra_host(mut self, host: impl Into<String>) -> Self {
        self.extra_hosts.push(host.into());
        self
    }

    /// Allow [`AuthMode::None`] on a non-loopback address (default off: `start` refuses it, because then
    /// every secret and every control is open to the network). A warning is logged when it is used.
    pub fn allow_remote(mut self, on: bool) -> Self {
        self.allow_remote = on;
        self
    }

    /// Also write the CA certificate (PEM) to `path`: a new file (never written through a symlink)
    /// renamed over whatever is there. [`EmulatorHandle::ca_path`] then names it.
    pub fn ca_out(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_out = Some(path.into());
        self
    }

    /// Without a data directory or [`EmulatorBuilder::ca_out`], write the CA certificate into a fresh
    /// private directory (mode 0700, unpredictable name) under the temp directory, removed when the
    /// handle is dropped (default off; the binary turns it on).
    pub fn ca_temp_dir(mut self, on: bool) -> Self {
        self.ca_temp_dir = on;
        self
    }

    /// Serve this certificate chain and private key (PEM files) instead of the emulator's own CA.
    /// [`EmulatorHandle::ca_pem`] and `GET /_emulator/ca.pem` then give the chain's last certificate.
    pub fn tls_files(mut self, cert_chain: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls_files = Some((cert_chain.into(), key.into()));
        self
    }

    /// Start even when the data log's last record is corrupt though newline-terminated (not a torn write):
    /// drop that record with a warning (default off: such a log refuses to start).
    pub fn repair(mut self, on: bool) -> Self {
        self.repair = on;
        self
    }

    /// Connection cap and timeouts (default [`ConnectionLimits::default`]).
    pub fn connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Binds, generates the certificates, replays the data directory and starts serving.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for out-of-range options, [`Error::Bind`], [`Error::Tls`] and
    /// [`Error::Persistence`] (including a corrupt record in the middle of the log).
    pub async fn start(self) -> Result<EmulatorHandle> {
        if !(7..=90).contains(&self.retention_days) {
            return Err(Error::InvalidOption(format!("retention days must be 7 to 90, not {}", self.retention_days)));
        }
        if !self.tls && !self.bind.ip().is_loopback() {
            return Err(Error::InvalidOption(format!(
                "plain HTTP is only served on loopback addresses, not {}",
                self.bind.ip()
            )));
        }
        if self.auth == AuthMode::None && !self.bind.ip().is_loopback() {
            if !self.allow_remote {
                return Err(Error::InvalidOption(format!(
                    "auth mode none opens every secret and control to anyone who can reach {}; use a loopback \
                     address, another auth mode, or allow_remote (--allow-remote)",
                    self.bind.ip()
                )));
            }
            tracing::warn!(address = %self.bind.ip(), "auth mode none on a non-loopback address: secrets and controls are open to the network");
        }
        let entra = crate::entra::Entra::new(&self.entra)?;
        // The lock comes first: nothing in the directory is read or written without it.
        let lock = self.data_dir.as_deref().map(crate::files::DirLock::acquire).transpose()?;
        let tls = match (&self.tls_files, self.tls) {
            (_, false) => None,
            (Some((cert, key)), true) => Some(crate::tls::from_files(cert, key)?),
            (None, true) => Some(crate::tls::generate(self.data_dir.as_deref(), &self.extra_hosts)?),
        };
        let now = self.clock.now();
        let repair = self.repair;
        let store = match &self.data_dir {
            Some(dir) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || Store::open(Some(&dir), now, repair))
                    .await
                    .map_err(|e| Error::Persistence(e.to_string()))??
            }
            None => Store::open(None, now, false)?,
        };
        let backup_key = BackupKey::load_or_create(self.data_dir.as_deref())?;
        let (ca_path, ca_temp) = match &tls {
            Some(t) => self.write_ca(&t.ca_pem)?,
            None => (None, None),
        };
        let bind_err = |source| Error::Bind { addr: self.bind, source };
        let listener = std::net::TcpListener::bind(self.bind).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let host = match addr.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
            ip if ip.is_unspecified() => "[::1]".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            std::net::IpAddr::V4(ip) => ip.to_string(),
        };
        let authority = format!("{host}:{}", addr.port());
        let app = Arc::new(App {
            store,
            clock: self.clock,
            auth: self.auth,
            issuer: TokenIssuer::new(&self.tenant),
            tenant: self.tenant,
            policy: Policy { recoverable_days: self.retention_days, purge_protection: self.purge_protection },
            backup_key,
            identity_header: crate::names::new_version(),
            scheme,
            local_authority: authority.clone(),
            controls: Controls::default(),
            seen_api_versions: Default::default(),
            _lock: lock,
            ca_pem: tls.as_ref().map(|t| t.ca_pem.clone()),
            requests_served: Default::default(),
            entra,
        });
        let (tx, rx) = tokio::sync::watch::channel(false);
        let acceptor = tls.as_ref().map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));
        // The server runs on its own runtime, so a caller that blocks its thread (a blocking client in a
        // current-thread test) or pauses tokio time cannot stall it.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("azkv-emulator")
            .enable_all()
            .build()
            .map_err(|e| Error::InvalidOption(format!("cannot start the emulator's runtime: {e}")))?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(bind_err)?
        };
        let task = runtime.spawn(crate::server::serve(listener, acceptor, app.clone(), rx, self.limits));
        let url = format!("{scheme}://{authority}");
        tracing::info!(%url, auth = %app.auth, durable = app.store.is_durable(), "emulator listening");
        Ok(EmulatorHandle {
            url,
            addr,
            server_thumbprint: tls.as_ref().map(|t| t.leaf_sha1.clone()),
            ca_pem: tls.map(|t| t.ca_pem),
            ca_path,
            _ca_temp: ca_temp,
            app,
            shutdown: tx,
            task: Some(task),
            runtime: Some(runtime),
        })
    }
}

impl EmulatorBuilder {
    /// Writes the CA where it was asked for: `ca_out`, else the data directory, else a private temp directory.
    fn write_ca(&self, pem: &str) -> Result<(Option<PathBuf>, Option<PrivateTempDir>)> {
        let write = |path: &std::path::Path| {
            crate::files::replace(path, pem.as_bytes(), crate::files::FILE_MODE)
                .map_err(|e| Error::Persistence(format!("cannot write the CA to {}: {e}", path.display())))
        };
        if let Some(path) = &self.ca_out {
            write(path)?;
            return Ok((Some(path.clone()), None));
        }
        if let Some(dir) = &self.data_dir {
            let path = dir.join(crate::tls::CA_FILE);
            // The data directory's own CA is already there; an own certificate's is written beside it.
            if self.tls_files.is_some() {
                write(&path)?;
            }
            return Ok((Some(path), None));
        }
        if self.ca_temp_dir {
            let tmp = PrivateTempDir::new()
                .map_err(|e| Error::Persistence(format!("cannot create a private temporary directory: {e}")))?;
            let path = tmp.path().join(crate::tls::CA_FILE);
            crate::files::write_new(&path, pem.as_bytes(), crate::files::FILE_MODE)
                .map_err(|e| Error::Persistence(format!("cannot write the CA to {}: {e}", path.display())))?;
            return Ok((Some(path), Some(tmp)));
        }
        Ok((None, None))
    }
}

/// An in-memory, plain, `none`-mode app for unit tests that drive the server directly.
#[cfg(test)]
pub(crate) fn test_app() -> Arc<App> {
    Arc::new(App {
        store: Store::open(None, 0, false).unwrap(),
        clock: Clock::fixed(1_700_000_000),
        auth: AuthMode::None,
        tenant: DEFAULT_TENANT.to_owned(),
        policy: Policy { recoverable_days: 90, purge_protection: false },
        issuer: TokenIssuer::new(DEFAULT_TENANT),
        backup_key: BackupKey::load_or_create(None).unwrap(),
        identity_header: crate::names::new_version(),
        scheme: "http",
        local_authority: "127.0.0.1:0".to_owned(),
        controls: Controls::default(),
        seen_api_versions: Default::default(),
        ca_pem: None,
        _lock: None,
        requests_served: Default::default(),
        entra: Default::default(),
    })
}
