//! Which proxy, if any, a request goes through.
//!
//! Whatever the settings say, a loopback (`localhost`, 127.0.0.0/8, `::1`) or link-local
//! (169.254.0.0/16, `fe80::/10`) destination is reached directly: a local emulator, a
//! managed-identity endpoint (IMDS at 169.254.169.254, App Service and Arc on localhost) and
//! the tokens they carry never cross a proxy. Go's `net/http` makes the same choice.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

use crate::{Error, Result, Secret};

/// The proxy settings of the built-in reqwest transport.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum ProxySettings {
    /// `HTTPS_PROXY` / `https_proxy` for https, `HTTP_PROXY` / `http_proxy` for http
    /// (`HTTP_PROXY` is ignored when `REQUEST_METHOD` is set, as under CGI), `ALL_PROXY` /
    /// `all_proxy` for both, and `NO_PROXY` / `no_proxy`; read when the transport is built.
    #[default]
    Environment,
    /// Every connection goes direct.
    Direct,
    /// One proxy, named here.
    Explicit(ExplicitProxy),
}

/// A proxy named in code: its URL, optional credentials and the hosts that bypass it.
#[derive(Clone)]
pub struct ExplicitProxy {
    url: Url,
    username: Option<String>,
    password: Option<Secret>,
    no_proxy: Vec<String>,
}

impl fmt::Debug for ExplicitProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        let _ = url.set_password(None);
        f.debug_struct("ExplicitProxy")
            .field("url", &url.as_str())
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "REDACTED"))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl ExplicitProxy {
    /// A proxy at `url` (`http://proxy:3128`, say) for every scheme.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `url` does not parse or has no host.
    pub fn new(url: &str) -> Result<Self> {
        let url = Url::parse(url).map_err(|e| Error::invalid_argument(format!("proxy URL is invalid: {e}")))?;
        if url.host().is_none() {
            return Err(Error::invalid_argument("proxy URL has no host"));
        }
        Ok(Self { url, username: None, password: None, no_proxy: Vec::new() })
    }

    /// Authenticates to the proxy with Basic credentials (the password is redacted in `Debug`).
    pub fn with_basic_auth(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Reaches `host` (a name, a `.domain` suffix, an address or a CIDR range, as in
    /// `NO_PROXY`) directly.
    pub fn with_no_proxy(mut self, host: impl Into<String>) -> Self {
        self.no_proxy.push(host.into());
        self
    }
}

/// Whether `url`'s host is loopback or link-local: never proxied.
pub(crate) fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => is_local_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_local_ip(IpAddr::V6(ip)),
        None => false,
    }
}

fn is_local_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_local_ip(IpAddr::V4(v4)))
        }
    }
}

/// The proxy URLs the environment names, per scheme.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvProxies {
    pub(crate) http: Option<Url>,
    pub(crate) https: Option<Url>,
    pub(crate) no_proxy: Option<String>,
}

impl EnvProxies {
    /// Reads the variables through `var` (the process environment, or a map in tests).
    pub(crate) fn read(var: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: &[&str]| {
            names.iter().find_map(|n| var(n).filter(|v| !v.trim().is_empty())).and_then(|v| parse_proxy_url(&v))
        };
        let all = first(&["ALL_PROXY", "all_proxy"]);
        let http_names: &[&str] =
            if var("REQUEST_METHOD").is_some() { &["http_proxy"] } else { &["HTTP_PROXY", "http_proxy"] };
        Self {
            http: first(http_names).or_else(|| all.clone()),
            https: first(&["HTTPS_PROXY", "https_proxy"]).or(all),
            no_proxy: ["NO_PROXY", "no_proxy"].iter().find_map(|n| var(n)),
        }
    }
}

/// A proxy variable's value as a URL; a bare `host:port` means `http://host:port`.
fn parse_proxy_url(value: &str) -> Option<Url> {
    let value = value.trim();
    let with_scheme = if value.contains("://") { value.to_owned() } else { format!("http://{value}") };
    Url::parse(&with_scheme).ok().filter(|u| u.host().is_some())
}

