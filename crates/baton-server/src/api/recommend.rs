//! Recommendations for the attendee app: one attendee, or thousands in one
//! request from the app's backend (docs/RECOMMENDATIONS.md).
//!
//! The core thread only takes the consistent read: the board's sessions
//! (`baton_core::recommend::Board::capture`) and a copy of what each asked-for
//! attendee shared, at one journal position. The spread solve and the
//! ranking run on a blocking thread; the solved board is cached per
//! (position, time asked for), so the same position gives the same answers.

use super::*;
use baton_core::Compiled;
use baton_core::recommend::{Board, Recommendation, Shared};
use baton_model::Millis;
use serde::Serialize;
use std::sync::Mutex;

/// Attendees in one bulk request, at most.
pub const MAX_BULK: usize = 20_000;
/// Items per attendee by default.
const DEFAULT_LIMIT: usize = 5;

/// The last solved board, by (position, time asked for).
#[derive(Default)]
pub struct Cache {
    last: Mutex<Option<Arc<Solved>>>,
}

pub struct Solved {
    position: u64,
    at: Option<Millis>,
    cfg: Arc<Compiled>,
    board: Board,
}

/// The caller may read recommendations (the `app` role, or an admin).
pub(super) struct AppReader;

impl axum::extract::FromRequestParts<AppState> for AppReader {
    type Rejection = Problem;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Problem> {
        let c = s.caller_with(&parts.headers, false)?;
        if !c.role.can_recommend() {
            return Err(Problem::forbidden("app"));
        }
        Ok(AppReader)
    }
}

#[derive(Deserialize, Default)]
pub(super) struct OneQuery {
    /// RFC 3339; default: now (journal time).
    at: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
pub(super) struct Bulk {
    attendees: Vec<String>,
    at: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize)]
struct Item<'a> {
    session: &'a str,
    title: &'a str,
    space: &'a str,
    room: &'a str,
    starts: Millis,
    ends: Millis,
    running: bool,
    score: f64,
    p_seat: f64,
    seats_free: u32,
    seats: u32,
    walk_min: Option<u32>,
    interest: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instead_of: Option<&'a str>,
    why: &'a str,
}

#[derive(Serialize)]
struct ForOne<'a> {
    attendee: &'a str,
    /// False when the event has no such attendee: the items are then what
    /// anyone would be told (seats and times, no interests).
    known: bool,
    items: Vec<Item<'a>>,
}

fn items<'a>(cfg: &'a Compiled, board: &Board, recs: &'a [Recommendation]) -> Vec<Item<'a>> {
    recs.iter()
        .map(|r| {
            let s = &cfg.spec.sessions[r.session as usize];
            let sp = &cfg.spec.spaces[r.space as usize];
            let (starts, ends, running) = board
                .option(r.session)
                .map_or((s.start, s.end, false), |o| (o.start, o.end, o.running));
            Item {
                session: &s.id,
                title: &s.title,
                space: &sp.id,
                room: &sp.name,
                starts,
                ends,
                running,
                score: (r.score * 1000.0).round() / 1000.0,
                p_seat: (r.p_seat * 100.0).round() / 100.0,
                seats_free: r.free,
                seats: r.limit,
                walk_min: r.walk_s.map(|w| w.div_ceil(60).max(1)),
                interest: r.interest.as_str(),
                instead_of: r
                    .instead_of
                    .map(|f| cfg.spec.sessions[f as usize].id.as_str()),
                why: &r.reason,
            }
        })
        .collect()
}

fn parse_at(at: &Option<String>) -> Result<Option<Millis>, Problem> {
    match at {
        None => Ok(None),
        Some(t) => baton_model::signal::parse_rfc3339(t)
            .map(Some)
            .ok_or_else(|| Problem::bad_field("at", "must be an RFC 3339 time")),
    }
}

impl AppState {
    /// The solved board for `at` and what each of `ids` shared, read at one
    /// position; only the read runs on the core thread.
    async fn recommend_read(
        &self,
        at: Option<Millis>,
        ids: Arc<[String]>,
    ) -> Result<(Arc<Solved>, Vec<Option<Shared>>), Problem> {
        let cached = self
            .recs
            .last
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .filter(|c| c.at == at);
        let have = cached.as_ref().map(|c| c.position);
        let (position, board, people, cfg) = self
            .read(move |e, _| {
                let position = e.position();
                let board = (have != Some(position))
                    .then(|| Board::capture(e.config(), e.state(), at.unwrap_or(e.state().now)));
                let people: Vec<Option<Shared>> = ids
                    .iter()
                    .map(|id| e.state().attendees.get(id).map(Shared::of))
                    .collect();
                (position, board, people, e.shared_config())
            })
            .await?;
        let solved = match (board, cached) {
            (None, Some(c)) => c,
            (Some(mut board), _) => {
                let solved = tokio::task::spawn_blocking(move || {
                    board.solve(&cfg);
                    Arc::new(Solved {
                        position,
                        at,
                        cfg,
                        board,
                    })
                })
                .await
                .map_err(|_| Problem::unavailable("the spread solve failed"))?;
                if let Ok(mut c) = self.recs.last.lock() {
                    *c = Some(solved.clone());
                }
                solved
            }
            (None, None) => return Err(Problem::unavailable("no board")),
        };
        Ok((solved, people))
    }
}

