//! `baton plan rooms`: a room plan for the whole programme before the doors
//! open, from bookmark counts and the same forecast and solve that
//! `move_session` uses while the event runs.
//!
//! The day is cut into windows of session starts; each window's sessions
//! are placed (the others held where they are, with the changeover around
//! them), in start order, so a window sees the rooms earlier windows
//! chose. Protected sessions and sessions without a forecast stay put.
//! Windows are solved one after the other, so a session cannot take a room
//! that a later window's session holds and would give up: the plan is
//! good, not provably the best for the whole day, and each window reports
//! its own bound and gap.

use super::moving::{CHANGEOVER, fits, session_rooms};
use super::rooms::{self, Item, Problem};
use crate::context::{session_space, session_times};
use crate::engine::Engine;
use crate::forecast::{self, SessionForecast};
use baton_model::Millis;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct PlannedMove {
    pub session: String,
    pub title: String,
    pub start: Millis,
    pub from: String,
    pub to: String,
    pub expected: f64,
    pub p_full_before: f64,
    pub p_full_after: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowSolve {
    pub from: Millis,
    pub sessions: usize,
    pub method: &'static str,
    pub objective: f64,
    pub bound: f64,
    pub gap: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayPlan {
    pub bookmarks: u64,
    pub planners: u32,
    /// The bookmarking share the forecast used.
    pub share: Option<f64>,
    /// Sessions with a forecast, and the people they are expected to turn
    /// away in the published rooms and in the planned ones.
    pub forecast_sessions: usize,
    pub denied_before: f64,
    pub denied_after: f64,
    /// Over all windows: (objective - bound) / objective.
    pub gap: f64,
    pub moves: Vec<PlannedMove>,
    pub windows: Vec<WindowSolve>,
}

/// Plans every session's room. `attendees` is the expected attendance
/// (the bookmarking share is planners / attendees); `window` the span of
/// starts solved together; `move_cost` people's worth per move.
pub fn plan_day(
    engine: &Engine,
    attendees: Option<u32>,
    window: Millis,
    move_cost: f64,
) -> DayPlan {
    let cfg = engine.config();
    let mut st = engine.state().clone();
    if let Some(n) = attendees {
        st.learned.checked_in = n.max(st.learned.planners);
    }
    let n = cfg.spec.sessions.len();
    let rooms = session_rooms(cfg, &st, true);
    let published: Vec<Option<u32>> = (0..n as u32)
        .map(|se| session_space(cfg, &st, se))
        .collect();
    let mut room_of = published.clone();
    let f: Vec<SessionForecast> = (0..n as u32)
        .map(|se| forecast::audience(cfg, &st, se))
        .collect();
    let times: Vec<(Millis, Millis)> = (0..n as u32)
        .map(|se| session_times(cfg, &st, se))
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (times[i].0, i));
    let movable = |i: usize| !cfg.spec.sessions[i].protected && f[i].expected >= 0.0;
    let mut windows = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let w0 = times[order[k]].0;
        let mut group = Vec::new();
        while k < order.len() && times[order[k]].0 < w0 + window.max(60_000) {
            group.push(order[k]);
            k += 1;
        }
        let items_idx: Vec<usize> = group
            .into_iter()
            .filter(|&i| movable(i) && room_of[i].is_some())
            .collect();
        if items_idx.is_empty() {
            continue;
        }
        let mut items = Vec::new();
        let mut cost = Vec::new();
        for &i in &items_idx {
            let (start, end) = times[i];
            let Some(home_sp) = room_of[i] else { continue };
            let home = rooms.iter().position(|&r| r == home_sp).unwrap_or(0);
            let row: Vec<Option<f64>> = rooms
                .iter()
                .enumerate()
                .map(|(ri, &sp)| {
                    let denied = f[i].expected_denied(forecast::room_limit(cfg, sp));
                    if ri == home {
                        return Some(denied);
                    }
                    let free = (0..n).all(|j| {
                        items_idx.contains(&j)
                            || room_of[j] != Some(sp)
                            || !(times[j].0 - CHANGEOVER < end && start < times[j].1 + CHANGEOVER)
                    });
                    (fits(cfg, i as u32, sp) && free).then_some(denied + move_cost)
                })
                .collect();
            items.push(Item { start, end, home });
            cost.push(row);
        }
        let problem = Problem {
            items,
            rooms: rooms.len(),
            cost,
            max_moves: u32::MAX,
        };
        let placed = rooms::solve(&problem);
        for (x, &i) in items_idx.iter().enumerate() {
            if let Some(&r) = placed.room.get(x) {
                room_of[i] = Some(rooms[r]);
            }
        }
        windows.push(WindowSolve {
            from: w0,
            sessions: items_idx.len(),
            method: placed.method,
            objective: placed.objective,
            bound: placed.bound,
            gap: placed.gap(),
        });
    }
    let denied = |rooms: &[Option<u32>]| -> f64 {
        (0..n)
            .filter(|&i| f[i].expected >= 0.0)
            .filter_map(|i| rooms[i].map(|sp| f[i].expected_denied(forecast::room_limit(cfg, sp))))
            .sum()
    };
    let moves = (0..n)
        .filter(|&i| room_of[i] != published[i])
        .filter_map(|i| {
            let (from, to) = (published[i]?, room_of[i]?);
            let s = &cfg.spec.sessions[i];
            Some(PlannedMove {
                session: s.id.clone(),
                title: s.title.clone(),
                start: times[i].0,
                from: cfg.spec.spaces[from as usize].id.clone(),
                to: cfg.spec.spaces[to as usize].id.clone(),
                expected: f[i].expected,
                p_full_before: forecast::p_over(
                    f[i].expected,
                    f[i].sigma,
                    forecast::room_limit(cfg, from),
                ),
                p_full_after: forecast::p_over(
                    f[i].expected,
                    f[i].sigma,
                    forecast::room_limit(cfg, to),
                ),
            })
        })
        .collect();
    let (obj, bound): (f64, f64) = windows
        .iter()
        .fold((0.0, 0.0), |a, w| (a.0 + w.objective, a.1 + w.bound));
    DayPlan {
        bookmarks: st.sessions.iter().map(|s| u64::from(s.bookmarks)).sum(),
        planners: st.learned.planners,
        share: st.learned.bookmark_share(),
        forecast_sessions: f.iter().filter(|x| x.expected >= 0.0).count(),
        denied_before: denied(&published),
        denied_after: denied(&room_of),
        gap: if obj > 1e-9 {
            ((obj - bound) / obj).max(0.0)
        } else {
            0.0
        },
        moves,
        windows,
    }
}
