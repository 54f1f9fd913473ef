//! Which proxy, if any, a request goes through.
//!
//! Whatever the settings say, a loopback (`localhost`, 127.0.0.0/8, `::1`) or link-local
//! (169.254.0.0/16, `fe80::/10`) destination is reached directly: a local emulator, a
//! managed-identity endpoint (IMDS at 169.254.169.254, App Service and Arc on localhost) and
//! the tokens they carry never cross a proxy. Go's `net/http` makes the same choice.

use std::fmt;
use std::net::IpAddr;

use http::HeaderValue;
use hyper_util::client::proxy::matcher::Matcher;
use url::Url;

use crate::{Error, Result, Secret};

/// The proxy settings of the built-in transports.
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
#[cfg(feature = "reqwest")]
pub(crate) fn is_local(url: &Url) -> bool {
    url.host_str().is_some_and(is_local_host)
}

/// Whether a URI's or URL's host (an IPv6 address in brackets) is loopback (`localhost`,
/// 127.0.0.0/8, `::1`) or link-local (169.254.0.0/16, `fe80::/10`): never proxied.
fn is_local_host(host: &str) -> bool {
    let bare = unbracketed(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => is_local_ip(ip),
        Err(_) => is_local_name(bare),
    }
}

/// A URI host without the brackets of an IPv6 address.
pub(super) fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
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

/// Which destinations the default transport reaches through which proxy.
pub(crate) struct Proxies {
    matcher: Matcher,
    /// An explicit proxy's credentials; otherwise those in the proxy URL, if any.
    auth: Option<HeaderValue>,
}

/// The proxy a destination goes through.
pub(crate) struct Via {
    /// `scheme://host:port/` of the proxy.
    pub(crate) proxy: http::Uri,
    /// The `Proxy-Authorization` value to send it (marked sensitive).
    pub(crate) auth: Option<HeaderValue>,
}

impl Proxies {
    /// The proxy for `dst`, or `None` when it is reached directly: a local destination, a
    /// `NO_PROXY` match, or a scheme no proxy is named for.
    pub(crate) fn via(&self, dst: &http::Uri) -> Option<Via> {
        if is_local_host(dst.host()?) {
            return None;
        }
        let hit = self.matcher.intercept(dst)?;
        Some(Via { proxy: hit.uri().clone(), auth: self.auth.clone().or_else(|| hit.basic_auth().cloned()) })
    }

    /// The proxies `env` names; `None` when it names none.
    fn from_env(env: EnvProxies) -> Result<Option<Self>> {
        if env.http.is_none() && env.https.is_none() {
            return Ok(None);
        }
        let mut builder = Matcher::builder();
        if let Some(http) = &env.http {
            check_scheme(http)?;
            builder = builder.http(http.as_str());
        }
        if let Some(https) = &env.https {
            check_scheme(https)?;
            builder = builder.https(https.as_str());
        }
        if let Some(no) = &env.no_proxy {
            builder = builder.no(no);
        }
        Ok(Some(Self { matcher: builder.build(), auth: None }))
    }
}

/// Refuses a proxy the transports cannot speak to (SOCKS, say), naming it without its
/// credentials.
fn check_scheme(url: &Url) -> Result<()> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(Error::invalid_argument(format!(
            "the proxy {}:{} has the scheme {other:?}; only http and https proxies are supported",
            url.host_str().unwrap_or("?"),
            url.port_or_known_default().map_or_else(|| "?".to_owned(), |p| p.to_string()),
        ))),
    }
}

/// `Basic` credentials as a sensitive header value.
fn basic_auth(user: &str, password: &Secret) -> Result<HeaderValue> {
    use base64::Engine as _;
    let pair = zeroize::Zeroizing::new(format!("{user}:{}", password.expose()));
    let value =
        zeroize::Zeroizing::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())));
    let mut header = HeaderValue::from_str(&value)
        .map_err(|_| Error::invalid_argument("proxy credentials cannot be sent in a header"))?;
    header.set_sensitive(true);
    Ok(header)
}

