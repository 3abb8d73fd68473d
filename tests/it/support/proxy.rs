//! A small forwarding HTTP proxy on 127.0.0.1: it takes absolute-form
//! requests (`GET http://host:port/path HTTP/1.1`), sends each to its
//! target with `Connection: close`, and relays the answer. It counts the
//! requests it forwarded and keeps the `Proxy-Authorization` each carried;
//! `kill` closes it, so that connecting to it is refused from then on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A running proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    auth: Arc<Mutex<Vec<Option<String>>>>,
    dead: Arc<AtomicBool>,
}

impl Proxy {
    /// Starts one on 127.0.0.1.
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let auth = Arc::new(Mutex::new(Vec::new()));
        let dead = Arc::new(AtomicBool::new(false));
        let (h, a, d) = (hits.clone(), auth.clone(), dead.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if d.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, a) = (h.clone(), a.clone());
                std::thread::spawn(move || forward(conn, &h, &a));
            }
            // The listener drops here: connecting is refused from now on.
        });
        Proxy {
            addr,
            hits,
            auth,
            dead,
        }
    }

    /// `http://127.0.0.1:PORT`, with `userinfo@` when given.
    pub fn url(&self, userinfo: Option<&str>) -> String {
        match userinfo {
            Some(u) => format!("http://{u}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    /// Requests forwarded so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The `Proxy-Authorization` of each request, in order.
    pub fn auth(&self) -> Vec<Option<String>> {
        self.auth.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// Stops accepting: later connections are refused.
    pub fn kill(&self) {
        self.dead.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and drops the listener.
        let _ = TcpStream::connect(self.addr);
        for _ in 0..100 {
            if TcpStream::connect(self.addr).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Relays one request; any failure just closes the connection.
fn forward(conn: TcpStream, hits: &AtomicUsize, auth: &Mutex<Vec<Option<String>>>) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut parts = first.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return;
    };
    let Ok(url) = url::Url::parse(target) else {
        return;
    };
    let mut head = format!(
        "{method} {} HTTP/1.1\r\n",
        &url[url::Position::BeforePath..]
    );
    let mut length = 0usize;
    let mut proxy_auth = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        let lower = name.trim().to_ascii_lowercase();
        match lower.as_str() {
            "proxy-authorization" => proxy_auth = Some(value.trim().to_owned()),
            "connection" | "proxy-connection" | "keep-alive" => {}
            _ => {
                if lower == "content-length" {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    hits.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut a) = auth.lock() {
        a.push(proxy_auth);
    }
    let addr = format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(80)
    );
    let Ok(mut upstream) = TcpStream::connect(addr) else {
        let mut conn = conn;
        let _ = conn.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    };
    if upstream.write_all(head.as_bytes()).is_err() || upstream.write_all(&body).is_err() {
        return;
    }
    let mut conn = conn;
    let _ = std::io::copy(&mut upstream, &mut conn);
    let _ = conn.shutdown(Shutdown::Both);
}
