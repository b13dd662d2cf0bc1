//! Capacity-aware recommendations: where one attendee should go next.
//!
//! A [`Board`] is a consistent read of the sessions an attendee could still
//! reach (their room, start, seats, the session forecast, a volunteer's
//! FULL), taken at one journal position, plus the spread solve
//! ([`spread`]): the people whose next bookmark is likely full, sent over
//! the alternatives by the same min-cost transportation the redirect uses.
//! Ranking one person is then a pure function of the board and what that
//! person shared ([`Person`]): their bookmarks, and their position and the
//! talks they attended only where they consented.
//!
//! Ranking one person at a time would send everyone to the same best
//! alternative. The solve says how many of a full talk's planners each
//! alternative can take; a person is assigned by a hash of their id and the
//! talk, so the assignments follow the solve's proportions and are the same
//! for the same board (docs/RECOMMENDATIONS.md).

pub mod spread;

use crate::config::Compiled;
use crate::context::{hhmm, session_space, session_status, session_times};
use crate::forecast;
use crate::state::{AttendeeState, State};
use baton_model::Millis;
use std::collections::BTreeMap;

/// How far ahead of `at` a session may start to be recommended.
pub const HORIZON_MS: Millis = 90 * 60_000;
/// A session is offered only with this much of it left on arrival, or
/// half of it for a shorter one (a lightning talk).
pub const MIN_LEFT_MS: Millis = 15 * 60_000;

/// What must be left of a session from `start` to `end` on arrival.
pub fn min_left(start: Millis, end: Millis) -> Millis {
    MIN_LEFT_MS.min((end - start) / 2)
}
/// A talk at least this likely to overflow counts as "likely full".
pub const LIKELY_FULL: f64 = 0.5;
/// A bookmark that started this recently is still the one someone is on
/// their way to.
pub const JUST_STARTED_MS: Millis = 10 * 60_000;
/// The most items one answer holds.
pub const MAX_LIMIT: usize = 20;
/// Walking time assumed for someone whose position is not shared.
const UNKNOWN_WALK_S: u32 = 180;

/// One session an attendee could go to, as the board saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Opt {
    pub session: u32,
    pub space: u32,
    /// Start and end as delayed.
    pub start: Millis,
    pub end: Millis,
    pub running: bool,
    /// Seats plus standing in its room.
    pub limit: u32,
    pub occupancy: u32,
    /// The forecast audience (-1: nothing known yet), and the top of its
    /// 80% interval.
    pub expected: f64,
    pub high: f64,
    pub p_full: f64,
    /// When the forecast expects it to fill (None: it is not expected to).
    pub full_at: Option<Millis>,
    /// The room is closed, or a volunteer's FULL hangs on its door while
    /// this session runs.
    pub shut: bool,
    /// The session's track, interned in the board.
    pub track: u16,
    /// People it is expected to turn away, `E[(D - limit)+]`.
    pub denied: f64,
    /// Bookmarks when the board was read.
    pub bookmarks: u32,
}

impl Opt {
    /// Seats expected free when it starts (now, for a running session).
    pub fn expected_free(&self) -> u32 {
        if self.shut {
            return 0;
        }
        (f64::from(self.limit) - self.taken(self.expected))
            .max(0.0)
            .round() as u32
    }

    /// Places taken by its start if `estimate` people come: the room's
    /// count when it runs or nothing is forecast, else the estimate or the
    /// count, whichever is more.
    pub fn taken(&self, estimate: f64) -> f64 {
        let now = f64::from(self.occupancy);
        if self.running || self.expected < 0.0 {
            now
        } else {
            estimate.max(now)
        }
    }

