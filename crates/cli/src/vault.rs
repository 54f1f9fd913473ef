//! Which vault a command talks to, and the client for it.
//!
//! The vault comes from `--vault-url`, else `--vault-name`, else `VAULT_URL`, else `KEY_VAULT_NAME`
//! (as in the quickstart), or from a secret identifier (`--id`, a Key Vault reference). Everything is
//! checked before a client exists, so a bad vault sends nothing.

use std::collections::HashMap;
use std::sync::Arc;

use azkv_pipeline::transport::{TransportOptions, default_transport};
use azkv_pipeline::{HttpClient, TokenCredential, Url};
use azkv_secrets::SecretClient;

use crate::args::VaultArgs;
use crate::error::{CliError, Result};
use crate::{auth, parse, tls};

/// The vault named by the flags or the environment, as a checked URL without a trailing `/`;
/// `None` when nothing names one.
pub(crate) fn named(args: &VaultArgs) -> Result<Option<String>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(url) = &args.vault_url {
        return check_url("--vault-url", url).map(Some);
    }
    if let Some(name) = &args.vault_name {
        parse::vault_name("--vault-name", name)?;
        return Ok(Some(format!("https://{name}.vault.azure.net")));
    }
    if let Some(url) = env("VAULT_URL") {
        return check_url("VAULT_URL", &url).map(Some);
    }
    if let Some(name) = env("KEY_VAULT_NAME") {
        parse::vault_name("KEY_VAULT_NAME", &name)?;
        return Ok(Some(format!("https://{name}.vault.azure.net")));
    }
    Ok(None)
}

/// The vault named by the flags or the environment; an error naming the flags when there is none.
pub(crate) fn required(args: &VaultArgs) -> Result<String> {
    named(args)?.ok_or_else(|| {
        CliError::arg(
            "--vault-url",
            "no vault given: pass --vault-url or --vault-name, or set VAULT_URL or KEY_VAULT_NAME",
        )
    })
}

/// Checks a vault URL: https (or http to a loopback host), a host, no path, query or user info.
pub(crate) fn check_url(arg: &str, text: &str) -> Result<String> {
    let url = Url::parse(text).map_err(|e| CliError::arg(arg, format!("`{text}` is not a URL: {e}")))?;
    let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
    if !secure {
        return Err(CliError::arg(arg, format!("`{text}` must use https (http only to a loopback host)")));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(CliError::arg(arg, format!("`{text}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err(CliError::arg(arg, format!("`{text}` must not carry user info, a query or a fragment")));
    }
    if url.path() != "/" {
        return Err(CliError::arg(
            arg,
            format!("`{text}` must have no path: the vault's URL is scheme, host and port"),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether the URL's host is this machine: a loopback IP, `localhost` or a `*.localhost` name.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// Builds clients for any vault with one transport and one credential (so one connection pool
/// and one token cache for every vault `azkv run` reads).
#[derive(Debug)]
pub(crate) struct Connector {
    transport: Arc<dyn HttpClient>,
    credential: Arc<dyn TokenCredential>,
    clients: std::sync::Mutex<HashMap<String, SecretClient>>,
}

impl Connector {
    /// The transport (with `--ca-file` and `SSL_CERT_FILE` trusted) and the credential of `args`.
    pub(crate) fn new(args: &VaultArgs) -> Result<Self> {
        let ssl_cert_file = std::env::var_os("SSL_CERT_FILE").map(Into::into);
        let mut options = TransportOptions::default();
        for pem in tls::extra_roots(args.ca_file.as_deref(), ssl_cert_file)? {
            options = options.with_root_certificate_pem(pem);
        }
        let transport = default_transport(&options).map_err(|error| CliError::setup("the HTTPS transport", error))?;
        let credential = auth::credential(args.auth, transport.clone())?;
        Ok(Self { transport, credential, clients: Default::default() })
    }

    /// The client for the checked vault URL `url` (made once per vault).
    ///
    /// A loopback vault (the emulator) is trusted with a token without the challenge's resource
    /// check, which needs a host under the resource's domain (`*.vault.azure.net`).
    pub(crate) fn client(&self, url: &str) -> Result<SecretClient> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(url) {
            return Ok(client.clone());
        }
        let local = Url::parse(url).is_ok_and(|u| is_loopback(&u));
        let client = SecretClient::builder(url)
            .credential(self.credential.clone())
            .transport(self.transport.clone())
            .application_id("azkv-cli")
            .verify_challenge_resource(!local)
            .build()
            .map_err(|error| CliError::secrets(format!("vault {url}"), error))?;
        clients.insert(url.to_owned(), client.clone());
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_urls_are_checked() {
        assert_eq!(check_url("--vault-url", "https://v.vault.azure.net/").unwrap(), "https://v.vault.azure.net");
        assert_eq!(check_url("--vault-url", "https://127.0.0.1:8443").unwrap(), "https://127.0.0.1:8443");
        assert_eq!(check_url("--vault-url", "http://localhost:8080").unwrap(), "http://localhost:8080");
        for bad in [
            "v.vault.azure.net",
            "http://v.vault.azure.net",
            "https://v.vault.azure.net/secrets/x",
            "https://u:p@v.vault.azure.net",
            "https://v.vault.azure.net?x=1",
            "ftp://v",
        ] {
            let e = check_url("--vault-url", bad).unwrap_err().to_string();
            assert!(e.starts_with("--vault-url: `"), "{bad}: {e}");
        }
    }

    #[test]
    fn names_become_urls_and_flags_win() {
        let args = |name: Option<&str>, url: Option<&str>| VaultArgs {
            vault_name: name.map(str::to_owned),
            vault_url: url.map(str::to_owned),
            auth: crate::args::Auth::Default,
            ca_file: None,
        };
        assert_eq!(named(&args(Some("myvault"), None)).unwrap().unwrap(), "https://myvault.vault.azure.net");
        assert_eq!(named(&args(None, Some("https://127.0.0.1:1"))).unwrap().unwrap(), "https://127.0.0.1:1");
        assert!(named(&args(Some("my_vault"), None)).unwrap_err().to_string().starts_with("--vault-name: "));
    }
}
