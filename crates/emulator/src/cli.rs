//! The emulator's command line (feature `cli`): the flags of `azkv-emulator`, and its whole `main`.
//!
//! The `azkv-emulator` binary is `cli::main(cli::Args::parse())`; the `azkv` CLI's `emulator`
//! subcommand embeds the same [`Args`], so both take the same flags and print the same ready line.
//! Every flag can also be set with an `AZKV_EMULATOR_*` environment variable (flags win).

use crate::{AuthMode, ConnectionLimits, Emulator};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// A local Azure Key Vault secrets emulator.
///
/// On start it prints one JSON line on stdout, with the keys ready, url, ca_path, token_endpoint,
/// identity_header, auth, controls_auth, authority_host, tenant_id, imds_endpoint,
/// service_fabric_endpoint, azure_ml_endpoint and server_thumbprint. Logs go to stderr (filter with RUST_LOG).
/// Stop it with Ctrl-C or SIGTERM.
#[derive(Debug, clap::Parser)]
#[command(name = "azkv-emulator", version, about, long_about = None)]
#[command(after_help = "Every option can also be set with the environment variable shown beside it; a flag wins \
over its variable. Boolean variables take true/false. See docs/emulator.md.")]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "AZKV_EMULATOR_ADDRESS", default_value = "127.0.0.1")]
    address: IpAddr,
    /// Port to listen on; 0 picks a free one (read it from the ready line).
    #[arg(long, env = "AZKV_EMULATOR_PORT", default_value_t = 0)]
    port: u16,
    /// Serve plain HTTP (loopback addresses only).
    #[arg(long, env = "AZKV_EMULATOR_NO_TLS")]
    no_tls: bool,
    /// Token checking: strict (tokens this emulator issued), any (any bearer token), none (no authentication).
    #[arg(long, env = "AZKV_EMULATOR_AUTH", default_value = "strict", value_name = "strict|any|none")]
    auth: AuthMode,
    /// Allow --auth none on a non-loopback address (everything is then open to the network).
    #[arg(long, env = "AZKV_EMULATOR_ALLOW_REMOTE")]
    allow_remote: bool,
    /// Tenant in the WWW-Authenticate challenge and in issued tokens.
    #[arg(long, env = "AZKV_EMULATOR_TENANT", default_value = crate::DEFAULT_TENANT)]
    tenant: String,
    /// Keep data, the CA and its keys in this directory (created 0700, locked) instead of memory only.
    #[arg(long, env = "AZKV_EMULATOR_DATA_DIR", value_name = "PATH")]
    data_dir: Option<PathBuf>,
    /// Start even if the data log's last record is corrupt (though newline-terminated): drop it.
    #[arg(long, env = "AZKV_EMULATOR_REPAIR")]
    repair: bool,
    /// Seed the vault at start from this file, in the format of GET /_emulator/export (replaces the data).
    #[arg(long, env = "AZKV_EMULATOR_IMPORT", value_name = "FILE")]
    import: Option<PathBuf>,
    /// Soft-delete retention in days, 7 to 90.
    #[arg(long, env = "AZKV_EMULATOR_RETENTION_DAYS", default_value_t = 90)]
    retention_days: u32,
    /// Refuse purges of deleted secrets (403).
    #[arg(long, env = "AZKV_EMULATOR_PURGE_PROTECTION")]
    purge_protection: bool,
    /// Also make the certificate valid for NAME (repeatable; comma-separated in the variable), e.g.
    /// myvault.localhost: most TLS clients refuse a wildcard over one label such as *.localhost.
    #[arg(long = "host", env = "AZKV_EMULATOR_HOST", value_name = "NAME", value_delimiter = ',')]
    hosts: Vec<String>,
    /// Also write the CA certificate (PEM) to PATH [default: DATA_DIR/ca.pem, else a fresh private
    /// directory under the temp directory; the ready line's ca_path names it].
    #[arg(long, env = "AZKV_EMULATOR_CA_OUT", value_name = "PATH")]
    ca_out: Option<PathBuf>,
    /// Serve this certificate chain (PEM) instead of the emulator's own CA; needs --tls-key.
    #[arg(long, env = "AZKV_EMULATOR_TLS_CERT", value_name = "PATH", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "AZKV_EMULATOR_TLS_KEY", value_name = "PATH", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Most connections open at once; further clients wait until one closes.
    #[arg(long, env = "AZKV_EMULATOR_MAX_CONNECTIONS", default_value_t = ConnectionLimits::default().max_connections)]
    max_connections: usize,
    /// Seconds a TLS handshake may take.
    #[arg(long, env = "AZKV_EMULATOR_TLS_HANDSHAKE_TIMEOUT", value_name = "SECS", default_value_t = 10)]
    tls_handshake_timeout: u64,
    /// Seconds a client has to send a whole HTTP/1 request head (also bounds an idle keep-alive connection).
    #[arg(long, env = "AZKV_EMULATOR_HEADER_READ_TIMEOUT", value_name = "SECS", default_value_t = 30)]
    header_read_timeout: u64,
    /// Seconds without a byte either way before a connection is closed.
    #[arg(long, env = "AZKV_EMULATOR_IDLE_TIMEOUT", value_name = "SECS", default_value_t = 120)]
    idle_timeout: u64,
    /// Register a confidential client with a secret in the emulated Entra ID tenant (repeatable;
    /// comma-separated in the variable, which keeps the secret off the command line).
    #[arg(long = "app", env = "AZKV_EMULATOR_APP", value_name = "CLIENT_ID=SECRET", value_delimiter = ',')]
    apps: Vec<AppSecret>,
    /// Register a certificate (PEM file) for a client's assertions (repeatable; comma-separated in the variable).
    #[arg(long = "app-cert", env = "AZKV_EMULATOR_APP_CERT", value_name = "CLIENT_ID=PEM_PATH", value_delimiter = ',')]
    app_certs: Vec<AppCert>,
    /// Approve every device code as soon as it is issued (else approve with POST /_emulator/devicecodes/approve).
    #[arg(long, env = "AZKV_EMULATOR_DEVICE_CODE_AUTO_APPROVE")]
    device_code_auto_approve: bool,
}

