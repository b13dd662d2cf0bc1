//! The run's bookkeeping by concern: sessions, rooms, the registration
//! desks, the crew and its tasks.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct TaskSim {
    pub(super) id: String,
    pub(super) staff: u16,
    pub(super) space: u16,
    pub(super) role: String,
    pub(super) dispatched: Millis,
    pub(super) until: Millis,
    pub(super) arrived: bool,
    pub(super) desk: bool,
    pub(super) closed: bool,
    /// A room move's confirmation, not a walk to do something.
    pub(super) confirm: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionPhase {
    Planned,
    Running,
    Ended,
}

/// Each session's times (as moved and delayed), phase and audience.
pub(super) struct Sessions {
    pub(super) start: Vec<Millis>,
    pub(super) end: Vec<Millis>,
    pub(super) phase: Vec<SessionPhase>,
    /// (attendee, the epoch of their choice) per session.
    pub(super) members: Vec<Vec<(u32, u32)>>,
    /// The room each session is held in now (a published move changes it).
    pub(super) room: Vec<u16>,
    /// People who came for it: seated, or refused at its door.
    pub(super) demand: Vec<u32>,
}

/// Per room: which session holds it, its sessions, and who waits at its door.
pub(super) struct Rooms {
    pub(super) holder: Vec<u32>,
    pub(super) sessions: Vec<Vec<u32>>,
    pub(super) door_wait: Vec<Vec<(u32, u32)>>,
    /// Since when each room has been at its limit (`Millis::MAX`: below it).
    pub(super) at_limit_since: Vec<Millis>,
    /// The session for which door staff have seen the room at its limit
    /// and hold the door (one in for one out) until it ends.
    pub(super) held_for: Vec<u32>,
}

/// The registration desks: the queue, how many are busy, how many are open.
pub(super) struct Desk {
    pub(super) queue: VecDeque<u32>,
    pub(super) busy: u32,
    pub(super) desks: u32,
}

/// The twin's staff: where each is (`NOWHERE` until seen), their index by
/// id, and the tasks dispatched to them.
pub(super) struct Crew {
    pub(super) at: Vec<u16>,
    pub(super) index: HashMap<String, u16>,
    pub(super) tasks: Vec<TaskSim>,
}
