//! The default transport's client: hyper-util's pooled client on a connector of our own
//! (hyper-util's TCP connector on the options' overrides and resolver, TCP_NODELAY,
//! tokio-rustls with the shared TLS configuration, HTTP/2 by ALPN, and the options' proxy:
//! a `CONNECT` tunnel for https, absolute-form requests for http).
//!
//! reqwest runs on the same hyper-util client; going to it directly skips reqwest's request
//! builder, its redirect layer (which parses each request's URL twice more even when
//! redirects are off) and its response wrapper: about a quarter of the client's instructions
//! per request. It also means one copy of hyper-util's client in a build instead of two.

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

use super::proxy::{Proxies, Via};
use super::tunnel::{self, ProxyError};
use super::{Resolve, TransportOptions};
use crate::{Error, Headers, Request, Response, Result};

type BoxError = Box<dyn StdError + Send + Sync>;

/// hyper-util's client on [`Connector`].
#[derive(Clone)]
pub(crate) struct Direct {
    client: Client<Connector, Full<Bytes>>,
    /// The connector's proxies, for the credentials of plain-http requests through one.
    proxies: Option<Arc<Proxies>>,
    read_timeout: Duration,
    max_response_body: usize,
}

impl Direct {
    /// A client for `options`, trusting what `tls` trusts.
    ///
    /// # Errors
    /// As [`super::ProxySettings`]' proxies: an unsupported proxy scheme or credentials.
    pub(crate) fn new(options: &TransportOptions, tls: Arc<rustls::ClientConfig>) -> Result<Self> {
        let proxies = options.proxy.proxies()?.map(Arc::new);
        let connector = Connector::new(options, tls, proxies.clone());
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(Self { client, proxies, read_timeout: options.read_timeout, max_response_body: options.max_response_body })
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
        if let Some(proxies) = &self.proxies {
            // A plain-http request through a proxy carries the proxy's credentials itself (an
            // https one is tunnelled, and the tunnel's request carried them).
            if outgoing.uri().scheme_str() == Some("http")
                && let Some(Via { auth: Some(auth), .. }) = proxies.via(outgoing.uri())
            {
                outgoing.headers_mut().insert(http::header::PROXY_AUTHORIZATION, auth);
            }
        }
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
/// families, `TCP_NODELAY`) on [`Names`], to the destination or its proxy, then TLS for https
/// (through a `CONNECT` tunnel when proxied), all within the connect timeout.
///
/// hyper-util's client clones its connector for every request, pooled connection or not, so
/// the settings sit behind one `Arc`.
#[derive(Clone)]
struct Connector(Arc<Settings>);

struct Settings {
    tcp: HttpConnector<Names>,
    tls: tokio_rustls::TlsConnector,
    connect_timeout: Duration,
    proxies: Option<Arc<Proxies>>,
    /// TLS to an https proxy: the same trust, HTTP/1.1 only (`CONNECT` and absolute-form
    /// requests are HTTP/1.1).
    proxy_tls: Option<tokio_rustls::TlsConnector>,
}

impl Connector {
    fn new(options: &TransportOptions, tls: Arc<rustls::ClientConfig>, proxies: Option<Arc<Proxies>>) -> Self {
        let names = Names {
            overrides: options.resolve.iter().map(|(host, addr)| (host.clone(), addr.ip())).collect(),
            resolver: options.resolver.clone(),
        };
        let mut tcp = HttpConnector::new_with_resolver(names);
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let proxy_tls = proxies.as_ref().map(|_| {
            let mut config = (*tls).clone();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            tokio_rustls::TlsConnector::from(Arc::new(config))
        });
        Self(Arc::new(Settings {
            tcp,
            tls: tokio_rustls::TlsConnector::from(tls),
            connect_timeout: options.connect_timeout,
            proxies,
            proxy_tls,
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
        if let Some(via) = self.proxies.as_ref().and_then(|p| p.via(&uri)) {
            return self.connect_via(uri, https, via).await;
        }
        let name = if https { Some(server_name(&uri)?) } else { None };
        let tcp = tower_service::Service::call(&mut self.tcp.clone(), uri).await?.into_inner();
        let Some(name) = name else {
            return Ok(Conn::new(Stream::Plain(tcp)));
        };
        Ok(Conn::new(Stream::Tls(Box::new(self.tls.connect(name, tcp).await?))))
    }

    /// Reaches `uri` through the proxy in `via`: TCP (and TLS for an https proxy) to the
    /// proxy, then for https a tunnel and TLS to the destination inside it. What fails before
    /// the tunnel is open is a [`ProxyError`].
    async fn connect_via(&self, uri: http::Uri, https: bool, via: Via) -> std::result::Result<Conn, BoxError> {
        let proxy_name = format!(
            "{}:{}",
            via.proxy.host().unwrap_or("?"),
            via.proxy.port_u16().unwrap_or(if via.proxy.scheme_str() == Some("https") { 443 } else { 80 })
        );
        let reach = async {
            let mut io = self.open_proxy(&via.proxy).await?;
            if https {
                let host = uri.host().ok_or("the URL has no host")?;
                let authority = format!("{host}:{}", uri.port_u16().unwrap_or(443));
                tunnel::open(&mut io, &authority, via.auth.as_ref()).await?;
            }
            Ok::<_, BoxError>(io)
        };
        let io = reach.await.map_err(|e| Box::new(ProxyError::new(proxy_name, e)) as BoxError)?;
        if !https {
            // hyper-util's client sends absolute-form requests on a connection marked proxied.
            return Ok(Conn::new(Stream::Boxed(io)));
        }
        Ok(Conn::new(Stream::Tunnelled(Box::new(self.tls.connect(server_name(&uri)?, io).await?))))
    }

    /// A connection to the proxy at `proxy`, with TLS when its scheme is https.
    async fn open_proxy(&self, proxy: &http::Uri) -> std::result::Result<Box<dyn Io>, BoxError> {
        let tls = match proxy.scheme_str() {
            Some("http") => None,
            Some("https") => self.proxy_tls.as_ref(),
            other => return Err(format!("unsupported proxy scheme {other:?}").into()),
        };
        let tcp = tower_service::Service::call(&mut self.tcp.clone(), proxy.clone()).await?.into_inner();
        match tls {
            None => Ok(Box::new(tcp)),
            Some(tls) => Ok(Box::new(tls.connect(server_name(proxy)?, tcp).await?)),
        }
    }
}

/// The TLS server name of `uri`'s host.
fn server_name(uri: &http::Uri) -> std::result::Result<rustls::pki_types::ServerName<'static>, BoxError> {
    let host = super::proxy::unbracketed(uri.host().ok_or("the URL has no host")?).to_owned();
    rustls::pki_types::ServerName::try_from(host)
        .map_err(|e| format!("the URL's host is not a valid TLS server name: {e}").into())
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

/// What a connection runs on once open.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A connection: plain or TLS, to the destination (the common case, not boxed) or through a
/// proxy.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// To a proxy (plain or TLS), for plain-http requests in absolute form.
    Boxed(Box<dyn Io>),
    /// TLS to the destination inside a proxy's tunnel.
    Tunnelled(Box<tokio_rustls::client::TlsStream<Box<dyn Io>>>),
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
            Stream::Boxed($s) => {
                let $s = Pin::new(&mut **$s);
                $e
            }
            Stream::Tunnelled($s) => {
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
            Stream::Boxed(s) => s.is_write_vectored(),
            Stream::Tunnelled(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_shutdown(cx))
    }
}

/// A connection as hyper-util's client takes it.
pub(crate) struct Conn {
    io: TokioIo<Stream>,
}

impl Conn {
    fn new(stream: Stream) -> Self {
        Self { io: TokioIo::new(stream) }
    }
}

impl Connection for Conn {
    /// HTTP/2 when ALPN chose it; a connection to a proxy (plain-http requests, which
    /// hyper-util's client then sends in absolute form) is marked proxied.
    fn connected(&self) -> Connected {
        let h2 = |session: &rustls::ClientConnection| session.alpn_protocol() == Some(b"h2");
        let connected = Connected::new();
        match self.io.inner() {
            Stream::Plain(_) => connected,
            Stream::Boxed(_) => connected.proxy(true),
            Stream::Tls(s) if h2(s.get_ref().1) => connected.negotiated_h2(),
            Stream::Tunnelled(s) if h2(s.get_ref().1) => connected.negotiated_h2(),
            Stream::Tls(_) | Stream::Tunnelled(_) => connected,
        }
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
