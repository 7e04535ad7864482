//! A scripted HTTP/1.1 server on `127.0.0.1:0`, for tests of anything that
//! fetches (fetcher, ingest, CLI).
//!
//! Each test hands [`TestServer::start`] a handler `Fn(&Request) -> Reply`;
//! the [`Reply`] builder says what goes on the wire, including misbehaviour:
//! delays, truncated or chunked bodies, lying `Content-Length`, raw bytes.
//! The server records every request (headers included) and counts requests
//! in flight, so tests can assert on politeness.
//!
//! ```ignore
//! let server = TestServer::start(|req| match req.path() {
//!     "/feed" if req.header("if-none-match") == Some("\"v1\"") => Reply::new(304),
//!     "/feed" => Reply::ok("<rss/>").header("ETag", "\"v1\""),
//!     "/old" => Reply::redirect(301, "/feed"),
//!     _ => Reply::new(404),
//! });
//! let url = server.url("/feed");            // http://127.0.0.1:PORT/feed
//! // ... fetch ...
//! assert_eq!(server.hits(), 1);
//! assert_eq!(server.requests()[0].header("user-agent"), Some("Gleaner/..."));
//! ```
//!
//! It runs on its own thread and tokio runtime, so it works from plain
//! `#[test]`s (e.g. driving the binary) as well as from `#[tokio::test]`s.
//! Every response carries `Connection: close`: one request per connection,
//! no keep-alive. Dropping the server stops it and drops open connections.
//! It binds to loopback only; never point it elsewhere.

#![allow(dead_code, reason = "shared helpers: not every test uses every one")]

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use url::Url;

/// Request heads larger than this are dropped (the connection is closed).
const MAX_HEAD: usize = 64 * 1024;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// 0-based arrival order across the server's life: lets a handler answer
    /// the first request differently from later ones.
    pub seq: usize,
    pub method: String,
    /// Path and query, as sent (`/feed?x=1`).
    pub target: String,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Read when the request had a `Content-Length`.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// How the body goes on the wire.
#[derive(Debug, Clone, Copy)]
enum Framing {
    /// `Content-Length` (unless the handler set one itself, e.g. to lie).
    Length,
    /// `Transfer-Encoding: chunked`, in pieces of this many bytes.
    Chunked(usize),
    /// No length at all: the body ends when the connection closes.
    UntilClose,
    /// Announce the full length, send only this many bytes, then close.
    Truncated(usize),
}

/// What the server sends back. Build with [`Reply::new`], [`Reply::ok`],
/// [`Reply::redirect`] or [`Reply::raw`], then adjust.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    framing: Framing,
    delay: Duration,
    body_delay: Duration,
    raw: Option<Vec<u8>>,
}

impl Reply {
    /// A status with an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            framing: Framing::Length,
            delay: Duration::ZERO,
            body_delay: Duration::ZERO,
            raw: None,
        }
    }

    /// 200 with this body.
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self::new(200).body(body)
    }

    /// A redirect (301, 302, 303, 307, 308) to `location`, sent verbatim
    /// (relative locations stay relative).
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::new(status).header("Location", location)
    }

    /// These bytes exactly, then close: for responses no builder can express.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Self {
        Self { raw: Some(bytes.into()), ..Self::new(200) }
    }

    /// Adds a header. Setting `Content-Length` yourself overrides the real
    /// length (to announce a size the body does not have).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the body with `Transfer-Encoding: chunked`, `chunk_size` bytes a chunk.
    pub fn chunked(mut self, chunk_size: usize) -> Self {
        self.framing = Framing::Chunked(chunk_size.max(1));
        self
    }

    /// Sends no length: the body is everything until the connection closes.
    pub fn until_close(mut self) -> Self {
        self.framing = Framing::UntilClose;
        self
    }

    /// Announces the full `Content-Length` but sends only `sent` bytes, then
    /// closes: a body broken off mid-transfer.
    pub fn truncated(mut self, sent: usize) -> Self {
        self.framing = Framing::Truncated(sent);
        self
    }

    /// Waits this long before sending anything (a slow server).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends the head at once, then waits this long before the body (a
    /// server that stalls mid-response).
    pub fn body_delay(mut self, delay: Duration) -> Self {
        self.body_delay = delay;
        self
    }
}

/// gzip-compresses `bytes` (for `Content-Encoding: gzip` replies).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Request>>,
    hits: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A running server; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Binds `127.0.0.1:0` and serves every request with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("bound address");
        let shared = Arc::new(Shared::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let (shutdown, stopped) = oneshot::channel();
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("test runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("tokio listener");
                    accept_loop(listener, handler, shared, stopped).await;
                });
                // Dropping the runtime here cancels connections still open
                // (sleeping replies included), so drop never waits on them.
            })
        };
        Self { addr, shared, shutdown: Some(shutdown), thread: Some(thread) }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` + `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).expect("valid test URL")
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        let mut requests = self.shared.requests.lock().expect("not poisoned").clone();
        requests.sort_by_key(|r| r.seq);
        requests
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// The most requests ever being answered at the same moment (from the
    /// end of a request's head to the end of its response).
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    handler: Arc<Handler>,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(serve(stream, Arc::clone(&handler), Arc::clone(&shared)));
                }
            }
        }
    }
}

/// Decrements the in-flight count however the response ends.
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, shared: Arc<Shared>) {
    let Some(mut request) = read_request(&mut stream).await else { return };
    request.seq = shared.hits.fetch_add(1, Ordering::SeqCst);
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _in_flight = InFlight(Arc::clone(&shared));
    shared.requests.lock().expect("not poisoned").push(request.clone());
    let reply = handler(&request);
    // Write errors mean the client went away (often on purpose: a timeout or
    // a size cap); nothing to do about them.
    let _ = write_reply(&mut stream, &request, reply).await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut request = Request { seq: 0, method, target, headers, body: buf[head_end + 4..].to_vec() };
    let length: usize = request.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while request.body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        request.body.extend_from_slice(&chunk[..n]);
    }
    request.body.truncate(length);
    Some(request)
}

async fn write_reply(stream: &mut TcpStream, request: &Request, reply: Reply) -> std::io::Result<()> {
    tokio::time::sleep(reply.delay).await;
    if let Some(raw) = reply.raw {
        stream.write_all(&raw).await?;
        return stream.shutdown().await;
    }
    // RFC 9110 §6.4.1: these never have a body.
    let bodiless = request.method == "HEAD" || reply.status == 204 || reply.status == 304 || reply.status < 200;
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let has_length = reply.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    match reply.framing {
        _ if bodiless => {}
        Framing::Length | Framing::Truncated(_) if !has_length => {
            let _ = write!(head, "Content-Length: {}\r\n", reply.body.len());
        }
        Framing::Chunked(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
        Framing::Length | Framing::Truncated(_) | Framing::UntilClose => {}
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.flush().await?;
    if !bodiless {
        tokio::time::sleep(reply.body_delay).await;
        match reply.framing {
            Framing::Length | Framing::UntilClose => stream.write_all(&reply.body).await?,
            Framing::Truncated(sent) => stream.write_all(&reply.body[..sent.min(reply.body.len())]).await?,
            Framing::Chunked(size) => {
                for piece in reply.body.chunks(size) {
                    stream.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await?;
                    stream.write_all(piece).await?;
                    stream.write_all(b"\r\n").await?;
                }
                stream.write_all(b"0\r\n\r\n").await?;
            }
        }
    }
    stream.flush().await?;
    stream.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
