//! Turning a transport's error into one [`Error`] line: what failed, where, and why.
//!
//! The transports' own errors nest several layers (`reqwest` over `hyper-util` over an
//! `io::Error` over a `rustls::Error`), each repeating the one above. This module walks the
//! chain once, picks the kind from the innermost error that tells it, and words the message
//! from the innermost cause alone.

use std::error::Error as StdError;
use std::io;

use url::Url;

use super::ResolveError;
use crate::{ConnectionErrorKind, Error};

/// `host:port` of `url` (the scheme's default port when none is given); never the query.
pub(crate) fn host_port(url: &Url) -> String {
    // `host_str` brackets an IPv6 address already.
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Every error in `error`'s chain, outermost first, looking inside `io::Error`s (whose own
/// `source` skips the error they wrap).
fn chain<'a>(error: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        out.push(e);
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            let inner: &(dyn StdError + 'static) = inner;
            current = Some(inner);
        } else {
            current = e.source();
        }
    }
    out
}

/// The innermost cause's text: the part of the chain that is not a wrapper's repetition.
fn innermost(chain: &[&(dyn StdError + 'static)]) -> String {
    chain.last().map(|e| e.to_string()).unwrap_or_default()
}

/// What kind of connection failure `chain` shows, if it shows one.
fn kind_of(chain: &[&(dyn StdError + 'static)]) -> Option<ConnectionErrorKind> {
    use ConnectionErrorKind as K;
    for e in chain {
        if let Some(refused) = e.downcast_ref::<super::tunnel::Refused>() {
            // A 502 or 503 may pass; credentials or a rule will not.
            return Some(if matches!(refused.status, 401 | 403 | 407) { K::ProxyRefused } else { K::Other });
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls_kind(tls));
        }
        if let Some(resolve) = e.downcast_ref::<ResolveError>() {
            return Some(match resolve {
                ResolveError::NotFound { .. } => K::NameNotFound,
                _ => K::NameLookupFailed,
            });
        }
    }
    for e in chain {
        let text = e.to_string();
        if text.contains("failed to lookup address information") || text.starts_with("dns error") {
            let not_found = ["Name or service not known", "No address associated", "nodename nor servname"]
                .iter()
                .any(|needle| chain.iter().any(|e| e.to_string().contains(needle)));
            return Some(if not_found { K::NameNotFound } else { K::NameLookupFailed });
        }
    }
    for e in chain {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            match io.kind() {
                io::ErrorKind::ConnectionRefused => return Some(K::Refused),
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof => return Some(K::Reset),
                io::ErrorKind::TimedOut => return Some(K::Timeout),
                _ => {}
            }
        }
    }
    None
}

fn tls_kind(error: &rustls::Error) -> ConnectionErrorKind {
    use ConnectionErrorKind as K;
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer | C::BadSignature => K::TlsUntrusted,
            C::NotValidForName | C::NotValidForNameContext { .. } => K::TlsNameMismatch,
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => K::TlsExpired,
            _ => K::TlsBadCertificate,
        },
        _ => K::TlsHandshake,
    }
}

/// A failure while connecting to `url`: the request was not sent. `timed_out` is the
/// transport's own verdict that its connect timeout fired.
pub(crate) fn connect_error(url: &Url, error: &(dyn StdError + 'static), timed_out: bool) -> Error {
    let chain = chain(error);
    let kind =
        kind_of(&chain).unwrap_or(if timed_out { ConnectionErrorKind::Timeout } else { ConnectionErrorKind::Other });
    let mut message = innermost(&chain);
    if kind == ConnectionErrorKind::TlsHandshake && message.contains("InvalidContentType") {
        message.push_str(" (is it a plain-HTTP server on an https URL?)");
    }
    // A failure on the way to the destination's proxy names the proxy.
    let host = match chain.iter().find_map(|e| e.downcast_ref::<super::tunnel::ProxyError>()) {
        Some(proxy) => format!("{} (the proxy for {})", proxy.proxy, host_port(url)),
        None => host_port(url),
    };
    Error::connection(kind, host, message)
}

/// A failure after the request may have been sent to `url`: `what` failed, and why.
pub(crate) fn exchange_error(url: &Url, what: &str, error: &(dyn StdError + 'static)) -> Error {
    let chain = chain(error);
    Error::Transport { message: format!("{what} {}: {}", host_port(url), innermost(&chain)), cause: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer wrapper")]
    struct Outer(#[source] io::Error);

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    #[test]
    fn a_certificate_error_inside_io_inside_a_wrapper_is_found() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = Outer(io::Error::new(io::ErrorKind::InvalidData, tls));
        let err = connect_error(&url("https://v.vault.azure.net/secrets/a?sig=canary"), &e, false);
        assert_eq!(err.connection_kind(), Some(ConnectionErrorKind::TlsUntrusted));
        let shown = err.to_string();
        assert!(
            shown.starts_with("cannot connect to v.vault.azure.net:443: invalid peer certificate: UnknownIssuer"),
            "{shown}"
        );
        assert!(!shown.contains("outer wrapper") && !shown.contains("canary"), "{shown}");
    }

    #[test]
    fn io_kinds_and_resolver_answers_are_classified() {
        let cases = [
            (io::Error::from(io::ErrorKind::ConnectionRefused), ConnectionErrorKind::Refused),
            (io::Error::from(io::ErrorKind::ConnectionReset), ConnectionErrorKind::Reset),
            (io::Error::other(ResolveError::NotFound { host: "x".into() }), ConnectionErrorKind::NameNotFound),
            (
                io::Error::other(ResolveError::Temporary { host: "x".into(), message: "busy".into() }),
                ConnectionErrorKind::NameLookupFailed,
            ),
            (
                io::Error::other("failed to lookup address information: Name or service not known"),
                ConnectionErrorKind::NameNotFound,
            ),
            (
                io::Error::other("failed to lookup address information: Temporary failure in name resolution"),
                ConnectionErrorKind::NameLookupFailed,
            ),
            (io::Error::other("something else"), ConnectionErrorKind::Other),
        ];
        for (io, kind) in cases {
            let text = io.to_string();
            assert_eq!(
                connect_error(&url("http://127.0.0.1:1/"), &Outer(io), false).connection_kind(),
                Some(kind),
                "{text}"
            );
        }
        let timed_out = connect_error(&url("http://[::1]:8/"), &io::Error::other("deadline"), true);
        assert_eq!(timed_out.connection_kind(), Some(ConnectionErrorKind::Timeout));
        assert!(timed_out.to_string().contains("[::1]:8"), "{timed_out}");
    }
}
