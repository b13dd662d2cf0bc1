//! Live state: spaces (with their history), sessions, staff and signs.

use super::*;

pub(super) async fn spaces(
    State(s): State<AppState>,
    _: Reader,
    Query(f): Query<Filter>,
) -> Response {
    listing(&s, move |e, _| {
        (0..e.config().spec.spaces.len() as u32)
            .map(|i| view::space_json(e, i))
            .filter(|v| matches(v, "zone", &f.zone) && matches(v, "kind", &f.kind))
            .collect()
    })
    .await
}

pub(super) async fn space(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Response {
    one(&s, "space", id, |e, id| {
        e.config()
            .space_idx
            .get(id)
            .map(|&i| view::space_json(e, i))
    })
    .await
}

#[derive(Deserialize, Default)]
pub(super) struct HistoryQuery {
    /// How far back, in journal minutes (1 to 180; default 60).
    minutes: Option<i64>,
}

pub(super) fn history_since(now: i64, q: &HistoryQuery) -> i64 {
    let minutes = q.minutes.unwrap_or(60).clamp(1, history::KEEP as i64);
    now - minutes * history::STEP_MS
}

/// One space's samples a journal minute, with its live state and the
/// forecast ahead: the detail view's chart.
pub(super) async fn space_history(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Response {
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
pub(super) async fn history_all(
    State(s): State<AppState>,
    _: Reader,
    Query(q): Query<HistoryQuery>,
) -> Response {
    reply(
        s.query(move |e, v| {
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
        .await,
    )
}

pub(super) async fn sessions(
    State(s): State<AppState>,
    _: Reader,
    Query(f): Query<Filter>,
) -> Response {
    listing(&s, move |e, _| {
        (0..e.config().spec.sessions.len() as u32)
            .map(|i| view::session_json(e, i))
            .filter(|v| matches(v, "status", &f.status) && matches(v, "space", &f.space))
            .collect()
    })
    .await
}

pub(super) async fn session(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Response {
    one(&s, "session", id, |e, id| {
        e.config()
            .session_idx
            .get(id)
            .map(|&i| view::session_json(e, i))
    })
    .await
}

pub(super) async fn staff(
    State(s): State<AppState>,
    _: Reader,
    Query(f): Query<Filter>,
) -> Response {
    listing(&s, move |e, _| {
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

pub(super) async fn staff_one(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Response {
    one(&s, "staff member", id, |e, id| {
        e.config()
            .staff_idx
            .get(id)
            .map(|&i| view::staff_json(e, i))
    })
    .await
}

pub(super) async fn signs(
    State(s): State<AppState>,
    _: Reader,
    Query(f): Query<Filter>,
) -> Response {
    listing(&s, move |e, _| {
        (0..e.config().spec.signs.len() as u32)
            .map(|i| view::sign_json(e, i))
            .filter(|v| matches(v, "space", &f.space))
            .collect()
    })
    .await
}

pub(super) async fn sign(State(s): State<AppState>, _: Reader, Path(id): Path<String>) -> Response {
    one(&s, "sign", id, |e, id| {
        e.config().sign_idx.get(id).map(|&i| view::sign_json(e, i))
    })
    .await
}