impl ProxySettings {
    /// The default transport's proxies for these settings; `None` when nothing is proxied.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a proxy that is neither http nor https, or credentials
    /// that cannot go in a header.
    pub(crate) fn proxies(&self) -> Result<Option<Proxies>> {
        match self {
            Self::Direct => Ok(None),
            Self::Environment => Proxies::from_env(EnvProxies::read(|n| std::env::var(n).ok())),
            Self::Explicit(explicit) => {
                check_scheme(&explicit.url)?;
                let matcher = Matcher::builder().all(explicit.url.as_str()).no(explicit.no_proxy.join(",")).build();
                let auth = match (&explicit.username, &explicit.password) {
                    (Some(user), Some(password)) => Some(basic_auth(user, password)?),
                    _ => None,
                };
                Ok(Some(Proxies { matcher, auth }))
            }
        }
    }

    /// The reqwest proxy for these settings, with local destinations always direct; `None`
    /// when nothing is proxied.
    #[cfg(feature = "reqwest")]
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
#[cfg(feature = "reqwest")]
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
            assert!(is_local_host(Url::parse(url).unwrap().host_str().unwrap()), "{url}");
        }
        for url in [
            "https://myvault.vault.azure.net/",
            "http://10.0.0.1/",
            "http://[2001:db8::1]/",
            "http://localhost.example/",
        ] {
            assert!(!is_local_host(Url::parse(url).unwrap().host_str().unwrap()), "{url}");
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
mod routing_tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    fn env(pairs: &[(&str, &str)]) -> Proxies {
        let read = EnvProxies::read(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()));
        Proxies::from_env(read).unwrap().expect("a proxy is named")
    }

    #[test]
    fn the_environment_names_a_proxy_per_scheme_and_never_for_local_destinations() {
        let proxies = env(&[
            ("HTTPS_PROXY", "http://secure:3128"),
            ("HTTP_PROXY", "http://plain:8080"),
            ("NO_PROXY", "internal.example, 10.0.0.0/8"),
        ]);
        let via = |u: &str| proxies.via(&uri(u)).map(|v| v.proxy.to_string());
        assert_eq!(via("https://myvault.vault.azure.net/secrets/a").as_deref(), Some("http://secure:3128/"));
        assert_eq!(via("http://myvault.vault.azure.net/").as_deref(), Some("http://plain:8080/"));
        for direct in [
            "https://127.0.0.1:8443/",
            "https://localhost/",
            "http://[::1]:80/",
            "http://169.254.169.254/metadata/identity/oauth2/token",
            "https://api.internal.example/",
            "https://10.1.2.3/",
        ] {
            assert_eq!(via(direct), None, "{direct}");
        }
    }

    #[test]
    fn credentials_come_from_the_url_or_the_explicit_proxy_and_are_sensitive() {
        let proxies = env(&[("HTTPS_PROXY", "http://user:p%40ss@proxy:3128")]);
        let via = proxies.via(&uri("https://v.vault.azure.net/")).unwrap();
        assert_eq!(via.proxy.to_string(), "http://proxy:3128/", "no credentials in the proxy's URI");
        let auth = via.auth.unwrap();
        assert!(auth.is_sensitive());
        assert_eq!(auth.to_str().unwrap(), "Basic dXNlcjpwQHNz", "user:p@ss");

        let explicit = ExplicitProxy::new("http://ignored:x@proxy:3128").unwrap().with_basic_auth("u", "pw");
        let proxies = ProxySettings::Explicit(explicit).proxies().unwrap().unwrap();
        let via = proxies.via(&uri("http://v.example/")).unwrap();
        assert_eq!(via.auth.unwrap().to_str().unwrap(), "Basic dTpwdw==", "u:pw");
        assert!(proxies.via(&uri("http://127.0.0.1/")).is_none());
        assert!(ProxySettings::Direct.proxies().unwrap().is_none());
    }

    #[test]
    fn a_socks_proxy_is_refused_without_quoting_its_credentials() {
        let read = EnvProxies::read(|name| (name == "ALL_PROXY").then(|| "socks5://u:canary@s:1080".to_owned()));
        let err = Proxies::from_env(read).err().expect("refused").to_string();
        assert!(err.contains("socks5") && err.contains("s:1080") && !err.contains("canary"), "{err}");
        let explicit = ExplicitProxy::new("socks5h://s:1080").unwrap();
        assert!(ProxySettings::Explicit(explicit).proxies().is_err());
    }
}
