//! The accept loop: TCP (and TLS), HTTP/1.1 and HTTP/2 via hyper-util, connection limits and graceful shutdown.
//!
//! Limits: a cap on open connections (accepting waits for a free slot), a TLS-handshake timeout, a
//! header-read timeout (HTTP/1, from the moment the connection waits for a request head), an idle timeout
//! (no byte in either direction), and a growing pause after accept errors (such as `EMFILE`) instead of a spin.

use crate::app::App;
use crate::router;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;

/// Largest request head (HTTP/1 buffer and HTTP/2 header list), in bytes.
pub(crate) const MAX_HEADER_BYTES: usize = 64 * 1024;

/// How long shutdown waits for in-flight connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Limits that keep idle, slow or too many clients from starving the others.
///
/// The defaults: 4,096 connections, a 10-second TLS handshake, 30 seconds to send a request head,
/// 120 seconds without a byte before an idle connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionLimits {
    /// Most connections open at once; further clients wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// Longest TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// Longest time to receive a whole HTTP/1 request head, counted from when the connection waits for one
    /// (so it also bounds an idle HTTP/1 keep-alive connection).
    pub header_read_timeout: Duration,
    /// A connection with no byte read or written for this long is closed (HTTP/1 and HTTP/2).
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            tls_handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// The pause after consecutive accept errors: 10 ms, doubling up to 1 s, back to the start after a success.
#[derive(Debug, Default)]
pub(crate) struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    /// Records a failure and returns how long to wait before accepting again.
    pub(crate) fn failed(&mut self) -> Duration {
        let wait = Self::FIRST.saturating_mul(1u32 << self.failures.min(10)).min(Self::MAX);
        self.failures = self.failures.saturating_add(1);
        wait
    }

    /// Records a success.
    pub(crate) fn succeeded(&mut self) {
        self.failures = 0;
    }
}