    /// The chance of a seat for someone arriving at `arrive`.
    pub fn p_seat(&self) -> f64 {
        if self.shut {
            return 0.0;
        }
        if self.running {
            // Seats free now, against a twentieth of the room still coming in.
            let free = f64::from(self.limit.saturating_sub(self.occupancy));
            return (free / (f64::from(self.limit) / 20.0).max(1.0)).min(1.0);
        }
        if self.expected < 0.0 {
            // Nothing known: neither promised nor ruled out.
            return 0.8;
        }
        1.0 - self.p_full
    }

    pub fn likely_full(&self) -> bool {
        self.shut || (!self.running && self.expected >= 0.0 && self.p_full >= LIKELY_FULL)
    }
}

/// What one person shared, as the ranking reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Person<'a> {
    /// Bookmarked sessions, sorted.
    pub plan: &'a [u32],
    /// Sessions attended today (empty without consent).
    pub attended: &'a [u32],
    /// Where they were last seen (None without consent).
    pub at: Option<u32>,
}

impl<'a> Person<'a> {
    /// What `a` lets recommendations use: position and attendance only with
    /// `share_position`.
    pub fn of(a: &'a AttendeeState) -> Person<'a> {
        if a.share_position {
            Person {
                plan: &a.plan,
                attended: &a.attended,
                at: a.last_space,
            }
        } else {
            Person {
                plan: &a.plan,
                attended: &[],
                at: None,
            }
        }
    }
}

/// What one person shared, owned: a copy taken with the board, so ranking
/// can run on another thread.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shared {
    pub plan: Vec<u32>,
    pub attended: Vec<u32>,
    pub at: Option<u32>,
}

impl Shared {
    pub fn of(a: &AttendeeState) -> Shared {
        let p = Person::of(a);
        Shared {
            plan: p.plan.to_vec(),
            attended: p.attended.to_vec(),
            at: p.at,
        }
    }

    pub fn person(&self) -> Person<'_> {
        Person {
            plan: &self.plan,
            attended: &self.attended,
            at: self.at,
        }
    }
}

/// Why an item interests this person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Bookmarked,
    /// The track of a talk they attended today.
    Attended,
    /// The track of one of their bookmarks.
    SameTrack,
    Other,
}

impl Interest {
    pub fn as_str(self) -> &'static str {
        match self {
            Interest::Bookmarked => "bookmarked",
            Interest::Attended => "attended_track",
            Interest::SameTrack => "bookmarked_track",
            Interest::Other => "other",
        }
    }

    fn weight(self) -> f64 {
        match self {
            Interest::Bookmarked => 1.0,
            Interest::Attended => 0.7,
            Interest::SameTrack => 0.6,
            Interest::Other => 0.2,
        }
    }
}

/// One ranked item.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub session: u32,
    pub space: u32,
    pub score: f64,
    pub p_seat: f64,
    /// Seats expected free at `when`.
    pub free: u32,
    pub limit: u32,
    /// When those seats are counted: its start, or now if it runs.
    pub when: Millis,
    /// None when the person's position is not shared.
    pub walk_s: Option<u32>,
    pub interest: Interest,
    /// Sent here by the spread solve instead of this likely-full bookmark.
    pub instead_of: Option<u32>,
    /// Words the app can show.
    pub reason: String,
}

/// A consistent read of what can be recommended at one journal position.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    /// Journal time of the read.
    pub now: Millis,
    /// The time recommendations are for (now, or later).
    pub at: Millis,
    /// Candidate sessions, in the programme's order (start, id).
    pub options: Vec<Opt>,
    /// Each session's track index (all sessions).
    pub track_of: Vec<u16>,
    /// Each session's place in `options` (`u32::MAX`: not a candidate).
    pub index: Vec<u32>,
    /// The spread solve, per likely-full session.
    pub spread: spread::Spread,
}

impl Board {
    /// Reads what can be recommended for time `at` (clamped to now or
    /// later) and solves the spread.
    pub fn new(cfg: &Compiled, st: &State, at: Millis) -> Board {
        let mut b = Board::capture(cfg, st, at);
        b.solve(cfg);
        b
    }

