//! `move_session` planning: which sessions go to which rooms, from the
//! demand forecast, under governance (protected sessions, notice, the
//! hourly budget, room features, a changeover around every session), and
//! the confirmation tasks a tentative move sends out.

use super::Planner;
use super::plan::{Plan, Request, param_int, strings};
use super::rooms::{self, Item, Problem};
use crate::config::Compiled;
use crate::context::{hhmm, session_space, session_status, session_times};
use crate::forecast::{self, SessionForecast};
use crate::moves::MoveStage;
use crate::output::Considered;
use crate::state::State;
use crate::suppression::Suppression;
use baton_model::{ActionKind, Millis, ParamValue, Resource};
use std::collections::BTreeMap;

/// A room is busy this long before and after each session in it: the
/// previous audience leaves and the next speaker sets up.
pub const CHANGEOVER: Millis = 10 * 60_000;
/// Swap partners considered for one session's move (the largest rooms
/// among the sessions it overlaps).
const MAX_PARTNERS: usize = 8;
/// Sessions in one window's solve.
const MAX_ITEMS: usize = 40;

/// Does room `sp` have every feature session `se` needs?
pub(super) fn fits(cfg: &Compiled, se: u32, sp: u32) -> bool {
    let features = &cfg.spec.spaces[sp as usize].features;
    cfg.spec.sessions[se as usize]
        .needs
        .iter()
        .all(|n| features.contains(n))
}

/// Rooms sessions can be held in: every space the programme uses, and
/// open unless `closed_too`.
pub(super) fn session_rooms(cfg: &Compiled, st: &State, closed_too: bool) -> Vec<u32> {
    (0..cfg.spec.spaces.len() as u32)
        .filter(|&sp| {
            !cfg.sessions_by_space[sp as usize].is_empty()
                && (closed_too || !st.spaces[sp as usize].closed)
        })
        .collect()
}

