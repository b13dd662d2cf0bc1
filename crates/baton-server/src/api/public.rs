//! The public room-status feed: per session room, whether there is room,
//! with no personal data, for attendees' apps and the venue's screens
//! (docs/RECOMMENDATIONS.md, "The public feed").
//!
//! A flood of readers must not slow ingest: the feed is built on the core
//! thread at most once per [`MIN_AGE`] (and only when the journal moved),
//! every other reader gets the cached bytes, answers carry an `ETag` and
//! `Cache-Control`, and a token bucket caps requests per second (429 with
//! `Retry-After` beyond it). `serve --public-listen` serves the feed on a
//! listener of its own, with its own connection cap.

use super::*;
use baton_core::context::{current_session, session_times};
use baton_core::forecast;
use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The feed is rebuilt at most this often.
pub const MIN_AGE: Duration = Duration::from_secs(1);
/// Seats free are published rounded down to a multiple of this.
pub const SEATS_STEP: u32 = 5;
/// A room at this share of its limit is `filling`.
pub const FILLING: f64 = 0.8;

/// Who may read the feed, and how often.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// Without a token (the default); otherwise any token that may read it
    /// (`public`, `app` or a reader).
    pub open: bool,
    /// Requests a second across all readers; beyond, 429.
    pub rate: f64,
}

impl Default for Access {
    fn default() -> Access {
        Access {
            open: true,
            rate: 2_000.0,
        }
    }
}

pub struct Feed {
    pub access: Access,
    cache: Mutex<Option<Built>>,
    bucket: Mutex<(f64, Instant)>,
}

#[derive(Clone)]
struct Built {
    position: u64,
    at: Instant,
    etag: String,
    rooms: Bytes,
    fosdem: Bytes,
}

impl Feed {
    pub fn new(access: Access) -> Feed {
        Feed {
            access,
            cache: Mutex::new(None),
            bucket: Mutex::new((access.rate, Instant::now())),
        }
    }

    /// Takes one request from the bucket; false when it is empty.
    fn admit(&self) -> bool {
        let Ok(mut b) = self.bucket.lock() else {
            return false;
        };
        let now = Instant::now();
        let rate = self.access.rate.max(1.0);
        b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * rate).min(rate);
        b.1 = now;
        if b.0 >= 1.0 {
            b.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the public is told of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomState {
    Open,
    /// At [`FILLING`] of its places or more.
    Filling,
    /// At its places, or a door volunteer said so.
    Full,
    Closed,
    /// No sensor has spoken within `stale_after`.
    Unknown,
}

/// One room as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Room {
    pub id: String,
    pub name: String,
    pub state: RoomState,
    /// Rounded down to a multiple of 5; absent when unknown.
    pub seats_free: Option<u32>,
    /// Seats plus standing.
    pub places: u32,
    /// A door volunteer marked it FULL.
    pub marked_full: bool,
    pub current: Option<Talk>,
    pub next: Option<Talk>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Talk {
    pub id: String,
    pub title: String,
    pub starts: i64,
    pub ends: i64,
    /// The forecast audience as a share of the room (next session only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_fill: Option<f64>,
}

/// Every session room's public status (rooms in the venue's order).
pub fn rooms(e: &Engine) -> Vec<Room> {
    let cfg = e.config();
    let st = e.state();
    let now = st.now;
    let mut out = Vec::new();
    for (i, sp) in cfg.spec.spaces.iter().enumerate() {
        let i32_ = i as u32;
        let holds = cfg.sessions_by_space.get(i).is_some_and(|l| !l.is_empty());
        if !holds {
            continue;
        }
        let s = &st.spaces[i];
        let places = forecast::room_limit(cfg, i32_) as u32;
        let stale = s.stale(now, cfg.spec.event.stale_after);
        let state = if s.closed {
            RoomState::Closed
        } else if s.door_full.is_some() {
            RoomState::Full
        } else if stale {
            RoomState::Unknown
        } else if s.occupancy >= places {
            RoomState::Full
        } else if f64::from(s.occupancy) >= FILLING * f64::from(places) {
            RoomState::Filling
        } else {
            RoomState::Open
        };
        let seats_free = match state {
            RoomState::Unknown => None,
            RoomState::Full | RoomState::Closed => Some(0),
            _ => Some(places.saturating_sub(s.occupancy) / SEATS_STEP * SEATS_STEP),
        };
        let talk = |se: u32, fill: bool| {
            let spec = &cfg.spec.sessions[se as usize];
            let (starts, ends) = session_times(cfg, st, se);
            let f = forecast::session(cfg, st, se);
            Talk {
                id: spec.id.clone(),
                title: spec.title.clone(),
                starts,
                ends,
                expected_fill: (fill && f.expected >= 0.0)
                    .then(|| (f.expected / f64::from(places.max(1)) * 100.0).round() / 100.0),
            }
        };
        let current = current_session(cfg, st, i32_, now)
            .filter(|&se| baton_core::context::session_status(cfg, st, se, now) == "running");
        let next = next_session(e, i32_, current);
        out.push(Room {
            id: sp.id.clone(),
            name: sp.name.clone(),
            state,
            seats_free,
            places,
            marked_full: s.door_full.is_some(),
            current: current.map(|se| talk(se, false)),
            next: next.map(|se| talk(se, true)),
        });
    }
    out
}

/// The next session to start in room `space` after `current`.
fn next_session(e: &Engine, space: u32, current: Option<u32>) -> Option<u32> {
    let cfg = e.config();
    let st = e.state();
    let list = cfg.sessions_by_space.get(space as usize)?;
    list.iter()
        .copied()
        .filter(|&se| Some(se) != current)
        .filter(|&se| st.sessions[se as usize].moved_to.is_none_or(|m| m == space))
        .filter(|&se| baton_core::context::session_status(cfg, st, se, st.now) == "scheduled")
        .min_by_key(|&se| (session_times(cfg, st, se).0, se))
}

/// One room in FOSDEM's room-status shape: `{"roomname": NAME, "state":
/// "1" | "0"}`, "1" meaning full.
#[derive(Serialize)]
struct FosdemRoom<'a> {
    roomname: &'a str,
    state: &'static str,
}

fn fosdem(rooms: &[Room]) -> Vec<FosdemRoom<'_>> {
    rooms
        .iter()
        .map(|r| FosdemRoom {
            roomname: &r.name,
            state: if r.state == RoomState::Full { "1" } else { "0" },
        })
        .collect()
}