    /// Solves the spread over what [`Board::capture`] read (off the core
    /// thread on the server: it needs no state).
    pub fn solve(&mut self, cfg: &Compiled) {
        self.spread = spread::solve(cfg, self);
    }

    /// The consistent read alone: what can be recommended for time `at`,
    /// with the spread not yet solved.
    pub fn capture(cfg: &Compiled, st: &State, at: Millis) -> Board {
        let now = st.now;
        let at = at.max(now);
        let mut tracks: BTreeMap<&str, u16> = BTreeMap::new();
        let track_of: Vec<u16> = cfg
            .spec
            .sessions
            .iter()
            .map(|s| {
                let n = tracks.len() as u16;
                *tracks.entry(s.track.as_str()).or_insert(n)
            })
            .collect();
        let mut options = Vec::new();
        for i in 0..cfg.spec.sessions.len() as u32 {
            let status = session_status(cfg, st, i, now);
            if status == "cancelled" || status == "ended" {
                continue;
            }
            let (start, end) = session_times(cfg, st, i);
            if start > at + HORIZON_MS || end < at + min_left(start, end) {
                continue;
            }
            let Some(space) = session_space(cfg, st, i) else {
                continue;
            };
            let sp = &st.spaces[space as usize];
            let f = forecast::session(cfg, st, i);
            options.push(Opt {
                session: i,
                space,
                start,
                end,
                running: status == "running",
                limit: forecast::room_limit(cfg, space) as u32,
                occupancy: sp.occupancy,
                expected: f.expected,
                high: f.high,
                p_full: f.p_full,
                full_at: (f.minutes_to_full >= 0.0)
                    .then(|| now + (f.minutes_to_full * 60_000.0) as Millis),
                // A door's FULL is about the talk on now, and only if it
                // went up after that talk began: one left from the talk
                // before is about an audience that is leaving.
                shut: sp.closed
                    || (status == "running" && sp.door_full.is_some_and(|t| t >= start)),
                track: track_of[i as usize],
                denied: f.expected_denied(forecast::room_limit(cfg, space)),
                bookmarks: st.sessions[i as usize].bookmarks,
            });
        }
        options.sort_by(|a, b| {
            (a.start, &cfg.spec.sessions[a.session as usize].id)
                .cmp(&(b.start, &cfg.spec.sessions[b.session as usize].id))
        });
        let mut index = vec![u32::MAX; cfg.spec.sessions.len()];
        for (k, o) in options.iter().enumerate() {
            index[o.session as usize] = k as u32;
        }
        Board {
            now,
            at,
            options,
            track_of,
            index,
            spread: spread::Spread::default(),
        }
    }

    /// The option for session `s`, if it can still be recommended.
    pub fn option(&self, s: u32) -> Option<&Opt> {
        let k = *self.index.get(s as usize)?;
        self.options.get(k as usize)
    }

    /// The first bookmarked session that has not started by `at`, or
    /// started less than [`JUST_STARTED_MS`] before it.
    pub fn next_bookmark(&self, p: &Person) -> Option<&Opt> {
        self.options.iter().find(|o| {
            o.start >= self.at - JUST_STARTED_MS && p.plan.binary_search(&o.session).is_ok()
        })
    }

