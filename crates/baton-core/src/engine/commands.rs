//! Operator commands: approvals (optionally edited), rejections, overrides
//! and releases, pause, the emergency hold, acknowledgements, task
//! reassignment, policy modes and manual actions. Each is journaled, so a
//! replay applies it exactly as the live engine did.

use super::signs::manual_sign;
use super::{Engine, Out, bump, last_valid, trigger_for};
use crate::effects::Owner;
use crate::output::{Action, Decision, Explanation, Output, Scope, Status};
use crate::state::{Override, Timer};
use crate::suppression::Suppression;
use baton_model::{
    ActionEdit, ActionKind, Command, CommandKind, DecisionId, ManualAction, Millis, ResourceBuf,
};
use std::collections::BTreeMap;

impl Engine {
    pub(crate) fn command(&mut self, c: &Command, out: &mut Out) {
        let now = self.st.now;
        let name = match &c.kind {
            CommandKind::Approve { .. } => "approve",
            CommandKind::Reject { .. } => "reject",
            CommandKind::Override { .. } => "override",
            CommandKind::Release { .. } => "release",
            CommandKind::Pause => "pause",
            CommandKind::Resume => "resume",
            CommandKind::Emergency { .. } => "emergency",
            CommandKind::SetMode { .. } => "set_mode",
            CommandKind::Manual { .. } => "manual",
            CommandKind::AckAlert { .. } => "ack_alert",
            CommandKind::ApproveEdited { .. } => "approve",
            CommandKind::ReassignTask { .. } => "reassign_task",
        };
        bump(&mut self.st.stats.commands, name);
        match &c.kind {
            CommandKind::Approve { decision } => self.approve(c, *decision, &[], out),
            CommandKind::ApproveEdited { decision, edits } => {
                self.approve(c, *decision, edits, out)
            }
            CommandKind::Reject { decision, comment } => {
                if self.st.pending.remove(decision).is_none() {
                    return self.refuse(out, format!("decision {decision} is not pending"));
                }
                out.push(Output::DecisionUpdate {
                    decision: *decision,
                    status: Status::Rejected,
                    at: now,
                    actor: c.actor.clone(),
                    reason: comment.clone(),
                });
            }
            CommandKind::Override {
                resource,
                value,
                until,
            } => self.override_resource(c, resource, value, *until, out),
            CommandKind::Release { resource } => {
                if !self.st.overrides.contains_key(resource) {
                    return self.refuse(out, format!("no override on {resource}"));
                }
                self.end_override(resource, "released", out);
            }
            CommandKind::Pause => self.st.paused = true,
            CommandKind::Resume => {
                if self.st.paused {
                    self.st.paused = false;
                    // Under the emergency hold the signs keep their emergency content.
                    if !self.st.emergency {
                        self.reconcile_signs(out);
                    }
                }
            }
            CommandKind::Emergency { on } => self.emergency(*on, out),
            CommandKind::AckAlert { alert } => {
                let refusal = match self.st.alerts.get_mut(alert) {
                    Some(card) if card.acked.is_none() => {
                        card.acked = Some(c.actor.clone());
                        None
                    }
                    Some(_) => Some(format!("alert {alert} is already acknowledged")),
                    None => Some(format!("no open alert {alert}")),
                };
                if let Some(r) = refusal {
                    self.refuse(out, r);
                }
            }
            CommandKind::ReassignTask { task, to } => {
                let to = match to.as_deref().map(|id| (id, self.cfg.staff_idx.get(id))) {
                    None => None,
                    Some((_, Some(&sf))) => Some(sf),
                    Some((id, None)) => {
                        return self.refuse(out, format!("no staff member {id:?}"));
                    }
                };
                if let Err(r) = self.effects().reassign_by_hand(task, to, &c.actor, out) {
                    self.refuse(out, r);
                }
            }
            CommandKind::SetMode { policy, mode } => {
                if !self.cfg.policy_idx.contains_key(policy) {
                    return self.refuse(out, format!("unknown policy {policy:?}"));
                }
                self.st.modes.insert(policy.clone(), *mode);
            }
            CommandKind::Manual { action } => self.manual(c, action, out),
        }
    }

    /// An approval, optionally with edits: refused when the decision is not
    /// pending, can no longer take effect, or an edit names no action.
    fn approve(&mut self, c: &Command, decision: DecisionId, edits: &[ActionEdit], out: &mut Out) {
        let now = self.st.now;
        let Some(pending) = self.st.pending.get(&decision) else {
            return self.refuse(out, format!("decision {decision} is not pending"));
        };
        if let Some(last) = last_valid(&pending.actions)
            && last < now
        {
            return self.refuse(
                out,
                format!(
                    "decision {decision} can no longer take effect: its actions were valid \
                     until journal time {last}"
                ),
            );
        }
        if let Some(e) = edits
            .iter()
            .find(|e| !pending.actions.iter().any(|a| a.index == e.index))
        {
            return self.refuse(
                out,
                format!("decision {decision} has no action {}", e.index),
            );
        }
        let Some(mut p) = self.st.pending.remove(&decision) else {
            return self.refuse(out, format!("decision {decision} is not pending"));
        };
        for e in edits {
            if let Some(a) = p.actions.iter_mut().find(|a| a.index == e.index) {
                if e.drop {
                    a.suppressed = Some(Suppression::LeftOut {
                        by: c.actor.clone(),
                    });
                }
                for (k, v) in &e.params {
                    a.params.insert(k.clone(), v.clone());
                }
            }
        }
        let reason = if edits.is_empty() {
            String::new()
        } else {
            format!("approved with {} edit(s)", edits.len())
        };
        out.push(Output::DecisionUpdate {
            decision,
            status: Status::Approved,
            at: now,
            actor: c.actor.clone(),
            reason,
        });
        let owner = self.cfg.policies.get(p.policy as usize).map(|x| Owner {
            policy: x.def.id.clone(),
            priority: x.def.priority,
        });
        let mut actions = p.actions;
        let late = !actions.is_empty()
            && actions
                .iter()
                .all(|a| a.suppressed.is_some() || a.valid_until < now)
            && actions.iter().any(|a| a.suppressed.is_none());
        self.planner().hold_for_operators(&mut actions);
        self.execute(decision, &actions, owner.as_ref(), out);
        if late {
            out.push(Output::DecisionUpdate {
                decision,
                status: Status::Expired,
                at: now,
                actor: "baton".into(),
                reason: "approved too late: every action had outlived its valid_until".into(),
            });
        }
    }

