//! An HTTP `CONNECT` tunnel through a proxy, for the https destinations a proxy takes, and
//! the error that says a failure was the proxy's.

use std::error::Error as StdError;
use std::fmt;

use http::HeaderValue;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

type BoxError = Box<dyn StdError + Send + Sync>;

/// The most a proxy's answer to `CONNECT` may take before its blank line.
const MAX_ANSWER: usize = 16 * 1024;

/// A failure reaching a proxy or opening a tunnel through it: the request was not sent.
#[derive(Debug)]
pub(crate) struct ProxyError {
    /// `host:port` of the proxy.
    pub(crate) proxy: String,
    source: BoxError,
}

impl ProxyError {
    pub(crate) fn new(proxy: String, source: BoxError) -> Self {
        Self { proxy, source }
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "through the proxy {}", self.proxy)
    }
}

impl StdError for ProxyError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// A proxy's answer to `CONNECT` that was not a success.
#[derive(Debug)]
pub(crate) struct Refused {
    /// The answer's status code.
    pub(crate) status: u16,
    authority: String,
    /// The status line, as the proxy sent it.
    line: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the proxy refused a tunnel to {}: {}", self.authority, self.line)
    }
}

impl StdError for Refused {}

/// Asks the proxy at the other end of `io` for a tunnel to `authority` (`host:port`), with
/// `auth` as its `Proxy-Authorization`; on success `io` carries the tunnel.
///
/// # Errors
/// The proxy's refusal ([`Refused`]), an answer that is not
/// HTTP/1.x, too long, or followed by bytes the destination cannot have sent yet, or an I/O
/// error.
pub(crate) async fn open<S>(io: &mut S, authority: &str, auth: Option<&HeaderValue>) -> Result<(), BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut ask = Vec::with_capacity(128);
    ask.extend_from_slice(format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n").as_bytes());
    if let Some(auth) = auth {
        ask.extend_from_slice(b"Proxy-Authorization: ");
        ask.extend_from_slice(auth.as_bytes());
        ask.extend_from_slice(b"\r\n");
    }
    ask.extend_from_slice(b"\r\n");
    let sent = io.write_all(&ask).await;
    zeroize::Zeroize::zeroize(&mut ask);
    sent?;
    io.flush().await?;

    let mut answer = Vec::with_capacity(256);
    let end = loop {
        if let Some(at) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if answer.len() > MAX_ANSWER {
            return Err(format!("the proxy's answer to CONNECT is over {MAX_ANSWER} bytes").into());
        }
        let mut chunk = [0u8; 1024];
        let n = io.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the proxy closed the connection before answering CONNECT",
            )
            .into());
        }
        answer.extend_from_slice(&chunk[..n]);
    };
    let status = status_of(&answer)?;
    if !(200..300).contains(&status) {
        let line = String::from_utf8_lossy(answer.split(|&b| b == b'\r').next().unwrap_or_default());
        return Err(Box::new(Refused { status, authority: authority.to_owned(), line: line.trim().to_owned() }));
    }
    if answer.len() > end {
        return Err("the proxy sent data after accepting CONNECT, before the destination could speak".into());
    }
    Ok(())
}

/// The status code of an `HTTP/1.x NNN reason` status line.
fn status_of(answer: &[u8]) -> Result<u16, BoxError> {
    let not_http = || -> BoxError { "the proxy's answer to CONNECT is not HTTP/1.x".into() };
    let rest = answer.strip_prefix(b"HTTP/1.").ok_or_else(not_http)?;
    let code = rest.get(2..5).filter(|_| rest.get(1) == Some(&b' ')).ok_or_else(not_http)?;
    std::str::from_utf8(code).ok().and_then(|c| c.parse().ok()).filter(|c| (100..600).contains(c)).ok_or_else(not_http)
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Runs `open` against a peer that answers `answer`; returns what the peer read and the
    /// outcome.
    async fn against(answer: &'static [u8], auth: Option<HeaderValue>) -> (String, Result<(), String>) {
        let (mut ours, mut theirs) = tokio::io::duplex(64 * 1024);
        let peer = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 512];
            while !got.ends_with(b"\r\n\r\n") {
                let n = theirs.read(&mut buf).await.unwrap();
                assert!(n > 0, "the client stopped before its blank line");
                got.extend_from_slice(&buf[..n]);
            }
            theirs.write_all(answer).await.unwrap();
            // Keeps its end open, as a tunnel would.
            (String::from_utf8(got).unwrap(), theirs)
        });
        let outcome = open(&mut ours, "vault.example:443", auth.as_ref()).await.map_err(|e| e.to_string());
        let (asked, _theirs) = peer.await.unwrap();
        (asked, outcome)
    }

    #[tokio::test]
    async fn a_200_opens_the_tunnel_and_credentials_go_in_the_request() {
        let auth = HeaderValue::from_static("Basic dTpw");
        let (asked, outcome) = against(b"HTTP/1.1 200 Connection established\r\n\r\n", Some(auth)).await;
        assert_eq!(outcome, Ok(()));
        assert_eq!(
            asked,
            "CONNECT vault.example:443 HTTP/1.1\r\nHost: vault.example:443\r\nProxy-Authorization: Basic dTpw\r\n\r\n"
        );
        let (asked, outcome) = against(b"HTTP/1.0 200 OK\r\nVia: x\r\n\r\n", None).await;
        assert_eq!(outcome, Ok(()));
        assert!(!asked.contains("Proxy-Authorization"), "{asked}");
    }

    #[tokio::test]
    async fn refusals_and_bad_answers_are_errors_that_say_why() {
        let (_, outcome) = against(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", None).await;
        assert_eq!(
            outcome.unwrap_err(),
            "the proxy refused a tunnel to vault.example:443: HTTP/1.1 407 Proxy Authentication Required"
        );
        let (_, outcome) = against(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n", None).await;
        assert!(outcome.unwrap_err().contains("refused a tunnel to vault.example:443: HTTP/1.1 403 Forbidden"));
        let (_, outcome) = against(b"SSH-2.0-OpenSSH\r\n\r\n", None).await;
        assert!(outcome.unwrap_err().contains("not HTTP/1.x"));
        let (_, outcome) = against(b"HTTP/1.1 200 OK\r\n\r\nearly", None).await;
        assert!(outcome.unwrap_err().contains("sent data after accepting CONNECT"));
    }

    #[tokio::test]
    async fn a_proxy_that_closes_or_never_ends_its_answer_is_an_error() {
        let (mut ours, theirs) = tokio::io::duplex(1024);
        drop(theirs);
        let err = open(&mut ours, "v:443", None).await.unwrap_err();
        let io = err.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        // The write may fail first (broken pipe) or the read find the end.
        assert!(matches!(io, Some(std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe)), "{err}");

        let (mut ours, mut theirs) = tokio::io::duplex(64 * 1024);
        let peer = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let _ = theirs.read(&mut buf).await.unwrap();
            let endless = vec![b'a'; 2 * MAX_ANSWER];
            let _ = theirs.write_all(&endless).await;
            theirs
        });
        let err = open(&mut ours, "v:443", None).await.unwrap_err();
        assert!(err.to_string().contains("over 16384 bytes"), "{err}");
        drop(peer.await.unwrap());
    }

    #[test]
    fn status_lines_are_parsed_strictly() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\n").unwrap(), 200);
        assert_eq!(status_of(b"HTTP/1.0 407 x").unwrap(), 407);
        for bad in [&b"HTTP/2 200 OK"[..], b"HTTP/1.1 20", b"HTTP/1.1  200", b"HTTP/1.1 abc", b"HTTP/1.1 999 x"] {
            assert!(status_of(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
