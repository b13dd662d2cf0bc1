//! The HTTP API under `/v1` (axum). Paths are fixed: integrations and the
//! console depend on them. Every list answers `{"items": [...], "position": N}`.

use crate::auth::{Caller, Role, Tokens};
use crate::core::{Applied, CoreHandle, IngestError, Ingested, Request, SendError};
use crate::history;
mod alerts;
mod control;
mod decisions;
mod health;
mod ingest;
mod live;
pub mod public;
pub mod recommend;
mod routes;
mod session;
mod stream;
mod tasks;
mod whatif;
use crate::problem::Problem;
use crate::topic::Topic;
use crate::view::{self, View};
use alerts::*;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use baton_core::{Engine, Output};
use baton_model::{Command, CommandKind, DecisionId, ManualAction, Mode, Signal};
use control::*;
use decisions::*;
use futures_util::stream::Stream;
use health::*;
use ingest::*;
use live::*;
pub use public::Access as PublicAccess;
use public::*;
use recommend::{bulk as recommend_bulk, for_attendee as recommend_one};
pub use routes::ROUTES;
use serde::Deserialize;
use serde_json::{Value, json};
use session::*;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use stream::*;
use tokio::sync::oneshot;
use whatif::*;

/// Largest request body: a batch of a few thousand signals.
pub const MAX_BODY: usize = 4 << 20;

#[derive(Clone)]
pub struct AppState {
    pub core: CoreHandle,
    pub auth: Arc<Tokens>,
    pub exec: Arc<crate::exec::Exec>,
    pub sessions: Arc<crate::auth::Sessions>,
    /// Flips to true when the server begins to stop: streams end, so the
    /// graceful shutdown is not held open by connected consoles.
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// What-if runs of the twin (`/v1/simulations`).
    pub sims: Arc<crate::sims::Simulations>,
    /// The event directory, for its `twin.yaml`.
    pub event_dir: std::path::PathBuf,
    /// Request body bytes in flight (`admit`).
    pub budget: Arc<crate::admit::Budget>,
    /// The last solved recommendation board.
    pub recs: Arc<recommend::Cache>,
    /// The public room-status feed: access, cache, rate limit.
    pub feed: Arc<public::Feed>,
}

/// The token of an `Authorization: Bearer TOKEN` header; the scheme is
/// case-insensitive (RFC 7235).
fn bearer(v: &str) -> Option<&str> {
    let (scheme, token) = v.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("baton_session=").map(str::to_string))
}

impl AppState {
    pub fn new(
        core: CoreHandle,
        auth: Arc<Tokens>,
        exec: Arc<crate::exec::Exec>,
        closing: tokio::sync::watch::Receiver<bool>,
    ) -> AppState {
        AppState {
            core,
            auth,
            exec,
            sessions: Arc::new(crate::auth::Sessions::default()),
            closing,
            sims: Arc::new(crate::sims::Simulations::default()),
            event_dir: std::path::PathBuf::new(),
            budget: Arc::new(crate::admit::Budget::new(
                crate::listen::Limits::default().inflight_bytes,
                crate::listen::Limits::default().body_timeout,
            )),
            recs: Arc::new(recommend::Cache::default()),
            feed: Arc::new(public::Feed::new(public::Access::default())),
        }
    }

    /// A mutating caller: a bearer token, or a session cookie with its CSRF token.
    fn caller(&self, headers: &HeaderMap) -> Result<Caller, Problem> {
        self.caller_with(headers, true)
    }

