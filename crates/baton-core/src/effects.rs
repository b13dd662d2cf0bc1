//! Executed decisions' lasting effects: claims, staff tasks and their
//! lifecycle, notification counters, alert cards and schedule changes.

use crate::config::Compiled;
use crate::output::Out;
use crate::output::{Action, Output, TaskEvent};
use crate::planner::Planner;
use crate::planner::dispatch;
use crate::planner::plan::{param_int, param_str};
use crate::state::{AlertCard, Claim, State, Task, TaskStage, Timer};
use baton_model::signal::TaskState;
use baton_model::{ActionKind, DecisionId, Millis, ParamValue};
use baton_model::{Resource, ResourceBuf};
use std::collections::BTreeMap;

/// The daily notification cap's window.
pub(crate) const DAY_MS: Millis = 86_400_000;

/// After this many people declined or ignored a task, the desk takes over.
const MAX_ASKED: usize = 3;

/// Who an executed decision belongs to, for claims and tasks.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub policy: String,
    pub priority: i32,
}

/// What executing decisions changes: the configuration read-only, the state
/// to write. The planner proposes against `&State`; only this writes to it
/// on a decision's behalf.
pub(crate) struct Effects<'a> {
    pub(crate) cfg: &'a Compiled,
    pub(crate) st: &'a mut State,
}

