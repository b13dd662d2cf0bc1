//! A signal applied to state: rejected with the reason, or folded into the
//! space, session, staff or attendee it is about.

use super::*;
use crate::context::{SignalInfo, current_session, session_space, session_status};
use crate::state::{SessionState, StaffState};
use baton_model::{Millis, Signal, SignalData};

impl Engine {
    pub(crate) fn signal(&mut self, s: &Signal, out: &mut Out) {
        let now = self.st.now;
        let ev = &self.cfg.spec.event;
        if self.st.dedup.check(
            self.st.dedup.key(&s.source, &s.id),
            now,
            ev.dedup_window,
            ev.dedup_max_keys,
        ) {
            self.st.stats.duplicates += 1;
            return;
        }
        if let Some(t) = s.time
            && (t - now).abs() > ev.skew_bound
        {
            self.st.stats.skewed += 1;
        }
        self.st.stats.count_signal(s.kind);
        let (space, session) = match self.update(s, now) {
            Ok(v) => v,
            Err(reason) => return self.reject(out, &s.id, reason),
        };
        match &s.data {
            SignalData::StaffTask { task, state } => {
                if let Some(&sf) = self.cfg.staff_idx.get(&s.subject) {
                    let done = (*state == baton_model::signal::TaskState::Done)
                        .then(|| self.st.tasks.get(task.as_str()).cloned())
                        .flatten()
                        .filter(|t| t.staff == sf && t.stage != crate::state::TaskStage::Waiting);
                    self.effects().task_signal(sf, task, *state, out);
                    if let Some(t) = done {
                        self.move_task_done(&t, out);
                    }
                }
            }
            SignalData::StaffLocation { .. } => {
                if let (Some(&sf), Some(sp)) = (self.cfg.staff_idx.get(&s.subject), space) {
                    self.effects().staff_moved(sf, sp, out);
                }
            }
            _ => {}
        }
        // Most signals concern no policy: skip building the context for them.
        if self.cfg.by_trigger[s.kind.index()].is_empty() {
            return;
        }
        let info = SignalInfo {
            kind: s.kind.as_str(),
            subject: &s.subject,
            count: match &s.data {
                SignalData::Occupancy { count, .. }
                | SignalData::Entered { count, .. }
                | SignalData::Exited { count, .. }
                | SignalData::TurnedAway { count } => i64::from(*count),
                SignalData::QueueLength { length, .. } => i64::from(*length),
                SignalData::SessionDelayed { minutes } => i64::from(*minutes),
                _ => 0,
            },
            severity: match &s.data {
                SignalData::Incident { severity, .. } => severity.as_str(),
                _ => "",
            },
            incident_kind: match &s.data {
                SignalData::Incident { kind, .. } => kind,
                _ => "",
            },
        };
        let trig = TrigRef {
            seq: out.seq,
            kind: s.kind.as_str(),
            id: Some(&s.id),
            subject: Some(&s.subject),
        };
        // Collect (policy, entity) in policy (priority) order first, so the
        // evaluation loop holds no borrow of the configuration.
        let mut work = Work::default();
        {
            let cfg = &*self.cfg;
            let t = s.kind.index();
            let none: &[u32] = &[];
            let by_space = space
                .and_then(|sp| cfg.by_trigger_space[t].get(sp as usize))
                .map_or(none, Vec::as_slice);
            let by_session = session
                .and_then(|se| cfg.by_trigger_session[t].get(se as usize))
                .map_or(none, Vec::as_slice);
            let (mut i, mut j) = (0, 0);
            while i < by_space.len() || j < by_session.len() {
                let take_space =
                    j >= by_session.len() || (i < by_space.len() && by_space[i] < by_session[j]);
                if take_space {
                    if let Some(sp) = space {
                        work.push(by_space[i], sp);
                    }
                    i += 1;
                } else {
                    if let Some(se) = session {
                        work.push(by_session[j], se);
                    }
                    j += 1;
                }
            }
        }
        for k in 0..work.len() {
            let (p, e) = work.get(k);
            self.evaluate(p, e, trig, info, out);
        }
    }

