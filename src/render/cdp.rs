//! A Chrome DevTools Protocol client over the browser's debugging pipe
//! (`--remote-debugging-pipe`): JSON messages, each ended by a NUL byte,
//! written to the browser's fd 3 and read from its fd 4.
//!
//! One reader task owns the read end: it hands each reply to the call
//! waiting for its id, and each event to the session (tab) it belongs to.
//! When the browser goes away the reader sees end of file: every waiting
//! call fails with [`CdpError::Gone`] and every session's event stream
//! ends, so nothing waits on a dead browser.
//!
//! Sessions are "flat" (`Target.attachToTarget` with `flatten`): commands
//! for a tab carry its `sessionId`, and so do its events.
//!
//! Why not chromiumoxide: it speaks CDP over a websocket to a debugging
//! port (pipe support is an open request, mattsse/chromiumoxide#294 and
//! #325), and a browser on a port outlives a SIGKILLed trawl. The few
//! commands trawl sends need no generated protocol types.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// A message from the browser larger than this ends the connection: no
/// page needs more (the DOM of a capped body, a few times over).
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// Calls waiting for replies past which those nobody waits for any more
/// are dropped.
const PRUNE_AT: usize = 256;

/// Messages larger than this are decoded on a blocking thread.
const BIG_MESSAGE: usize = 256 * 1024;

/// Why a command got no result.
#[derive(Debug, Clone)]
pub enum CdpError {
    /// The browser is gone (exited, crashed, or closed the pipe).
    Gone,
    /// The browser answered with an error.
    Failed(String),
}

impl std::fmt::Display for CdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CdpError::Gone => f.write_str("the browser exited"),
            CdpError::Failed(m) => f.write_str(m),
        }
    }
}

type Reply = oneshot::Sender<Result<Value, CdpError>>;

/// What the reader task shares with callers.
#[derive(Default)]
struct Routes {
    /// Calls waiting for their reply, by id.
    waiting: HashMap<u64, Reply>,
    /// Event streams, by session id.
    sessions: HashMap<String, mpsc::UnboundedSender<Value>>,
    /// Set once the pipe has closed: nothing more will be routed.
    closed: bool,
}

/// A connection to one browser.
pub struct Conn {
    /// Messages to write, in order, to the browser's fd 3.
    out: mpsc::UnboundedSender<Vec<u8>>,
    routes: Arc<Mutex<Routes>>,
    next_id: AtomicU64,
    /// Cancelled when the browser's pipe closes.
    gone: CancellationToken,
}

impl Conn {
    /// Starts the reader and writer tasks on the two ends of the pipe.
    pub fn start<R, W>(from_browser: R, to_browser: W) -> Conn
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let routes = Arc::new(Mutex::new(Routes::default()));
        let gone = CancellationToken::new();
        let (out, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_all(rx, to_browser, gone.clone()));
        tokio::spawn(read_all(from_browser, routes.clone(), gone.clone()));
        Conn {
            out,
            routes,
            next_id: AtomicU64::new(1),
            gone,
        }
    }

    /// Tells whether the browser is gone.
    pub fn is_gone(&self) -> bool {
        self.gone.is_cancelled()
    }

    /// Sends a command and waits for its result. No deadline here: callers
    /// bound every call with their own.
    pub async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, CdpError> {
        self.send(session, method, params)?
            .await
            .unwrap_or(Err(CdpError::Gone))
    }

    /// Sends a command; the receiver gets its result.
    pub fn send(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<oneshot::Receiver<Result<Value, CdpError>>, CdpError> {
        let (tx, rx) = oneshot::channel();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut routes = self.routes.lock().map_err(|_| CdpError::Gone)?;
            if routes.closed {
                return Err(CdpError::Gone);
            }
            // Calls given up on (a render past its deadline) whose reply
            // never came: forgotten now and then.
            if routes.waiting.len() >= PRUNE_AT {
                routes.waiting.retain(|_, reply| !reply.is_closed());
            }
            routes.waiting.insert(id, tx);
        }
        self.write(id, session, method, params)?;
        Ok(rx)
    }

    /// Sends a command whose result nobody waits for.
    pub fn notify(&self, session: Option<&str>, method: &str, params: Value) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let _ = self.write(id, session, method, params);
    }

    fn write(
        &self,
        id: u64,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<(), CdpError> {
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = Value::from(s);
        }
        let mut bytes = serde_json::to_vec(&msg).map_err(|e| CdpError::Failed(e.to_string()))?;
        bytes.push(0);
        self.out.send(bytes).map_err(|_| CdpError::Gone)
    }

    /// The events of `session`, from now on. The stream ends when the
    /// browser is gone or the session is dropped with [`Conn::unsubscribe`].
    pub fn subscribe(&self, session: &str) -> mpsc::UnboundedReceiver<Value> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut routes) = self.routes.lock()
            && !routes.closed
        {
            routes.sessions.insert(session.to_owned(), tx);
        }
        rx
    }

    /// Stops routing the events of `session`.
    pub fn unsubscribe(&self, session: &str) {
        if let Ok(mut routes) = self.routes.lock() {
            routes.sessions.remove(session);
        }
    }

    /// Closes our end of the pipe to the browser: it exits on its own.
    pub fn close(&self) {
        self.gone.cancel();
    }
}

/// Writes messages to the browser until the channel or the pipe closes, or
/// the connection is closed.
async fn write_all<W: AsyncWrite + Unpin>(
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    mut to_browser: W,
    gone: CancellationToken,
) {
    loop {
        // Queued messages first: a closing command goes out before the
        // pipe closes.
        let msg = tokio::select! {
            biased;
            msg = rx.recv() => msg,
            () = gone.cancelled() => break,
        };
        let Some(msg) = msg else { break };
        if to_browser.write_all(&msg).await.is_err() || to_browser.flush().await.is_err() {
            break;
        }
    }
    gone.cancel();
    // Dropping `to_browser` closes the pipe: the browser reads end of file.
}