    /// Automation leaves `resource` alone until `until`; a sign override
    /// with a value shows it at once.
    fn override_resource(
        &mut self,
        c: &Command,
        resource: &ResourceBuf,
        value: &Option<String>,
        until: Millis,
        out: &mut Out,
    ) {
        let now = self.st.now;
        if until <= now {
            return self.refuse(out, format!("override of {resource} ends in the past"));
        }
        if let Some(why) = self.unknown_resource(resource) {
            return self.refuse(out, why);
        }
        self.st.overrides.insert(
            resource.clone(),
            Override {
                until,
                value: value.clone(),
                actor: c.actor.clone(),
            },
        );
        self.st.timers.insert((
            until,
            Timer::OverrideExpiry {
                resource: resource.clone(),
            },
        ));
        if let (Some(v), Some(idx)) = (value, self.sign_index(resource)) {
            let id = out.id();
            self.st.published_signs.insert(idx, v.clone());
            let a = manual_sign(resource, v, until);
            out.push(Output::Execute {
                decision: id,
                at: now,
                actions: vec![a],
            });
        }
    }

    /// A desk's action, carried out at once as a decision of its own.
    fn manual(&mut self, c: &Command, action: &ManualAction, out: &mut Out) {
        let now = self.st.now;
        let id = out.id();
        let resources = self
            .planner()
            .resources(action.kind, &action.target, None, None);
        if resources.is_empty() {
            return self.refuse(
                out,
                "a manual action must name its targets with `ids`".into(),
            );
        }
        let mut actions: Vec<Action> = resources
            .into_iter()
            .enumerate()
            .map(|(i, resource)| Action {
                index: i as u32,
                kind: action.kind,
                resource,
                params: action.params.clone(),
                valid_until: now + action.valid_for,
                suppressed: None,
            })
            .collect();
        let mut notes = vec![format!("manual action by {}", c.actor)];
        let (mut alternatives, mut solver) = (Vec::new(), None);
        let mut constraints = Vec::new();
        if action.kind == ActionKind::MoveSession {
            let se = actions.first().and_then(|a| match a.resource.parsed() {
                baton_model::Resource::Session(s) => self.cfg.session_idx.get(s).copied(),
                _ => None,
            });
            let Some(se) = se else {
                return self.refuse(
                    out,
                    "move_session names a session: `ids: [session:ID]`".into(),
                );
            };
            let plan = self.planner().manual_move(se, &action.params, id);
            if !plan
                .actions
                .iter()
                .any(|a| a.kind == ActionKind::MoveSession && a.suppressed.is_none())
            {
                let why: Vec<String> = plan
                    .constraints
                    .iter()
                    .chain(&plan.notes)
                    .cloned()
                    .collect();
                return self.refuse(out, format!("no move: {}", why.join("; ")));
            }
            actions = plan.actions;
            notes.extend(plan.notes);
            alternatives = plan.alternatives;
            solver = plan.solver;
            constraints = plan.constraints;
        }
        // "Send two medics to Hall B" names places, not people: the
        // desk's dispatch is staffed like a policy's, as tasks.
        if action.kind == ActionKind::Dispatch
            && let Some(plan) = self.planner().staff_manual(&actions, id)
        {
            if plan.actions.is_empty() {
                return self.refuse(out, format!("nobody to send: {}", plan.notes.join("; ")));
            }
            actions = plan.actions;
            notes.extend(plan.notes);
            alternatives = plan.alternatives;
            solver = plan.solver;
        }
        out.push(Output::Decision(Box::new(Decision {
            id,
            at: now,
            // Server actors already read `role:name`.
            policy: if c.actor.contains(':') {
                c.actor.clone()
            } else {
                format!("operator:{}", c.actor)
            },
            policy_version: String::new(),
            priority: i32::MAX,
            mode: "manual",
            status: Status::Manual,
            scope: Scope {
                space: None,
                session: None,
                zone: None,
            },
            actions: actions.clone(),
            explanation: Explanation {
                position: out.seq,
                trigger: trigger_for(out.seq, "command", None, None),
                condition: String::new(),
                values: BTreeMap::new(),
                held_since: None,
                held_from: None,
                paused: self.st.paused,
                notes,
                constraints,
                conflicts: Vec::new(),
                alternatives,
                solver,
            },
        })));
        self.execute(id, &actions, None, out);
    }
}
