//! What the twin counts while the day runs, and the KPIs made from it.
//! The engine never sees any of this: it is the twin's ground truth.

use crate::agents::Agent;
use crate::kpi::Kpis;

pub(super) struct Tally {
    /// Attendee-milliseconds over capacity, in all and per space.
    pub(super) above_ms: f64,
    pub(super) above_by_space: Vec<f64>,
    /// Milliseconds at each Fruin level (A–F), per space.
    pub(super) los_ms: Vec<[f64; 6]>,
    pub(super) turned_away: u64,
    /// Redirect notices received, and those acted on.
    pub(super) redirect_recv: u64,
    pub(super) redirect_acc: u64,
    pub(super) sign_followed: u64,
    /// Minutes from dispatch to arrival, per task that arrived.
    pub(super) staff_resp_min: Vec<f64>,
    pub(super) failed: u64,
    /// Walks to a room that ended without getting in.
    pub(super) wasted_trips: u64,
    /// Attendee-milliseconds waited at doors.
    pub(super) queue_ms: f64,
    /// Attendee-milliseconds in session rooms above seats plus standing.
    pub(super) above_limit_ms: f64,
    /// "Room full" pushes sent by community apps (current practice).
    pub(super) feed_pushes: u64,
    pub(super) decisions: u64,
    /// People who found a moved session's old door and walked on.
    pub(super) moved_walk_on: u64,
    /// Published room moves the twin carried out.
    pub(super) moves: u64,
    /// Total occupancy per minute, when asked for.
    pub(super) series: Option<Vec<u32>>,
    /// People on site (arrived, not yet gone) per minute, with `series`.
    pub(super) present: Vec<u32>,
}

impl Tally {
    pub(super) fn new(spaces: usize, series: bool) -> Tally {
        Tally {
            above_ms: 0.0,
            above_by_space: vec![0.0; spaces],
            los_ms: vec![[0.0; 6]; spaces],
            turned_away: 0,
            redirect_recv: 0,
            redirect_acc: 0,
            sign_followed: 0,
            staff_resp_min: Vec::new(),
            failed: 0,
            moved_walk_on: 0,
            moves: 0,
            wasted_trips: 0,
            queue_ms: 0.0,
            above_limit_ms: 0.0,
            feed_pushes: 0,
            decisions: 0,
            series: series.then(Vec::new),
            present: Vec::new(),
        }
    }

    /// `circulation[i]`: space `i` holds no sessions, so its density is
    /// people standing and walking, not a seated room's fill.
    pub(super) fn kpis(&self, agents: &[Agent], circulation: &[bool]) -> Kpis {
        let n = agents.len().max(1) as f64;
        let total: f64 = agents.iter().map(|a| f64::from(a.notified)).sum();
        let max = agents.iter().map(|a| a.notified).max().unwrap_or(0);
        let mut counts: Vec<u16> = agents.iter().map(|a| a.notified).collect();
        counts.sort_unstable();
        let p95 = counts
            .get((counts.len() * 95).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let staff = if self.staff_resp_min.is_empty() {
            f64::NAN
        } else {
            self.staff_resp_min.iter().sum::<f64>() / self.staff_resp_min.len() as f64
        };
        let los_ef: f64 = self
            .los_ms
            .iter()
            .zip(circulation)
            .filter(|(_, c)| **c)
            .map(|(l, _)| l[4] + l[5])
            .sum::<f64>()
            / 60_000.0;
        Kpis {
            denied_people: agents.iter().filter(|a| a.denied > 0).count() as f64,
            talks_denied: agents.iter().map(|a| f64::from(a.denied)).sum(),
            wanted_attended_share: {
                let wanted: usize = agents.iter().map(|a| a.wanted.len()).sum();
                let got: f64 = agents.iter().map(|a| f64::from(a.attended_wanted)).sum();
                if wanted == 0 {
                    f64::NAN
                } else {
                    got / wanted as f64
                }
            },
            displaced_people: agents.iter().filter(|a| a.displaced).count() as f64,
            wasted_trips: self.wasted_trips as f64,
            queue_min: self.queue_ms / 60_000.0,
            notifications_p95: f64::from(p95),
            above_capacity_min: self.above_ms / 60_000.0,
            above_limit_min: self.above_limit_ms / 60_000.0,
            turned_away: self.turned_away as f64,
            los_ef_min: los_ef,
            notifications_mean: total / n,
            notifications_max: f64::from(max),
            redirect_acceptance: if self.redirect_recv == 0 {
                f64::NAN
            } else {
                self.redirect_acc as f64 / self.redirect_recv as f64
            },
            staff_response_min: staff,
            actions_failed: self.failed as f64,
        }
    }
}
