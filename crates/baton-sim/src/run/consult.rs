//! App users consult Baton's recommendations (issue 15).
//!
//! When an app user is about to leave for their next talk, has it
//! bookmarked (the app sent it to Baton), and the app shows it as likely
//! full (the engine's forecast `p_full` at least
//! one half, what the public feed publishes as the next session's expected
//! fill), they open the recommendations: the answer
//! `GET /v1/attendees/{id}/recommendations` would give, computed by the same
//! function over the engine's state (never the twin's truth). If the top
//! item is another talk, they take it with the notice acceptance
//! (`advice::acceptance`: the grid's compliance, scaled by interest and
//! walk), a keyed draw so nobody else's choices shift.
//!
//! The app refreshes its recommendations once a journal minute (a stated
//! assumption: apps poll), so one board serves every consult in a minute.
//! A talk the board does not list (too far gone to recommend) is not
//! looked into.

use super::*;
use baton_core::recommend::{Board, LIKELY_FULL, Person};

/// One board a journal minute, when any app user asked.
#[derive(Default)]
pub(super) struct Consult {
    pub(super) on: bool,
    board: Option<(Millis, Board)>,
    /// Consults that found the bookmark likely full, and those followed.
    pub(super) asked: u64,
    pub(super) followed: u64,
}

impl Consult {
    pub(super) fn new(on: bool) -> Consult {
        Consult {
            on,
            ..Consult::default()
        }
    }
}

impl Sim<'_> {
    /// `a` is about to leave for bookmark `s`: the session they go to
    /// instead, if their app's recommendation changes their mind.
    pub(super) fn consult(&mut self, a: u32, s: u32) -> Option<u32> {
        if !self.consult.on || !self.agents[a as usize].app {
            return None;
        }
        let Link::InProcess(eng) = &self.link else {
            return None;
        };
        let (cfg, st) = (eng.config(), eng.state());
        let &se = cfg
            .session_idx
            .get(self.w.sessions[s as usize].id.as_str())?;
        if baton_core::forecast::session(cfg, st, se).p_full < LIKELY_FULL {
            return None;
        }
        let who = format!("a{a}");
        let person = st.attendees.get(&who)?;
        // The app flags bookmarks: a talk they mean to see but did not
        // bookmark shows nothing to look into.
        if person.plan.binary_search(&se).is_err() {
            return None;
        }
        let minute = st.now / 60_000;
        if self
            .consult
            .board
            .as_ref()
            .is_none_or(|(m, _)| *m != minute)
        {
            self.consult.board = Some((minute, Board::new(cfg, st, st.now)));
        }
        let (_, board) = self.consult.board.as_ref()?;
        // A talk the app cannot recommend (one too far gone) has nothing
        // to look into.
        board.option(se)?;
        self.consult.asked += 1;
        let top = board
            .recommend(cfg, &who, &Person::of(person), 3)
            .into_iter()
            .next()?;
        if top.session == se {
            return None;
        }
        let to = *self
            .w
            .session_index
            .get(cfg.spec.sessions[top.session as usize].id.as_str())?;
        let room = self.room_for(a, to);
        let p = self.acceptance(a, self.comp_notify, to, room);
        if practice::keyed_uniform(self.seed, a, s, practice::DRAW_CONSULT) >= p {
            return None;
        }
        self.consult.followed += 1;
        self.agents[a as usize].deny(s);
        self.rebook(a, s, to);
        Some(to)
    }
}