impl Effects<'_> {
    fn planner(&self) -> Planner<'_> {
        Planner {
            cfg: self.cfg,
            st: self.st,
        }
    }

    /// Records what an action that is going out now changes in core state.
    /// Alert actions learn their card here, and a dispatch whose person is no
    /// longer free goes to the next best, so `a` may change. Returns false
    /// when the action must not go out after all.
    pub(crate) fn take_effect(
        &mut self,
        id: DecisionId,
        a: &mut Action,
        owner: Option<&Owner>,
        out: &mut Out,
    ) -> bool {
        let now = self.st.now;
        if let Some(o) = owner
            && a.resource.parsed().is_claimable()
        {
            self.st.claims.insert(
                a.resource.clone(),
                Claim {
                    policy: o.policy.clone(),
                    priority: o.priority,
                    decision: id,
                    until: a.valid_until,
                },
            );
        }
        match a.kind {
            ActionKind::MoveSession => {
                if matches!(a.params.get("stage"), Some(ParamValue::String(s)) if s == "published")
                {
                    return true;
                }
                self.tentative_move(id, a, owner, out);
                return false;
            }
            ActionKind::Notify => {
                if let Some(ParamValue::List(list)) = a.params.get("recipients") {
                    for r in list {
                        if let ParamValue::String(r) = r
                            && let Some(at) = self.st.attendees.get_mut(r)
                        {
                            // A day's worth: the hourly and the daily cap both read it.
                            at.notified.retain(|&t| t + DAY_MS > now);
                            at.notified.push(now);
                        }
                    }
                }
            }
            ActionKind::DelaySession => {
                let sid = match a.resource.parsed() {
                    Resource::Session(id) => id,
                    _ => a.resource.as_str(),
                };
                if let (Some(&se), Some(m)) = (
                    self.cfg.session_idx.get(sid),
                    param_int(&a.params, "minutes"),
                ) {
                    self.st.sessions[se as usize].delay_min = m.clamp(0, 24 * 60) as u32;
                }
            }
            ActionKind::OpenSpace | ActionKind::CloseSpace => {
                let sid = match a.resource.parsed() {
                    Resource::Space(id) => id,
                    _ => a.resource.as_str(),
                };
                if let Some(&sp) = self.cfg.space_idx.get(sid) {
                    self.st.spaces[sp as usize].closed = a.kind == ActionKind::CloseSpace;
                }
            }
            ActionKind::Alert => {
                let space = match a.resource.parsed() {
                    Resource::Operators(s) => s,
                    _ => "event",
                };
                let group = ResourceBuf::from(Resource::Alert(space)); // a card, not claimed
                let window = self.cfg.spec.governance.alert_group_window;
                let card = match self.st.alerts.get_mut(&group) {
                    Some(c) if c.acked.is_none() && now - c.last <= window => {
                        c.count += 1;
                        c.last = now;
                        c.clone()
                    }
                    _ => {
                        let c = AlertCard {
                            first: id,
                            count: 1,
                            opened: now,
                            last: now,
                            acked: None,
                            escalated: false,
                        };
                        self.st.alerts.insert(group.clone(), c.clone());
                        let wait = self.cfg.spec.governance.alert_ack_timeout;
                        if wait > 0 {
                            self.st.timers.insert((
                                now + wait,
                                Timer::AlertAck {
                                    group: group.clone(),
                                    opened: now,
                                },
                            ));
                        }
                        c
                    }
                };
                a.params
                    .insert("group".into(), ParamValue::String(group.into_string()));
                a.params
                    .insert("count".into(), ParamValue::Int(i64::from(card.count)));
                a.params
                    .insert("first".into(), ParamValue::String(card.first.to_string()));
            }
            ActionKind::Dispatch => return self.start_task(id, a, owner, out),
            _ => {}
        }
        true
    }

    fn start_task(
        &mut self,
        id: DecisionId,
        a: &mut Action,
        owner: Option<&Owner>,
        out: &mut Out,
    ) -> bool {
        let staff_id = match a.resource.parsed() {
            Resource::Staff(id) => id.to_string(),
            _ => return true,
        };
        let Some(&planned) = self.cfg.staff_idx.get(staff_id.as_str()) else {
            return true;
        };
        let mut sf = planned;
        let space = param_str(&a.params, "space")
            .and_then(|s| self.cfg.space_idx.get(&s).copied())
            .or(self.st.staff[sf as usize].space)
            .unwrap_or(0);
        let task_id = param_str(&a.params, "task").unwrap_or_else(|| format!("{id}-{}", a.index));
        let (policy, priority) = owner.map_or(("operator".to_string(), i32::MAX), |o| {
            (o.policy.clone(), o.priority)
        });
        let role = param_str(&a.params, "role").unwrap_or_default();
        let task_id_now = task_id.clone();
        // Planned at proposal time; by approval the person may be taken.
        if owner.is_some()
            && self
                .planner()
                .staff_cost(sf, &role, space, priority, &[])
                .is_none()
        {
            let row: Vec<Option<i64>> = (0..self.cfg.spec.staff.len() as u32)
                .map(|x| {
                    self.planner()
                        .staff_cost(x, &role, space, priority, &[planned])
                })
                .collect();
            let Some(next) = dispatch::assign(&[row])[0] else {
                out.push(Output::Task {
                    task: task_id_now,
                    staff: None,
                    state: TaskEvent::Unfilled,
                    at: self.st.now,
                    space: self.cfg.spec.spaces[space as usize].id.clone(),
                    reason: format!("{staff_id} is no longer free and no other {role} is"),
                });
                return false;
            };
            sf = next as u32;
            a.resource = Resource::Staff(&self.cfg.spec.staff[sf as usize].id).into();
            a.params.insert(
                "walk_s".into(),
                ParamValue::Int(i64::from(self.planner().walk_from(sf, space))),
            );
        }
        if let Some(pre) = self.planner().preemptable(sf, priority) {
            self.release_task(&pre, sf);
            if let Some(t) = self.st.tasks.get(&pre) {
                let reason = format!(
                    "preempted by {policy} (priority {priority} vs {})",
                    t.priority
                );
                self.task_out(&pre, Some(sf), TaskEvent::Preempted, &reason, out);
            }
            self.reassign(&pre, out);
        }
        self.st.tasks.insert(
            task_id.clone(),
            Task {
                decision: id,
                policy,
                priority,
                space,
                role,
                note: param_str(&a.params, "note").unwrap_or_default(),
                staff: sf,
                stage: TaskStage::Assigned,
                since: self.st.now,
                valid_until: a.valid_until,
                passed: if sf == planned {
                    Vec::new()
                } else {
                    vec![planned]
                },
            },
        );
        self.st.staff[sf as usize].tasks.push(task_id.clone());
        self.arm_ack(&task_id, sf);
        self.st.timers.insert((
            a.valid_until,
            Timer::TaskEnd {
                task: task_id.clone(),
            },
        ));
        let why = if sf == planned {
            String::new()
        } else {
            format!("{staff_id} was no longer free")
        };
        self.task_out(&task_id, Some(sf), TaskEvent::Assigned, &why, out);
        true
    }

    fn arm_ack(&mut self, task: &str, staff: u32) {
        let at = self.st.now + self.cfg.spec.governance.task_ack_timeout;
        self.st.timers.insert((
            at,
            Timer::TaskAck {
                task: task.to_string(),
                staff,
            },
        ));
    }

    fn release_task(&mut self, task: &str, sf: u32) {
        self.st.staff[sf as usize].tasks.retain(|t| t != task);
    }

    fn task_out(
        &self,
        task: &str,
        staff: Option<u32>,
        state: TaskEvent,
        reason: &str,
        out: &mut Out,
    ) {
        let space = self
            .st
            .tasks
            .get(task)
            .map(|t| self.cfg.spec.spaces[t.space as usize].id.clone())
            .unwrap_or_default();
        out.push(Output::Task {
            task: task.to_string(),
            staff: staff.map(|s| self.cfg.spec.staff[s as usize].id.clone()),
            state,
            at: self.st.now,
            space,
            reason: reason.to_string(),
        });
    }

    /// Gives a declined, timed-out or preempted task to the best other person.
    pub(crate) fn reassign(&mut self, task: &str, out: &mut Out) {
        let Some(t) = self.st.tasks.get(task).cloned() else {
            return;
        };
        let mut passed = t.passed.clone();
        if !passed.contains(&t.staff) {
            passed.push(t.staff);
        }
        if t.valid_until < self.st.now {
            self.task_out(task, None, TaskEvent::Expired, "no longer worth doing", out);
            self.st.tasks.remove(task);
            return;
        }
        if passed.len() >= MAX_ASKED {
            self.task_out(
                task,
                None,
                TaskEvent::Unanswered,
                &format!("{MAX_ASKED} people were asked and none took it: assign by hand"),
                out,
            );
            self.st.tasks.remove(task);
            return;
        }
        let row: Vec<Option<i64>> = (0..self.cfg.spec.staff.len() as u32)
            .map(|sf| {
                self.planner()
                    .staff_cost(sf, &t.role, t.space, t.priority, &passed)
            })
            .collect();
        let Some(sf) = dispatch::assign(&[row])[0].map(|s| s as u32) else {
            let announce = t.stage != TaskStage::Waiting;
            if let Some(x) = self.st.tasks.get_mut(task) {
                x.stage = TaskStage::Waiting;
                x.passed = passed;
            }
            if announce {
                self.task_out(
                    task,
                    None,
                    TaskEvent::Waiting,
                    &format!("no other {} is free; retrying every minute", t.role),
                    out,
                );
            }
            return;
        };
        self.give(task, sf, passed, out);
    }

    /// Hands a task to `sf`: assigned, its acknowledgement timer armed, and
    /// a dispatch to the person's messenger.
    fn give(&mut self, task: &str, sf: u32, passed: Vec<u32>, out: &mut Out) {
        let Some(t) = self.st.tasks.get(task).cloned() else {
            return;
        };
        let staff_id = self.cfg.spec.staff[sf as usize].id.clone();
        let mut params = BTreeMap::new();
        params.insert("role".into(), ParamValue::String(t.role.clone()));
        params.insert("note".into(), ParamValue::String(t.note.clone()));
        params.insert(
            "space".into(),
            ParamValue::String(self.cfg.spec.spaces[t.space as usize].id.clone()),
        );
        params.insert("task".into(), ParamValue::String(task.to_string()));
        params.insert(
            "walk_s".into(),
            ParamValue::Int(i64::from(self.planner().walk_from(sf, t.space))),
        );
        let action = Action {
            index: 0,
            kind: ActionKind::Dispatch,
            resource: Resource::Staff(&staff_id).into(),
            params,
            valid_until: t.valid_until,
            suppressed: None,
        };
        if let Some(x) = self.st.tasks.get_mut(task) {
            x.staff = sf;
            x.stage = TaskStage::Assigned;
            x.since = self.st.now;
            x.passed = passed;
        }
        self.st.staff[sf as usize].tasks.push(task.to_string());
        self.arm_ack(task, sf);
        let exec = out.id();
        self.task_out(task, Some(sf), TaskEvent::Reassigned, "", out);
        out.push(Output::Execute {
            decision: exec,
            at: self.st.now,
            actions: vec![action],
        });
    }

    /// An operator moves a task: to `to`, or (None) to the best other person
    /// free. Refused (with the reason) for a task that is not open, is
    /// already with `to`, or already waits for the next person free.
    pub(crate) fn reassign_by_hand(
        &mut self,
        task: &str,
        to: Option<u32>,
        actor: &str,
        out: &mut Out,
    ) -> Result<(), String> {
        let Some(t) = self.st.tasks.get(task) else {
            return Err(format!("no open task {task:?}"));
        };
        let waiting = t.stage == TaskStage::Waiting;
        let from = t.staff;
        if !waiting && to == Some(from) {
            return Err(format!(
                "task {task} is already with {}",
                self.cfg.spec.staff[from as usize].id
            ));
        }
        if waiting && to.is_none() {
            return Err(format!(
                "task {task} already waits for the next person free (retried every minute): name someone"
            ));
        }
        let mut passed = t.passed.clone();
        if !waiting {
            self.release_task(task, from);
            self.task_out(
                task,
                Some(from),
                TaskEvent::Withdrawn,
                &format!("reassigned by {actor}"),
                out,
            );
            if !passed.contains(&from) {
                passed.push(from);
            }
        }
        match to {
            Some(sf) => self.give(task, sf, passed, out),
            // The usual path after a decline: the best other person free.
            None => self.reassign(task, out),
        }
        Ok(())
    }

    /// An unacknowledged task goes to someone else.
    pub(crate) fn task_ack_timeout(&mut self, task: &str, staff: u32, out: &mut Out) {
        let Some(t) = self.st.tasks.get(task) else {
            return;
        };
        if t.staff != staff || t.stage != TaskStage::Assigned {
            return;
        }
        self.release_task(task, staff);
        self.task_out(
            task,
            Some(staff),
            TaskEvent::TimedOut,
            "not acknowledged in time",
            out,
        );
        self.reassign(task, out);
    }

    /// A `move_session` action going out: the move becomes tentative,
    /// with a deadline; nothing is announced until it is confirmed.
    fn tentative_move(&mut self, id: DecisionId, a: &Action, owner: Option<&Owner>, out: &mut Out) {
        let cfg = self.cfg;
        let sp = |k: &str| match a.params.get(k) {
            Some(ParamValue::String(s)) => cfg.space_idx.get(s).copied(),
            _ => None,
        };
        let (Some(&se), Some(from), Some(to)) = (
            cfg.session_idx.get(match a.resource.parsed() {
                Resource::Session(s) => s,
                _ => a.resource.as_str(),
            }),
            sp("from"),
            sp("to"),
        ) else {
            return;
        };
        let now = self.st.now;
        let deadline = param_int(&a.params, "deadline").unwrap_or(now);
        let m = crate::moves::Move {
            decision: id,
            policy: owner.map_or_else(|| "operator".to_string(), |o| o.policy.clone()),
            from,
            to,
            stage: crate::moves::MoveStage::Tentative,
            decided: now,
            deadline,
            needed: cfg.spec.governance.move_confirm_roles.clone(),
            confirmed: Vec::new(),
            expected: param_int(&a.params, "expected").unwrap_or(0) as f64,
            slot: param_int(&a.params, "slot").unwrap_or(0).clamp(0, 99) as u32,
            notify: !matches!(a.params.get("notify"), Some(ParamValue::Bool(false))),
        };
        self.st.moves.insert(se, m);
        self.st.timers.insert((
            deadline.max(now),
            Timer::MoveDeadline {
                session: se,
                decision: id,
            },
        ));
        out.push(Output::Move {
            decision: id,
            session: cfg.spec.sessions[se as usize].id.clone(),
            from: cfg.spec.spaces[from as usize].id.clone(),
            to: cfg.spec.spaces[to as usize].id.clone(),
            event: crate::moves::MoveEvent::Tentative,
            at: now,
            reason: format!(
                "waiting for {} to confirm",
                cfg.spec.governance.move_confirm_roles.join(" and ")
            ),
        });
    }

    /// `staff.task` from the staff messenger.
    pub(crate) fn task_signal(&mut self, sf: u32, task: &str, state: TaskState, out: &mut Out) {
        let Some(t) = self.st.tasks.get_mut(task) else {
            return;
        };
        if t.staff != sf || t.stage == TaskStage::Waiting {
            return;
        }
        match state {
            // A repeat, or news older than what is known (the location
            // signal already placed them there), changes nothing and is
            // not reported twice.
            TaskState::Acknowledged if t.stage != TaskStage::Assigned => {}
            TaskState::Arrived if t.stage == TaskStage::Arrived => {}
            TaskState::Acknowledged => {
                t.stage = TaskStage::Acknowledged;
                self.task_out(task, Some(sf), TaskEvent::Acknowledged, "", out);
            }
            TaskState::Arrived => {
                t.stage = TaskStage::Arrived;
                self.task_out(task, Some(sf), TaskEvent::Arrived, "", out);
            }
            TaskState::Done => {
                self.task_out(task, Some(sf), TaskEvent::Done, "", out);
                self.st.tasks.remove(task);
                self.release_task(task, sf);
            }
            TaskState::Declined => {
                self.release_task(task, sf);
                self.task_out(task, Some(sf), TaskEvent::Declined, "", out);
                self.reassign(task, out);
            }
        }
    }

    /// A staff member reported at a task's space has arrived there.
    pub(crate) fn staff_moved(&mut self, sf: u32, space: u32, out: &mut Out) {
        let open: Vec<String> = self.st.staff[sf as usize].tasks.clone();
        for task in open {
            if let Some(t) = self.st.tasks.get_mut(&task)
                && t.space == space
                && t.stage != TaskStage::Arrived
            {
                t.stage = TaskStage::Arrived;
                self.task_out(
                    &task,
                    Some(sf),
                    TaskEvent::Arrived,
                    "reported at the space",
                    out,
                );
            }
        }
    }

    /// Tries to place tasks that found nobody free, oldest id first.
    pub(crate) fn retry_waiting(&mut self, out: &mut Out) {
        let waiting: Vec<String> = self
            .st
            .tasks
            .iter()
            .filter(|(_, t)| t.stage == TaskStage::Waiting)
            .map(|(id, _)| id.clone())
            .collect();
        for task in waiting {
            self.reassign(&task, out);
        }
    }

    /// Closes a task nobody reported done once it is no longer worth doing,
    /// so its person is free again.
    pub(crate) fn task_end(&mut self, task: &str, out: &mut Out) {
        let Some(t) = self.st.tasks.get(task) else {
            return;
        };
        if t.valid_until > self.st.now {
            return;
        }
        let (staff, stage) = (t.staff, t.stage);
        if stage != TaskStage::Waiting {
            self.release_task(task, staff);
        }
        let who = (stage != TaskStage::Waiting).then_some(staff);
        self.task_out(
            task,
            who,
            TaskEvent::Expired,
            "valid_until passed without a done report; closed",
            out,
        );
        self.st.tasks.remove(task);
    }

    /// An alert card nobody acknowledged goes up to the supervisor, once.
    pub(crate) fn alert_ack_timeout(&mut self, group: &ResourceBuf, opened: Millis, out: &mut Out) {
        let now = self.st.now;
        let wait = self.cfg.spec.governance.alert_ack_timeout;
        let Some(card) = self.st.alerts.get_mut(group) else {
            return;
        };
        if card.opened != opened || card.acked.is_some() || card.escalated {
            return;
        }
        card.escalated = true;
        let count = card.count;
        let mut params = BTreeMap::new();
        params.insert("group".into(), ParamValue::String(group.to_string()));
        params.insert("count".into(), ParamValue::Int(i64::from(count)));
        params.insert("severity".into(), ParamValue::String("high".into()));
        params.insert(
            "message".into(),
            ParamValue::String(format!(
                "{group}: {count} alert(s) not acknowledged for {} min",
                wait / 60_000
            )),
        );
        let id = out.id();
        out.push(Output::Execute {
            decision: id,
            at: now,
            actions: vec![Action {
                index: 0,
                kind: ActionKind::Alert,
                resource: Resource::Operators("escalation").into(),
                params,
                valid_until: now + 30 * 60_000,
                suppressed: None,
            }],
        });
    }

    /// Drops claims whose actions are no longer valid, so state stays bounded.
    pub(crate) fn prune_claims(&mut self) {
        let now = self.st.now;
        self.st.claims.retain(|_, c| c.until > now);
        let window = self.cfg.spec.governance.alert_group_window;
        self.st
            .alerts
            .retain(|_, c| c.acked.is_none() && now - c.last <= window * 6);
    }
}