/// Routes what the browser writes until its pipe closes.
async fn read_all<R: AsyncRead + Unpin>(
    from_browser: R,
    routes: Arc<Mutex<Routes>>,
    gone: CancellationToken,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, from_browser);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let read = tokio::select! {
            () = gone.cancelled() => break,
            read = read_message(&mut reader, &mut buf) => read,
        };
        if !read {
            break;
        }
        // A rendered DOM can be megabytes of JSON: decoded off the reactor.
        let msg = if buf.len() > BIG_MESSAGE {
            let big = std::mem::take(&mut buf);
            tokio::task::spawn_blocking(move || serde_json::from_slice::<Value>(&big).ok())
                .await
                .ok()
                .flatten()
        } else {
            serde_json::from_slice::<Value>(&buf).ok()
        };
        if let Some(msg) = msg {
            route(&routes, msg);
        }
    }
    gone.cancel();
    if let Ok(mut r) = routes.lock() {
        r.closed = true;
        for (_, reply) in r.waiting.drain() {
            let _ = reply.send(Err(CdpError::Gone));
        }
        r.sessions.clear();
    }
}

/// Reads one NUL-ended message into `buf`; false at end of file, on a read
/// error, or past [`MAX_MESSAGE`].
async fn read_message<R: AsyncRead + Unpin>(reader: &mut BufReader<R>, buf: &mut Vec<u8>) -> bool {
    loop {
        let chunk = match reader.fill_buf().await {
            Ok([]) | Err(_) => return false,
            Ok(chunk) => chunk,
        };
        match chunk.iter().position(|&b| b == 0) {
            Some(end) => {
                buf.extend_from_slice(&chunk[..end]);
                reader.consume(end + 1);
                return true;
            }
            None => {
                let n = chunk.len();
                buf.extend_from_slice(chunk);
                reader.consume(n);
                if buf.len() > MAX_MESSAGE {
                    return false;
                }
            }
        }
    }
}

/// Hands a reply to its caller, or an event to its session.
fn route(routes: &Mutex<Routes>, mut msg: Value) {
    let Ok(mut r) = routes.lock() else { return };
    if let Some(id) = msg.get("id").and_then(Value::as_u64) {
        if let Some(reply) = r.waiting.remove(&id) {
            let result = match msg.get_mut("error") {
                Some(e) => Err(CdpError::Failed(
                    e.get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("the browser refused a command")
                        .to_owned(),
                )),
                None => Ok(msg.get_mut("result").map(Value::take).unwrap_or_default()),
            };
            let _ = reply.send(result);
        }
        return;
    }
    let session = msg
        .get("sessionId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if let Some(tx) = r.sessions.get(&session)
        && tx.send(msg).is_err()
    {
        // The tab's owner went away without unsubscribing.
        r.sessions.remove(&session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake browser on the other end of two in-memory pipes: it answers
    /// each command with its method name, and sends an event first.
    #[tokio::test]
    async fn replies_go_to_their_calls_and_events_to_their_sessions() {
        let (ours_w, mut theirs_r) = tokio::io::duplex(1024);
        let (mut theirs_w, ours_r) = tokio::io::duplex(1024);
        let conn = Conn::start(ours_r, ours_w);
        let mut events = conn.subscribe("S");
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while theirs_r.read_exact(&mut byte).await.is_ok() {
                if byte[0] != 0 {
                    buf.push(byte[0]);
                    continue;
                }
                let msg: Value = serde_json::from_slice(&buf).unwrap();
                buf.clear();
                let event = json!({"method": "E", "sessionId": "S", "params": {}});
                let reply = json!({"id": msg["id"], "result": {"m": msg["method"]}});
                for m in [event, reply] {
                    let mut bytes = serde_json::to_vec(&m).unwrap();
                    bytes.push(0);
                    theirs_w.write_all(&bytes).await.unwrap();
                }
            }
        });
        let r = conn.call(Some("S"), "A.b", json!({})).await.unwrap();
        assert_eq!(r, json!({"m": "A.b"}));
        assert_eq!(events.recv().await.unwrap()["method"], "E");
        conn.close();
        assert!(matches!(
            conn.call(None, "A.c", json!({})).await,
            Err(CdpError::Gone)
        ));
    }

    #[tokio::test]
    async fn calls_given_up_on_are_forgotten() {
        let (ours_w, _theirs_r) = tokio::io::duplex(1 << 20);
        let (_theirs_w, ours_r) = tokio::io::duplex(1024);
        let conn = Conn::start(ours_r, ours_w);
        for _ in 0..PRUNE_AT * 3 {
            drop(conn.send(None, "X.y", json!({})).unwrap());
        }
        let waiting = conn.routes.lock().unwrap().waiting.len();
        assert!(waiting <= PRUNE_AT, "{waiting} calls still waiting");
    }

    #[tokio::test]
    async fn a_closed_pipe_fails_waiting_calls_and_ends_event_streams() {
        let (ours_w, _theirs_r) = tokio::io::duplex(1024);
        let (theirs_w, ours_r) = tokio::io::duplex(1024);
        let conn = Conn::start(ours_r, ours_w);
        let mut events = conn.subscribe("S");
        let waiting = conn.send(None, "X.y", json!({})).unwrap();
        drop(theirs_w);
        assert!(matches!(waiting.await, Ok(Err(CdpError::Gone))));
        assert!(events.recv().await.is_none());
        assert!(conn.is_gone());
    }
}