    fn caller_with(&self, headers: &HeaderMap, mutating: bool) -> Result<Caller, Problem> {
        if let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
        {
            return self
                .auth
                .check(token.trim())
                .ok_or_else(Problem::unauthorized);
        }
        let sid = session_cookie(headers).ok_or_else(Problem::unauthorized)?;
        let (caller, csrf) = self
            .sessions
            .check(&sid)
            .ok_or_else(Problem::unauthorized)?;
        if mutating {
            let sent = headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !crate::auth::same(sent, &csrf) {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "a change made with the session cookie needs its X-CSRF-Token",
                ));
            }
        }
        Ok(caller)
    }

    fn reader(&self, headers: &HeaderMap) -> Result<Caller, Problem> {
        let c = self.caller_with(headers, false)?;
        if !c.role.can_read() {
            return Err(Problem::forbidden("viewer"));
        }
        Ok(c)
    }

    fn operator(&self, headers: &HeaderMap) -> Result<Caller, Problem> {
        let c = self.caller(headers)?;
        if !c.role.can_operate() {
            return Err(Problem::forbidden("operator"));
        }
        Ok(c)
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Request) -> Result<T, Problem> {
        let (tx, rx) = oneshot::channel();
        self.core.send(make(tx)).map_err(|e| match e {
            SendError::Full => Problem::busy(),
            SendError::Stopped => Problem::unavailable("the core is stopping"),
        })?;
        rx.await
            .map_err(|_| Problem::unavailable("the core stopped before answering"))
    }

    /// Runs `f` on the core thread against the engine and the read model.
    async fn query(
        &self,
        f: impl FnOnce(&Engine, &View) -> Value + Send + 'static,
    ) -> Result<Value, Problem> {
        self.ask(|reply| Request::Query {
            f: Box::new(f),
            reply,
        })
        .await
    }

    /// Runs `f` on the core thread and hands back what it returns: a
    /// typed [`AppState::query`], for reads that are not JSON yet.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Engine, &View) -> T + Send + 'static,
    ) -> Result<T, Problem> {
        let (tx, rx) = oneshot::channel();
        self.query(move |e, v| {
            let _ = tx.send(f(e, v));
            Value::Null
        })
        .await?;
        rx.await
            .map_err(|_| Problem::unavailable("the core stopped before answering"))
    }

    /// Journals a signal the console sends on someone's behalf (a staff
    /// member's task update, a door's FULL) as their messenger or button
    /// would: parsed like any ingest, answered once durable.
    async fn journal_for(&self, event: &Value) -> Result<Ingested, Problem> {
        let signal = Signal::parse_json(&event.to_string())
            .map_err(|e| Problem::bad_field(e.field, e.message))?;
        if !self.core.reserve(1) {
            return Err(Problem::busy());
        }
        match self
            .ask(|reply| Request::Ingest {
                signals: vec![signal],
                reply,
            })
            .await
        {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(IngestError::Unknown { message, .. })) => Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown",
                message,
            )),
            Ok(Err(IngestError::Journal(e))) => Err(Problem::unavailable(e)),
            Err(p) => {
                if p.status == StatusCode::TOO_MANY_REQUESTS {
                    self.core.release(1);
                }
                Err(p)
            }
        }
    }

    async fn command(&self, caller: &Caller, kind: CommandKind) -> Result<Applied, Problem> {
        let command = Command {
            actor: format!("{}:{}", caller.role.as_str(), caller.name),
            kind,
        };
        self.ask(|reply| Request::Command { command, reply })
            .await?
            .map_err(|e| Problem::unavailable(e.to_string()))
    }
}

fn metrics_handle() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static H: OnceLock<metrics_exporter_prometheus::PrometheusHandle> = OnceLock::new();
    H.get_or_init(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&[
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ])
            .map(|b| b.build_recorder());
        match recorder {
            Ok(r) => {
                let h = r.handle();
                // Another recorder may already be installed (tests start many servers).
                let _ = metrics::set_global_recorder(r);
                h
            }
            Err(_) => metrics_exporter_prometheus::PrometheusBuilder::new()
                .build_recorder()
                .handle(),
        }
    })
}

/// The public feed's routes alone, for `serve --public-listen`: a listener
/// with its own connection cap, so readers cannot take ingest's.
pub fn public_router(state: AppState) -> Router {
    Router::new()
        .route("/v1/public/rooms", get(public_rooms))
        .route("/v1/public/rooms/stream", get(public_stream))
        .route("/v1/public/fosdem/listrooms", get(public_fosdem))
        .route("/roomstatus/v1/listrooms", get(public_fosdem))
        .with_state(state)
}

pub fn router(state: AppState) -> Router {
    metrics_handle();
    // Methods on one path are merged: axum takes each path once.
    let mut by_path: BTreeMap<&str, axum::routing::MethodRouter<AppState>> = BTreeMap::new();
    for (path, handler) in routes::handlers() {
        let merged = match by_path.remove(path) {
            Some(m) => m.merge(handler),
            None => handler,
        };
        by_path.insert(path, merged);
    }
    let mut r = Router::new();
    for (path, handler) in by_path {
        r = r.route(path, handler);
    }
    // An alias of `/`, not listed.
    r.route("/index.html", get(crate::console::index))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            state.budget.clone(),
            crate::admit::admit,
        ))
        .with_state(state)
}