impl Planner<'_> {
    fn start_end(&self, se: u32) -> (Millis, Millis) {
        session_times(self.cfg, self.st, se)
    }

    /// Moves decided in the last hour that still count against the budget.
    fn moves_this_hour(&self) -> u32 {
        let now = self.st.now;
        self.st
            .moves
            .values()
            .filter(|m| m.stage != MoveStage::Dropped && m.decided + 3_600_000 > now)
            .count() as u32
    }

    /// Why `se` may not be moved by automation now, if it may not.
    fn unmovable(&self, se: u32) -> Option<Suppression> {
        let cfg = self.cfg;
        let g = &cfg.spec.governance;
        let s = &cfg.spec.sessions[se as usize];
        if s.protected {
            return Some(Suppression::Protected {
                session: s.id.clone(),
            });
        }
        if session_status(cfg, self.st, se, self.st.now) != "scheduled" {
            return Some(Suppression::MoveRefused {
                reason: format!("{} has already started", s.id),
            });
        }
        let (start, _) = self.start_end(se);
        if start - self.st.now < g.move_min_notice {
            return Some(Suppression::MoveRefused {
                reason: format!(
                    "{} starts in {} min; a move needs {} min notice",
                    s.id,
                    (start - self.st.now) / 60_000,
                    g.move_min_notice / 60_000
                ),
            });
        }
        None
    }

    /// `(space, start, end)` of every session that keeps its room, other
    /// than `skip`: rooms are busy then, with the changeover around it. A
    /// tentative move holds both its rooms.
    fn fixed_busy(&self, skip: &[u32]) -> Vec<(u32, Millis, Millis)> {
        let cfg = self.cfg;
        let mut busy = Vec::new();
        for se in 0..cfg.spec.sessions.len() as u32 {
            if skip.contains(&se)
                || matches!(
                    session_status(cfg, self.st, se, self.st.now),
                    "ended" | "cancelled"
                )
            {
                continue;
            }
            let (start, end) = self.start_end(se);
            if let Some(sp) = session_space(cfg, self.st, se) {
                busy.push((sp, start - CHANGEOVER, end + CHANGEOVER));
            }
            if let Some(m) = self.st.moves.get(&se)
                && m.stage == MoveStage::Tentative
            {
                busy.push((m.to, start - CHANGEOVER, end + CHANGEOVER));
            }
        }
        busy
    }

    /// An operator's move of one session: to the room named in `to`, or
    /// wherever the solve puts it. Governance binds automation only, so
    /// protection, notice and the hourly budget do not apply; the room must
    /// still be free and have what the session needs, and the move is
    /// still tentative until confirmed.
    pub(crate) fn manual_move(
        &self,
        se: u32,
        ps: &BTreeMap<String, ParamValue>,
        id: baton_model::DecisionId,
    ) -> Plan {
        let mut plan = Plan::default();
        let mut requests = Vec::new();
        self.plan_move_inner(ps, Some(se), &mut plan, &mut requests, true);
        if !requests.is_empty() {
            self.plan_dispatch(&requests, id, i32::MAX, &mut plan);
        }
        plan
    }

    pub(super) fn plan_move(
        &self,
        ps: &BTreeMap<String, ParamValue>,
        session: Option<u32>,
        plan: &mut Plan,
        requests: &mut Vec<Request>,
    ) {
        self.plan_move_inner(ps, session, plan, requests, false);
    }

    fn plan_move_inner(
        &self,
        ps: &BTreeMap<String, ParamValue>,
        session: Option<u32>,
        plan: &mut Plan,
        requests: &mut Vec<Request>,
        manual: bool,
    ) {
        let cfg = self.cfg;
        let g = &cfg.spec.governance;
        let now = self.st.now;
        let move_cost = match ps.get("move_cost") {
            Some(ParamValue::Double(d)) if d.is_finite() => d.max(0.0),
            Some(ParamValue::Int(i)) => (*i).max(0) as f64,
            _ => 15.0,
        };
        // The sessions asked about.
        let window = if manual {
            None
        } else {
            param_int(ps, "window")
        };
        let forced: Option<u32> = match ps.get("to") {
            Some(ParamValue::String(to)) if manual => match cfg.space_idx.get(to) {
                Some(&sp) => Some(sp),
                None => {
                    plan.constraints
                        .push(format!("move refused: the event has no room {to:?}"));
                    return;
                }
            },
            _ => None,
        };
        let mut targets: Vec<u32> = match (window, session) {
            (Some(w), _) => (0..cfg.spec.sessions.len() as u32)
                .filter(|&se| {
                    let (start, _) = self.start_end(se);
                    session_status(cfg, self.st, se, now) == "scheduled"
                        && start - now >= g.move_min_notice
                        && start - now <= w.clamp(0, 24 * 60) * 60_000
                        && !cfg.spec.sessions[se as usize].protected
                })
                .collect(),
            (None, Some(se)) => vec![se],
            (None, None) => {
                plan.notes
                    .push("move_session: no session in scope and no window".into());
                return;
            }
        };
        targets.truncate(MAX_ITEMS);
        if window.is_none() {
            let se = targets[0];
            let why = self.unmovable(se).filter(|w| {
                !manual || matches!(w, Suppression::MoveRefused { reason } if reason.ends_with("has already started"))
            });
            if let Some(why) = why {
                let s = &cfg.spec.sessions[se as usize];
                plan.constraints.push(format!("{}: {why}", s.id));
                let mut p = BTreeMap::new();
                p.insert("session".into(), ParamValue::String(s.id.clone()));
                plan.push(
                    ActionKind::MoveSession,
                    Resource::Session(&s.id).into(),
                    p,
                    now,
                );
                if let Some(a) = plan.actions.last_mut() {
                    a.suppressed = Some(why);
                }
                return;
            }
            // Swap partners: movable sessions it overlaps, largest rooms first.
            let (ts, te) = self.start_end(se);
            let mut partners: Vec<(u32, u32)> = (0..cfg.spec.sessions.len() as u32)
                .filter(|&o| o != se && self.unmovable(o).is_none())
                .filter(|&o| {
                    let (os, oe) = self.start_end(o);
                    os < te + CHANGEOVER && ts < oe + CHANGEOVER
                })
                .filter_map(|o| {
                    session_space(cfg, self.st, o)
                        .map(|sp| (o, cfg.spec.spaces[sp as usize].capacity))
                })
                .collect();
            partners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            if forced.is_none() {
                targets.extend(partners.iter().take(MAX_PARTNERS).map(|p| p.0));
            }
        }
        targets.retain(|&se| {
            !self
                .st
                .moves
                .get(&se)
                .is_some_and(|m| m.stage == MoveStage::Tentative)
        });
        let missing: Vec<&String> = g
            .move_confirm_roles
            .iter()
            .filter(|r| !cfg.spec.staff.iter().any(|s| s.roles.contains(r)))
            .collect();
        let budget = if manual {
            u32::MAX
        } else {
            g.max_moves_per_hour.saturating_sub(self.moves_this_hour())
        };
        let refuse = if !missing.is_empty() {
            Some(format!(
                "no staff with role {} to confirm a move",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else if budget == 0 && !manual {
            Some(format!(
                "at most {} moves an hour, and that many were made",
                g.max_moves_per_hour
            ))
        } else {
            None
        };
        let rooms = session_rooms(cfg, self.st, false);
        let busy = self.fixed_busy(&targets);
        // Asked about one session, its partners only swap with it: they may
        // take its room, nothing else, so the decision stays about it.
        let swap_room = match (window, targets.first()) {
            (None, Some(&se)) => session_space(cfg, self.st, se),
            _ => None,
        };
        let forecasts: Vec<SessionForecast> = targets
            .iter()
            .map(|&se| forecast::audience(cfg, self.st, se))
            .collect();
        let mut items = Vec::new();
        let mut cost = Vec::new();
        let mut keep = Vec::new();
        for (k, &se) in targets.iter().enumerate() {
            let Some(home_sp) = session_space(cfg, self.st, se) else {
                continue;
            };
            let Some(home) = rooms.iter().position(|&r| r == home_sp) else {
                continue;
            };
            let (start, end) = self.start_end(se);
            let f = &forecasts[k];
            let row: Vec<Option<f64>> = rooms
                .iter()
                .enumerate()
                .map(|(ri, &sp)| {
                    let denied = f.expected_denied(forecast::room_limit(cfg, sp));
                    if let Some(to) = forced {
                        // An operator named the room: only it, and it must be free.
                        if sp != to || ri == home {
                            return None;
                        }
                    } else if ri == home {
                        return Some(denied);
                    }
                    if k > 0 && swap_room.is_some_and(|r| r != sp) {
                        return None;
                    }
                    let free = !busy
                        .iter()
                        .any(|&(b, bs, be)| b == sp && bs < end && start < be);
                    ((f.expected >= 0.0 || forced.is_some()) && free && fits(cfg, se, sp))
                        .then_some(denied + move_cost)
                })
                .collect();
            items.push(Item { start, end, home });
            cost.push(row);
            keep.push(k);
        }
        let problem = Problem {
            items,
            rooms: rooms.len(),
            cost,
            max_moves: if refuse.is_some() { 0 } else { budget },
        };
        if forced.is_some()
            && problem
                .cost
                .first()
                .is_none_or(|r| r.iter().all(Option::is_none))
        {
            let to = forced.map_or("", |sp| cfg.spec.spaces[sp as usize].id.as_str());
            plan.constraints.push(format!(
                "move refused: {to} is not free for the whole session (with {} min changeover either side) or lacks what it needs",
                CHANGEOVER / 60_000
            ));
            return;
        }
        let placed = rooms::solve(&problem);
        plan.solver = Some(format!(
            "rooms: {} over {} session(s) x {} room(s); expected people denied plus {move_cost} a move: {:.1}, bound {:.1}, gap {:.1}%",
            placed.method,
            problem.items.len(),
            rooms.len(),
            placed.objective,
            placed.bound,
            placed.gap() * 100.0
        ));
        // What was weighed for the first session: every room it could use.
        if let (Some(&k0), Some(row)) = (keep.first(), problem.cost.first()) {
            let se = targets[k0];
            let f = &forecasts[k0];
            plan.notes.push(format!(
                "forecast for {}: {:.0} people expected (80%: {:.0}-{:.0}) from {} bookmarks{}",
                cfg.spec.sessions[se as usize].id,
                f.expected,
                f.low,
                f.high,
                f.bookmarks,
                self.st
                    .learned
                    .bookmark_share()
                    .map(|s| format!(
                        "; {:.0}% of attendees bookmark; ratio learned from {} session(s)",
                        s * 100.0,
                        self.st.learned.n
                    ))
                    .unwrap_or_default()
            ));
            let mut opts: Vec<(usize, f64)> = row
                .iter()
                .enumerate()
                .filter_map(|(r, c)| c.map(|c| (r, c)))
                .collect();
            opts.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            for (r, c) in opts.into_iter().take(6) {
                let sp = &cfg.spec.spaces[rooms[r] as usize];
                let limit = forecast::room_limit(cfg, rooms[r]);
                plan.alternatives.push(Considered {
                    option: format!("{} ({} seats)", sp.id, sp.capacity),
                    cost: c.round() as i64,
                    chosen: u32::from(placed.room.first() == Some(&r)),
                    detail: format!(
                        "{:.1} expected denied, p(full) {:.2}{}",
                        f.expected_denied(limit),
                        forecast::p_over(f.expected, f.sigma, limit),
                        if r == problem.items[0].home {
                            ", its room now".to_string()
                        } else {
                            format!(", plus {move_cost} for moving")
                        }
                    ),
                });
            }
        }
        if let Some(why) = &refuse {
            plan.constraints.push(format!("move refused: {why}"));
        }
        let mut slot = 0u32;
        for (i, &k) in keep.iter().enumerate() {
            let to = placed.room.get(i).copied().unwrap_or(problem.items[i].home);
            if to == problem.items[i].home {
                continue;
            }
            let se = targets[k];
            let s = &cfg.spec.sessions[se as usize];
            let (from_sp, to_sp) = (rooms[problem.items[i].home], rooms[to]);
            let (start, _) = self.start_end(se);
            let deadline = (now + g.move_confirm_within).min(start - g.move_min_notice / 2);
            let from = &cfg.spec.spaces[from_sp as usize];
            let dest = &cfg.spec.spaces[to_sp as usize];
            let mut p = BTreeMap::new();
            p.insert("session".into(), ParamValue::String(s.id.clone()));
            p.insert("title".into(), ParamValue::String(s.title.clone()));
            p.insert("from".into(), ParamValue::String(from.id.clone()));
            p.insert("to".into(), ParamValue::String(dest.id.clone()));
            p.insert(
                "expected".into(),
                ParamValue::Int(forecasts[k].expected.round() as i64),
            );
            p.insert("deadline".into(), ParamValue::Int(deadline));
            p.insert("slot".into(), ParamValue::Int(i64::from(slot)));
            p.insert("roles".into(), strings(&g.move_confirm_roles));
            p.insert("stage".into(), ParamValue::String("tentative".into()));
            p.insert(
                "notify".into(),
                ParamValue::Bool(!matches!(ps.get("notify"), Some(ParamValue::Bool(false)))),
            );
            plan.push(
                ActionKind::MoveSession,
                Resource::Session(&s.id).into(),
                p,
                start,
            );
            plan.notes.push(format!(
                "{} moves from {} ({} seats) to {} ({} seats), tentative until {} confirm by {}",
                s.id,
                from.id,
                from.capacity,
                dest.id,
                dest.capacity,
                g.move_confirm_roles.join(" and "),
                hhmm(cfg, deadline)
            ));
            for role in &g.move_confirm_roles {
                requests.push(Request {
                    role: role.clone(),
                    count: 1,
                    note: format!(
                        "Confirm the move of \"{}\" from {} to {} (starts {}): report done when it can go ahead",
                        s.title,
                        from.name,
                        dest.name,
                        hhmm(cfg, start)
                    ),
                    space: to_sp,
                    valid_until: deadline,
                    confirms: Some(s.id.clone()),
                });
            }
            slot += 1;
        }
        if slot == 0 && refuse.is_none() {
            plan.notes
                .push("no move lowers the expected people denied by more than it costs".into());
        }
    }
}