impl AppState {
    /// The public caller check: nothing when the feed is open, else a
    /// token that may read it; then the rate limit.
    fn public_reader(&self, headers: &HeaderMap) -> Result<(), Problem> {
        if !self.feed.access.open {
            let c = self.caller_with(headers, false)?;
            if !c.role.can_read_public() {
                return Err(Problem::forbidden("public"));
            }
        }
        if !self.feed.admit() {
            let mut p = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate",
                "the public feed is read too often; retry in a second",
            );
            p.retry_after = Some(1);
            return Err(p);
        }
        Ok(())
    }

    /// The feed at most [`MIN_AGE`] old, built on the core thread only
    /// when the journal moved since the last build.
    async fn public_feed(&self) -> Result<Built, Problem> {
        let cached = self.feed.cache.lock().ok().and_then(|c| c.clone());
        if let Some(c) = &cached
            && (c.at.elapsed() < MIN_AGE || c.position == self.core.position())
        {
            return Ok(c.clone());
        }
        let (rooms, position, now) = self
            .read(|e, _| (rooms(e), e.position(), e.state().now))
            .await?;
        let unwritable = |_| Problem::unavailable("the feed could not be written");
        // The rooms are written once: the ETag names them, not the
        // position, so ticks that change nothing keep readers' caches valid.
        let items = serde_json::to_string(&rooms).map_err(unwritable)?;
        let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(items.as_bytes()));
        let items = serde_json::value::RawValue::from_string(items).map_err(unwritable)?;
        #[derive(Serialize)]
        struct Body<'a> {
            items: &'a serde_json::value::RawValue,
            position: u64,
            now: i64,
        }
        let rooms_body = serde_json::to_vec(&Body {
            items: &items,
            position,
            now,
        })
        .map_err(unwritable)?;
        let fosdem_body = serde_json::to_vec(&fosdem(&rooms)).map_err(unwritable)?;
        let built = Built {
            position,
            at: Instant::now(),
            etag,
            rooms: Bytes::from(rooms_body),
            fosdem: Bytes::from(fosdem_body),
        };
        if let Ok(mut c) = self.feed.cache.lock() {
            *c = Some(built.clone());
        }
        Ok(built)
    }
}

fn cached_answer(headers: &HeaderMap, b: &Built, body: Bytes) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == b.etag));
    let common = [
        (header::ETAG, b.etag.clone()),
        (header::CACHE_CONTROL, "public, max-age=2".to_string()),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        StatusCode::OK,
        common,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

pub(super) async fn public_rooms(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.public_reader(&headers) {
        return p.into_response();
    }
    match s.public_feed().await {
        Ok(b) => cached_answer(&headers, &b, b.rooms.clone()),
        Err(p) => p.into_response(),
    }
}

pub(super) async fn public_fosdem(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(p) = s.public_reader(&headers) {
        return p.into_response();
    }
    match s.public_feed().await {
        Ok(b) => cached_answer(&headers, &b, b.fosdem.clone()),
        Err(p) => p.into_response(),
    }
}

/// The feed as Server-Sent Events: `event: rooms` with the whole feed
/// whenever it changes (checked every second), never more often.
pub(super) async fn public_stream(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, Problem> {
    s.public_reader(&headers)?;
    let closing = s.closing.clone();
    Ok(Sse::new(room_events(s, closing)).keep_alive(KeepAlive::default()))
}

fn room_events(
    s: AppState,
    closing: tokio::sync::watch::Receiver<bool>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures_util::stream::unfold(
        (s, closing, String::new()),
        |(s, mut closing, last)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                if let Ok(b) = s.public_feed().await
                    && b.etag != last
                {
                    let data = String::from_utf8_lossy(&b.rooms).into_owned();
                    let ev = SseEvent::default()
                        .event("rooms")
                        .id(b.position.to_string())
                        .data(data);
                    return Some((Ok(ev), (s, closing, b.etag)));
                }
                tokio::select! {
                    _ = tokio::time::sleep(MIN_AGE) => {}
                    _ = closing.changed() => {}
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub(super) struct MarkFull {
    full: bool,
    reason: Option<String>,
}

/// A door volunteer's FULL from the console: journaled as the `space.full`
/// signal a volunteer's button would send, so it wins over the sensors in
/// the public feed until cleared.
pub(super) async fn mark_full(
    State(s): State<AppState>,
    Operator(c): Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b: MarkFull = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Problem::bad_field("body", format!("expected {{\"full\": bool}}: {e}"))
                .into_response();
        }
    };
    let mut data = json!({"full": b.full});
    if let Some(r) = b.reason {
        data["reason"] = json!(r);
    }
    let event = json!({
        "specversion": "1.0",
        "id": format!("console:{}:full:{id}:{}:{}", c.name, s.core.position(), b.full),
        "source": "console",
        "type": "space.full",
        "subject": id,
        "data": data,
    });
    match s.journal_for(&event).await {
        Ok(r) => ok(json!({"space": id, "full": b.full, "position": r.position})),
        Err(p) => p.into_response(),
    }
}
