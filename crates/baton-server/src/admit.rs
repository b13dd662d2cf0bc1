//! Admission by bytes in flight: memory under any overload stays within a
//! budget set by configuration, not by how many clients send at once.
//!
//! Every request body is metered. A declared `Content-Length` is taken from
//! the budget before a byte is read (over the budget: 429 at once); a
//! chunked body takes its bytes as they arrive and is cut off with a 429
//! when the budget runs out. What a request took is given back when its
//! answer is ready, so bytes a handler parsed are still counted while it
//! works on them. The same layer bounds the time a body may take to arrive
//! (408) and answers a body over [`crate::api::MAX_BODY`] with a
//! problem+json 413 for every route.

use crate::problem::Problem;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// Request body bytes held across all requests.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
    body_timeout: Duration,
}

impl Budget {
    pub fn new(limit: usize, body_timeout: Duration) -> Budget {
        Budget {
            limit,
            used: AtomicUsize::new(0),
            body_timeout,
        }
    }

    /// Bytes held now (for `/metrics`).
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn take(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(n).filter(|&t| t <= self.limit)
            })
            .is_ok()
    }

    fn give(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// What one request holds, given back on drop.
#[derive(Debug)]
struct Held {
    budget: Arc<Budget>,
    taken: AtomicUsize,
    seen: AtomicUsize,
    exhausted: AtomicBool,
    too_large: AtomicBool,
    timed_out: AtomicBool,
}

impl Held {
    /// Counts `n` more bytes of body, taking from the budget what the
    /// declared length did not cover.
    fn more(&self, n: usize) -> Result<(), &'static str> {
        let seen = self.seen.fetch_add(n, Ordering::AcqRel) + n;
        if seen > crate::api::MAX_BODY {
            self.too_large.store(true, Ordering::Release);
            return Err("the body is too large");
        }
        let taken = self.taken.load(Ordering::Acquire);
        if seen > taken {
            if !self.budget.take(seen - taken) {
                self.exhausted.store(true, Ordering::Release);
                return Err("the server holds too many request bytes");
            }
            self.taken.store(seen, Ordering::Release);
        }
        Ok(())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.give(*self.taken.get_mut());
    }
}

struct Metered {
    inner: Body,
    held: Arc<Held>,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl HttpBody for Metered {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.held.timed_out.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(axum::Error::new("the body took too long"))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref()
                    && let Err(e) = this.held.more(data.len())
                {
                    return Poll::Ready(Some(Err(axum::Error::new(e))));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn too_large() -> Response {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too large",
        format!(
            "the body is over {} bytes: split the batch",
            crate::api::MAX_BODY
        ),
    )
    .into_response()
}

fn over_budget() -> Response {
    let mut p = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "busy",
        "the server holds as many request bytes as it may; retry shortly",
    );
    p.retry_after = Some(1);
    p.into_response()
}

/// The middleware: meter the body, then answer for what went wrong with it.
pub async fn admit(State(budget): State<Arc<Budget>>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let (parts, body) = req.into_parts();
    if declared.is_some_and(|n| n > crate::api::MAX_BODY) {
        // Read the rest (bounded) before answering: a client still sending
        // would otherwise see a reset instead of the 413.
        drain(body, 8 * crate::api::MAX_BODY).await;
        return too_large();
    }
    let want = declared.unwrap_or(0);
    if !budget.take(want) {
        drain(body, crate::api::MAX_BODY).await;
        return over_budget();
    }
    let held = Arc::new(Held {
        budget: budget.clone(),
        taken: AtomicUsize::new(want),
        seen: AtomicUsize::new(0),
        exhausted: AtomicBool::new(false),
        too_large: AtomicBool::new(false),
        timed_out: AtomicBool::new(false),
    });
    let metered = Metered {
        inner: body,
        held: held.clone(),
        deadline: Box::pin(tokio::time::sleep(budget.body_timeout)),
    };
    let req = Request::from_parts(parts, Body::new(metered));
    let response = next.run(req).await;
    if held.timed_out.load(Ordering::Acquire) {
        return Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the body did not arrive within {} s",
                budget.body_timeout.as_secs()
            ),
        )
        .into_response();
    }
    if held.exhausted.load(Ordering::Acquire) {
        return over_budget();
    }
    if held.too_large.load(Ordering::Acquire)
        || (response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem(&response))
    {
        return too_large();
    }
    if response.status().is_client_error() && !is_problem(&response) {
        return as_problem(response).await;
    }
    response
}

/// A 4xx that the framework answered itself (a query that does not parse,
/// a method a path does not have) as problem+json, with its text as the
/// detail, so every client error has one shape.
async fn as_problem(response: Response) -> Response {
    let status = response.status();
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let title = status.canonical_reason().unwrap_or("client error");
    let detail = if text.is_empty() {
        title.to_lowercase()
    } else {
        text
    };
    let mut out = Problem::new(status, "invalid request", detail).into_response();
    // Keep what the framework said about the request (e.g. `Allow` on a 405).
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

fn is_problem(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
}

/// Reads and discards up to `cap` bytes of a body.
pub async fn drain(body: Body, cap: usize) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > cap {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_never_exceeded_and_comes_back() {
        let b = Arc::new(Budget::new(100, Duration::from_secs(1)));
        assert!(b.take(60));
        assert!(!b.take(41), "61..101 would exceed");
        let held = Held {
            budget: b.clone(),
            taken: AtomicUsize::new(0),
            seen: AtomicUsize::new(0),
            exhausted: AtomicBool::new(false),
            too_large: AtomicBool::new(false),
            timed_out: AtomicBool::new(false),
        };
        assert!(held.more(30).is_ok());
        assert!(held.more(20).is_err(), "60 + 50 > 100");
        assert!(held.exhausted.load(Ordering::Acquire));
        drop(held);
        assert_eq!(b.used(), 60, "what the request took came back");
        b.give(60);
        assert_eq!(b.used(), 0);
    }
}