/// The spread solve in aggregate: per likely-full session, its planners and
/// how many of them each alternative takes (no one's id).
fn spread_json(cfg: &Compiled, board: &Board) -> Value {
    let flows: Vec<Value> = board
        .spread
        .by_full
        .iter()
        .map(|(&f, fl)| {
            let to: serde_json::Map<String, Value> = fl
                .to
                .iter()
                .map(|&(s, n)| (cfg.spec.sessions[s as usize].id.clone(), json!(n)))
                .collect();
            json!({"session": cfg.spec.sessions[f as usize].id, "planners": fl.planners, "to": to})
        })
        .collect();
    json!({"method": board.spread.method, "likely_full": flows})
}

/// Ranks every attendee and writes the answer, on a blocking thread.
async fn answer(
    solved: Arc<Solved>,
    ids: Arc<[String]>,
    people: Vec<Option<Shared>>,
    limit: usize,
    one: bool,
    began: std::time::Instant,
) -> Response {
    let r = tokio::task::spawn_blocking(move || {
        let cfg = &solved.cfg;
        let board = &solved.board;
        let nobody = Shared::default();
        let recs: Vec<Vec<Recommendation>> = ids
            .iter()
            .zip(&people)
            .map(|(id, p)| board.recommend(cfg, id, &p.as_ref().unwrap_or(&nobody).person(), limit))
            .collect();
        let answers: Vec<ForOne> = ids
            .iter()
            .zip(&people)
            .zip(&recs)
            .map(|((id, p), r)| ForOne {
                attendee: id,
                known: p.is_some(),
                items: items(cfg, board, r),
            })
            .collect();
        metrics::counter!("baton_recommendations_total").increment(ids.len() as u64);
        #[derive(Serialize)]
        struct Bulk<'a> {
            items: &'a [ForOne<'a>],
            at: Millis,
            position: u64,
            spread: Value,
        }
        #[derive(Serialize)]
        struct One<'a> {
            #[serde(flatten)]
            one: &'a ForOne<'a>,
            at: Millis,
            position: u64,
            spread: Value,
        }
        let body = if one {
            // One attendee's answer names the solve, not all its flows.
            answers.first().map(|a| {
                serde_json::to_vec(&One {
                    one: a,
                    at: board.at,
                    position: solved.position,
                    spread: json!({"method": board.spread.method}),
                })
            })
        } else {
            Some(serde_json::to_vec(&Bulk {
                items: &answers,
                at: board.at,
                position: solved.position,
                spread: spread_json(cfg, board),
            }))
        };
        match body {
            Some(Ok(b)) => Ok(b),
            _ => Err(()),
        }
    })
    .await;
    // The time spent on the server, for benchmarks run from outside.
    let timing = format!("total;dur={:.3}", began.elapsed().as_secs_f64() * 1000.0);
    match r {
        Ok(Ok(b)) => (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::HeaderName::from_static("server-timing"), timing),
            ],
            b,
        )
            .into_response(),
        _ => Problem::unavailable("recommendations could not be written").into_response(),
    }
}

pub(super) async fn for_attendee(
    State(s): State<AppState>,
    _: AppReader,
    Path(id): Path<String>,
    Query(q): Query<OneQuery>,
) -> Response {
    let at = match parse_at(&q.at) {
        Ok(a) => a,
        Err(p) => return p.into_response(),
    };
    let began = std::time::Instant::now();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let ids: Arc<[String]> = Arc::from([id]);
    match s.recommend_read(at, ids.clone()).await {
        Ok((solved, people)) => answer(solved, ids, people, limit, true, began).await,
        Err(p) => p.into_response(),
    }
}

pub(super) async fn bulk(State(s): State<AppState>, _: AppReader, body: Bytes) -> Response {
    let began = std::time::Instant::now();
    let b: Bulk = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Problem::bad_field(
                "body",
                format!("expected {{\"attendees\": [ids], \"at\"?, \"limit\"?}}: {e}"),
            )
            .into_response();
        }
    };
    if b.attendees.len() > MAX_BULK {
        return Problem::bad_field(
            "attendees",
            format!("{} ids; at most {MAX_BULK} a request", b.attendees.len()),
        )
        .into_response();
    }
    if let Some(i) = b.attendees.iter().position(|a| a.len() > 256) {
        return Problem::bad_field(format!("attendees[{i}]"), "longer than 256 bytes")
            .into_response();
    }
    let at = match parse_at(&b.at) {
        Ok(a) => a,
        Err(p) => return p.into_response(),
    };
    let limit = b.limit.unwrap_or(DEFAULT_LIMIT);
    let ids: Arc<[String]> = b.attendees.into();
    match s.recommend_read(at, ids.clone()).await {
        Ok((solved, people)) => answer(solved, ids, people, limit, false, began).await,
        Err(p) => p.into_response(),
    }
}