impl ProxySettings {
    /// The reqwest proxy for these settings, with local destinations always direct; `None`
    /// when nothing is proxied.
    pub(crate) fn to_reqwest(&self) -> Result<Option<reqwest::Proxy>> {
        match self {
            Self::Direct => Ok(None),
            Self::Environment => Ok(env_proxy(EnvProxies::read(|n| std::env::var(n).ok()))),
            Self::Explicit(explicit) => {
                let target = explicit.url.clone();
                let mut proxy =
                    reqwest::Proxy::custom(move |url: &Url| if is_local(url) { None } else { Some(target.clone()) });
                if let (Some(user), Some(password)) = (&explicit.username, &explicit.password) {
                    proxy = proxy.basic_auth(user, password.expose());
                }
                Ok(Some(proxy.no_proxy(reqwest::NoProxy::from_string(&explicit.no_proxy.join(",")))))
            }
        }
    }
}

/// The reqwest proxy for what the environment names.
pub(crate) fn env_proxy(env: EnvProxies) -> Option<reqwest::Proxy> {
    if env.http.is_none() && env.https.is_none() {
        return None;
    }
    let no_proxy = env.no_proxy.as_deref().and_then(reqwest::NoProxy::from_string);
    let EnvProxies { http, https, .. } = env;
    let proxy = reqwest::Proxy::custom(move |url: &Url| {
        if is_local(url) {
            return None;
        }
        if url.scheme() == "https" { https.clone() } else { http.clone() }
    });
    Some(proxy.no_proxy(no_proxy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_link_local_are_local() {
        for url in [
            "http://localhost:8080/",
            "http://LOCALHOST./",
            "http://vault.localhost/",
            "http://127.0.0.1/",
            "http://127.9.8.7:1/",
            "http://[::1]/",
            "http://169.254.169.254/metadata/identity/oauth2/token",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(is_local(&url.parse().unwrap()), "{url}");
        }
        for url in [
            "https://myvault.vault.azure.net/",
            "http://10.0.0.1/",
            "http://[2001:db8::1]/",
            "http://localhost.example/",
        ] {
            assert!(!is_local(&url.parse().unwrap()), "{url}");
        }
    }

    #[test]
    fn environment_variables_by_scheme() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let env = EnvProxies::read(vars(&[
            ("HTTPS_PROXY", "proxy:3128"),
            ("http_proxy", "http://p2:80"),
            ("NO_PROXY", "a.b"),
        ]));
        assert_eq!(env.https.unwrap().as_str(), "http://proxy:3128/");
        assert_eq!(env.http.unwrap().as_str(), "http://p2/");
        assert_eq!(env.no_proxy.as_deref(), Some("a.b"));
        let all = EnvProxies::read(vars(&[("ALL_PROXY", "http://all:1")]));
        assert_eq!((all.http.unwrap().as_str(), all.https.unwrap().as_str()), ("http://all:1/", "http://all:1/"));
        let cgi = EnvProxies::read(vars(&[("HTTP_PROXY", "http://evil:1"), ("REQUEST_METHOD", "GET")]));
        assert_eq!(cgi.http, None, "HTTP_PROXY is ignored under CGI");
        assert_eq!(EnvProxies::read(vars(&[("HTTPS_PROXY", "  ")])), EnvProxies::default());
    }

    #[test]
    fn explicit_proxy_debug_hides_the_password() {
        let proxy =
            ExplicitProxy::new("http://user:canary-pw@proxy:3128").unwrap().with_basic_auth("u", "canary-secret");
        let shown = format!("{:?}", ProxySettings::Explicit(proxy));
        assert!(!shown.contains("canary"), "{shown}");
        assert!(ExplicitProxy::new("not a url").is_err());
    }
}

#[cfg(test)]
mod env_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// With every proxy variable naming a counting listener, loopback and link-local traffic
    /// still goes direct: the listener sees no connection.
    #[tokio::test]
    async fn proxy_variables_never_take_loopback_traffic() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        tokio::spawn(async move {
            while let Ok((_stream, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        });
        let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target_addr = target.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut stream, _)) = target.accept().await {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").await;
            }
        });
        let vars = [("HTTP_PROXY", proxy.clone()), ("HTTPS_PROXY", proxy.clone()), ("ALL_PROXY", proxy)];
        let env = EnvProxies::read(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()));
        assert!(env.http.is_some() && env.https.is_some());
        let tls = crate::transport::tls::client_config(&crate::transport::TransportOptions::default()).unwrap();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .no_proxy()
            .proxy(env_proxy(env).unwrap())
            .build()
            .unwrap();
        for host in ["127.0.0.1", "localhost"] {
            let status = client.get(format!("http://{host}:{}/x", target_addr.port())).send().await.unwrap().status();
            assert_eq!(status.as_u16(), 204, "{host}");
        }
        assert_eq!(connections.load(Ordering::SeqCst), 0, "the proxy saw loopback traffic");
    }
}
