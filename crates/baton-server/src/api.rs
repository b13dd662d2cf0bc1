//! The HTTP API under `/v1` (axum). Paths are fixed: integrations and the
//! console depend on them. Every list answers `{"items": [...], "position": N}`.

use crate::auth::{Caller, Role, Tokens};
use crate::core::{Applied, CoreHandle, IngestError, Ingested, Request, SendError};
use crate::history;
mod tasks;
use crate::problem::Problem;
use crate::topic::Topic;
use crate::view::{self, View};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use baton_core::{Engine, Output};
use baton_model::{Command, CommandKind, DecisionId, ManualAction, Mode, Signal};
use futures_util::stream::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use tokio::sync::oneshot;

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

    async fn command(&self, caller: &Caller, kind: CommandKind) -> Result<Applied, Problem> {
        let command = Command {
            actor: format!("{}:{}", caller.role.as_str(), caller.name),
            kind,
        };
        self.ask(|reply| Request::Command { command, reply })
            .await?
            .map_err(Problem::unavailable)
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

pub fn router(state: AppState) -> Router {
    metrics_handle();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_text))
        .route("/v1/openapi.json", get(openapi))
        .route(
            "/v1/session",
            get(whoami).post(open_session).delete(close_session),
        )
        .route("/v1/control", get(control))
        .route("/v1/venue", get(venue))
        .route("/v1/clock/advance", post(advance_clock))
        .route("/v1/signals", post(ingest))
        .route("/v1/spaces", get(spaces))
        .route("/v1/spaces/{id}", get(space))
        .route("/v1/spaces/{id}/history", get(space_history))
        .route("/v1/history", get(history_all))
        .route("/v1/sessions", get(sessions))
        .route("/v1/sessions/{id}", get(session))
        .route("/v1/staff", get(staff))
        .route("/v1/staff/{id}", get(staff_one))
        .route("/v1/signs", get(signs))
        .route("/v1/signs/{id}", get(sign))
        .route("/v1/decisions", get(decisions))
        .route("/v1/decisions/{id}", get(decision))
        .route("/v1/decisions/{id}/approve", post(approve))
        .route("/v1/decisions/{id}/reject", post(reject))
        .route("/v1/alerts", get(alerts))
        .route("/v1/situations", get(situations))
        .route("/v1/alerts/{id}/ack", post(ack_alert))
        .route("/v1/policies", get(policies).put(put_policies))
        .route("/v1/policies/{id}/mode", post(set_mode))
        .route("/v1/control/pause", post(pause))
        .route("/v1/control/resume", post(resume))
        .route("/v1/control/emergency", post(emergency))
        .route("/v1/actions", post(manual_action))
        .route("/v1/overrides", get(overrides).post(add_override))
        .route("/v1/overrides/{resource}", delete(release_override))
        .route("/v1/audit", get(audit))
        .route("/v1/connectors", get(connectors))
        .route("/v1/deadletters", get(deadletters))
        .route("/v1/deadletters/{key}/retry", post(retry_deadletter))
        .route("/v1/stream", get(stream))
        .route(
            "/v1/simulations",
            get(list_simulations).post(start_simulation),
        )
        .route("/v1/simulations/{id}", get(get_simulation))
        .merge(tasks::routes())
        .merge(crate::console::routes())
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

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

// ---------------------------------------------------------------- ingest

/// One CloudEvent (structured mode, or binary mode with `ce-*` headers), or
/// a batch (`application/cloudevents-batch+json`, a JSON array) accepted or
/// refused whole. Answers once durable.
async fn ingest(State(s): State<AppState>, headers: HeaderMap, body: axum::body::Body) -> Response {
    // Who is asking, and whether they may post, comes before reading what
    // they sent (the `admit` layer has already bounded its size).
    match s.caller(&headers) {
        Ok(c) if matches!(c.role, Role::Ingest | Role::Operator | Role::Admin) => {}
        Ok(_) => return Problem::forbidden("ingest").into_response(),
        Err(p) => return p.into_response(),
    }
    let mode = match Carry::of(&headers) {
        Ok(m) => m,
        Err(p) => {
            crate::admit::drain(body, MAX_BODY).await;
            return p.into_response();
        }
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        // The `admit` layer answers for a body cut off (size, budget, time).
        Err(_) => {
            return Problem::bad_field("(body)", "the body could not be read").into_response();
        }
    };
    match ingest_inner(&s, &headers, mode, &body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

/// How a request carries its CloudEvents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carry {
    Structured,
    Batch,
    Binary,
}

impl Carry {
    /// From the headers: `ce-specversion` means binary mode; otherwise the
    /// content type must be JSON (or absent, which is read as structured).
    fn of(headers: &HeaderMap) -> Result<Carry, Problem> {
        if headers.contains_key("ce-specversion") {
            return Ok(Carry::Binary);
        }
        let ctype = headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("(not text)"))
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        match ctype.as_deref() {
            Some("application/cloudevents-batch+json") => Ok(Carry::Batch),
            None | Some("application/cloudevents+json" | "application/json") => {
                Ok(Carry::Structured)
            }
            Some(other) => {
                let mut p = Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported media type",
                    format!(
                        "content-type {other:?}: send application/cloudevents+json (one event), \
                         application/cloudevents-batch+json (a batch), or binary mode with ce-* headers"
                    ),
                );
                p.field = Some("content-type".into());
                Err(p)
            }
        }
    }
}

/// The CloudEvents attributes of a binary-mode request, from its headers.
fn binary_attrs(headers: &HeaderMap) -> Result<baton_model::signal::BinaryAttrs<'_>, Problem> {
    let get = |name: &str| -> Result<Option<&str>, Problem> {
        headers
            .get(name)
            .map(|v| {
                v.to_str()
                    .map_err(|_| Problem::bad_field(name.to_string(), "is not visible ASCII"))
            })
            .transpose()
    };
    Ok(baton_model::signal::BinaryAttrs {
        specversion: get("ce-specversion")?,
        id: get("ce-id")?,
        source: get("ce-source")?,
        kind: get("ce-type")?,
        subject: get("ce-subject")?,
        time: get("ce-time")?,
    })
}