    /// Up to `limit` sessions for `who`, best first.
    pub fn recommend(
        &self,
        cfg: &Compiled,
        who: &str,
        p: &Person,
        limit: usize,
    ) -> Vec<Recommendation> {
        let limit = limit.clamp(1, MAX_LIMIT);
        // The bookmarks of the next slot (those starting before the first
        // one ends) are the spread solve's to settle. A likely-full one:
        // whoever would reach it after the forecast says it fills may be
        // sent to an alternative, picked by a hash of their id in the
        // proportions of the solve; whoever would reach it in time keeps
        // it first, as does anyone already inside. Ranking each person
        // alone would send every planner away from it. A running one stays
        // first unless the door says FULL: the room's count is no promise
        // either way, and they are nearly there.
        let mut settled: Vec<(u32, u32)> = Vec::new();
        if let Some(first) = self.next_bookmark(p) {
            let slot_end = first.end;
            for f in self.options.iter().filter(|o| {
                o.start >= self.at - JUST_STARTED_MS
                    && o.start < slot_end
                    && !o.shut
                    && p.plan.binary_search(&o.session).is_ok()
            }) {
                let to = if f.running || !f.likely_full() {
                    f.session
                } else {
                    let walk =
                        p.at.map_or(UNKNOWN_WALK_S, |from| cfg.walk.secs(from, f.space));
                    let arrive = self.at + Millis::from(walk) * 1000;
                    let late = p.at != Some(f.space) && f.full_at.is_some_and(|t| arrive >= t);
                    // Late and not picked: they keep it first too (the solve
                    // found no more seats elsewhere; the queue is theirs).
                    let picked = if late {
                        self.spread.pick(who, f.session)
                    } else {
                        None
                    };
                    picked.unwrap_or(f.session)
                };
                settled.push((f.session, to));
            }
        }
        let tracks = Tracks::of(self, p);
        let mut scored: Vec<Scored> = self
            .options
            .iter()
            .enumerate()
            .filter(|(_, o)| !p.attended.contains(&o.session) || o.running)
            .filter_map(|(k, o)| self.rank(cfg, p, &tracks, k, o, &settled))
            .collect();
        scored.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.when.cmp(&b.when))
                .then_with(|| a.session.cmp(&b.session))
        });
        scored.truncate(limit);
        // Words only for what is shown.
        scored
            .into_iter()
            .map(|x| {
                let o = &self.options[x.opt as usize];
                let free = o.expected_free();
                let reason = self.reason(
                    cfg,
                    o,
                    x.interest,
                    x.p_seat,
                    free,
                    x.when,
                    x.walk_s,
                    x.instead_of,
                );
                Recommendation {
                    session: o.session,
                    space: o.space,
                    score: x.score,
                    p_seat: x.p_seat,
                    free,
                    limit: o.limit,
                    when: x.when,
                    walk_s: x.walk_s,
                    interest: x.interest,
                    instead_of: x.instead_of,
                    reason,
                }
            })
            .collect()
    }

    fn rank(
        &self,
        cfg: &Compiled,
        p: &Person,
        tracks: &Tracks,
        k: usize,
        o: &Opt,
        settled: &[(u32, u32)],
    ) -> Option<Scored> {
        let walk_s = p.at.map(|from| cfg.walk.secs(from, o.space));
        let walk = walk_s.unwrap_or(UNKNOWN_WALK_S);
        if walk >= crate::planner::graph::UNREACHABLE_S {
            return None;
        }
        let arrive = self.at + Millis::from(walk) * 1000;
        if arrive > o.end - min_left(o.start, o.end) {
            return None;
        }
        let interest = if p.plan.binary_search(&o.session).is_ok() {
            Interest::Bookmarked
        } else {
            tracks.interest(o.track)
        };
        let p_seat = o.p_seat();
        let left = (o.end - arrive.max(o.start)) as f64 / (o.end - o.start).max(1) as f64;
        let mut score = interest.weight() * (0.15 + 0.85 * p_seat) * (0.5 + 0.5 * left.min(1.0))
            - f64::from(walk) / 6_000.0;
        // What the slot settled comes first: the alternative picked instead
        // of a bookmark, then the bookmarks kept, those in the track the
        // person bookmarked most first (two bookmarks at once are mostly
        // a choice left open; their main interest is the better guess than
        // whichever has more seats).
        let pick = settled.iter().find(|&&(_, to)| to == o.session);
        let instead_of = pick.and_then(|&(full, to)| (full != to).then_some(full));
        match pick {
            Some(_) if instead_of.is_some() => score += 1_000.0,
            Some(_) => score += 10.0 + f64::from(tracks.count(o.track)),
            None => {}
        }
        Some(Scored {
            opt: k as u32,
            session: o.session,
            score,
            p_seat,
            when: if o.running { self.now } else { o.start },
            walk_s,
            interest,
            instead_of,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn reason(
        &self,
        cfg: &Compiled,
        o: &Opt,
        interest: Interest,
        p_seat: f64,
        free: u32,
        when: Millis,
        walk_s: Option<u32>,
        instead_of: Option<u32>,
    ) -> String {
        let seats = if o.shut {
            "marked full at the door".to_string()
        } else {
            let word = if p_seat >= 0.7 {
                "seats likely"
            } else if p_seat >= 0.3 {
                "seats uncertain"
            } else {
                "likely full"
            };
            format!("{word}: {free} of {} free at {}", o.limit, hhmm(cfg, when))
        };
        let walk = match walk_s {
            Some(s) => format!("{} min walk", s.div_ceil(60).max(1)),
            None => "walk unknown".to_string(),
        };
        let mut parts = vec![seats, walk];
        match interest {
            Interest::Bookmarked => parts.push("in your bookmarks".into()),
            Interest::Attended => parts.push("same track as a talk you attended".into()),
            Interest::SameTrack => parts.push("same track as your bookmark".into()),
            Interest::Other => {}
        }
        if let Some(f) = instead_of {
            parts.push(format!(
                "instead of {}, which is likely full",
                cfg.spec.sessions[f as usize].title
            ));
        }
        parts.join(", ")
    }
}

/// One candidate's score before it is put in words.
struct Scored {
    opt: u32,
    session: u32,
    score: f64,
    p_seat: f64,
    when: Millis,
    walk_s: Option<u32>,
    interest: Interest,
    instead_of: Option<u32>,
}

/// A person's tracks, worked out once per answer: those of talks they
/// attended today, and those of their bookmarks, less a track whose
/// bookmarked talks they skipped (seen elsewhere while it ran), which
/// counts as no better than any other.
struct Tracks {
    attended: Vec<u16>,
    bookmarked: Vec<u16>,
    /// Bookmarks per track, all of them (sorted by track).
    counts: Vec<(u16, u32)>,
}

impl Tracks {
    fn of(b: &Board, p: &Person) -> Tracks {
        let track = |s: &u32| b.track_of.get(*s as usize).copied();
        let mut attended: Vec<u16> = p.attended.iter().filter_map(track).collect();
        attended.sort_unstable();
        attended.dedup();
        let skipped: Vec<u16> = if p.attended.is_empty() {
            Vec::new()
        } else {
            p.plan
                .iter()
                .filter(|s| !p.attended.contains(s) && b.option(**s).is_none())
                .filter_map(track)
                .collect()
        };
        let mut bookmarked: Vec<u16> = p
            .plan
            .iter()
            .filter_map(track)
            .filter(|t| !skipped.contains(t))
            .collect();
        bookmarked.sort_unstable();
        bookmarked.dedup();
        let mut all: Vec<u16> = p.plan.iter().filter_map(track).collect();
        all.sort_unstable();
        let mut counts: Vec<(u16, u32)> = Vec::new();
        for t in all {
            match counts.last_mut() {
                Some((u, n)) if *u == t => *n += 1,
                _ => counts.push((t, 1)),
            }
        }
        Tracks {
            attended,
            bookmarked,
            counts,
        }
    }

    /// How many of the person's bookmarks are in `track`.
    fn count(&self, track: u16) -> u32 {
        self.counts
            .binary_search_by_key(&track, |c| c.0)
            .map_or(0, |i| self.counts[i].1)
    }

    fn interest(&self, track: u16) -> Interest {
        if self.attended.binary_search(&track).is_ok() {
            Interest::Attended
        } else if self.bookmarked.binary_search(&track).is_ok() {
            Interest::SameTrack
        } else {
            Interest::Other
        }
    }
}
