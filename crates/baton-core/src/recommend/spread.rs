//! The spread solve: how many of each likely-full talk's planners each
//! alternative can take, and which planner goes where.
//!
//! Sources are the talks likely to overflow (forecast `p_full` at least
//! [`super::LIKELY_FULL`], not started), each with the people it is
//! expected to turn away, `E[(D − limit)+]`, at most its bookmarks. Sinks
//! are the sessions running or starting within [`OVERLAP_MS`] of it, not
//! likely full themselves, with the seats the top of the forecast's 80%
//! interval leaves free under the governance fill limit. The cost per person is the redirect's: a talk in
//! the same track costs less than another, plus walking time from the full
//! talk's room and how full the alternative will be. It is the redirect's
//! transportation solve (`planner::redirect`), exact up to its size bound.
//!
//! Who is sent elsewhere is the ranking's call (`super`: whoever would
//! reach `F` after the forecast says it fills); where is picked by
//! `hash(id, F)`, uniform on [0, 1), over the flows, so over many people
//! the assignments follow the solve's proportions, and the same person
//! gets the same answer from the same board.

use super::Board;
use crate::config::Compiled;
use crate::planner::redirect;
use baton_model::Millis;
use std::collections::BTreeMap;

/// Alternatives start at most this far from the full talk's start.
pub const OVERLAP_MS: Millis = 20 * 60_000;

/// The solve's answer for one likely-full session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flows {
    /// Bookmarks of the full session when the board was read.
    pub planners: u32,
    /// People sent, per alternative session, in board order.
    pub to: Vec<(u32, u32)>,
}

impl Flows {
    pub fn sent(&self) -> u32 {
        self.to.iter().map(|t| t.1).sum()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spread {
    pub by_full: BTreeMap<u32, Flows>,
    /// How it was solved, for the answer's explanation.
    pub method: &'static str,
}

impl Spread {
    /// The alternative for `who` instead of `full`, drawn by the hash of
    /// (id, session) over the solve's flows, so people with the same
    /// interests spread in its proportions.
    pub fn pick(&self, who: &str, full: u32) -> Option<u32> {
        let f = self.by_full.get(&full)?;
        let sent = f.sent();
        if sent == 0 || f.planners == 0 {
            return None;
        }
        // At most the solve's number of people: a share `sent / planners`
        // of the hash's range is sent, so the alternatives never get more
        // than the seats the solve found.
        let share = (f64::from(sent) / f64::from(f.planners)).min(1.0);
        let h = unit_hash(who, full);
        if h >= share {
            return None;
        }
        let mut point = h / share * f64::from(sent);
        for &(s, n) in &f.to {
            if point < f64::from(n) {
                return Some(s);
            }
            point -= f64::from(n);
        }
        f.to.last().map(|t| t.0)
    }
}

/// A uniform number on [0, 1) from (attendee id, session): stable across
/// processes, releases and machines (xxh3).
pub fn unit_hash(who: &str, session: u32) -> f64 {
    let h = xxhash_rust::xxh3::xxh3_64_with_seed(who.as_bytes(), u64::from(session));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

pub(super) fn solve(cfg: &Compiled, b: &Board) -> Spread {
    let fill = cfg.spec.governance.max_redirect_fill;
    let fulls: Vec<usize> = (0..b.options.len())
        .filter(|&i| {
            let o = &b.options[i];
            !o.running && !o.shut && o.expected >= 0.0 && o.p_full >= super::LIKELY_FULL
        })
        .collect();
    let alts: Vec<usize> = (0..b.options.len())
        .filter(|&i| !b.options[i].likely_full())
        .collect();
    if fulls.is_empty() || alts.is_empty() {
        return Spread {
            by_full: BTreeMap::new(),
            method: "none",
        };
    }
    let mut sizes = Vec::with_capacity(fulls.len());
    for &f in &fulls {
        let o = &b.options[f];
        sizes.push((o.denied.round() as u32).min(o.bookmarks));
    }
    let capacities: Vec<u32> = alts
        .iter()
        .map(|&a| {
            let o = &b.options[a];
            let under = (f64::from(o.limit) * fill).floor();
            // Seats it very likely has: the top of the forecast's 80%
            // interval, not its middle, so the people sent do not
            // overflow the alternative's own audience.
            (under - o.taken(o.high)).max(0.0) as u32
        })
        .collect();
    let cost: Vec<Vec<Option<i64>>> = fulls
        .iter()
        .map(|&f| {
            let fo = &b.options[f];
            alts.iter()
                .map(|&a| {
                    let ao = &b.options[a];
                    let overlaps = if ao.running {
                        ao.end >= fo.start + OVERLAP_MS
                    } else {
                        (ao.start - fo.start).abs() <= OVERLAP_MS
                    };
                    if ao.space == fo.space || !overlaps {
                        return None;
                    }
                    let interest = if ao.track == fo.track { 50 } else { 100 };
                    let walk = i64::from(cfg.walk.secs(fo.space, ao.space)) / 6;
                    let taken = ao.taken(ao.expected);
                    let filled = (taken * 40.0 / f64::from(ao.limit.max(1))) as i64;
                    Some(interest + walk + filled)
                })
                .collect()
        })
        .collect();
    let problem = redirect::Problem {
        sizes,
        capacities,
        cost,
        unplaced_cost: 10_000,
    };
    let sol = redirect::solve(&problem);
    let mut by_full = BTreeMap::new();
    for (g, &f) in fulls.iter().enumerate() {
        let o = &b.options[f];
        let to: Vec<(u32, u32)> = alts
            .iter()
            .enumerate()
            .filter(|&(a, _)| sol.flow[g][a] > 0)
            .map(|(a, &ai)| (b.options[ai].session, sol.flow[g][a]))
            .collect();
        by_full.insert(
            o.session,
            Flows {
                planners: o.bookmarks,
                to,
            },
        );
    }
    Spread {
        by_full,
        method: match sol.method {
            redirect::Method::Optimal => "min-cost transportation (LP, microlp)",
            redirect::Method::Greedy => "greedy transportation (above the exact size bound)",
        },
    }
}