/// Parses and journals a body from a caller already allowed to post.
async fn ingest_inner(
    s: &AppState,
    headers: &HeaderMap,
    mode: Carry,
    body: &[u8],
) -> Result<Response, Problem> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Problem::bad_field("(body)", "the body is not UTF-8"))?;
    let signals = match mode {
        Carry::Batch => {
            let items: Vec<&serde_json::value::RawValue> =
                serde_json::from_str(text).map_err(|e| {
                    Problem::bad_field(
                        "(batch)",
                        format!("a batch is a JSON array of CloudEvents: {e}"),
                    )
                })?;
            let mut out = Vec::with_capacity(items.len());
            for (i, raw) in items.iter().enumerate() {
                let sig = Signal::parse_json(raw.get()).map_err(|e| {
                    Problem::bad_field(format!("[{i}].{}", e.field), e.message.clone())
                })?;
                out.push(sig);
            }
            out
        }
        Carry::Binary => {
            let attrs = binary_attrs(headers)?;
            let sig = Signal::parse_binary(&attrs, text).map_err(|e| {
                let field = match e.field.as_str() {
                    "specversion" | "id" | "source" | "type" | "subject" | "time" => {
                        format!("ce-{}", e.field)
                    }
                    _ => e.field.clone(),
                };
                Problem::bad_field(field, e.message.clone())
            })?;
            vec![sig]
        }
        Carry::Structured if text.trim_start().starts_with('[') => {
            return Err(Problem::bad_field(
                "(body)",
                "a JSON array is a batch: send it with content-type application/cloudevents-batch+json",
            ));
        }
        Carry::Structured => vec![
            Signal::parse_json(text)
                .map_err(|e| Problem::bad_field(e.field.clone(), e.message.clone()))?,
        ],
    };
    let batch = mode == Carry::Batch;
    let n = signals.len();
    if !s.core.reserve(n) {
        return Err(Problem::busy());
    }
    let r: Ingested = match s.ask(|reply| Request::Ingest { signals, reply }).await {
        Ok(Ok(r)) => r,
        Ok(Err(IngestError::Unknown {
            index,
            field,
            message,
        })) => {
            let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown", message);
            p.field = Some(if batch {
                format!("[{index}].{field}")
            } else {
                field.to_string()
            });
            return Err(p);
        }
        Ok(Err(IngestError::Journal(e))) => return Err(Problem::unavailable(e)),
        Err(p) => {
            // Refused before it reached the core: give the room back.
            if p.status == StatusCode::TOO_MANY_REQUESTS {
                s.core.release(n);
            }
            return Err(p);
        }
    };
    if !batch && r.duplicates == 1 {
        return Ok(ok(json!({"duplicate": true, "position": r.position})));
    }
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "accepted": r.accepted,
            "duplicates": r.duplicates,
            "received": n,
            "position": r.position,
        })),
    )
        .into_response())
}

// ---------------------------------------------------------------- live state

