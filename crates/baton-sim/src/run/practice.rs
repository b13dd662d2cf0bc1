//! Current practice: what events such as FOSDEM do today without
//! orchestration, the baseline Baton is measured against.
//!
//! - Volunteers hang a FULL sign on a session room's door once the room is
//!   full, after a lag (they have to notice), and take it down the same lag
//!   after seats free up. Someone who reaches the door while it hangs turns
//!   back without queuing (a wasted trip and a talk denied, but no refusal
//!   at the door: nobody was turned away by staff).
//! - The public room-status feed shows the same state, and community apps
//!   push "room full" to their users who bookmarked a talk in that room
//!   starting within the next `push_window`. A user who gets one gives the
//!   talk up with the notification compliance (the same behaviour as a
//!   Baton notice, so the two are compared on equal terms).
//!
//! The volunteers see the true occupancy; the feed is their sign, not a
//! sensor. Runs without practice never touch this module's state.

use super::*;

/// Per room: what the volunteers last saw, a stamp that invalidates a
/// pending change of the sign when the room changes again, and the sign.
pub(super) struct Practice {
    pub(super) on: bool,
    seen_full: Vec<bool>,
    stamp: Vec<u32>,
    pub(super) sign_up: Vec<bool>,
    /// The last talk each attendee's app pushed "room full" for: an app
    /// pushes once per talk, however often the sign turns.
    last_push: Vec<u32>,
}

impl Practice {
    pub(super) fn new(on: bool, spaces: usize) -> Practice {
        let n = if on { spaces } else { 0 };
        Practice {
            on,
            seen_full: vec![false; n],
            stamp: vec![0; n],
            sign_up: vec![false; n],
            last_push: Vec::new(),
        }
    }

    /// Whether a FULL sign hangs on `room`'s door.
    pub(super) fn full_sign(&self, room: u16) -> bool {
        self.on && self.sign_up.get(room as usize).copied().unwrap_or(false)
    }
}

/// A uniform draw keyed by (seed, attendee, session, purpose), so the same
/// person facing the same choice decides the same way in every run of a
/// pair, whatever else happened before (common random numbers).
pub(crate) fn keyed_uniform(seed: u64, a: u32, s: u32, purpose: u64) -> f64 {
    let k = agents::mix(
        agents::mix(seed, 0x5052_4143 ^ purpose),
        (u64::from(a) << 32) | u64::from(s),
    );
    (k >> 11) as f64 / (1u64 << 53) as f64
}

/// Purposes of keyed draws.
pub(super) const DRAW_FEED_APP: u64 = 1;
pub(super) const DRAW_FEED_PUSH: u64 = 2;
pub(crate) const DRAW_BOOKMARKER: u64 = 3;
pub(crate) const DRAW_BOOKMARK_KEEP: u64 = 4;
pub(crate) const DRAW_BOOKMARK_EXTRA: u64 = 5;
pub(super) const DRAW_COUNTER: u64 = 6;
pub(super) const DRAW_SHY: u64 = 7;
pub(super) const DRAW_CONSULT: u64 = 8;

impl Sim<'_> {
    /// Called when a session room's occupancy changes: the volunteers will
    /// react after their lag, unless it changes back first.
    pub(super) fn practice_watch(&mut self, room: u16) {
        if !self.practice.on || !self.w.spaces[room as usize].holds_sessions {
            return;
        }
        let r = room as usize;
        let full = self.occ[r] >= self.w.spaces[r].limit;
        if full != self.practice.seen_full[r] {
            self.practice.seen_full[r] = full;
            self.practice.stamp[r] = self.practice.stamp[r].wrapping_add(1);
            let stamp = self.practice.stamp[r];
            self.at(self.now + self.t.practice_lag, Ev::FullSign(room, stamp));
        }
    }

    /// The lag has passed: the sign goes up or comes down, and the feed
    /// with it.
    pub(super) fn full_sign_changes(&mut self, room: u16, stamp: u32) {
        let r = room as usize;
        if !self.practice.on || self.practice.stamp[r] != stamp {
            return;
        }
        let up = self.practice.seen_full[r];
        if self.practice.sign_up[r] == up {
            return;
        }
        self.practice.sign_up[r] = up;
        if self.consult.on {
            // The volunteer's button: Baton's feed and recommendations
            // see the sign the door shows.
            let id = self.w.spaces[r].id.clone();
            self.signal(
                "twin-door",
                SignalType::SpaceFull,
                id,
                SignalData::Full {
                    full: up,
                    reason: None,
                },
            );
        }
        if up {
            self.feed_push(room);
        }
    }

    /// Community apps push "room full" to those of their users whose next
    /// bookmarked talk is in `room` and starts within the push window.
    fn feed_push(&mut self, room: u16) {
        let window = self.t.practice_push_window;
        for a in 0..self.agents.len() as u32 {
            let ag = &self.agents[a as usize];
            if !ag.app || matches!(ag.phase, Phase::Gone) {
                continue;
            }
            if keyed_uniform(self.seed, a, NONE, DRAW_FEED_APP) >= self.t.practice_push {
                continue;
            }
            let heading = ag.goal != NONE
                && matches!(ag.phase, Phase::Moving | Phase::AtDoor)
                && self.purpose[a as usize] == Purpose::Session
                && self.sessions.room[ag.goal as usize] == room;
            let next = if heading {
                Some(ag.goal)
            } else {
                ag.plan[(ag.cursor as usize).min(ag.plan.len())..]
                    .iter()
                    .copied()
                    .find(|&s| {
                        let st = self.sessions.start[s as usize];
                        self.sessions.room[s as usize] == room
                            && st >= self.now
                            && st <= self.now + window
                    })
            };
            let Some(s) = next else {
                continue;
            };
            if self.practice.last_push.len() <= a as usize {
                self.practice.last_push.resize(self.agents.len(), NONE);
            }
            if self.practice.last_push[a as usize] == s {
                continue;
            }
            self.practice.last_push[a as usize] = s;
            self.agents[a as usize].notified += 1;
            self.tally.feed_pushes += 1;
            if keyed_uniform(self.seed, a, s, DRAW_FEED_PUSH) >= self.comp_notify {
                continue;
            }
            if heading {
                self.give_up_goal(a);
            } else {
                let ag = &mut self.agents[a as usize];
                ag.deny(s);
                self.rebook(a, s, NONE);
            }
        }
    }
}