    /// Folds a signal into state; returns the (space, session) it concerns.
    pub(crate) fn update(
        &mut self,
        s: &Signal,
        now: Millis,
    ) -> Result<(Option<u32>, Option<u32>), &'static str> {
        let cfg = &*self.cfg;
        let space_of = |id: &str| cfg.space_idx.get(id).copied();
        use SignalData as D;
        match s.kind.subject_kind() {
            baton_model::signal::SubjectKind::Space => {
                let sp = space_of(&s.subject).ok_or("unknown space")?;
                let st = &mut self.st.spaces[sp as usize];
                st.seen(now);
                match &s.data {
                    D::Occupancy { count, confidence } => st.absolute(now, *count, *confidence),
                    D::Entered { count, attendee } => {
                        st.entered(now, *count);
                        if let Some(a) = attendee {
                            self.st.attendees.entry(a.clone()).or_default().last_space = Some(sp);
                        }
                    }
                    D::Exited { count, .. } if st.exited(now, *count) => self.st.stats.clamped += 1,
                    D::Density { persons_per_m2 } => {
                        st.sensed_density = Some((*persons_per_m2, now))
                    }
                    D::QueueLength { length, wait_s } => {
                        st.queue_length = *length;
                        st.queue_wait_s = wait_s.unwrap_or(0.0);
                    }
                    D::Closed { .. } => st.closed = true,
                    D::Opened { .. } => st.closed = false,
                    D::Full { full: true, .. } => st.door_full = st.door_full.or(Some(now)),
                    D::Full { full: false, .. } => st.door_full = None,
                    D::TurnedAway { count } => {
                        st.turned_away += u64::from(*count);
                        if let Some(se) = current_session(&self.cfg, &self.st, sp, now) {
                            self.st.sessions[se as usize].turned_away += u64::from(*count);
                        }
                    }
                    _ => {}
                }
                let session = current_session(&self.cfg, &self.st, sp, now);
                // Someone who shares their position, seen entering: the
                // session is one they attended (their recommendations'
                // "tracks you attended").
                if let (
                    D::Entered {
                        attendee: Some(a), ..
                    },
                    Some(se),
                ) = (&s.data, session)
                    && let Some(at) = self.st.attendees.get_mut(a)
                    && at.share_position
                    && at.attended.last() != Some(&se)
                    && at.attended.len() < baton_model::signal::limits::PLAN_SESSIONS
                {
                    at.attended.push(se);
                }
                if let Some(se) = session
                    && session_status(&self.cfg, &self.st, se, now) == "running"
                {
                    let occ = self.st.spaces[sp as usize].occupancy;
                    let ss = &mut self.st.sessions[se as usize];
                    ss.peak = ss.peak.max(occ);
                }
                Ok((Some(sp), session))
            }
            baton_model::signal::SubjectKind::Session => {
                let se = *cfg.session_idx.get(&s.subject).ok_or("unknown session")?;
                let ss: &mut SessionState = &mut self.st.sessions[se as usize];
                match &s.data {
                    D::SessionStarted => ss.started = true,
                    D::SessionEnded => ss.ended = true,
                    D::SessionCancelled => ss.cancelled = true,
                    D::SessionDelayed { minutes } => ss.delay_min = *minutes,
                    D::SessionMoved { space } => {
                        ss.moved_to = Some(space_of(space).ok_or("unknown space in data.space")?)
                    }
                    _ => {}
                }
                Ok((session_space(&self.cfg, &self.st, se), Some(se)))
            }
            baton_model::signal::SubjectKind::Staff => {
                let sf = *cfg
                    .staff_idx
                    .get(&s.subject)
                    .ok_or("unknown staff member")?;
                let st: &mut StaffState = &mut self.st.staff[sf as usize];
                match &s.data {
                    D::StaffLocation { space } => {
                        st.space = Some(space_of(space).ok_or("unknown space in data.space")?);
                    }
                    D::StaffStatus { status } => st.status = *status,
                    _ => {}
                }
                Ok((st.space, None))
            }
            baton_model::signal::SubjectKind::Attendee => {
                let a = self.st.attendees.entry(s.subject.clone()).or_default();
                match &s.data {
                    D::CheckedIn { gate } => {
                        if !a.checked_in {
                            self.st.learned.checked_in += 1;
                        }
                        a.checked_in = true;
                        if let Some(g) = gate {
                            a.last_space = cfg.space_idx.get(g).copied();
                        }
                    }
                    D::Plan {
                        sessions,
                        share_position,
                    } => {
                        a.share_position = *share_position;
                        if !*share_position {
                            a.attended.clear();
                        }
                        let mut plan: Vec<u32> = sessions
                            .iter()
                            .filter_map(|x| cfg.session_idx.get(x).copied())
                            .collect();
                        plan.sort_unstable();
                        plan.dedup();
                        let old = std::mem::replace(&mut a.plan, plan);
                        let had = !old.is_empty();
                        let has = !a.plan.is_empty();
                        for &x in &old {
                            if let Some(ss) = self.st.sessions.get_mut(x as usize) {
                                ss.bookmarks = ss.bookmarks.saturating_sub(1);
                            }
                        }
                        for &x in &a.plan {
                            if let Some(ss) = self.st.sessions.get_mut(x as usize) {
                                ss.bookmarks += 1;
                            }
                        }
                        match (had, has) {
                            (false, true) => self.st.learned.planners += 1,
                            (true, false) => {
                                self.st.learned.planners =
                                    self.st.learned.planners.saturating_sub(1)
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
                Ok((None, None))
            }
        }
    }
}
