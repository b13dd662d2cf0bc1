//! Following advice: signs read on the way, notices from Baton, and how
//! readily a person takes the alternative they offer.

use super::*;

/// Relative appeal of an alternative outside the person's tracks, and of
/// the wanted talk's stream, against the reference (a talk in their track):
/// stated assumptions (docs/SIMULATION.md, "Following advice").
const OTHER_TRACK_APPEAL: f64 = 0.5;
const STREAM_APPEAL: f64 = 0.6;

impl Sim<'_> {
    pub(super) fn look_at_signs(&mut self, a: u32, sp: u16) -> bool {
        let ag = &self.agents[a as usize];
        if ag.goal == NONE || self.purpose[a as usize] != Purpose::Session {
            return false;
        }
        let goal = ag.goal;
        for i in 0..self.w.signs_in[sp as usize].len() {
            let sg = self.w.signs_in[sp as usize][i];
            let Some(st) = self.signs[sg as usize] else {
                continue;
            };
            if st.until <= self.now || st.full != goal {
                continue;
            }
            let p = self.acceptance(a, self.comp_sign, st.to_session, st.to_space);
            let ag = &mut self.agents[a as usize];
            if ag.resp.random::<f64>() < p {
                self.tally.sign_followed += 1;
                ag.deny(goal);
                self.switch_to(a, st.to_session, st.to_space, goal);
                return true;
            }
        }
        false
    }

    /// Swaps a bookmark (or drops it, for a stream) and, for app users,
    /// tells Baton, as the app would: they are no longer on their way there.
    pub(super) fn rebook(&mut self, a: u32, from: u32, to: u32) {
        let ag = &mut self.agents[a as usize];
        let c = (ag.cursor as usize).min(ag.plan.len());
        let mut changed = false;
        for i in 0..ag.plan.len() {
            if ag.plan[i] == from {
                changed = true;
                if to != NONE {
                    ag.plan[i] = to;
                }
            }
        }
        if to == NONE {
            // Only the bookmarks still ahead can be dropped without moving the cursor.
            let (done, ahead) = ag.plan.split_at(c);
            let mut kept: Vec<u32> = done.to_vec();
            kept.extend(ahead.iter().copied().filter(|&x| x != from));
            ag.plan = kept;
        }
        if changed && ag.app {
            self.send_plan(a);
        }
    }

    /// Follows a redirect: to another session, or to the stream of `from`.
    pub(super) fn switch_to(&mut self, a: u32, to_session: u32, to_space: u16, from: u32) {
        if to_session != NONE {
            self.agents[a as usize].goal = to_session;
            let room = self.sessions.room[to_session as usize];
            self.go(a, room, Purpose::Session);
        } else {
            self.agents[a as usize].goal = from;
            self.go(a, to_space, Purpose::Stream);
        }
    }

    /// The chance person `a` takes an alternative offered by a notice or a
    /// sign: `base` (the grid's acceptance) for the reference alternative,
    /// a talk in one of their tracks three minutes' walk away; halved for a
    /// talk outside their tracks, 0.6× for the stream of the talk they
    /// wanted; scaled by 2 / (1 + walk / 3 min) for the walk (so a longer
    /// walk is less attractive and a shorter one more), never above 1.
    pub(super) fn acceptance(&self, a: u32, base: f64, to_session: u32, to_space: u16) -> f64 {
        let ag = &self.agents[a as usize];
        let interest = match self.w.sessions.get(to_session as usize) {
            None => STREAM_APPEAL,
            Some(s) if ag.interests.contains(&s.track) => 1.0,
            Some(_) => OTHER_TRACK_APPEAL,
        };
        let walk = f64::from(self.walk_secs(ag.at, to_space));
        (base * interest * 2.0 / (1.0 + walk / 180.0)).min(1.0)
    }

    pub(super) fn notice(&mut self, a: u32, note: u32) {
        let Some(&n) = self.notes.get(note as usize) else {
            return;
        };
        let ag = &self.agents[a as usize];
        if matches!(ag.phase, Phase::Gone | Phase::Outside) {
            return;
        }
        match n {
            Note::Redirect {
                from,
                to_session,
                to_space,
            } => {
                self.tally.redirect_recv += 1;
                let heading = ag.goal == from && matches!(ag.phase, Phase::Moving | Phase::AtDoor);
                let later = ag.plan[(ag.cursor as usize).min(ag.plan.len())..].contains(&from);
                if !heading && !later {
                    return;
                }
                let p = self.acceptance(a, self.comp_notify, to_session, to_space);
                let ag = &mut self.agents[a as usize];
                if ag.resp.random::<f64>() >= p {
                    return;
                }
                if heading {
                    self.tally.redirect_acc += 1;
                    ag.deny(from);
                    self.switch_to(a, to_session, to_space, from);
                    self.rebook(a, from, to_session);
                } else if to_session != NONE {
                    // Planned for later: the bookmark changes (a stream
                    // offered for a later session cannot be planned for, so
                    // it is not counted as followed).
                    let c = (ag.cursor as usize).min(ag.plan.len());
                    if ag.plan[c..].contains(&from) {
                        self.tally.redirect_acc += 1;
                        ag.deny(from);
                        self.rebook(a, from, to_session);
                    }
                }
            }
            Note::Moved { session } => {
                // The app already shows the new room; someone on the way
                // to the old one turns around when they read this.
                let heading = ag.goal == session && ag.phase == Phase::Moving;
                let to = self.sessions.room[session as usize];
                if heading && ag.dest != to {
                    self.go(a, to, Purpose::Session);
                }
            }
            Note::Delay { session } => {
                let heading =
                    ag.goal == session && matches!(ag.phase, Phase::Moving | Phase::AtDoor);
                let later = ag.plan[(ag.cursor as usize).min(ag.plan.len())..].contains(&session);
                if !heading && !later {
                    return;
                }
                let ag = &mut self.agents[a as usize];
                if ag.resp.random::<f64>() >= self.comp_notify {
                    return;
                }
                ag.aware = session;
                if heading {
                    // Back to the foyer; the session is taken up again in time.
                    let c = ag.cursor as usize;
                    if c > 0 && ag.plan.get(c - 1) == Some(&session) {
                        ag.cursor -= 1;
                    } else {
                        ag.plan.insert(c.min(ag.plan.len()), session);
                    }
                    ag.goal = NONE;
                    ag.epoch = ag.epoch.wrapping_add(1);
                    self.decide(a);
                }
            }
            Note::Other => {}
        }
    }
}
