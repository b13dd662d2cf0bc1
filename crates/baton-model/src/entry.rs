//! Journal entries: everything that changes state, in one ordered log.
//!
//! Only [`Entry::Signal`] can come from public ingest; the other variants are
//! written by Baton itself (the clock, the execution layer, operators through an
//! authenticated API, or an explicit spec apply).

use crate::spec::{ActionKind, Target};
use crate::{DecisionId, Millis, Mode, ParamValue, PolicySet, ResourceBuf, Signal, Spec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An entry as the journal sequenced it: `seq` and `time` are assigned by the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped {
    pub seq: u64,
    /// Journal time, the only clock the core reads.
    pub time: Millis,
    pub entry: Entry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Entry {
    Signal(Signal),
    Tick,
    Command(Command),
    ActionResult(ActionResult),
    PolicySet(PolicySet),
    SpecChange(Box<Spec>),
}

impl Entry {
    pub fn type_name(&self) -> &'static str {
        match self {
            Entry::Signal(s) => s.kind.as_str(),
            Entry::Tick => "tick",
            Entry::Command(_) => "command",
            Entry::ActionResult(_) => "action_result",
            Entry::PolicySet(_) => "policy_set",
            Entry::SpecChange(_) => "spec_change",
        }
    }
}

/// An operator's (or an integration's) instruction, journaled so it replays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    pub actor: String,
    pub kind: CommandKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Externally tagged: the journal's binary encoding cannot read tagged or flattened forms.
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    Approve {
        decision: DecisionId,
    },
    Reject {
        decision: DecisionId,
        comment: String,
    },
    /// Automation leaves `resource` alone until `until` (journal time) or a release.
    Override {
        resource: ResourceBuf,
        value: Option<String>,
        until: Millis,
    },
    Release {
        resource: ResourceBuf,
    },
    Pause,
    Resume,
    /// Turn the emergency hold on or off.
    Emergency {
        on: bool,
    },
    SetMode {
        policy: String,
        mode: Mode,
    },
    Manual {
        action: ManualAction,
    },
    /// Acknowledge an alert card (named by its group id, e.g. `alert:hall-a`).
    AckAlert {
        alert: ResourceBuf,
    },
    /// Approve after changing what will be sent: new parameters for some
    /// actions, or some actions left out. Kinds and resources stay as
    /// proposed; anything else is a rejection plus a manual action.
    ApproveEdited {
        decision: DecisionId,
        edits: Vec<ActionEdit>,
    },
    /// Move an open staff task to `to` (a staff id), or to the best other
    /// person free when `None`. Added last: postcard numbers variants in
    /// order, so older journals still read.
    ReassignTask {
        task: String,
        to: Option<String>,
    },
}

/// One operator change to a pending action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionEdit {
    /// The action's index in the decision.
    pub index: u32,
    /// Parameters to set (others keep their proposed values).
    #[serde(default)]
    pub params: BTreeMap<String, ParamValue>,
    /// Leave this action out.
    #[serde(default)]
    pub drop: bool,
}

/// An action an operator sends by hand; it goes out even while automation is paused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManualAction {
    pub kind: ActionKind,
    pub target: Target,
    pub params: BTreeMap<String, ParamValue>,
    pub valid_for: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    Expired,
    Dead,
    /// The last attempt got no answer at all: the receiver may or may not
    /// have it. Appended last, so journals written before it still decode.
    Unknown,
    /// A newer action for the same resource replaced it before it went out
    /// (was journaled as `Expired`, so a restore read it back as expired).
    Superseded,
    /// Delivered, but the answer came after the connector's timeout.
    Late,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Expired => "expired",
            Outcome::Dead => "dead",
            Outcome::Unknown => "unknown",
            Outcome::Superseded => "superseded",
            Outcome::Late => "late",
        }
    }

    /// The receiver has the action (on time or late).
    pub fn delivered(self) -> bool {
        matches!(self, Outcome::Succeeded | Outcome::Late)
    }
}

/// What the execution layer learned about one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    pub decision: DecisionId,
    pub action: u32,
    pub connector: String,
    pub outcome: Outcome,
    pub error: Option<String>,
}