/// `--app CLIENT_ID=SECRET`. `Debug` shows no secret.
#[derive(Clone)]
struct AppSecret {
    client_id: String,
    secret: String,
}

impl std::fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSecret").field("client_id", &self.client_id).field("secret", &"REDACTED").finish()
    }
}

impl std::str::FromStr for AppSecret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
                Ok(Self { client_id: id.to_owned(), secret: secret.to_owned() })
            }
            _ => Err("expected CLIENT_ID=SECRET".into()),
        }
    }
}

/// `--app-cert CLIENT_ID=PEM_PATH`.
#[derive(Debug, Clone)]
struct AppCert {
    client_id: String,
    path: PathBuf,
}

impl std::str::FromStr for AppCert {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((id, path)) if !id.is_empty() && !path.is_empty() => {
                Ok(Self { client_id: id.to_owned(), path: PathBuf::from(path) })
            }
            _ => Err("expected CLIENT_ID=PEM_PATH".into()),
        }
    }
}

/// How to authenticate to `/_emulator/` controls, for the ready line.
fn controls_auth(mode: AuthMode) -> &'static str {
    match mode {
        AuthMode::None => "open: auth mode none needs no credential",
        _ => "send X-IDENTITY-HEADER with the identity_header value, or a bearer token from token_endpoint",
    }
}

