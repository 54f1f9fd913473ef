//! The `azkv-emulator` binary: starts the emulator, prints one JSON `ready` line on stdout, logs on stderr.

use azkv_emulator::{AuthMode, Emulator};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
azkv-emulator: a local Azure Key Vault secrets emulator

USAGE:
    azkv-emulator [OPTIONS]

OPTIONS:
    --address IP           address to listen on [default: 127.0.0.1]
    --port N               port to listen on; 0 picks a free one [default: 0]
    --no-tls               serve plain HTTP (loopback addresses only)
    --auth MODE            strict | any | none [default: strict]
    --tenant ID            tenant in the WWW-Authenticate challenge
    --data-dir PATH        keep data in PATH (fsync'd log) instead of memory
    --retention-days N     soft-delete retention, 7 to 90 [default: 90]
    --purge-protection     refuse purges of deleted secrets
    --host NAME            also make the certificate valid for NAME (repeatable),
                           e.g. myvault.localhost (wildcards over one label such as
                           *.localhost are refused by most TLS clients)
    --ca-out PATH          write the per-run CA certificate (PEM) to PATH
                           [default: DATA_DIR/ca.pem, else a file in the temp directory]
    -h, --help             print this help
    -V, --version          print the version

On start, one JSON line is printed on stdout:
    {\"ready\":true,\"url\":...,\"ca_path\":...,\"token_endpoint\":...,\"identity_header\":...}
Logs go to stderr (filter with RUST_LOG). Stop with Ctrl-C or SIGTERM.
";

#[derive(Debug)]
struct Args {
    address: IpAddr,
    port: u16,
    tls: bool,
    auth: AuthMode,
    tenant: Option<String>,
    data_dir: Option<PathBuf>,
    retention_days: u32,
    purge_protection: bool,
    ca_out: Option<PathBuf>,
    hosts: Vec<String>,
    allow_remote: bool,
    repair: bool,
}

enum Parsed {
    Run(Args),
    Exit(String),
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut a = Args {
        address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 0,
        tls: true,
        auth: AuthMode::Strict,
        tenant: None,
        data_dir: None,
        retention_days: 90,
        purge_protection: false,
        ca_out: None,
        hosts: Vec::new(),
        allow_remote: false,
        repair: false,
    };
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value =
            |name: &str| inline.clone().or_else(|| it.next()).ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Exit(HELP.to_owned())),
            "-V" | "--version" => return Ok(Parsed::Exit(format!("azkv-emulator {}\n", env!("CARGO_PKG_VERSION")))),
            "--address" => a.address = value("--address")?.parse().map_err(|e| format!("--address: {e}"))?,
            "--port" => a.port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--no-tls" => a.tls = false,
            "--auth" => a.auth = value("--auth")?.parse()?,
            "--tenant" => a.tenant = Some(value("--tenant")?),
            "--data-dir" => a.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--retention-days" => {
                a.retention_days = value("--retention-days")?.parse().map_err(|e| format!("--retention-days: {e}"))?
            }
            "--purge-protection" => a.purge_protection = true,
            "--allow-remote" => a.allow_remote = true,
            "--repair" => a.repair = true,
            "--host" => a.hosts.push(value("--host")?),
            "--ca-out" => a.ca_out = Some(PathBuf::from(value("--ca-out")?)),
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    Ok(Parsed::Run(a))
}

async fn run(a: Args) -> Result<(), String> {
    let mut builder = Emulator::builder()
        .bind(SocketAddr::new(a.address, a.port))
        .tls(a.tls)
        .auth(a.auth)
        .retention_days(a.retention_days)
        .purge_protection(a.purge_protection)
        .allow_remote(a.allow_remote)
        .repair(a.repair);
    if let Some(t) = a.tenant {
        builder = builder.tenant(t);
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
    let emulator = builder.ca_temp_dir(true).start().await.map_err(|e| e.to_string())?;
    let ca_path = emulator.ca_path().map(|p| p.display().to_string());
    let ready = serde_json::json!({
        "ready": true,
        "url": emulator.url(),
        "ca_path": ca_path,
        "token_endpoint": emulator.token_endpoint(),
        "identity_header": emulator.identity_header(),
        "auth": a.auth.to_string(),
        "controls_auth": controls_auth(a.auth),
    });
    println!("{ready}");
    wait_for_signal().await;
    tracing::info!("shutting down");
    emulator.shutdown().await;
    Ok(())
}

/// How to authenticate to `/_emulator/` controls, for the ready line.
fn controls_auth(mode: AuthMode) -> &'static str {
    match mode {
        AuthMode::None => "open: auth mode none needs no credential",
        _ => "send X-IDENTITY-HEADER with the identity_header value, or a bearer token from token_endpoint",
    }
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

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Exit(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("azkv-emulator: {e}");
            return ExitCode::from(2);
        }
    };
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

    fn parse(args: &[&str]) -> Result<Parsed, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_flags() {
        let Ok(Parsed::Run(a)) = parse(&["--port", "8443", "--no-tls", "--auth=any", "--purge-protection"]) else {
            panic!("expected options")
        };
        assert_eq!((a.port, a.tls, a.auth, a.purge_protection), (8443, false, AuthMode::Any, true));
        assert!(parse(&["--auth", "bogus"]).is_err());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--what"]).is_err());
        assert!(matches!(parse(&["--help"]), Ok(Parsed::Exit(_))));
    }
}
