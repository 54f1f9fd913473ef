//! The default transport's path for destinations no proxy takes: hyper-util's pooled client on
//! a connector of our own (hyper-util's TCP connector on the options' overrides and resolver,
//! TCP_NODELAY, tokio-rustls with the shared TLS configuration, HTTP/2 by ALPN).
//!
//! reqwest runs on the same hyper-util client; going to it directly skips reqwest's request
//! builder, its redirect layer (which parses each request's URL twice more even when
//! redirects are off) and its response wrapper: about a quarter of the client's instructions
//! per request. Requests that a proxy takes still go through reqwest, which owns the proxy
//! handshake (see [`super::default::DefaultTransport`]).

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::{Resolve, TransportOptions};
use crate::{Error, Headers, Request, Response, Result};

type BoxError = Box<dyn StdError + Send + Sync>;

/// hyper-util's client on [`Connector`].
#[derive(Clone)]
pub(crate) struct Direct {
    client: Client<Connector, Full<Bytes>>,
    read_timeout: Duration,
    max_response_body: usize,
}

impl Direct {
    /// A client for `options`, trusting what `tls` trusts.
    pub(crate) fn new(options: &TransportOptions, tls: Arc<rustls::ClientConfig>) -> Self {
        let connector = Connector::new(options, tls);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Self { client, read_timeout: options.read_timeout, max_response_body: options.max_response_body }
    }

    /// Sends `request` and reads the whole response (at most the body limit), each read
    /// within the read timeout.
    pub(crate) async fn execute(&self, request: &Request) -> Result<Response> {
        let url = &request.url;
        let uri: http::Uri = url.as_str().parse().map_err(|e| {
            Error::invalid_argument(format!("request to {} cannot be built: {e}", super::host_port(url)))
        })?;
        let mut outgoing = http::Request::new(Full::new(request.body.clone()));
        *outgoing.method_mut() = request.method.clone();
        *outgoing.uri_mut() = uri;
        *outgoing.headers_mut() = request.headers.as_header_map().clone();
        // One timer for the whole exchange, pushed back after each read.
        let idle = tokio::time::sleep(self.read_timeout);
        tokio::pin!(idle);
        let read_timeout =
            |what: &str| Error::timeout(format!("the read timeout fired {what} {}", super::host_port(url)));
        let response = tokio::select! {
            biased;
            sent = self.client.request(outgoing) => sent.map_err(|e| send_error(url, e))?,
            () = &mut idle => return Err(read_timeout("waiting for")),
        };
        let (parts, mut body) = response.into_parts();
        let declared = parts.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
        let mut reader = super::body::BodyReader::new(url, self.max_response_body, declared)?;
        loop {
            idle.as_mut().reset(tokio::time::Instant::now() + self.read_timeout);
            let frame = tokio::select! {
                biased;
                frame = body.frame() => frame,
                () = &mut idle => return Err(read_timeout("reading the response from")),
            };
            let Some(frame) = frame else { break };
            let frame = frame
                .map_err(|e| super::diagnose::exchange_error(url, "reading the response from", &e).with_cause(e))?;
            if let Ok(chunk) = frame.into_data() {
                reader.push(chunk)?;
            }
        }
        let body = reader.finish();
        Ok(Response::new(parts.status, Headers::from(parts.headers), body))
    }
}

/// The error for a failed send on hyper-util's client: a connection that could not be made
/// (nothing sent; the connector's own timeout is an `io::ErrorKind::TimedOut` in the chain),
/// or an exchange that broke off.
pub(super) fn send_error(url: &url::Url, e: hyper_util::client::legacy::Error) -> Error {
    if e.is_connect() {
        super::diagnose::connect_error(url, &e, false).with_cause(e)
    } else {
        super::diagnose::exchange_error(url, "exchange with", &e).with_cause(e)
    }
}

/// Opens connections: TCP through hyper-util's connector (happy eyeballs between address
/// families, `TCP_NODELAY`) on [`Names`], then TLS for https, all within the connect timeout.
///
/// hyper-util's client clones its connector for every request, pooled connection or not, so
/// the settings sit behind one `Arc`.
#[derive(Clone)]
struct Connector(Arc<Settings>);

struct Settings {
    tcp: HttpConnector<Names>,
    tls: tokio_rustls::TlsConnector,
    connect_timeout: Duration,
}

impl Connector {
    fn new(options: &TransportOptions, tls: Arc<rustls::ClientConfig>) -> Self {
        let names = Names {
            overrides: options.resolve.iter().map(|(host, addr)| (host.clone(), addr.ip())).collect(),
            resolver: options.resolver.clone(),
        };
        let mut tcp = HttpConnector::new_with_resolver(names);
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        Self(Arc::new(Settings {
            tcp,
            tls: tokio_rustls::TlsConnector::from(tls),
            connect_timeout: options.connect_timeout,
        }))
    }
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::result::Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let settings = self.0.clone();
        Box::pin(async move {
            let timeout = settings.connect_timeout;
            match tokio::time::timeout(timeout, settings.connect(uri)).await {
                Ok(conn) => conn,
                Err(_) => Err(Box::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the connect timeout ({} ms) fired", timeout.as_millis()),
                )) as BoxError),
            }
        })
    }
}

impl Settings {
    async fn connect(&self, uri: http::Uri) -> std::result::Result<Conn, BoxError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => return Err(format!("unsupported URL scheme {other:?}").into()),
        };
        let host = uri.host().ok_or("the URL has no host")?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).to_owned();
        let tcp = tower_service::Service::call(&mut self.tcp.clone(), uri).await?.into_inner();
        if !https {
            return Ok(Conn { io: TokioIo::new(Stream::Plain(tcp)), h2: false });
        }
        let name = rustls::pki_types::ServerName::try_from(host)
            .map_err(|e| format!("the URL's host is not a valid TLS server name: {e}"))?;
        let tls = self.tls.connect(name, tcp).await?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        Ok(Conn { io: TokioIo::new(Stream::Tls(Box::new(tls))), h2 })
    }
}

/// Name resolution for [`Connector`]: the options' overrides first, then their resolver, or
/// the system's (`getaddrinfo` on a blocking thread, as reqwest does).
#[derive(Clone)]
struct Names {
    /// Host names (compared ignoring ASCII case) and the address to use for each (the URL
    /// gives the port).
    overrides: Arc<[(String, IpAddr)]>,
    resolver: Option<Arc<dyn Resolve>>,
}

impl tower_service::Service<Name> for Names {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::result::Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let host = name.as_str();
            let wanted = host.trim_end_matches('.');
            if let Some((_, ip)) = this.overrides.iter().find(|(name, _)| name.eq_ignore_ascii_case(wanted)) {
                return Ok(vec![SocketAddr::new(*ip, 0)].into_iter());
            }
            let addrs: Vec<SocketAddr> = match &this.resolver {
                Some(resolver) => resolver.resolve(host).await?,
                // Its error says "failed to lookup address information: …", which the
                // diagnosis reads.
                None => tokio::net::lookup_host((host, 0)).await?.collect(),
            };
            Ok(addrs.into_iter())
        })
    }
}

/// A connection, plain or TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Stream::Plain($s) => {
                let $s = Pin::new($s);
                $e
            }
            Stream::Tls($s) => {
                let $s = Pin::new(&mut **$s);
                $e
            }
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        each!(self, s => s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_shutdown(cx))
    }
}

/// A connection as hyper-util's client takes it, saying whether ALPN chose HTTP/2.
pub(crate) struct Conn {
    io: TokioIo<Stream>,
    h2: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        if self.h2 { Connected::new().negotiated_h2() } else { Connected::new() }
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
