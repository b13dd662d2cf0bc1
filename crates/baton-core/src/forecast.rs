//! Demand forecast for every upcoming session, from what Baton can see:
//! bookmarks (`attendee.plan`), check-ins, how today's earlier sessions
//! filled against their bookmarks (per track, shrunk towards the event's
//! ratio), and the room's own count once people gather at the door.
//!
//! The model: a session's audience is `bookmarks × ratio`, log-normal
//! around that median. The ratio starts from the estimated share of
//! attendees who bookmark (people with a plan / people checked in; its
//! inverse is how many attend per bookmark) and is learned from every
//! counted session that ended today: its peak plus the people turned away
//! over its bookmarks. Its spread is the spread of those log ratios, with a
//! prior of 0.6 until the day has taught it. Everything here is O(1) per
//! question: the learned sums are updated once per ended session, and
//! bookmark counts once per plan signal.

use crate::config::Compiled;
use crate::context::{session_space, session_status};
use crate::state::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Weight of the prior, in sessions' worth of evidence.
const PRIOR_WEIGHT: f64 = 2.0;
/// Spread of the log ratio before the day has taught it.
const PRIOR_SIGMA: f64 = 0.6;
/// Weight of the event-wide ratio against a track's own, in sessions.
const TRACK_SHRINK: f64 = 3.0;
/// People arrive for a talk over about this many minutes before it starts:
/// a room that will overflow fills this far ahead in proportion.
pub const ARRIVAL_LEAD_MIN: f64 = 15.0;
/// z for the 80% interval.
const Z80: f64 = 1.281_551_565_5;

/// What the day has taught about audience per bookmark, and how far each
/// of the forecast's three sources was from what happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// Counted sessions that ended with bookmarks: how many, the sum of
    /// their log ratios and of the squares.
    pub n: u32,
    pub sum: f64,
    pub sum_sq: f64,
    /// The same per track: (n, sum of log ratios, sum of demand, sessions
    /// whose demand is counted).
    pub tracks: BTreeMap<String, (u32, f64, f64, u32)>,
    /// Attendees who have a plan, and who checked in.
    pub planners: u32,
    pub checked_in: u32,
    /// Per source (bookmarks, the track's audiences so far, the room's
    /// count): the sum of squared log errors of its snapshot half an hour
    /// before each counted session, and how many.
    pub sq_err: [f64; 3],
    pub n_err: [u32; 3],
}

/// The sources' squared log error before any session is scored: bookmarks
/// are trusted a little more than a track's history or a room's count.
const PRIOR_SQ_ERR: [f64; 3] = [0.36, 0.5, 0.5];
/// A session's sources are snapshotted this many minutes before it starts
/// and scored once it ends.
pub const SNAPSHOT_MIN: f64 = 30.0;

/// One session's forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SessionForecast {
    /// Expected audience (people who will want a seat); -1 when nothing
    /// is known (no bookmarks and no history).
    pub expected: f64,
    /// 80% interval.
    pub low: f64,
    pub high: f64,
    /// Spread of the log audience.
    pub sigma: f64,
    /// Probability the audience exceeds the room (seats plus standing).
    pub p_full: f64,
    /// Minutes until the room fills: -1 when it is not expected to.
    pub minutes_to_full: f64,
    /// Bookmarks now.
    pub bookmarks: u32,
}

impl SessionForecast {
    const UNKNOWN: SessionForecast = SessionForecast {
        expected: -1.0,
        low: -1.0,
        high: -1.0,
        sigma: PRIOR_SIGMA,
        p_full: 0.0,
        minutes_to_full: -1.0,
        bookmarks: 0,
    };

    /// People expected to be denied a seat in a room holding `cap`:
    /// `E[(D - cap)+]` for the log-normal audience (the closed form that
    /// prices a call option).
    pub fn expected_denied(&self, cap: f64) -> f64 {
        expected_over(self.expected, self.sigma, cap)
    }
}

/// Standard normal CDF.
fn phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// `E[(D - cap)+]` for `D` log-normal with median `median` and log spread `sigma`.
pub fn expected_over(median: f64, sigma: f64, cap: f64) -> f64 {
    if median <= 0.0 {
        return 0.0;
    }
    if cap <= 0.0 {
        return median * (sigma * sigma / 2.0).exp();
    }
    let mu = median.ln();
    let s = sigma.max(1e-6);
    let d2 = (mu - cap.ln()) / s;
    let v = (mu + s * s / 2.0).exp() * phi(d2 + s) - cap * phi(d2);
    v.max(0.0)
}

impl Learned {
    /// The estimated share of attendees who bookmark, if anyone has.
    pub fn bookmark_share(&self) -> Option<f64> {
        (self.planners > 0)
            .then(|| f64::from(self.planners) / f64::from(self.checked_in.max(self.planners)))
    }