#[derive(Deserialize, Default)]
struct Filter {
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

/// A list endpoint: a reader's call, items built on the core thread.
async fn listing(
    s: &AppState,
    headers: &HeaderMap,
    items: impl FnOnce(&Engine, &View) -> Vec<Value> + Send + 'static,
) -> Response {
    if let Err(p) = s.reader(headers) {
        return p.into_response();
    }
    match s.query(move |e, v| list(items(e, v), e.position())).await {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

fn list(items: Vec<Value>, position: u64) -> Value {
    json!({"items": items, "position": position})
}

fn matches(v: &Value, key: &str, want: &Option<String>) -> bool {
    want.as_ref()
        .is_none_or(|w| v[key].as_str() == Some(w.as_str()))
}

async fn spaces(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    listing(&s, &headers, move |e, _| {
        (0..e.config().spec.spaces.len() as u32)
            .map(|i| view::space_json(e, i))
            .filter(|v| matches(v, "zone", &f.zone) && matches(v, "kind", &f.kind))
            .collect()
    })
    .await
}

async fn one(
    s: &AppState,
    headers: &HeaderMap,
    what: &'static str,
    id: String,
    f: fn(&Engine, &str) -> Option<Value>,
) -> Response {
    if let Err(p) = s.reader(headers) {
        return p.into_response();
    }
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

async fn space(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    one(&s, &headers, "space", id, |e, id| {
        e.config()
            .space_idx
            .get(id)
            .map(|&i| view::space_json(e, i))
    })
    .await
}

#[derive(Deserialize, Default)]
struct HistoryQuery {
    /// How far back, in journal minutes (1 to 180; default 60).
    minutes: Option<i64>,
}

fn history_since(now: i64, q: &HistoryQuery) -> i64 {
    let minutes = q.minutes.unwrap_or(60).clamp(1, history::KEEP as i64);
    now - minutes * history::STEP_MS
}

/// One space's samples a journal minute, with its live state and the
/// forecast ahead: the detail view's chart.
async fn space_history(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    let idc = id.clone();
    match s
        .query(move |e, v| {
            let Some(&sp) = e.config().space_idx.get(idc.as_str()) else {
                return Value::Null;
            };
            let now = e.state().now;
            let samples = v
                .history
                .space(&idc, history_since(now, &q))
                .unwrap_or_default();
            let live = view::space_json(e, sp);
            json!({
                "space": idc,
                "step_ms": history::STEP_MS,
                "now": now,
                "samples": samples,
                "live": live,
                "forecast": {"at": now + 10 * 60_000, "occupancy": live["forecast_10m"]},
                "position": e.position(),
            })
        })
        .await
    {
        Ok(Value::Null) => Problem::not_found(format!("no space {id:?}")).into_response(),
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

/// Every space's occupancy on one minute grid: the board's sparklines in
/// one request.
async fn history_all(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HistoryQuery>,
) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    match s
        .query(move |e, v| {
            let now = e.state().now;
            let (from, grid) = v.history.grid(history_since(now, &q));
            json!({
                "step_ms": history::STEP_MS,
                "from": from,
                "now": now,
                "spaces": grid,
                "position": e.position(),
            })
        })
        .await
    {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

async fn sessions(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    listing(&s, &headers, move |e, _| {
        (0..e.config().spec.sessions.len() as u32)
            .map(|i| view::session_json(e, i))
            .filter(|v| matches(v, "status", &f.status) && matches(v, "space", &f.space))
            .collect()
    })
    .await
}

async fn session(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one(&s, &headers, "session", id, |e, id| {
        e.config()
            .session_idx
            .get(id)
            .map(|&i| view::session_json(e, i))
    })
    .await
}

async fn staff(State(s): State<AppState>, headers: HeaderMap, Query(f): Query<Filter>) -> Response {
    listing(&s, &headers, move |e, _| {
        (0..e.config().spec.staff.len() as u32)
            .map(|i| view::staff_json(e, i))
            .filter(|v| {
                matches(v, "zone", &f.zone)
                    && f.role.as_ref().is_none_or(|r| {
                        v["roles"]
                            .as_array()
                            .is_some_and(|a| a.iter().any(|x| x == r))
                    })
            })
            .collect()
    })
    .await
}

async fn staff_one(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one(&s, &headers, "staff member", id, |e, id| {
        e.config()
            .staff_idx
            .get(id)
            .map(|&i| view::staff_json(e, i))
    })
    .await
}

async fn signs(State(s): State<AppState>, headers: HeaderMap, Query(f): Query<Filter>) -> Response {
    listing(&s, &headers, move |e, _| {
        (0..e.config().spec.signs.len() as u32)
            .map(|i| view::sign_json(e, i))
            .filter(|v| matches(v, "space", &f.space))
            .collect()
    })
    .await
}

async fn sign(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    one(&s, &headers, "sign", id, |e, id| {
        e.config().sign_idx.get(id).map(|&i| view::sign_json(e, i))
    })
    .await
}

// ---------------------------------------------------------------- decisions

async fn decisions(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    let limit = f.limit.unwrap_or(200).min(5_000);
    match s
        .query(move |e, v| {
            let deadlines = view::approval_deadlines(e);
            let mut items: Vec<Value> = v
                .decisions
                .values()
                .rev()
                .map(|r| with_deadline(v.decision_json(r), deadlines.get(&r.decision.id)))
                .filter(|d| {
                    matches(d, "status", &f.status)
                        && matches(d, "policy", &f.policy)
                        && f.space
                            .as_deref()
                            .is_none_or(|sp| d["scope"]["space"].as_str() == Some(sp))
                })
                .take(limit)
                .collect();
            items.reverse();
            list(items, e.position())
        })
        .await
    {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

fn decision_id(text: &str) -> Result<DecisionId, Problem> {
    serde_json::from_value(json!(text)).map_err(|_| {
        Problem::bad_field(
            "id",
            format!("{text:?} is not a decision id such as 1234.0"),
        )
    })
}

async fn decision(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    let id = match decision_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    match s
        .query(move |e, v| match v.decisions.get(&id) {
            Some(r) => {
                let mut d = with_deadline(
                    v.decision_json(r),
                    view::approval_deadlines(e).get(&r.decision.id),
                );
                d["position"] = json!(e.position());
                d
            }
            None => Value::Null,
        })
        .await
    {
        Ok(Value::Null) => {
            Problem::not_found(format!("no decision {id} in memory")).into_response()
        }
        Ok(mut v) => {
            v["deliveries"] = s.exec.deliveries(&id.to_string());
            ok(v)
        }
        Err(p) => p.into_response(),
    }
}

/// Adds `expires` (journal ms) to a decision that waits for an approval
/// with a timeout, so the console can say when it runs out.
fn with_deadline(mut d: Value, deadline: Option<&i64>) -> Value {
    d["expires"] = json!(deadline);
    d
}

/// Turns a command's outputs into an answer: a refusal is 409 with its reason.
fn answered(a: Applied) -> Response {
    for o in &a.outputs {
        if let Output::CommandRefused { reason, .. } = o {
            return Problem::conflict(reason.clone()).into_response();
        }
    }
    ok(json!({"position": a.position, "outputs": a.outputs}))
}

async fn run_command(s: &AppState, headers: &HeaderMap, kind: CommandKind) -> Response {
    match s.operator(headers) {
        Ok(caller) => run_as(s, &caller, kind).await,
        Err(p) => p.into_response(),
    }
}

/// Journals a command for a caller already checked as an operator.
async fn run_as(s: &AppState, caller: &Caller, kind: CommandKind) -> Response {
    match s.command(caller, kind).await {
        Ok(a) => answered(a),
        Err(p) => p.into_response(),
    }
}

#[derive(Deserialize, Default)]
struct RejectBody {
    #[serde(default)]
    comment: String,
}

/// A refused approval of a decision that is no longer pending says what
/// became of it (expired, and why; or approved, rejected), from the read
/// model, rather than only "not pending".
async fn settled_why(s: &AppState, decision: DecisionId, r: Response) -> Response {
    if r.status() != StatusCode::CONFLICT {
        return r;
    }
    let last = s
        .query(move |_, v| {
            v.decisions
                .get(&decision)
                .and_then(|d| d.history.iter().rev().find(|h| h.get("status").is_some()))
                .cloned()
                .unwrap_or(Value::Null)
        })
        .await
        .unwrap_or(Value::Null);
    match (last["status"].as_str(), last["reason"].as_str()) {
        (Some(st), Some(why)) if st != "pending" && st != "escalated" && !why.is_empty() => {
            Problem::conflict(format!(
                "decision {decision} is not pending: it is {st} ({why})"
            ))
            .into_response()
        }
        (Some(st), _) if st != "pending" && st != "escalated" => {
            Problem::conflict(format!("decision {decision} is not pending: it is {st}"))
                .into_response()
        }
        _ => r,
    }
}

async fn approve(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let caller = match s.operator(&headers) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let decision = match decision_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    if body.is_empty() || body.as_ref() == b"{}" {
        let r = run_as(&s, &caller, CommandKind::Approve { decision }).await;
        return settled_why(&s, decision, r).await;
    }
    #[derive(Deserialize)]
    struct Edits {
        actions: Vec<baton_model::ActionEdit>,
    }
    match serde_json::from_slice::<Edits>(&body) {
        Ok(e) => {
            run_as(
                &s,
                &caller,
                CommandKind::ApproveEdited {
                    decision,
                    edits: e.actions,
                },
            )
            .await
        }
        Err(e) => Problem::bad_field(
            "actions",
            format!("{e}: expected {{\"actions\": [{{\"index\": N, \"params\": {{...}}, \"drop\": false}}]}}"),
        )
        .into_response(),
    }
}

async fn reject(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let caller = match s.operator(&headers) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let decision = match decision_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    let b: RejectBody = if body.is_empty() {
        RejectBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return Problem::bad_field("comment", e.to_string()).into_response(),
        }
    };
    run_as(
        &s,
        &caller,
        CommandKind::Reject {
            decision,
            comment: b.comment,
        },
    )
    .await
}

// ---------------------------------------------------------------- alerts

#[derive(Deserialize, Default)]
struct SituationsQuery {
    /// Lowest level shown: low, medium (default) or high.
    min: Option<String>,
}

/// Every active situation at or above `min`, grouped per space.
async fn situations(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SituationsQuery>,
) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    let min = match q.min.as_deref() {
        None => crate::situations::Level::Medium,
        Some(m) => match crate::situations::Level::parse(m) {
            Some(l) => l,
            None => {
                return Problem::bad_field("min", format!("{m:?}: use low, medium or high"))
                    .into_response();
            }
        },
    };
    match s
        .query(move |e, v| {
            list(
                crate::situations::list(e, v, min)
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
                e.position(),
            )
        })
        .await
    {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

async fn alerts(State(s): State<AppState>, headers: HeaderMap) -> Response {
    listing(&s, &headers, |e, v| {
        e.state()
            .alerts
            .iter()
            .map(|(id, c)| {
                let first = v.decisions.get(&c.first).map(|r| v.decision_json(r));
                json!({
                    "id": id,
                    "space": id.strip_prefix("alert:"),
                    "count": c.count,
                    "opened": c.opened,
                    "last": c.last,
                    "acked_by": c.acked,
                    "escalated": c.escalated,
                    "first_decision": c.first.to_string(),
                    "first": first,
                })
            })
            .collect()
    })
    .await
}

async fn ack_alert(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let alert = if id.starts_with("alert:") {
        id
    } else {
        format!("alert:{id}")
    };
    run_command(&s, &headers, CommandKind::AckAlert { alert }).await
}

// ---------------------------------------------------------------- policies and control

async fn policies(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    match s
        .query(|e, _| {
            let cfg = e.config();
            let errors = &e.state().stats.eval_errors;
            let items = cfg
                .policy_set
                .policies
                .iter()
                .map(|p| {
                    let mode = e.state().modes.get(&p.id).copied().unwrap_or(p.mode);
                    json!({"id": p.id, "version": p.version, "description": p.description,
                           "priority": p.priority, "mode": mode, "on": p.on, "condition": p.condition,
                           "approval_timeout_ms": p.approval_timeout, "on_timeout": p.on_timeout,
                           "eval_errors": errors.get(&p.id).copied().unwrap_or(0)})
                })
                .collect();
            let mut v = list(items, e.position());
            v["version"] = json!(cfg.policy_set.hash);
            v
        })
        .await
    {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

/// A new `policies.yaml`, checked against the running spec; refused whole
/// with every error named, or journaled as one `PolicySet` entry.
async fn put_policies(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match s.caller(&headers) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    if caller.role != Role::Admin {
        return Problem::forbidden("admin").into_response();
    }
    let text = match std::str::from_utf8(&body) {
        Ok(t) => t.to_string(),
        Err(_) => return Problem::bad_field("(body)", "not UTF-8").into_response(),
    };
    let (cfg, _) = match s.ask(|reply| Request::Config { reply }).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let set = match baton_spec::policies_from_yaml("policies.yaml", &text, &cfg.spec) {
        Ok(set) => set,
        Err(diags) => {
            let mut p = Problem::bad_field(
                diags.first().map(|d| d.field.clone()).unwrap_or_default(),
                baton_spec::lines(&diags),
            );
            p.title = "policy set refused";
            return p.into_response();
        }
    };
    let hash = set.hash.clone();
    match s.ask(|reply| Request::Policies { set, reply }).await {
        Ok(Ok(a)) => {
            for o in &a.outputs {
                if let Output::CommandRefused { reason, .. } = o {
                    return Problem::conflict(reason.clone()).into_response();
                }
            }
            ok(json!({"version": hash, "position": a.position}))
        }
        Ok(Err(e)) => Problem::unavailable(e).into_response(),
        Err(p) => p.into_response(),
    }
}

#[derive(Deserialize)]
struct ModeBody {
    mode: Mode,
}

async fn set_mode(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let caller = match s.operator(&headers) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let b: ModeBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Problem::bad_field("mode", format!("{e}: use auto, approve, suggest or off"))
                .into_response();
        }
    };
    run_as(
        &s,
        &caller,
        CommandKind::SetMode {
            policy: id,
            mode: b.mode,
        },
    )
    .await
}

async fn pause(State(s): State<AppState>, headers: HeaderMap) -> Response {
    run_command(&s, &headers, CommandKind::Pause).await
}

async fn resume(State(s): State<AppState>, headers: HeaderMap) -> Response {
    run_command(&s, &headers, CommandKind::Resume).await
}

#[derive(Deserialize)]
struct EmergencyBody {
    #[serde(default = "yes")]
    on: bool,
}

fn yes() -> bool {
    true
}

async fn emergency(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // Who is asking comes before what they sent.
    let caller = match s.operator(&headers) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let on = if body.is_empty() {
        true
    } else {
        match serde_json::from_slice::<EmergencyBody>(&body) {
            Ok(b) => b.on,
            Err(e) => return Problem::bad_field("on", e.to_string()).into_response(),
        }
    };
    run_as(&s, &caller, CommandKind::Emergency { on }).await
}

async fn manual_action(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // Who is asking comes before what they sent.
    let caller = match s.operator(&headers) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let action: ManualAction = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return Problem::bad_field(
                "(action)",
                format!("{e}: expected {{kind, target: {{ids: [...]}}, params, valid_for}}"),
            )
            .into_response();
        }
    };
    run_as(&s, &caller, CommandKind::Manual { action }).await
}

async fn overrides(State(s): State<AppState>, headers: HeaderMap) -> Response {
    listing(&s, &headers, |e, _| view::overrides_json(e)).await
}

#[derive(Deserialize)]
struct OverrideBody {
    resource: String,
    #[serde(default)]
    value: Option<String>,
    /// Journal time (ms) when it ends; or `minutes` from now.
    #[serde(default)]
    until: Option<i64>,
    #[serde(default)]
    minutes: Option<i64>,
}

async fn add_override(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // Who is asking comes before what they sent.
    let caller = match s.operator(&headers) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let b: OverrideBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return Problem::bad_field("(override)", e.to_string()).into_response(),
    };
    let until = match (b.until, b.minutes) {
        (Some(u), _) => u,
        (None, Some(m)) if m > 0 => match m.checked_mul(60_000) {
            Some(ms) => s.core.clock.now_ms() + ms,
            None => return Problem::bad_field("minutes", "too many minutes").into_response(),
        },
        _ => {
            return Problem::bad_field("until", "give `until` (journal ms) or `minutes` > 0")
                .into_response();
        }
    };
    run_as(
        &s,
        &caller,
        CommandKind::Override {
            resource: b.resource,
            value: b.value,
            until,
        },
    )
    .await
}

async fn release_override(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(resource): Path<String>,
) -> Response {
    run_command(&s, &headers, CommandKind::Release { resource }).await
}

// ---------------------------------------------------------------- console sessions

#[derive(Deserialize)]
struct SessionBody {
    token: String,
}

/// Trades a token for an HttpOnly, SameSite=Strict session cookie, and
/// returns the CSRF token the console sends back on changes.
async fn open_session(State(s): State<AppState>, body: Bytes) -> Response {
    let b: SessionBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return Problem::bad_field("token", e.to_string()).into_response(),
    };
    let Some(caller) = s.auth.check(b.token.trim()) else {
        return Problem::unauthorized().into_response();
    };
    if !caller.role.can_sign_in() {
        return Problem::forbidden("viewer").into_response();
    }
    let role = caller.role.as_str();
    let name = caller.name.clone();
    let (sid, csrf) = match s.sessions.create(caller) {
        Ok(x) => x,
        Err(e) => return Problem::unavailable(format!("keeping the session: {e}")).into_response(),
    };
    let age = crate::auth::SESSION_HOURS * 3600;
    let cookie = format!("baton_session={sid}; HttpOnly; SameSite=Strict; Path=/; Max-Age={age}");
    // A marker the page can read (the session cookie it cannot): it asks
    // GET /v1/session only when it may be signed in, so a first visit
    // does not log a 401.
    let marker = format!("baton_signed_in=1; SameSite=Strict; Path=/; Max-Age={age}");
    (
        StatusCode::OK,
        axum::response::AppendHeaders([(header::SET_COOKIE, cookie), (header::SET_COOKIE, marker)]),
        axum::Json(json!({"csrf": csrf, "role": role, "name": name})),
    )
        .into_response()
}

/// Who the console is signed in as: the role decides which buttons are
/// live, and the CSRF token survives a page reload (the cookie does, the
/// page's memory does not). A bearer caller gets `csrf: null`.
async fn whoami(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let caller = match s.caller_with(&headers, false) {
        Ok(c) if c.role.can_sign_in() => c,
        Ok(_) => return Problem::forbidden("viewer").into_response(),
        Err(p) => return p.into_response(),
    };
    let csrf = if headers.contains_key(header::AUTHORIZATION) {
        None
    } else {
        session_cookie(&headers)
            .and_then(|sid| s.sessions.check(&sid))
            .map(|(_, csrf)| csrf)
    };
    ok(json!({"role": caller.role.as_str(), "name": caller.name, "csrf": csrf}))
}

/// Pause, emergency hold, journal time, clock mode, changed modes and
/// overrides: the state every console page shows in its header.
async fn control(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    let mode = s.core.clock.mode();
    match s
        .query(move |e, _| {
            let mut v = view::control_json(e, mode);
            v["position"] = json!(e.position());
            v
        })
        .await
    {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

/// The venue as the console draws it: spaces with zones and coordinates,
/// walking links, signs, sessions, and the event's name and UTC offset.
/// Read once at sign-in; live state comes from `/v1/spaces` and the stream.
async fn venue(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    match s
        .query(|e, _| {
            let spec = &e.config().spec;
            json!({
                "event": {"id": spec.event.id, "name": spec.event.name,
                          "timezone": spec.event.timezone, "utc_offset_s": spec.event.utc_offset_s},
                "spaces": spec.spaces.iter().map(|sp| json!({
                    "id": sp.id, "name": sp.name, "kind": sp.kind, "zone": sp.zone,
                    "capacity": sp.capacity, "area_m2": sp.area_m2, "seated": sp.seated,
                    "position": sp.position, "outline": sp.outline,
                })).collect::<Vec<_>>(),
                "links": spec.links,
                "signs": spec.signs.iter().map(|g| json!({"id": g.id, "space": g.space})).collect::<Vec<_>>(),
                "sessions": spec.sessions.iter().map(|x| json!({
                    "id": x.id, "title": x.title, "space": x.space, "start": x.start, "end": x.end,
                })).collect::<Vec<_>>(),
                "position": e.position(),
            })
        })
        .await
    {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    #[serde(default)]
    seconds: Option<i64>,
    /// For replaying recorded times to the millisecond; instead of `seconds`.
    #[serde(default)]
    milliseconds: Option<i64>,
}

/// Longest single advance: a day, journaled as one `Tick` on every
/// multiple of the event's tick in between.
const MAX_ADVANCE_S: i64 = 86_400;

/// Moves a manual clock forward (admin only): timers due in between fire.
async fn advance_clock(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match s.caller(&headers) {
        Ok(c) if c.role == Role::Admin => {}
        Ok(_) => return Problem::forbidden("admin").into_response(),
        Err(p) => return p.into_response(),
    }
    if s.core.clock.mode() != crate::clock::ClockMode::Manual {
        return Problem::conflict("the clock is not manual (serve --clock manual)").into_response();
    }
    let b: AdvanceBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return Problem::bad_field("seconds", e.to_string()).into_response(),
    };
    let ms = match (b.seconds, b.milliseconds) {
        (Some(sec), None) if (1..=MAX_ADVANCE_S).contains(&sec) => sec * 1000,
        (None, Some(ms)) if (1..=MAX_ADVANCE_S * 1000).contains(&ms) => ms,
        _ => {
            return Problem::bad_field(
                "seconds",
                format!(
                    "advance by 1 to {MAX_ADVANCE_S} seconds (or `milliseconds`, one of the two) at a time"
                ),
            )
            .into_response();
        }
    };
    match s.ask(|reply| Request::Advance { ms, reply }).await {
        Ok(Ok(a)) => ok(json!({"now": a.now, "position": a.position})),
        Ok(Err(e)) => Problem::conflict(e).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn close_session(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(sid) = session_cookie(&headers) {
        s.sessions.remove(&sid);
    }
    (
        StatusCode::OK,
        axum::response::AppendHeaders([
            (
                header::SET_COOKIE,
                "baton_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0".to_string(),
            ),
            (
                header::SET_COOKIE,
                "baton_signed_in=; SameSite=Strict; Path=/; Max-Age=0".to_string(),
            ),
        ]),
        axum::Json(json!({"closed": true})),
    )
        .into_response()
}

// ---------------------------------------------------------------- execution health

async fn connectors(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    let mut v = s.exec.connectors_json();
    v["position"] = json!(s.core.position());
    ok(v)
}

async fn deadletters(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    let mut v = s.exec.dead_letters();
    v["position"] = json!(s.core.position());
    ok(v)
}

async fn retry_deadletter(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    if let Err(p) = s.operator(&headers) {
        return p.into_response();
    }
    use crate::exec::RetryError;
    match s.exec.retry(&key) {
        Ok(()) => ok(json!({"retrying": key})),
        Err(RetryError::NotFound(e)) => Problem::not_found(e).into_response(),
        Err(RetryError::Refused(e)) => Problem::conflict(e).into_response(),
        Err(RetryError::Store(e)) => Problem::unavailable(e).into_response(),
    }
}

// ---------------------------------------------------------------- audit and stream

async fn audit(State(s): State<AppState>, headers: HeaderMap, Query(f): Query<Filter>) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    let limit = f.limit.unwrap_or(500).min(10_000);
    match s
        .query(move |e, v| {
            let mut items: Vec<Value> = v
                .audit
                .iter()
                .rev()
                .filter(|a| {
                    f.since.is_none_or(|x| a.at >= x)
                        && f.until.is_none_or(|x| a.at <= x)
                        && f.before.is_none_or(|b| a.position < b)
                        && f.policy
                            .as_deref()
                            .is_none_or(|p| a.policy.as_deref() == Some(p))
                        && f.space
                            .as_deref()
                            .is_none_or(|sp| a.space.as_deref() == Some(sp))
                        && f.decision.as_deref().is_none_or(|d| {
                            a.id.as_deref() == Some(d) || a.decision.as_deref() == Some(d)
                        })
                })
                // A page never splits one journal position's entries, so
                // `before` (the oldest position shown) skips nothing.
                .scan(None::<u64>, |last, a| {
                    let pos = Some(a.position);
                    Some((std::mem::replace(last, pos) == pos, a))
                })
                .enumerate()
                .take_while(|(i, (same, _))| *i < limit || *same)
                .map(|(_, (_, a))| a.json())
                .collect();
            items.reverse();
            list(items, e.position())
        })
        .await
    {
        Ok(v) => ok(v),
        Err(p) => p.into_response(),
    }
}

#[derive(Deserialize, Default)]
struct StreamQuery {
    topics: Option<String>,
    /// `Last-Event-ID` for clients that cannot set headers: a console that
    /// reopens its `EventSource` itself resumes from here.
    last_event_id: Option<String>,
}

/// Server-Sent Events. An event's id is its journal position; send
/// `Last-Event-ID` to resume. A client that falls behind is told to resync
/// (`event: resync`) instead of being buffered without bound.
async fn stream(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, Problem> {
    s.reader(&headers)?;
    // An unknown topic is refused by name (it used to match nothing, so a
    // typo gave a silent stream).
    let topics: Option<Vec<Topic>> = match q.topics {
        None => None,
        Some(t) => Some(
            t.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| {
                    x.parse::<Topic>()
                        .map_err(|e| Problem::bad_field("topics", e))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    // `SEQ.SUB` as sent; a bare `SEQ` means everything at SEQ was seen.
    let last: Option<(u64, u32)> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(q.last_event_id.as_deref())
        .and_then(|v| match v.trim().split_once('.') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => Some((v.trim().parse().ok()?, u32::MAX)),
        });
    let rx = s.core.events.subscribe();
    let backlog = match last {
        None => Value::Null,
        Some(after) => {
            s.query(move |_, v| {
                if after.0 < v.dropped_through || after.0 < v.history_from {
                    return json!({"resync": true});
                }
                let mut latest: BTreeMap<String, (u64, u32, &'static str, String)> =
                    BTreeMap::new();
                let mut order = Vec::new();
                let mut newest = after;
                for e in v.recent.iter().filter(|e| (e.seq, e.sub) > after) {
                    newest = newest.max((e.seq, e.sub));
                    if latest
                        .insert(
                            e.key.clone(),
                            (e.seq, e.sub, e.topic.as_str(), e.data.to_string()),
                        )
                        .is_none()
                    {
                        order.push(e.key.clone());
                    }
                }
                json!({
                    "newest": [newest.0, newest.1],
                    "events": order.iter().filter_map(|k| latest.get(k)).map(|(seq, sub, t, d)| json!([seq, sub, t, d])).collect::<Vec<_>>(),
                })
            })
            .await?
        }
    };
    // Events the backlog already covered may also sit in the live channel.
    let newest: Option<(u64, u32)> = backlog["newest"].as_array().map(|a| {
        (
            a.first().and_then(Value::as_u64).unwrap_or(0),
            a.get(1).and_then(Value::as_u64).unwrap_or(0) as u32,
        )
    });
    let wanted = move |topic: &str| {
        topics
            .as_ref()
            .is_none_or(|t| t.iter().any(|x| x.as_str() == topic))
    };
    let wanted2 = wanted.clone();
    let mut first: Vec<SseEvent> = Vec::new();
    if backlog["resync"] == json!(true) {
        first.push(SseEvent::default().event("resync").data("{}"));
    }
    if let Some(evs) = backlog["events"].as_array() {
        for e in evs {
            let (seq, sub, topic, data) = (
                e[0].as_u64().unwrap_or(0),
                e[1].as_u64().unwrap_or(0),
                e[2].as_str().unwrap_or(""),
                e[3].as_str().unwrap_or(""),
            );
            if wanted2(topic) {
                first.push(
                    SseEvent::default()
                        .id(format!("{seq}.{sub}"))
                        .event(topic)
                        .data(data),
                );
            }
        }
    }
    let live = tokio_stream::wrappers::BroadcastStream::new(rx);
    use futures_util::StreamExt;
    let live = live.filter_map(move |item| {
        let out = match item {
            Ok(e) if newest.is_some_and(|n| (e.seq, e.sub) <= n) => None,
            Ok(e) if wanted(e.topic.as_str()) => Some(Ok(SseEvent::default()
                .id(format!("{}.{}", e.seq, e.sub))
                .event(e.topic.as_str())
                .data(&*e.data))),
            Ok(_) => None,
            Err(_) => Some(Ok(SseEvent::default()
                .event("resync")
                .data("{\"reason\": \"lagged\"}"))),
        };
        std::future::ready(out)
    });
    let head = futures_util::stream::iter(first.into_iter().map(Ok));
    let mut closing = s.closing.clone();
    let until = async move {
        let _ = closing.wait_for(|c| *c).await;
    };
    Ok(Sse::new(head.chain(live).take_until(until)).keep_alive(KeepAlive::default()))
}

// ---------------------------------------------------------------- OpenAPI

/// The routes with their roles; the OpenAPI document is built from this
/// table, so it lists exactly what the router serves.
// ---------------------------------------------------------------- what-if

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SimBody {
    /// "live", "none", or the text of a policies.yaml.
    a: Option<String>,
    b: Option<String>,
    seeds: Option<u32>,
}

async fn start_simulation(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    use crate::sims::{MAX_SEEDS, Side};
    let caller = match s.operator(&headers) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let body: SimBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return Problem::bad_field("(body)", e.to_string()).into_response(),
    };
    let seeds = body.seeds.unwrap_or(10);
    if seeds == 0 || seeds > MAX_SEEDS {
        return Problem::bad_field("seeds", format!("{seeds} is not between 1 and {MAX_SEEDS}"))
            .into_response();
    }
    let a = Side::parse(body.a.as_deref());
    let b = Side::parse(Some(body.b.as_deref().unwrap_or("none")));
    let (cfg, now) = match s.ask(|reply| Request::Config { reply }).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let pa = match a.resolve("a", &cfg.spec, &cfg.policy_set) {
        Ok(p) => p,
        Err(e) => return Problem::bad_field("a", e).into_response(),
    };
    let pb = match b.resolve("b", &cfg.spec, &cfg.policy_set) {
        Ok(p) => p,
        Err(e) => return Problem::bad_field("b", e).into_response(),
    };
    let (la, lb) = crate::sims::labels(&a, &b);
    let req = crate::sims::Request {
        event_dir: s.event_dir.clone(),
        config: cfg,
        a: (la, pa),
        b: (lb, pb),
        seeds,
        actor: caller.name.clone(),
        now,
    };
    // Loading twin.yaml and attendees.csv reads files: off the async runtime.
    let sims = s.sims.clone();
    let started = match tokio::task::spawn_blocking(move || sims.start(req)).await {
        Ok(r) => r,
        Err(e) => Err(crate::sims::StartError::Internal(e.to_string())),
    };
    match started {
        Ok(job) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({"id": job.id, "total": job.total})),
        )
            .into_response(),
        Err(e @ crate::sims::StartError::Busy) => Problem::conflict(e.to_string()).into_response(),
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}

async fn get_simulation(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    match s.sims.get(&id) {
        Some(v) => ok(v),
        None => Problem::not_found(format!("simulation {id}")).into_response(),
    }
}

async fn list_simulations(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.reader(&headers) {
        return p.into_response();
    }
    ok(s.sims.list())
}

pub const ROUTES: &[(&str, &str, &str, &str)] = &[
    ("get", "/healthz", "none", "liveness"),
    ("get", "/readyz", "none", "readiness: the core answers"),
    (
        "get",
        "/metrics",
        "viewer",
        "Prometheus metrics, prefixed baton_",
    ),
    (
        "post",
        "/v1/signals",
        "ingest",
        "one CloudEvent, or a batch as application/cloudevents-batch+json; answers once durable",
    ),
    (
        "get",
        "/v1/spaces",
        "viewer",
        "live state of every space (filters: zone, kind)",
    ),
    ("get", "/v1/spaces/{id}", "viewer", "one space"),
    (
        "get",
        "/v1/spaces/{id}/history",
        "viewer",
        "one space's samples a journal minute (up to 180), live state and forecast",
    ),
    (
        "get",
        "/v1/tasks",
        "viewer",
        "open staff tasks, who has them and where",
    ),
    (
        "post",
        "/v1/tasks/{id}/reassign",
        "operator",
        "move a task to a staff member ({\"to\": ID}) or to the best other person free ({})",
    ),
    (
        "get",
        "/v1/me/tasks",
        "staff",
        "a staff token's own open tasks",
    ),
    (
        "post",
        "/v1/me/tasks/{id}",
        "staff",
        "acknowledge, arrive at, finish or decline one of your tasks",
    ),
    (
        "get",
        "/v1/history",
        "viewer",
        "every space's occupancy a journal minute on one grid (sparklines)",
    ),
    (
        "get",
        "/v1/sessions",
        "viewer",
        "sessions (filters: status, space)",
    ),
    ("get", "/v1/sessions/{id}", "viewer", "one session"),
    (
        "get",
        "/v1/staff",
        "viewer",
        "staff with location, status and tasks (filters: zone, role)",
    ),
    ("get", "/v1/staff/{id}", "viewer", "one staff member"),
    (
        "get",
        "/v1/signs",
        "viewer",
        "signs: showing, desired, override, claim (filter: space)",
    ),
    ("get", "/v1/signs/{id}", "viewer", "one sign"),
    (
        "get",
        "/v1/decisions",
        "viewer",
        "decisions with explanations (filters: status, policy, limit)",
    ),
    ("get", "/v1/decisions/{id}", "viewer", "one decision"),
    (
        "post",
        "/v1/decisions/{id}/approve",
        "operator",
        "approve a pending decision",
    ),
    (
        "post",
        "/v1/decisions/{id}/reject",
        "operator",
        "reject a pending decision, with a comment",
    ),
    (
        "get",
        "/v1/alerts",
        "viewer",
        "alert cards, grouped per space",
    ),
    (
        "get",
        "/v1/situations",
        "viewer",
        "what needs a person now, grouped per space (filter: min = low, medium, high)",
    ),
    (
        "post",
        "/v1/alerts/{id}/ack",
        "operator",
        "acknowledge an alert card",
    ),
    (
        "get",
        "/v1/policies",
        "viewer",
        "the running policy set and its version",
    ),
    (
        "put",
        "/v1/policies",
        "admin",
        "replace the policy set (policies.yaml body); refused whole if invalid",
    ),
    (
        "post",
        "/v1/policies/{id}/mode",
        "operator",
        "set a policy's mode",
    ),
    ("post", "/v1/control/pause", "operator", "pause automation"),
    (
        "post",
        "/v1/control/resume",
        "operator",
        "resume automation and reconcile signs",
    ),
    (
        "post",
        "/v1/control/emergency",
        "operator",
        "emergency hold on ({\"on\": false} lifts it)",
    ),
    ("post", "/v1/actions", "operator", "a manual action"),
    ("get", "/v1/overrides", "viewer", "active overrides"),
    ("post", "/v1/overrides", "operator", "place an override"),
    (
        "delete",
        "/v1/overrides/{resource}",
        "operator",
        "release an override",
    ),
    (
        "get",
        "/v1/audit",
        "viewer",
        "the audit timeline (filters: since, until, space, policy, decision)",
    ),
    (
        "get",
        "/v1/connectors",
        "viewer",
        "connectors: breaker state, recent failures, queue depth",
    ),
    (
        "get",
        "/v1/deadletters",
        "viewer",
        "deliveries that gave up",
    ),
    (
        "post",
        "/v1/deadletters/{key}/retry",
        "operator",
        "put a dead letter back in the queue",
    ),
    (
        "post",
        "/v1/simulations",
        "operator",
        "start a what-if: the twin runs policy set a against b (\"live\", \"none\" or policies.yaml text) over N seeds; one at a time (409)",
    ),
    (
        "get",
        "/v1/simulations",
        "viewer",
        "what-if runs, newest first",
    ),
    (
        "get",
        "/v1/simulations/{id}",
        "viewer",
        "a what-if's progress, KPI table (a, b, paired difference) and SVG charts",
    ),
    (
        "get",
        "/v1/stream",
        "viewer",
        "Server-Sent Events (topics=decisions,actions,tasks,spaces,control,...; last_event_id= or Last-Event-ID to resume)",
    ),
    (
        "post",
        "/v1/session",
        "none",
        "trade a token for a console session cookie (returns the CSRF token)",
    ),
    ("delete", "/v1/session", "none", "end the console session"),
    (
        "get",
        "/v1/session",
        "staff",
        "who the console is signed in as: role, name and CSRF token (any role but ingest)",
    ),
    (
        "get",
        "/v1/venue",
        "viewer",
        "the venue for the console: spaces with zones and coordinates, links, signs, sessions",
    ),
    (
        "get",
        "/v1/control",
        "viewer",
        "pause, emergency hold, journal time, clock mode, policy modes, overrides",
    ),
    (
        "post",
        "/v1/clock/advance",
        "admin",
        "advance a manual clock ({\"seconds\": N}); 409 unless serve --clock manual",
    ),
    ("get", "/", "none", "the operator console"),
    (
        "get",
        "/assets/{name}",
        "none",
        "the console's embedded scripts, styles and icons",
    ),
    ("get", "/v1/openapi.json", "none", "this document"),
];

async fn openapi() -> Response {
    ok(crate::openapi::document(ROUTES))
}
