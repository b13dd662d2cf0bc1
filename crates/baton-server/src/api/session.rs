//! Console sessions, the header's control state, the venue and the manual clock.

use super::*;

#[derive(Deserialize)]
pub(super) struct SessionBody {
    token: String,
}

/// Trades a token for an HttpOnly, SameSite=Strict session cookie, and
/// returns the CSRF token the console sends back on changes.
pub(super) async fn open_session(State(s): State<AppState>, body: Bytes) -> Response {
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
pub(super) async fn whoami(State(s): State<AppState>, headers: HeaderMap) -> Response {
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
pub(super) async fn control(State(s): State<AppState>, _: Reader) -> Response {
    let mode = s.core.clock.mode();
    reply(
        s.query(move |e, _| {
            let mut v = view::control_json(e, mode);
            v["position"] = json!(e.position());
            v
        })
        .await,
    )
}

/// The venue as the console draws it: spaces with zones and coordinates,
/// walking links, signs, sessions, and the event's name and UTC offset.
/// Read once at sign-in; live state comes from `/v1/spaces` and the stream.
pub(super) async fn venue(State(s): State<AppState>, _: Reader) -> Response {
    reply(s
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
        .await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdvanceBody {
    #[serde(default)]
    seconds: Option<i64>,
    /// For replaying recorded times to the millisecond; instead of `seconds`.
    #[serde(default)]
    milliseconds: Option<i64>,
}

/// Longest single advance: a day, journaled as one `Tick` on every
/// multiple of the event's tick in between.
pub(super) const MAX_ADVANCE_S: i64 = 86_400;

/// Moves a manual clock forward (admin only): timers due in between fire.
pub(super) async fn advance_clock(State(s): State<AppState>, _: Admin, body: Bytes) -> Response {
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
        Ok(Err(e @ crate::core::CoreError::NotManual)) => {
            Problem::conflict(e.to_string()).into_response()
        }
        Ok(Err(e)) => Problem::unavailable(e.to_string()).into_response(),
        Err(p) => p.into_response(),
    }
}

pub(super) async fn close_session(State(s): State<AppState>, headers: HeaderMap) -> Response {
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