    /// Log audience per bookmark for `track`, and its spread.
    fn log_ratio(&self, track: &str) -> Option<(f64, f64)> {
        let prior = -self.bookmark_share()?.ln();
        let n = f64::from(self.n);
        let event = (self.sum + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT);
        let sigma = if self.n == 0 {
            PRIOR_SIGMA
        } else {
            let mean = self.sum / n;
            let ss = (self.sum_sq - n * mean * mean).max(0.0);
            ((ss + PRIOR_WEIGHT * PRIOR_SIGMA * PRIOR_SIGMA) / (n + PRIOR_WEIGHT)).sqrt()
        };
        let lr = match self.tracks.get(track) {
            Some(&(tn, tsum, _, _)) => {
                let tn = f64::from(tn);
                (tsum + TRACK_SHRINK * event) / (tn + TRACK_SHRINK)
            }
            None => event,
        };
        Some((lr, sigma.clamp(0.15, 1.5)))
    }

    /// The track's mean audience so far, if a session of it was counted.
    fn track_mean(&self, track: &str) -> Option<f64> {
        self.tracks
            .get(track)
            .filter(|t| t.3 > 0)
            .map(|t| t.2 / f64::from(t.3))
    }

    /// Records an ended session's audience: against its bookmarks, in its
    /// track's history, and against each source's snapshot.
    pub fn observe(&mut self, track: &str, bookmarks: u32, demand: f64, snap: Option<[f64; 3]>) {
        if demand <= 0.0 {
            return;
        }
        if let Some(snap) = snap {
            for (k, v) in snap.iter().enumerate() {
                if *v > 0.0 {
                    let e = v.ln() - demand.ln();
                    self.sq_err[k] += e * e;
                    self.n_err[k] += 1;
                }
            }
        }
        let t = self
            .tracks
            .entry(track.to_string())
            .or_insert((0, 0.0, 0.0, 0));
        t.2 += demand;
        t.3 += 1;
        if bookmarks == 0 {
            return;
        }
        let lr = (demand / f64::from(bookmarks)).ln();
        t.0 += 1;
        t.1 += lr;
        self.n += 1;
        self.sum += lr;
        self.sum_sq += lr * lr;
    }

    /// Each source's mean squared log error so far (with its prior).
    fn mse(&self, k: usize) -> f64 {
        (self.sq_err[k] + PRIOR_SQ_ERR[k]) / (f64::from(self.n_err[k]) + 1.0)
    }
}

/// Seats plus standing in `space`.
pub fn room_limit(cfg: &Compiled, space: u32) -> f64 {
    let sp = &cfg.spec.spaces[space as usize];
    f64::from(sp.capacity) + f64::from(sp.standing_limit)
}

/// The forecast for session `se` in its current room.
pub fn session(cfg: &Compiled, st: &State, se: u32) -> SessionForecast {
    let room = session_space(cfg, st, se);
    let mut f = audience(cfg, st, se);
    let Some(room) = room else { return f };
    if f.expected < 0.0 {
        return f;
    }
    let cap = room_limit(cfg, room);
    f.p_full = p_over(f.expected, f.sigma, cap);
    let now = st.now;
    let status = session_status(cfg, st, se, now);
    let to_start = minutes_to_start(cfg, st, se);
    f.minutes_to_full = match status {
        "running" => {
            let sp = &st.spaces[room as usize];
            sp.minutes_to_capacity(cfg.spec.spaces[room as usize].capacity, now)
        }
        "scheduled" if f.expected > cap => {
            (to_start - ARRIVAL_LEAD_MIN * (1.0 - cap / f.expected)).max(0.0)
        }
        _ => -1.0,
    };
    f
}

/// Probability a log-normal audience with this median exceeds `cap`.
pub fn p_over(median: f64, sigma: f64, cap: f64) -> f64 {
    if median <= 0.0 {
        return 0.0;
    }
    if cap <= 0.0 {
        return 1.0;
    }
    1.0 - phi((cap.ln() - median.ln()) / sigma.max(1e-6))
}

pub fn minutes_to_start(cfg: &Compiled, st: &State, se: u32) -> f64 {
    (crate::context::session_times(cfg, st, se).0 - st.now) as f64 / 60_000.0
}

