//! Connections: the accept loop that serves [`super::router`] over HTTP/1.1.
//!
//! `axum::serve` has no header-read timeout, no connection cap and waits for
//! ever on a draining client, so ~20,000 idle half-requests exhausted file
//! descriptors and one stalled upload held `serve` past its stop deadline
//! (issue 11.8 and 11.9). This loop, on hyper's own connection builder, bounds
//! every resource a client can hold:
//!
//! - a connection must send a complete request head within
//!   [`ServerOptions::header_read_timeout`]; hyper restarts that clock while a
//!   kept-alive connection waits for its next request, so it is also the
//!   keep-alive idle timeout;
//! - at most [`ServerOptions::max_connections`] are open; past that the loop
//!   stops accepting (clients wait in the kernel's backlog) instead of
//!   spending a descriptor on each;
//! - a request (body included) gets [`ServerOptions::request_timeout`];
//! - a connection carries at most [`ServerOptions::max_requests_per_connection`];
//! - at shutdown, connections finish their request in flight for up to
//!   [`ServerOptions::drain_timeout`] and are then closed.
//!
//! Must not: know any route; it serves whatever router it is given.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, header};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use super::WebError;

/// Ten seconds is generous for any real client on a slow link, and short
/// enough that a slowloris needs a fresh connection every few seconds.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest page (the composer's preview of a large issue) renders in a
/// fraction of this; a request still going is stuck or a slow upload.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Browsers reopen connections as they need them; a bound stops one client
/// from holding a single connection (and its buffers) indefinitely.
pub const MAX_REQUESTS_PER_CONNECTION: usize = 1000;
/// Shorter than the scheduler's drain (`daemon::scheduler::DRAIN_TIMEOUT`),
/// which runs at the same time, so the server never extends the stop.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed `accept` (usually: out of file descriptors), wait before
/// the next, rather than spin on the error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What bounds the server's connections; see the module docs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub max_requests_per_connection: usize,
    pub drain_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_connections: crate::config::defaults::MAX_CONNECTIONS,
            header_read_timeout: HEADER_READ_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            max_requests_per_connection: MAX_REQUESTS_PER_CONNECTION,
            drain_timeout: DRAIN_TIMEOUT,
        }
    }
}

impl ServerOptions {
    /// The defaults with what the operator set under `[server]`.
    pub fn from_settings(server: &crate::config::ServerSettings) -> Self {
        Self { max_connections: server.max_connections, ..Self::default() }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains (see
/// the module docs). Accept errors are logged and retried, never fatal: a
/// server out of descriptors recovers when connections close.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout).keep_alive(true);
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // Reap finished connections so the set stays as small as the open ones.
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&slots).acquire_owned() => permit.expect("the slot semaphore is never closed"),
        };
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let client = Client { stream, remote, slot: permit };
        connections.spawn(connection(http.clone(), client, router.clone(), options.clone(), stopping.clone()));
    }
    drop(listener);
    let _ = stop.send(true);
    let drained =
        tokio::time::timeout(options.drain_timeout, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = connections.len(), "closing connections still busy at the drain deadline");
        connections.shutdown().await;
    }
    Ok(())
}

/// An accepted connection and the slot it holds until it closes.
struct Client {
    stream: TcpStream,
    remote: SocketAddr,
    slot: OwnedSemaphorePermit,
}

/// One connection, until the client closes it, a timeout does, or the
/// server stops (then: finish the request in flight, keep nothing alive).
async fn connection(
    http: hyper::server::conn::http1::Builder,
    client: Client,
    router: Router,
    options: ServerOptions,
    mut stopping: watch::Receiver<bool>,
) {
    let Client { stream, remote, slot: _slot } = client;
    let served = AtomicUsize::new(0);
    let served = &served;
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        // The login rate limit reads the client's address from here.
        request.extensions_mut().insert(ConnectInfo(remote));
        let router = router.clone();
        let last = served.fetch_add(1, Ordering::Relaxed) + 1 >= options.max_requests_per_connection;
        let request_timeout = options.request_timeout;
        async move {
            let (mut response, close) = match tokio::time::timeout(request_timeout, router.oneshot(request)).await {
                Ok(Ok(response)) => (response, last),
                Ok(Err(never)) => match never {},
                Err(_) => (WebError::Timeout.into_response(), true),
            };
            if close {
                // hyper closes the connection after a response that says so.
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, Infallible>(response)
        }
    });
    // Small responses go out at once rather than wait for Nagle.
    let _ = stream.set_nodelay(true);
    let conn = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let stop = async move {
        let _ = stopping.wait_for(|stopped| *stopped).await;
    };
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            return;
        }
        () = stop => {}
    }
    conn.as_mut().graceful_shutdown();
    if let Err(error) = conn.await {
        tracing::debug!(%error, "connection ended with an error while draining");
    }
}