/// Ready or not, for anyone; the journal position only for a reader.
async fn ready(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if s.core.stopped() {
        return Problem::unavailable("stopping").into_response();
    }
    match s.reader(&headers) {
        Ok(_) => (StatusCode::OK, format!("ready at {}", s.core.position())).into_response(),
        Err(_) => (StatusCode::OK, "ready").into_response(),
    }
}

async fn metrics_text(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    // Engine counters are read at scrape time: a condition that fails at
    // run time (division by zero, overflow) shows per policy.
    if let Ok(v) = s
        .query(|e, v| {
            let (keys, window) = e.dedup_window();
            json!({"eval_errors": e.state().stats.eval_errors, "dedup_keys": keys,
                   "dedup_window_s": window as f64 / 1000.0, "view": v.bytes()})
        })
        .await
    {
        if let Some(m) = v["eval_errors"].as_object() {
            for (policy, n) in m {
                metrics::gauge!("baton_policy_eval_errors", "policy" => policy.clone())
                    .set(n.as_f64().unwrap_or(0.0));
            }
        }
        // Under a high rate the count bound, not `dedup_window`, sets how
        // far back duplicates are recognised: this shows which.
        metrics::gauge!("baton_dedup_keys").set(v["dedup_keys"].as_f64().unwrap_or(0.0));
        metrics::gauge!("baton_dedup_window_effective_seconds")
            .set(v["dedup_window_s"].as_f64().unwrap_or(0.0));
        for (i, part) in ["decisions", "audit", "recent"].iter().enumerate() {
            metrics::gauge!("baton_read_model_bytes", "part" => *part)
                .set(v["view"][i].as_f64().unwrap_or(0.0));
        }
    }
    metrics::gauge!("baton_request_bytes_in_flight").set(s.budget.used() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics_handle().render(),
    )
        .into_response()
}

/// A handler's answer: the value as JSON, or the problem.
fn reply(r: Result<Value, Problem>) -> Response {
    match r {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

// ---------------------------------------------------------------- shared by the handlers

/// The caller may read (viewer, operator or admin). As an extractor it runs
/// before the body is read: authentication comes before what was sent.
pub(super) struct Reader;

/// The caller may change what an operator controls (operator or admin).
pub(super) struct Operator(pub Caller);

/// The caller is an admin (the policy set, the manual clock).
pub(super) struct Admin;

impl axum::extract::FromRequestParts<AppState> for Admin {
    type Rejection = Problem;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Problem> {
        match s.caller(&parts.headers)? {
            c if c.role == Role::Admin => Ok(Admin),
            _ => Err(Problem::forbidden("admin")),
        }
    }
}

impl axum::extract::FromRequestParts<AppState> for Reader {
    type Rejection = Problem;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Problem> {
        s.reader(&parts.headers).map(|_| Reader)
    }
}

impl axum::extract::FromRequestParts<AppState> for Operator {
    type Rejection = Problem;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Problem> {
        s.operator(&parts.headers).map(Operator)
    }
}

#[derive(Deserialize, Default)]
pub(super) struct Filter {
    zone: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    role: Option<String>,
    space: Option<String>,
    policy: Option<String>,
    decision: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    /// Entries before this journal position only: the next page back.
    before: Option<u64>,
    limit: Option<usize>,
}

/// A list endpoint (the caller already checked as a [`Reader`]): items
/// built on the core thread.
pub(super) async fn listing(
    s: &AppState,
    items: impl FnOnce(&Engine, &View) -> Vec<Value> + Send + 'static,
) -> Response {
    match s.query(move |e, v| list(items(e, v), e.position())).await {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

pub(super) fn list(items: Vec<Value>, position: u64) -> Value {
    json!({"items": items, "position": position})
}

pub(super) fn matches(v: &Value, key: &str, want: &Option<String>) -> bool {
    want.as_ref()
        .is_none_or(|w| v[key].as_str() == Some(w.as_str()))
}

pub(super) async fn one(
    s: &AppState,
    what: &'static str,
    id: String,
    f: fn(&Engine, &str) -> Option<Value>,
) -> Response {
    let idc = id.clone();
    match s
        .query(move |e, _| match f(e, &idc) {
            Some(mut v) => {
                v["position"] = json!(e.position());
                v
            }
            None => Value::Null,
        })
        .await
    {
        Ok(Value::Null) => Problem::not_found(format!("no {what} {id:?}")).into_response(),
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}
