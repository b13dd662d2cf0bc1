//! The HTTP listener: connections are accepted under a cap, and a client
//! that sends nothing (or too slowly) is disconnected.
//!
//! `axum::serve` has neither: 1,100 idle connections once made every other
//! client time out. Here each connection holds a permit of a semaphore of
//! `max_connections`; at the cap the listener stops accepting (new clients
//! wait in the kernel's backlog) until a connection ends. hyper's
//! `header_read_timeout` closes a connection that has not sent a complete
//! request head in time: it runs from the moment the connection waits for
//! a request, so it is also the idle timeout between keep-alive requests.
//! Bodies are bounded in time by the `admit` layer.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// How many clients, and how patient the server is with them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections at once; more wait to be accepted.
    pub max_connections: usize,
    /// Time to send a whole request head, and the idle time allowed
    /// between keep-alive requests.
    pub header_timeout: Duration,
    /// Time to send a whole request body.
    pub body_timeout: Duration,
    /// Request body bytes held at once across all requests; over it, 429.
    pub inflight_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            inflight_bytes: 64 << 20,
        }
    }
}

/// Serves `app` until `stop` turns true, then lets open requests finish
/// (at most `grace`) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped(stop.clone()) => break,
        };
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, mostly: wait, do not spin.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(stop.clone()) => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!("connection: {e}");
                    }
                }
                _ = stopped(stop.clone()) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    // Every connection gives its permit back when it ends.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(grace, slots.acquire_many(all)).await;
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
