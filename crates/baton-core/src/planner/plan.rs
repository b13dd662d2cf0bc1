//! Proposal → decision: expansion, governance and conflicts.

use super::Planner;
use crate::context::{session_space, session_status};
use crate::output::{Action, Considered};
use crate::suppression::Suppression;
use baton_model::{ActionKind, ActionSpec, DecisionId, Millis, ParamValue, Target};
use baton_model::{Resource, ResourceBuf};
use std::collections::{BTreeMap, BTreeSet};

/// What planning a proposal produced, before it becomes a decision.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub actions: Vec<Action>,
    pub notes: Vec<String>,
    pub constraints: Vec<String>,
    pub conflicts: Vec<String>,
    pub alternatives: Vec<Considered>,
    pub solver: Option<String>,
    /// Knock-on notifications (delay cascades), placed after the policy's
    /// own actions. They are programme changes: the notification caps
    /// count them but never trim them.
    deferred: Vec<Action>,
}

impl Plan {
    pub(super) fn push(
        &mut self,
        kind: ActionKind,
        resource: ResourceBuf,
        params: BTreeMap<String, ParamValue>,
        valid_until: Millis,
    ) {
        self.actions.push(Action {
            index: self.actions.len() as u32,
            kind,
            resource,
            params,
            valid_until,
            suppressed: None,
        });
    }
}

/// An attendee on the way to a full session, and where they were last seen.
pub(super) type Member<'a> = (&'a str, Option<u32>);

/// A dispatch request from one action spec: `count` people with `role` to `space`.
pub(super) struct Request {
    pub(super) role: String,
    pub(super) count: u32,
    pub(super) note: String,
    pub(super) space: u32,
    pub(super) valid_until: Millis,
    /// The session whose room move this task confirms.
    pub(super) confirms: Option<String>,
}

pub(crate) fn param_str(ps: &BTreeMap<String, ParamValue>, name: &str) -> Option<String> {
    match ps.get(name) {
        Some(ParamValue::String(s)) => Some(s.clone()),
        Some(ParamValue::Null) | None => None,
        Some(v) => Some(v.to_string()),
    }
}

pub(crate) fn param_int(ps: &BTreeMap<String, ParamValue>, name: &str) -> Option<i64> {
    match ps.get(name) {
        Some(ParamValue::Int(i)) => Some(*i),
        Some(ParamValue::Double(d)) if d.is_finite() => Some(*d as i64),
        _ => None,
    }
}

pub(super) fn strings(v: &[String]) -> ParamValue {
    ParamValue::List(v.iter().cloned().map(ParamValue::String).collect())
}

fn minutes_label(ms: Millis) -> String {
    format!("{} min", (ms + 59_999) / 60_000)
}

