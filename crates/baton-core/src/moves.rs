//! Room moves and their lifecycle.
//!
//! A `move_session` decision makes a move **tentative**: nothing is
//! announced, and a confirmation task goes to each role in
//! `governance.move_confirm_roles` (the AV/stream team, the room host who
//! also speaks to the speaker) at the destination room. When every role has
//! reported its task done, the move is **published** at once to every
//! system: the programme (`move_session` to the app backend, the programme
//! version bumped), the signs at both rooms, and a programme notice to
//! everyone who bookmarked the session (counted, never capped). If the
//! deadline passes first, the move is **dropped** and nothing was ever
//! announced. A published move is never reverted by a timer: only a new
//! decision changes it.

use baton_model::{DecisionId, Millis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveStage {
    Tentative,
    Published,
    Dropped,
}

impl MoveStage {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveStage::Tentative => "tentative",
            MoveStage::Published => "published",
            MoveStage::Dropped => "dropped",
        }
    }
}

/// One session's move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub decision: DecisionId,
    /// The policy that asked for it, or `operator:NAME`.
    pub policy: String,
    /// Space indices.
    pub from: u32,
    pub to: u32,
    pub stage: MoveStage,
    pub decided: Millis,
    /// Dropped if not confirmed by then.
    pub deadline: Millis,
    /// Roles that must confirm, and those that have.
    pub needed: Vec<String>,
    pub confirmed: Vec<String>,
    /// The forecast audience when decided.
    pub expected: f64,
    /// The position of this move among its decision's moves, for the
    /// publication's action indices.
    pub slot: u32,
    /// Publication tells the people who bookmarked it (param `notify`,
    /// default true); without, only the programme and the signs change.
    pub notify: bool,
}

/// What happened to a move, as `Output::Move` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveEvent {
    /// Decided; confirmation tasks went out; nothing announced.
    Tentative,
    /// One role confirmed.
    Confirmed,
    /// Every role confirmed: announced everywhere.
    Published,
    /// Not confirmed in time, or superseded before publication: dropped
    /// without any announcement.
    Dropped,
}
