//! A loopback port that refuses connections, and stays refused for as long as it is held.

use std::net::SocketAddr;

/// A loopback address where nothing listens, reserved while this value lives.
///
/// The usual trick (bind port 0, read the port, drop the listener) races with parallel tests:
/// another test's server can be given the same port a moment later, and the "refused"
/// connections then reach it. A `ClosedPort` keeps the port bound without listening, so the
/// kernel refuses every connection to it and hands the port to nobody else.
///
/// ```
/// let closed = azkv_pipeline::test_util::ClosedPort::new();
/// assert!(std::net::TcpStream::connect(closed.addr()).is_err());
/// ```
#[derive(Debug)]
pub struct ClosedPort {
    socket: tokio::net::TcpSocket,
    addr: SocketAddr,
}

impl ClosedPort {
    /// Reserves a port on 127.0.0.1.
    ///
    /// # Panics
    /// When the machine has no loopback port to spare.
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket.bind(([127, 0, 0, 1], 0).into()).expect("a loopback port");
        let addr = socket.local_addr().expect("the bound address");
        Self { socket, addr }
    }

    /// The reserved address.
    pub fn addr(&self) -> SocketAddr {
        let _ = &self.socket;
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        Self::new()
    }
}