/// The three sources' medians for `se` now (0 where a source says
/// nothing): bookmarks x the learned ratio, the track's mean audience so
/// far, and the count in its room when the room is counted and holds a
/// talk of the same track now.
pub fn sources(cfg: &Compiled, st: &State, se: u32) -> [f64; 3] {
    let spec = &cfg.spec.sessions[se as usize];
    let learned = &st.learned;
    let b = st.sessions[se as usize].bookmarks;
    let by_bookmarks = learned
        .log_ratio(&spec.track)
        .map_or(0.0, |(lr, _)| f64::from(b).max(0.5) * lr.exp());
    let by_track = learned.track_mean(&spec.track).unwrap_or(0.0);
    let by_room = session_space(cfg, st, se).map_or(0.0, |room| {
        let sp = &st.spaces[room as usize];
        if sp.stale(st.now, cfg.spec.event.stale_after) {
            return 0.0;
        }
        // The audience of the same track's talk in the room now is the
        // next one's best guess (people stay for the next talk); a
        // half-gathered crowd for this one is not.
        let same = crate::context::current_session(cfg, st, room, st.now)
            .is_some_and(|c| c != se && cfg.spec.sessions[c as usize].track == spec.track);
        if same { f64::from(sp.occupancy) } else { 0.0 }
    });
    [by_bookmarks, by_track, by_room]
}

/// The audience alone, without a room: the sources combined in log space,
/// each weighted by the inverse of its squared error so far (Bates and
/// Granger's combination), raised to what the door already shows for a
/// session under way.
pub fn audience(cfg: &Compiled, st: &State, se: u32) -> SessionForecast {
    let ss = &st.sessions[se as usize];
    let mut f = SessionForecast {
        bookmarks: ss.bookmarks,
        ..SessionForecast::UNKNOWN
    };
    let learned = &st.learned;
    let src = sources(cfg, st, se);
    let (mut num, mut den, mut best) = (0.0, 0.0, f64::INFINITY);
    for (k, v) in src.iter().enumerate() {
        if *v > 0.0 {
            let mse = learned.mse(k);
            num += v.ln() / mse;
            den += 1.0 / mse;
            best = best.min(mse);
        }
    }
    if den == 0.0 {
        return f;
    }
    let mut median = (num / den).exp();
    let spread = learned
        .log_ratio(&cfg.spec.sessions[se as usize].track)
        .map_or(PRIOR_SIGMA, |x| x.1);
    // Bookmarks are about this talk; the track's history and the room's
    // count are about talks like it. They refine the bookmark estimate but
    // may not pull it outside its own 80% interval: an exceptional talk
    // stays exceptional.
    if src[0] > 0.0 && ss.bookmarks > 0 {
        let (lo, hi) = (
            src[0] * (-Z80 * spread).exp(),
            src[0] * (Z80 * spread).exp(),
        );
        median = median.clamp(lo, hi);
    }
    let sigma = best
        .sqrt()
        .min(spread.max(best.sqrt() * 0.5))
        .clamp(0.15, 1.5);
    // The door speaks once the session runs: a counted room's occupancy
    // and the people it turned away are a floor for it.
    if let Some(room) = session_space(cfg, st, se) {
        let sp = &st.spaces[room as usize];
        let counted = !sp.stale(st.now, cfg.spec.event.stale_after);
        let status = session_status(cfg, st, se, st.now);
        // (From five minutes in: at the start the room still holds some of
        // the previous talk's audience on its way out.)
        if counted && status == "running" && minutes_to_start(cfg, st, se) <= -5.0 {
            median = median.max(f64::from(sp.occupancy) + ss.turned_away as f64);
        }
    }
    f.expected = median;
    f.sigma = sigma;
    f.low = median * (-Z80 * sigma).exp();
    f.high = median * (Z80 * sigma).exp();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_over_matches_its_limits() {
        // Far below the room: nobody denied; far above: the excess.
        assert!(expected_over(100.0, 0.3, 1000.0) < 1e-6);
        let e = expected_over(1000.0, 0.01, 100.0);
        assert!((e - 900.0).abs() < 1.0, "{e}");
        // At the median, something is denied, less than the median.
        let m = expected_over(200.0, 0.5, 200.0);
        assert!(m > 10.0 && m < 100.0, "{m}");
    }

    #[test]
    fn learning_moves_the_ratio_towards_what_was_seen() {
        let mut l = Learned {
            planners: 50,
            checked_in: 100,
            ..Learned::default()
        };
        let (prior, _) = l.log_ratio("t").unwrap();
        assert!((prior.exp() - 2.0).abs() < 1e-9);
        for _ in 0..20 {
            l.observe("t", 100, 300.0, None);
        }
        let (lr, sigma) = l.log_ratio("t").unwrap();
        assert!(lr.exp() > 2.8 && lr.exp() < 3.0, "{}", lr.exp());
        assert!(sigma < PRIOR_SIGMA);
        // Another track leans on the event's ratio.
        let (other, _) = l.log_ratio("u").unwrap();
        assert!(other.exp() > 2.7, "{}", other.exp());
    }

    #[test]
    fn p_over_is_a_probability() {
        assert!(p_over(100.0, 0.5, 100.0) - 0.5 < 1e-9);
        assert!(p_over(50.0, 0.5, 200.0) < 0.01);
        assert!(p_over(400.0, 0.5, 200.0) > 0.9);
    }
}