impl Planner<'_> {
    /// Plans policy `p`'s proposal for decision `id`.
    pub(crate) fn plan(
        &self,
        p: u32,
        id: DecisionId,
        space: Option<u32>,
        session: Option<u32>,
        params: &[BTreeMap<String, ParamValue>],
    ) -> Plan {
        let cfg = &self.cfg;
        let pol = &cfg.policies[p as usize].def;
        let now = self.st.now;
        let mut plan = Plan::default();
        let mut requests = Vec::new();
        for (i, spec) in pol.actions.iter().enumerate() {
            let ps = params.get(i).cloned().unwrap_or_default();
            let valid_until = now + spec.valid_for;
            match spec.kind {
                ActionKind::Redirect => {
                    self.plan_redirect(&ps, session, valid_until, &mut plan);
                }
                ActionKind::DelaySession => {
                    self.plan_delay(spec, &ps, session, valid_until, &mut plan);
                }
                ActionKind::MoveSession => {
                    self.plan_move(&ps, session, &mut plan, &mut requests);
                }
                ActionKind::Recommend => {
                    self.plan_recommend(&ps, session, valid_until, &mut plan);
                }
                ActionKind::Dispatch => {
                    let spaces = self.target_spaces(&spec.target, space, session);
                    if spaces.is_empty() {
                        plan.notes
                            .push(format!("action {i} (dispatch) addressed no space"));
                    }
                    for sp in spaces {
                        requests.push(Request {
                            role: param_str(&ps, "role").unwrap_or_else(|| "steward".into()),
                            count: param_int(&ps, "count").unwrap_or(1).clamp(0, 20) as u32,
                            note: param_str(&ps, "note").unwrap_or_default(),
                            space: sp,
                            valid_until,
                            confirms: None,
                        });
                    }
                }
                kind => {
                    let resources = self.resources(kind, &spec.target, space, session);
                    if resources.is_empty() {
                        plan.notes.push(format!(
                            "action {i} ({}) addressed no resource",
                            kind.as_str()
                        ));
                    }
                    for resource in resources {
                        let mut ps = ps.clone();
                        if kind == ActionKind::Notify
                            && let Resource::SessionAttendees(rest) = resource.parsed()
                            && let Some(&se) = cfg.session_idx.get(rest)
                        {
                            let who = self.planned_attendees(se);
                            ps.insert("count".into(), ParamValue::Int(who.len() as i64));
                            ps.insert("recipients".into(), strings(&who));
                        }
                        plan.push(kind, resource, ps, valid_until);
                    }
                }
            }
        }
        if !requests.is_empty() {
            self.plan_dispatch(&requests, id, pol.priority, &mut plan);
        }
        for mut a in std::mem::take(&mut plan.deferred) {
            a.index = plan.actions.len() as u32;
            plan.actions.push(a);
        }
        self.govern(&mut plan);
        self.settle_claims(&pol.id, pol.priority, &mut plan);
        self.hold_for_operators(&mut plan.actions);
        plan
    }

    /// The emergency hold and operator overrides win over automation, both
    /// when a proposal is made and again when it is approved later.
    pub(crate) fn hold_for_operators(&self, actions: &mut [Action]) {
        for a in actions.iter_mut().filter(|a| a.suppressed.is_none()) {
            if self.st.emergency && a.kind.is_attendee_facing() {
                a.suppressed = Some(Suppression::EmergencyHold);
            } else if self.st.overrides.contains_key(&a.resource) {
                a.suppressed = Some(Suppression::Override {
                    resource: a.resource.clone(),
                });
            }
        }
    }

    /// Spaces a dispatch names: the scope's space, or space ids.
    fn target_spaces(&self, target: &Target, space: Option<u32>, session: Option<u32>) -> Vec<u32> {
        match target {
            Target::Ids(ids) => ids
                .iter()
                .filter_map(|i| {
                    self.cfg
                        .space_idx
                        .get(match Resource::parse(i) {
                            Resource::Space(id) => id,
                            _ => i.as_str(),
                        })
                        .copied()
                })
                .collect(),
            _ => space
                .or_else(|| session.and_then(|s| session_space(self.cfg, self.st, s)))
                .into_iter()
                .collect(),
        }
    }

    /// Attendees whose plan includes `session`, sorted by id.
    pub(crate) fn planned_attendees(&self, session: u32) -> Vec<String> {
        self.st
            .attendees
            .iter()
            .filter(|(_, a)| a.plan.binary_search(&session).is_ok())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Holds automation to the event's governance constraints.
    fn govern(&self, plan: &mut Plan) {
        let g = &self.cfg.spec.governance;
        let now = self.st.now;
        let local_min = ((now.div_euclid(60_000)
            + i64::from(self.cfg.spec.event.utc_offset_s) / 60)
            .rem_euclid(1_440)) as u32;
        for q in g.quiet_hours.iter().filter(|q| q.contains(local_min)) {
            let mut held = 0;
            for a in plan
                .actions
                .iter_mut()
                .filter(|a| a.suppressed.is_none() && q.kinds.contains(&a.kind))
            {
                a.suppressed = Some(Suppression::QuietHours { label: q.label() });
                held += 1;
            }
            if held > 0 {
                plan.constraints.push(format!(
                    "quiet hours {}: held back {held} action(s)",
                    q.label()
                ));
            }
        }
        for a in plan
            .actions
            .iter_mut()
            .filter(|a| a.kind == ActionKind::DelaySession && a.suppressed.is_none())
        {
            let id = match a.resource.parsed() {
                Resource::Session(id) => id,
                _ => a.resource.as_str(),
            };
            if let Some(&se) = self.cfg.session_idx.get(id)
                && self.cfg.spec.sessions[se as usize].protected
            {
                a.suppressed = Some(Suppression::Protected {
                    session: id.to_string(),
                });
                plan.constraints
                    .push(format!("protected session {id}: retiming refused"));
            }
        }
        self.cap_notifications(plan);
    }

    /// The hourly and daily caps on advisory notices, per recipient. A
    /// programme change is counted (effects record it) but never capped:
    /// a notice to a session's attendees in a plan that retimes that
    /// session, or one whose params say `class: programme`.
    fn cap_notifications(&self, plan: &mut Plan) {
        let g = &self.cfg.spec.governance;
        let now = self.st.now;
        let (hour, day) = (
            g.max_notifications_per_hour as usize,
            g.max_notifications_per_day as usize,
        );
        if hour == 0 && day == 0 {
            return;
        }
        let retimed: BTreeSet<String> = plan
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::DelaySession && a.suppressed.is_none())
            .filter_map(|a| match a.resource.parsed() {
                Resource::Session(id) => Some(id.to_string()),
                _ => None,
            })
            .collect();
        let programme = |a: &Action| {
            matches!(a.params.get("class"), Some(ParamValue::String(c)) if c == "programme")
                || matches!(a.resource.parsed(), Resource::SessionAttendees(s) if retimed.contains(s))
        };
        let mut this_decision: BTreeMap<String, usize> = BTreeMap::new();
        for a in plan
            .actions
            .iter_mut()
            .filter(|a| a.kind == ActionKind::Notify && a.suppressed.is_none())
        {
            if programme(a) {
                continue;
            }
            let Some(ParamValue::List(list)) = a.params.get("recipients") else {
                continue;
            };
            let before = list.len();
            let (mut by_hour, mut by_day) = (0, 0);
            let kept: Vec<ParamValue> = list
                .iter()
                .filter(|r| {
                    let ParamValue::String(id) = r else {
                        return true;
                    };
                    let (in_hour, in_day) = self.st.attendees.get(id).map_or((0, 0), |at| {
                        (
                            at.notified.iter().filter(|&&t| t + 3_600_000 > now).count(),
                            at.notified
                                .iter()
                                .filter(|&&t| t + crate::effects::DAY_MS > now)
                                .count(),
                        )
                    });
                    let here = this_decision.entry(id.clone()).or_insert(0);
                    if hour > 0 && in_hour + *here >= hour {
                        by_hour += 1;
                        return false;
                    }
                    if day > 0 && in_day + *here >= day {
                        by_day += 1;
                        return false;
                    }
                    *here += 1;
                    true
                })
                .cloned()
                .collect();
            if by_hour + by_day == 0 {
                continue;
            }
            if by_hour > 0 {
                plan.constraints.push(format!(
                    "at most {hour} notifications per attendee per hour: trimmed {by_hour} of {before} recipients of {}",
                    a.resource
                ));
            }
            if by_day > 0 {
                plan.constraints.push(format!(
                    "at most {day} notifications per attendee per 24 hours: trimmed {by_day} of {before} recipients of {}",
                    a.resource
                ));
            }
            if kept.is_empty() {
                a.suppressed = Some(if by_hour > 0 {
                    Suppression::NotifyCap { limit: hour as u64 }
                } else {
                    Suppression::NotifyDayCap { limit: day as u64 }
                });
            }
            a.params
                .insert("count".into(), ParamValue::Int(kept.len() as i64));
            a.params.insert("recipients".into(), ParamValue::List(kept));
        }
    }

    /// Priority wins, then policy id; the loser keeps its action, suppressed,
    /// with the reason.
    fn settle_claims(&self, policy: &str, priority: i32, plan: &mut Plan) {
        let now = self.st.now;
        let mut noted = BTreeSet::new();
        for a in plan
            .actions
            .iter_mut()
            .filter(|a| a.suppressed.is_none() && a.resource.parsed().is_claimable())
        {
            let Some(c) = self.st.claims.get(&a.resource) else {
                continue;
            };
            if c.until <= now || c.policy == policy {
                continue;
            }
            let holder_wins =
                c.priority > priority || (c.priority == priority && c.policy.as_str() < policy);
            if holder_wins {
                a.suppressed = Some(Suppression::Lost {
                    holder: c.policy.clone(),
                    priority: c.priority,
                    resource: a.resource.clone(),
                    remaining: minutes_label(c.until - now),
                });
                if noted.insert(a.resource.clone()) {
                    plan.conflicts.push(format!(
                        "{}: lost to {} (priority {} vs {priority}, decision {})",
                        a.resource, c.policy, c.priority, c.decision
                    ));
                }
            } else if noted.insert(a.resource.clone()) {
                plan.conflicts.push(format!(
                    "{}: taken over from {} (priority {} vs {priority}, decision {})",
                    a.resource, c.policy, c.priority, c.decision
                ));
            }
        }
    }

    /// A retiming, pushed down the room's programme where sessions would overlap.
    fn plan_delay(
        &self,
        spec: &ActionSpec,
        ps: &BTreeMap<String, ParamValue>,
        scope_session: Option<u32>,
        valid_until: Millis,
        plan: &mut Plan,
    ) {
        let cfg = &self.cfg;
        let targets: Vec<u32> = match &spec.target {
            Target::Ids(ids) => ids
                .iter()
                .filter_map(|i| {
                    cfg.session_idx.get(match Resource::parse(i) {
                        Resource::Session(id) => id,
                        _ => i.as_str(),
                    })
                })
                .copied()
                .collect(),
            _ => scope_session.into_iter().collect(),
        };
        if targets.is_empty() {
            plan.notes
                .push("delay_session addressed no session".to_string());
        }
        for se in targets {
            let minutes = param_int(ps, "minutes")
                .unwrap_or(i64::from(self.st.sessions[se as usize].delay_min))
                .clamp(0, 24 * 60);
            let s = &cfg.spec.sessions[se as usize];
            let mut p = ps.clone();
            p.insert("minutes".into(), ParamValue::Int(minutes));
            p.insert("session".into(), ParamValue::String(s.id.clone()));
            plan.push(
                ActionKind::DelaySession,
                Resource::Session(&s.id).into(),
                p,
                valid_until,
            );
            if matches!(ps.get("cascade"), Some(ParamValue::Bool(false))) {
                continue;
            }
            self.cascade(se, minutes, valid_until, plan);
        }
    }

    fn cascade(&self, first: u32, minutes: i64, valid_until: Millis, plan: &mut Plan) {
        let cfg = &self.cfg;
        let Some(space) = session_space(cfg, self.st, first) else {
            return;
        };
        let first_spec = &cfg.spec.sessions[first as usize];
        let mut prev_end = first_spec.end + minutes * 60_000;
        let mut after = false;
        for &n in &cfg.sessions_by_space[space as usize] {
            if n == first {
                after = true;
                continue;
            }
            if !after
                || cfg.spec.sessions[n as usize].start < first_spec.start
                || matches!(
                    session_status(cfg, self.st, n, self.st.now),
                    "ended" | "cancelled"
                )
            {
                continue;
            }
            let ns = &cfg.spec.sessions[n as usize];
            let current = i64::from(self.st.sessions[n as usize].delay_min);
            let overlap = prev_end - (ns.start + current * 60_000);
            if overlap <= 0 {
                break;
            }
            let need = (prev_end - ns.start + 59_999) / 60_000;
            let mut p = BTreeMap::new();
            p.insert("minutes".into(), ParamValue::Int(need));
            p.insert("session".into(), ParamValue::String(ns.id.clone()));
            p.insert(
                "reason".into(),
                ParamValue::String(format!(
                    "{} runs {minutes} min late in the same room",
                    first_spec.title
                )),
            );
            plan.push(
                ActionKind::DelaySession,
                Resource::Session(&ns.id).into(),
                p,
                valid_until,
            );
            if ns.protected {
                // Governance refuses the retiming; the chain cannot pass it.
                plan.notes.push(format!(
                    "cascade stops at protected session {}: it would overlap by {}",
                    ns.id,
                    minutes_label(overlap)
                ));
                break;
            }
            let who = self.planned_attendees(n);
            let mut note = BTreeMap::new();
            note.insert(
                "title".into(),
                ParamValue::String(format!("{} starts {need} min late", ns.title)),
            );
            note.insert(
                "message".into(),
                ParamValue::String(format!(
                    "{} moves back {need} minutes because the session before it in {} runs late.",
                    ns.title, cfg.spec.spaces[space as usize].name
                )),
            );
            note.insert("count".into(), ParamValue::Int(who.len() as i64));
            note.insert("recipients".into(), strings(&who));
            plan.deferred.push(Action {
                index: 0,
                kind: ActionKind::Notify,
                resource: Resource::SessionAttendees(&ns.id).into(),
                params: note,
                valid_until,
                suppressed: None,
            });
            prev_end = ns.end + need * 60_000;
        }
    }

    /// Estimated walk for a staff member: from their last known space, else
    /// a fixed guess that favours their own zone.
    pub(crate) fn walk_from(&self, sf: u32, to: u32) -> u32 {
        match self.st.staff[sf as usize].space {
            Some(from) => self.cfg.walk.secs(from, to),
            None => {
                if self.cfg.spec.staff[sf as usize].zone == self.cfg.spec.spaces[to as usize].zone {
                    180
                } else {
                    420
                }
            }
        }
    }

    pub(super) fn staff_detail(&self, sf: u32, to: u32) -> String {
        let st = &self.st.staff[sf as usize];
        format!(
            "{} s walk from {}, {} open task(s), {:?}",
            self.walk_from(sf, to),
            st.space
                .map(|s| self.cfg.spec.spaces[s as usize].id.as_str())
                .unwrap_or("unknown location"),
            st.tasks.len(),
            st.status
        )
        .to_lowercase()
    }

    /// The lowest-priority open task a proposal at `priority` may take this
    /// person from, when they are at their task limit.
    pub(crate) fn preemptable(&self, sf: u32, priority: i32) -> Option<String> {
        let st = &self.st.staff[sf as usize];
        if (st.tasks.len() as u32) < self.cfg.spec.governance.max_tasks_per_staff {
            return None;
        }
        let mut lowest: Option<(&str, i32)> = None;
        for t in &st.tasks {
            let pr = self.st.tasks.get(t).map_or(i32::MIN, |x| x.priority);
            if pr >= priority {
                return None;
            }
            if lowest.is_none_or(|(_, p)| pr < p) {
                lowest = Some((t, pr));
            }
        }
        lowest.map(|(t, _)| t.to_string())
    }

    /// Cost in seconds-equivalent of sending `sf` as `role` to `space`, or
    /// `None` where they may not go.
    pub(crate) fn staff_cost(
        &self,
        sf: u32,
        role: &str,
        space: u32,
        priority: i32,
        passed: &[u32],
    ) -> Option<i64> {
        let spec = &self.cfg.spec.staff[sf as usize];
        let st = &self.st.staff[sf as usize];
        if !spec.roles.iter().any(|r| r == role)
            || st.status == baton_model::signal::StaffStatus::Off
            || passed.contains(&sf)
            || self
                .st
                .overrides
                .contains_key(Resource::Staff(&spec.id).to_string().as_str())
        {
            return None;
        }
        let full = st.tasks.len() as u32 >= self.cfg.spec.governance.max_tasks_per_staff;
        if full && self.preemptable(sf, priority).is_none() {
            return None;
        }
        let mut cost = i64::from(self.walk_from(sf, space));
        cost += 120 * st.tasks.len() as i64;
        if st.status == baton_model::signal::StaffStatus::Busy {
            cost += 180;
        }
        if full {
            cost += 600;
        }
        Some(cost)
    }
}