/// A stream that fails with `TimedOut` once no byte has moved either way for `idle`.
#[derive(Debug)]
pub(crate) struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    /// When a byte last moved.
    last: Instant,
    /// Fires at `last + idle` or earlier: progress only records `last`, and the timer is moved
    /// when it fires early (rather than on every read and write, each a trip to the timer wheel).
    deadline: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    /// A write's outcome: progress resets the idle timer; waiting past it is a timeout.
    fn after_write(&mut self, cx: &mut Context<'_>, written: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.touch();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    pub(crate) fn new(inner: S, idle: Duration) -> Self {
        Self { inner, idle, last: Instant::now(), deadline: Box::pin(tokio::time::sleep(idle)) }
    }

    fn touch(&mut self) {
        self.last = Instant::now();
    }

    /// Whether `idle` has passed since a byte last moved; if not, the timer (re)armed for when
    /// it will have, waking `cx`.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        while self.deadline.as_mut().poll(cx).is_ready() {
            let due = self.last + self.idle;
            if due <= Instant::now() {
                return true;
            }
            self.deadline.as_mut().reset(due);
        }
        false
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "idle connection closed")
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.after_write(cx, written)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.after_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves one connection's HTTP over `io` until it ends (or shutdown drains it).
async fn serve_io<I>(
    io: I,
    app: Arc<App>,
    builder: auto::Builder<TokioExecutor>,
    watcher: Watcher,
    peer: std::net::SocketAddr,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| router::handle(app.clone(), req));
    if let Err(e) = watcher.watch(builder.serve_connection(TokioIo::new(io), service).into_owned()).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Serves until `shutdown` turns true, then drains open connections.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Arc<App>,
    mut shutdown: watch::Receiver<bool>,
    limits: ConnectionLimits,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(MAX_HEADER_BYTES)
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().max_header_list_size(MAX_HEADER_BYTES as u32).timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut backoff = AcceptBackoff::default();
    loop {
        // At the cap, wait for a connection to close before accepting another.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => {
                backoff.succeeded();
                a
            }
            Err(e) => {
                // EMFILE and friends: pause instead of spinning on an error that will come straight back.
                let wait = backoff.failed();
                tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "accept failed; pausing");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => continue,
                    _ = shutdown.wait_for(|stop| *stop) => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (app, tls, builder, watcher) = (app.clone(), tls.clone(), builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                Some(acceptor) => match tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(stream))
                    .await
                {
                    Ok(Ok(tls_stream)) => {
                        serve_io(IdleTimeout::new(tls_stream, limits.idle_timeout), app, builder, watcher, peer).await
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
                None => serve_io(IdleTimeout::new(stream, limits.idle_timeout), app, builder, watcher, peer).await,
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections were still open after the shutdown grace period");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    #[test]
    fn accept_errors_back_off_and_a_success_starts_over() {
        let mut b = AcceptBackoff::default();
        let waits: Vec<u128> = (0..9).map(|_| b.failed().as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        for _ in 0..100 {
            b.failed();
        }
        assert_eq!(b.failed(), AcceptBackoff::MAX, "no overflow after many failures");
        b.succeeded();
        assert_eq!(b.failed(), AcceptBackoff::FIRST);
    }

    /// Starts `serve` on the test's runtime (so paused time drives its timers) on 127.0.0.1:0.
    async fn start(limits: ConnectionLimits, tls: bool) -> (std::net::SocketAddr, Option<String>, watch::Sender<bool>) {
        let app = crate::builder::test_app();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = watch::channel(false);
        let identity = tls.then(|| crate::tls::generate(None, &[]).unwrap());
        let acceptor = identity.as_ref().map(|t| TlsAcceptor::from(t.config.clone()));
        tokio::spawn(serve(listener, acceptor, app, rx, limits));
        (addr, identity.map(|t| t.ca_pem), tx)
    }

    const HEALTH: &[u8] = b"GET /_emulator/health HTTP/1.1\r\nhost: x\r\n\r\n";

    /// Sends a whole request on a new connection and returns the status line.
    async fn served(addr: std::net::SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(HEALTH).await.unwrap();
        let mut buf = vec![0; 1024];
        let n = s.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_owned()
    }

    /// Reads until the server closes the connection: `true` for EOF or a reset, `false` for data.
    async fn closed_by_server(s: &mut TcpStream) -> bool {
        let mut buf = [0u8; 256];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    }

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            max_connections: 64,
            tls_handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(1_000),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slowloris_client_is_cut_off_and_others_are_served_meanwhile() {
        let (addr, _, _stop) = start(limits(), false).await;
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /_emulator/health HTTP/1.1\r\nx-slow: ").await.unwrap();
        let started = Instant::now();
        let mut sent = 0;
        // One header byte per (paused) second: the idle timeout never fires, the header-read timeout does.
        let cut_off = loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!(served(addr).await, "HTTP/1.1 200 OK", "another client is served meanwhile");
            if slow.write_all(b"a").await.is_err() {
                break true;
            }
            sent += 1;
            let mut probe = [0u8; 1];
            if let Ok(r) = tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await {
                break matches!(r, Ok(0) | Err(_));
            }
            if sent > 60 {
                break false;
            }
        };
        assert!(cut_off, "the slow head was cut off");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(9) && waited <= Duration::from_secs(12), "{waited:?} (paused time)");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_tls_handshake_is_closed() {
        let (addr, _, _stop) = start(limits(), true).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"\x16\x03\x01").await.unwrap();
        let started = Instant::now();
        assert!(closed_by_server(&mut s).await);
        assert!(started.elapsed() >= Duration::from_secs(10), "not before the handshake timeout");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_keep_alive_connection_is_closed() {
        let mut l = limits();
        l.header_read_timeout = Duration::from_secs(1_000);
        l.idle_timeout = Duration::from_secs(5);
        let (addr, _, _stop) = start(l, false).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(HEALTH).await.unwrap();
        let mut buf = vec![0; 1024];
        let n = s.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        let started = Instant::now();
        assert!(closed_by_server(&mut s).await);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(5) && waited < Duration::from_secs(1_000), "{waited:?} (paused time)");
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_moving_defer_the_idle_timeout_and_silence_then_ends_it() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut io = IdleTimeout::new(near, Duration::from_secs(5));
        let writer = tokio::spawn(async move {
            // A byte every 3 s, past the first deadline (5 s) and several more.
            for _ in 0..4 {
                tokio::time::sleep(Duration::from_secs(3)).await;
                far.write_all(b"x").await.unwrap();
            }
            far
        });
        let started = Instant::now();
        let mut got = 0;
        let mut buf = [0u8; 8];
        let err = loop {
            match io.read(&mut buf).await {
                Ok(n) => got += n,
                Err(e) => break e,
            }
        };
        let _far = writer.await.unwrap();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(got, 4, "every byte read before the timeout");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(17) && waited < Duration::from_secs(18),
            "{waited:?}: the last byte at 12 s + 5 s idle"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_cap_new_connections_wait_for_a_free_slot() {
        let mut l = limits();
        l.max_connections = 2;
        l.header_read_timeout = Duration::from_secs(1_000);
        let (addr, _, _stop) = start(l, false).await;
        let idle_a = TcpStream::connect(addr).await.unwrap();
        let _idle_b = TcpStream::connect(addr).await.unwrap();
        let mut third = TcpStream::connect(addr).await.unwrap();
        third.write_all(HEALTH).await.unwrap();
        let mut buf = vec![0; 1024];
        let early = tokio::time::timeout(Duration::from_secs(30), third.read(&mut buf)).await;
        assert!(early.is_err(), "not served while two connections hold both slots");
        drop(idle_a);
        let n = third.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    }
}
