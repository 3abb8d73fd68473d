//! Faults below HTTP.
//!
//! On the test server, on the same port as every other route: each
//! accepted connection carries a switch that a handler can throw, and the
//! connection's next write obeys it (reset the connection, or send raw
//! bytes in place of hyper's response and close).
//!
//! Beside it, on ports of their own: `raw_server`, which answers every
//! connection with the same bytes, and `blackhole`, a listener on which
//! a new connection hangs in the handshake.

use super::routes::html;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::StreamExt;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// What a connection's next write does.
#[derive(Default)]
enum Fault {
    /// Pass hyper's bytes through.
    #[default]
    None,
    /// Drop the connection with a TCP reset (SO_LINGER 0).
    Reset,
    /// Send these bytes instead of hyper's, then close (FIN).
    Raw(&'static [u8]),
    /// Done: every later write fails and the socket is closed.
    Closed,
}

/// The switch of one accepted connection, as handlers see it
/// (`ConnectInfo<Conn>`).
#[derive(Clone, Default)]
pub(super) struct Conn(Arc<std::sync::Mutex<Fault>>);

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conn")
    }
}

impl Conn {
    fn set(&self, fault: Fault) {
        if let Ok(mut f) = self.0.lock() {
            *f = fault;
        }
    }
}

/// The test server's listener: gives each connection it accepts a switch.
pub(super) struct FaultyListener(pub(super) tokio::net::TcpListener);

impl axum::serve::Listener for FaultyListener {
    type Io = FaultyIo;
    type Addr = Conn;

    async fn accept(&mut self) -> (FaultyIo, Conn) {
        loop {
            match self.0.accept().await {
                Ok((tcp, _)) => {
                    let conn = Conn::default();
                    return (
                        FaultyIo {
                            tcp,
                            conn: conn.clone(),
                            raw_sent: 0,
                        },
                        conn,
                    );
                }
                // Out of descriptors, say: wait and go on accepting.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Conn> {
        Ok(Conn::default())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, FaultyListener>>
    for Conn
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, FaultyListener>) -> Conn {
        stream.remote_addr().clone()
    }
}

/// An accepted connection whose writes obey its switch.
pub(super) struct FaultyIo {
    tcp: tokio::net::TcpStream,
    conn: Conn,
    /// Bytes of a `Fault::Raw` reply written so far.
    raw_sent: usize,
}

impl tokio::io::AsyncRead for FaultyIo {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::pin::Pin::new(&mut this.tcp).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for FaultyIo {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        let this = self.get_mut();
        let mut fault = match this.conn.0.lock() {
            Ok(f) => f,
            Err(_) => return Poll::Ready(Err(std::io::ErrorKind::Other.into())),
        };
        match &*fault {
            Fault::None => std::pin::Pin::new(&mut this.tcp).poll_write(cx, buf),
            Fault::Reset => {
                let _ = socket2::SockRef::from(&this.tcp).set_linger(Some(Duration::ZERO));
                *fault = Fault::Closed;
                Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()))
            }
            Fault::Raw(bytes) => {
                let bytes: &'static [u8] = bytes;
                while this.raw_sent < bytes.len() {
                    match std::pin::Pin::new(&mut this.tcp).poll_write(cx, &bytes[this.raw_sent..])
                    {
                        Poll::Ready(Ok(n)) => this.raw_sent += n,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                // FIN now; hyper then drops the connection on the error.
                let _ = socket2::SockRef::from(&this.tcp).shutdown(std::net::Shutdown::Write);
                *fault = Fault::Closed;
                Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()))
            }
            Fault::Closed => Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// The connection is reset before any byte of a response.
pub(super) async fn reset_before(ConnectInfo(conn): ConnectInfo<Conn>) -> Response {
    conn.set(Fault::Reset);
    html("<title>never sent</title>")
}

/// The head and part of the body arrive, then the connection is reset.
pub(super) async fn reset_during(ConnectInfo(conn): ConnectInfo<Conn>) -> Response {
    let first = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(
            b"<!doctype html><title>reset during the body</title><p>",
        ))
    });
    let rest = futures_util::stream::once(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        conn.set(Fault::Reset);
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"never arrives"))
    });
    let mut response = html(Body::from_stream(first.chain(rest)));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("4096"));
    response
}

/// An HTTP/1.0 response without Content-Length: the body ends when the
/// server closes the connection.
pub(super) async fn http10(ConnectInfo(conn): ConnectInfo<Conn>) -> Response {
    conn.set(Fault::Raw(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n\
          <!doctype html><title>close-delimited</title><p>the body ends at the close",
    ));
    html("")
}

/// A chunked body whose last chunk never comes: the connection closes
/// mid-body.
pub(super) async fn chunked_cut(ConnectInfo(conn): ConnectInfo<Conn>) -> Response {
    conn.set(Fault::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n\
          21\r\n<!doctype html><title>cut</title>\r\n10\r\n<p>and then noth",
    ));
    html("")
}

/// A raw TCP server for faults below HTTP: each connection reads the
/// request head, writes `reply` and closes (dropping the socket with
/// unread data makes the kernel send a reset).
// Not every test binary calls it.
pub fn raw_server(reply: &'static [u8]) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = std::io::Read::read(&mut conn, &mut buf);
                let _ = conn.write_all(reply);
                let _ = conn.flush();
                std::thread::sleep(Duration::from_millis(50));
            });
        }
    });
    addr
}

/// A listener whose accept queue is full and never drained: the kernel
/// drops further SYNs, so a new connection hangs in the handshake (the
/// loopback stand-in for an unreachable host). Returns its address and the
/// sockets that fill the queue, which must live as long as the test.
// Not every test binary calls it.
pub fn blackhole() -> (SocketAddr, Vec<std::net::TcpStream>) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    socket.bind(&addr.into()).expect("bind");
    socket.listen(0).expect("listen");
    let addr = socket
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet");
    let mut fillers = Vec::new();
    // A backlog of 0 still admits one or two connections; a few more make
    // sure the queue is full. Each filler either completes or is left
    // half-open; both keep the queue occupied.
    for _ in 0..4 {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        s.set_nonblocking(true).expect("nonblocking");
        let _ = s.connect(&addr.into());
        fillers.push(std::net::TcpStream::from(s));
    }
    std::thread::sleep(Duration::from_millis(200));
    std::mem::forget(socket);
    (addr, fillers)
}