async fn run(a: Args) -> Result<(), String> {
    let limits = ConnectionLimits {
        max_connections: a.max_connections,
        tls_handshake_timeout: Duration::from_secs(a.tls_handshake_timeout),
        header_read_timeout: Duration::from_secs(a.header_read_timeout),
        idle_timeout: Duration::from_secs(a.idle_timeout),
    };
    let mut builder = Emulator::builder()
        .bind(SocketAddr::new(a.address, a.port))
        .tls(!a.no_tls)
        .auth(a.auth)
        .tenant(a.tenant)
        .retention_days(a.retention_days)
        .purge_protection(a.purge_protection)
        .allow_remote(a.allow_remote)
        .repair(a.repair)
        .connection_limits(limits)
        .device_code_auto_approve(a.device_code_auto_approve)
        .ca_temp_dir(true);
    for app in &a.apps {
        builder = builder.app_secret(app.client_id.clone(), app.secret.clone());
    }
    for cert in &a.app_certs {
        let pem =
            std::fs::read_to_string(&cert.path).map_err(|e| format!("cannot read {}: {e}", cert.path.display()))?;
        builder = builder.app_certificate(cert.client_id.clone(), pem);
    }
    for h in &a.hosts {
        builder = builder.extra_host(h.clone());
    }
    if let Some(d) = &a.data_dir {
        builder = builder.data_dir(d.clone());
    }
    if let Some(p) = &a.ca_out {
        builder = builder.ca_out(p.clone());
    }
    if let (Some(cert), Some(key)) = (&a.tls_cert, &a.tls_key) {
        builder = builder.tls_files(cert.clone(), key.clone());
    }
    // Read the seed before binding, so that a missing file fails fast.
    let seed = match &a.import {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?),
        None => None,
    };
    let emulator = builder.start().await.map_err(|e| e.to_string())?;
    if let (Some(seed), Some(path)) = (seed, &a.import) {
        emulator.import(&seed).map_err(|e| format!("{}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), "imported the seed");
    }
    let ready = serde_json::json!({
        "ready": true,
        "url": emulator.url(),
        "ca_path": emulator.ca_path().map(|p| p.display().to_string()),
        "token_endpoint": emulator.token_endpoint(),
        "identity_header": emulator.identity_header(),
        "auth": a.auth.to_string(),
        "controls_auth": controls_auth(a.auth),
        "authority_host": emulator.authority_host(),
        "tenant_id": emulator.tenant_id(),
        "imds_endpoint": emulator.imds_endpoint(),
        "service_fabric_endpoint": emulator.service_fabric_endpoint(),
        "azure_ml_endpoint": emulator.azure_ml_endpoint(),
        "server_thumbprint": emulator.server_thumbprint(),
    });
    println!("{ready}");
    wait_for_signal().await;
    tracing::info!("shutting down");
    emulator.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the emulator until Ctrl-C or SIGTERM: the whole `main` of a binary.
///
/// It installs a stderr log subscriber (filtered by `RUST_LOG`, default `info`) and a tokio
/// runtime, so call it from a binary's `main` only, never from a library or inside a runtime.
pub fn main(args: Args) -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("azkv-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("azkv-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("azkv-emulator").chain(args.iter().copied()))
    }

    #[test]
    fn parses_flags() {
        let a = parse(&["--port", "8443", "--no-tls", "--auth=any", "--purge-protection", "--host", "a,b"]).unwrap();
        assert_eq!((a.port, a.no_tls, a.auth, a.purge_protection), (8443, true, AuthMode::Any, true));
        assert_eq!(a.hosts, ["a", "b"]);
        assert!(parse(&["--auth", "bogus"]).is_err());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--what"]).is_err());
        assert!(parse(&["--tls-cert", "c.pem"]).is_err(), "--tls-cert needs --tls-key");
        assert_eq!(parse(&["--help"]).unwrap_err().kind(), clap::error::ErrorKind::DisplayHelp);
    }

    #[test]
    fn parses_entra_flags_and_hides_secrets() {
        let a = parse(&["--app", "a=s3cret", "--app", "b=x=y", "--app-cert", "c=/p.pem", "--device-code-auto-approve"])
            .unwrap();
        assert_eq!(a.apps.len(), 2);
        assert_eq!((a.apps[1].client_id.as_str(), a.apps[1].secret.as_str()), ("b", "x=y"));
        assert_eq!(a.app_certs[0].path, PathBuf::from("/p.pem"));
        assert!(a.device_code_auto_approve);
        assert!(!format!("{a:?}").contains("s3cret"));
        for bad in ["a", "=s", "a="] {
            assert!(parse(&["--app", bad]).is_err(), "{bad}");
            assert!(parse(&["--app-cert", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_flag_reads_an_environment_variable() {
        let cmd = Args::command();
        for arg in cmd.get_arguments().filter(|a| a.get_long().is_some_and(|l| l != "help" && l != "version")) {
            let long = arg.get_long().unwrap();
            let expected = format!("AZKV_EMULATOR_{}", long.to_ascii_uppercase().replace('-', "_"));
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(expected.as_str()), "--{long}");
        }
        cmd.debug_assert();
    }
}
