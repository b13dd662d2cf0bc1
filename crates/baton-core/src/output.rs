//! What the core emits. Outputs are a pure function of the journal: the
//! execution layer derives its work from them and never writes them twice.

use baton_model::{ActionKind, DecisionId, Millis, Outcome, ParamValue, ResourceBuf};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Output {
    /// A new decision, with its explanation.
    Decision(Box<Decision>),
    /// A decision changed status: approved, rejected, expired, escalated, cancelled.
    DecisionUpdate {
        decision: DecisionId,
        status: Status,
        at: Millis,
        actor: String,
        reason: String,
    },
    /// Actions to carry out now. The execution layer acts on these alone.
    Execute {
        decision: DecisionId,
        at: Millis,
        actions: Vec<Action>,
    },
    /// An operator command could not be applied.
    CommandRefused { seq: u64, reason: String },
    /// An override ended (released or expired).
    OverrideEnded {
        resource: ResourceBuf,
        at: Millis,
        reason: String,
    },
    /// A signal was valid CloudEvents but could not be applied (e.g. unknown subject).
    SignalRejected {
        seq: u64,
        id: String,
        reason: String,
    },
    /// A staff task moved on: assigned, acknowledged, arrived, done,
    /// reassigned, preempted or unfilled. The desk follows dispatch here.
    Task {
        task: String,
        staff: Option<String>,
        state: TaskEvent,
        at: Millis,
        space: String,
        reason: String,
    },
    /// A room move moved on: tentative, confirmed by a role, published,
    /// or dropped unannounced.
    Move {
        decision: DecisionId,
        session: String,
        from: String,
        to: String,
        event: crate::moves::MoveEvent,
        at: Millis,
        /// The role that confirmed, or why it was dropped.
        reason: String,
    },
    /// An action's delivery result came back.
    ActionOutcome {
        decision: DecisionId,
        action: u32,
        outcome: Outcome,
        connector: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Carried out automatically.
    Executed,
    /// Automation is paused: shown, not carried out.
    Paused,
    /// Waiting for an operator.
    Pending,
    /// Shown only (`suggest` mode).
    Suggested,
    Approved,
    Rejected,
    /// The approval timed out and was dropped, or every action outlived `valid_until`.
    Expired,
    /// The approval timed out and went up to a supervisor; it stays approvable.
    Escalated,
    /// Cancelled by the emergency hold.
    Cancelled,
    /// Sent by an operator by hand.
    Manual,
    /// Every action lost to a higher-priority claim or a governance constraint.
    Lost,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub id: DecisionId,
    pub at: Millis,
    pub policy: String,
    pub policy_version: String,
    pub priority: i32,
    pub mode: &'static str,
    pub status: Status,
    pub scope: Scope,
    pub actions: Vec<Action>,
    pub explanation: Explanation,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scope {
    pub space: Option<String>,
    pub session: Option<String>,
    pub zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub index: u32,
    pub kind: ActionKind,
    /// The resource it addresses, e.g. `sign:hall-a-door`; overrides name these.
    pub resource: ResourceBuf,
    pub params: BTreeMap<String, ParamValue>,
    pub valid_until: Millis,
    /// Why the action will not be carried out, if it will not. Always present:
    /// actions are also stored in snapshots, whose encoding cannot skip fields.
    pub suppressed: Option<crate::suppression::Suppression>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Journal position the decision was based on.
    pub position: u64,
    pub trigger: Trigger,
    pub condition: String,
    /// The values the condition read, by field path.
    pub values: BTreeMap<&'static str, ParamValue>,
    /// When the condition first held, for policies with `for`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_since: Option<Millis>,
    /// The signal that first made the condition hold, when a `for` timer
    /// (not a signal) completed the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_from: Option<Trigger>,
    pub paused: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Governance constraints that trimmed or refused an action.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    /// Claims won or lost against other policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    /// What the planner weighed, with costs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Considered>,
    /// How the planner solved, and whether it had to approximate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solver: Option<String>,
}

/// One option the planner weighed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Considered {
    pub option: String,
    /// Lower is better; per person for redirects, per assignment for staff.
    pub cost: i64,
    /// People or staff sent this way; 0 if not chosen.
    pub chosen: u32,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// What happened to a staff task, as [`Output::Task`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskEvent {
    Assigned,
    Acknowledged,
    Declined,
    Arrived,
    Done,
    /// Not acknowledged in time: it goes to someone else.
    TimedOut,
    /// Given to the person named (after a decline, a time-out or by hand).
    Reassigned,
    /// Taken from its holder for a higher-priority task.
    Preempted,
    /// Nobody eligible is free; retried every minute.
    Waiting,
    /// No longer worth doing.
    Expired,
    /// Everyone asked let it pass: the desk assigns it by hand.
    Unanswered,
    /// Nobody could be planned for it at approval.
    Unfilled,
    /// An operator moved it away from its holder.
    Withdrawn,
}

impl TaskEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskEvent::Assigned => "assigned",
            TaskEvent::Acknowledged => "acknowledged",
            TaskEvent::Declined => "declined",
            TaskEvent::Arrived => "arrived",
            TaskEvent::Done => "done",
            TaskEvent::TimedOut => "timed_out",
            TaskEvent::Reassigned => "reassigned",
            TaskEvent::Preempted => "preempted",
            TaskEvent::Waiting => "waiting",
            TaskEvent::Expired => "expired",
            TaskEvent::Unanswered => "unanswered",
            TaskEvent::Unfilled => "unfilled",
            TaskEvent::Withdrawn => "withdrawn",
        }
    }
}

impl std::fmt::Display for TaskEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Collects one entry's outputs and numbers them.
pub(crate) struct Out<'a> {
    pub(crate) seq: u64,
    next: u32,
    buf: &'a mut Vec<Output>,
}

impl Out<'_> {
    pub(crate) fn new(seq: u64, buf: &mut Vec<Output>) -> Out<'_> {
        Out { seq, next: 0, buf }
    }
    pub(crate) fn id(&mut self) -> DecisionId {
        let id = DecisionId {
            seq: self.seq,
            index: self.next,
        };
        self.next += 1;
        id
    }
    pub(crate) fn push(&mut self, o: Output) {
        self.buf.push(o);
    }
}
