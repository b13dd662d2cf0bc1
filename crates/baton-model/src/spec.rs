//! The resolved event spec: what the core runs on.
//!
//! Files on disk are parsed and checked by `baton-spec`, which resolves local
//! times into journal time and durations into milliseconds. This resolved form is
//! what a `SpecChange` journal entry carries, so a journal replays without the
//! files that produced it.

use crate::Millis;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The whole event as the core sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub event: EventInfo,
    pub spaces: Vec<Space>,
    pub links: Vec<Link>,
    pub sessions: Vec<Session>,
    pub staff: Vec<Staff>,
    pub signs: Vec<Sign>,
    /// Limits the planner holds every automated proposal to.
    pub governance: Governance,
}

/// Governance constraints, declared in `event.yaml` under `governance:`.
///
/// They bind automation only: an operator's manual action is never trimmed,
/// because the person at the desk is the one accountable for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Governance {
    /// At most this many notifications reach one attendee in any rolling hour; 0 means no limit.
    pub max_notifications_per_hour: u32,
    /// At most this many in any rolling 24 hours; 0 means no limit. Both
    /// caps hold back advisory notices only: a programme change (a notice to
    /// a session's attendees in a decision that retimes that session, or
    /// one whose params say `class: programme`) is counted, never capped.
    pub max_notifications_per_day: u32,
    /// Never redirect people into a space that would pass this fill (0 to 1).
    pub max_redirect_fill: f64,
    /// Windows of local time in which some action kinds are held back.
    pub quiet_hours: Vec<QuietHours>,
    /// How many open tasks one staff member may carry at once.
    pub max_tasks_per_staff: u32,
    /// A dispatched task nobody acknowledged for this long goes to someone else.
    pub task_ack_timeout: Millis,
    /// Alerts about one space within this window join one card.
    pub alert_group_window: Millis,
    /// An alert card nobody acknowledged for this long goes up to the
    /// supervisor (`operators:escalation`); 0 never escalates.
    pub alert_ack_timeout: Millis,
    /// A room move must be decided at least this long before the session
    /// starts, so confirmations and the announcement can reach people.
    pub move_min_notice: Millis,
    /// At most this many room moves (tentative or published) in any
    /// rolling hour; 0 refuses every automated move.
    pub max_moves_per_hour: u32,
    /// Staff roles that must confirm a move before it is published (one
    /// task each, at the destination room). The room host also speaks to
    /// the speaker.
    pub move_confirm_roles: Vec<String>,
    /// A move not confirmed by every role within this long is dropped
    /// (and never before `move_min_notice` ahead of the start passes).
    pub move_confirm_within: Millis,
}

impl Default for Governance {
    fn default() -> Self {
        Governance {
            max_notifications_per_hour: 0,
            max_notifications_per_day: 0,
            max_redirect_fill: 0.95,
            quiet_hours: Vec::new(),
            max_tasks_per_staff: 1,
            task_ack_timeout: 120_000,
            alert_group_window: 600_000,
            alert_ack_timeout: 300_000,
            move_min_notice: 20 * 60_000,
            max_moves_per_hour: 4,
            move_confirm_roles: vec!["av".to_string(), "host".to_string()],
            move_confirm_within: 15 * 60_000,
        }
    }
}

/// A quiet window in minutes of the local day; `from > to` wraps past midnight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuietHours {
    pub from_min: u32,
    pub to_min: u32,
    /// The action kinds held back; attendee notifications by default.
    pub kinds: Vec<ActionKind>,
}

impl QuietHours {
    pub fn contains(&self, minute_of_day: u32) -> bool {
        if self.from_min <= self.to_min {
            (self.from_min..self.to_min).contains(&minute_of_day)
        } else {
            minute_of_day >= self.from_min || minute_of_day < self.to_min
        }
    }

    pub fn label(&self) -> String {
        format!(
            "{:02}:{:02}-{:02}:{:02}",
            self.from_min / 60,
            self.from_min % 60,
            self.to_min / 60,
            self.to_min % 60
        )
    }
}

/// Event-wide settings. Windows and bounds are in journal-time milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    pub id: String,
    pub name: String,
    pub timezone: String,
    /// Offset of the event's time zone from UTC on the event day, for `event.minute_of_day`.
    pub utc_offset_s: i32,
    /// No signal for this long marks a space stale.
    pub stale_after: Millis,
    /// Confidence in an occupancy estimate halves over this long since the last absolute count.
    pub confidence_half_life: Millis,
    /// How long `(source, id)` pairs are remembered for deduplication.
    pub dedup_window: Millis,
    /// At most this many pairs are remembered: under a high rate the oldest
    /// go first, which shortens the effective window.
    pub dedup_max_keys: u64,
    /// A signal whose own `time` differs from journal time by more than this is flagged.
    pub skew_bound: Millis,
    /// The cadence of `Tick` entries when nothing else arrives.
    pub tick: Millis,
}

/// What a space is for; it picks the level-of-service table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    Hall,
    Room,
    Corridor,
    Entrance,
    Foyer,
    Queue,
    Stairway,
    Outdoor,
}

impl SpaceKind {
    pub const ALL: [SpaceKind; 8] = [
        SpaceKind::Hall,
        SpaceKind::Room,
        SpaceKind::Corridor,
        SpaceKind::Entrance,
        SpaceKind::Foyer,
        SpaceKind::Queue,
        SpaceKind::Stairway,
        SpaceKind::Outdoor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Hall => "hall",
            SpaceKind::Room => "room",
            SpaceKind::Corridor => "corridor",
            SpaceKind::Entrance => "entrance",
            SpaceKind::Foyer => "foyer",
            SpaceKind::Queue => "queue",
            SpaceKind::Stairway => "stairway",
            SpaceKind::Outdoor => "outdoor",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Space {
    pub id: String,
    pub name: String,
    pub kind: SpaceKind,
    pub capacity: u32,
    pub area_m2: f64,
    pub zone: String,
    /// Seated spaces measure crowding by fill ratio, not by Fruin density.
    pub seated: bool,
    /// People a seated room may hold standing beyond its seats, as the
    /// venue declares (0 where fire rules forbid standing in the aisles,
    /// the usual case). Door staff stop entry at `capacity + standing_limit`.
    #[serde(default)]
    pub standing_limit: u32,
    /// What the room offers that a session may need (`stream`,
    /// `accessible`, `large_stage`, `lab_desks`, or the event's own words).
    #[serde(default)]
    pub features: Vec<String>,
    pub position: Option<[f64; 2]>,
    pub outline: Vec<[f64; 2]>,
}

/// A walking connection; links are symmetric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub from: String,
    pub to: String,
    pub walk_s: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub title: String,
    pub track: String,
    pub tags: Vec<String>,
    pub space: String,
    pub start: Millis,
    pub end: Millis,
    /// Automation may not move or retime a protected session.
    pub protected: bool,
    /// Room features the session needs: a move only goes to a room that
    /// has them all.
    #[serde(default)]
    pub needs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub zone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sign {
    pub id: String,
    pub space: String,
    /// What the sign shows when nothing else is asked of it.
    pub default_content: String,
    /// What the sign shows under the emergency hold.
    pub emergency_content: String,
}

/// How a policy's decisions reach the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Carried out at once (unless paused).
    Auto,
    /// Waits for an operator.
    Approve,
    /// Shown only.
    Suggest,
    /// Not evaluated.
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Approve => "approve",
            Mode::Suggest => "suggest",
            Mode::Off => "off",
        }
    }
}

/// What happens to an approval nobody answered in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    Drop,
    Escalate,
}

/// Which entities a policy is evaluated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Space,
    Session,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    pub kind: ScopeKind,
    /// Empty means every kind.
    pub space_kinds: Vec<SpaceKind>,
    /// Empty means every zone.
    pub zones: Vec<String>,
    /// Empty means every entity of the kind.
    pub ids: Vec<String>,
}

/// What an action does in the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// A message to attendees (through the app backend's webhook).
    Notify,
    /// Desired content of signs.
    Sign,
    /// Send staff with a role to a space.
    Dispatch,
    /// An operator alert card.
    Alert,
    /// Desired state of a space: opened.
    OpenSpace,
    /// Desired state of a space: closed.
    CloseSpace,
    /// Retime a session (desired state of the schedule); later sessions in
    /// the same room that would overlap are pushed back with it.
    DelaySession,
    /// Send the people heading to a full session to alternatives: the planner
    /// groups them, solves where each group goes, and expands this into
    /// notifications, signage and an optional overflow opening.
    Redirect,
    /// Move sessions to rooms that fit their expected audience: tentative
    /// until staff confirm, then published to the programme, the signs at
    /// both rooms and everyone who bookmarked it.
    MoveSession,
    /// Send the planners of a talk likely to be full, before they walk
    /// over, a short list of alternatives with seats (the recommendations
    /// the app can also ask for): expanded into notifications.
    Recommend,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Notify => "notify",
            ActionKind::Sign => "sign",
            ActionKind::Dispatch => "dispatch",
            ActionKind::Alert => "alert",
            ActionKind::OpenSpace => "open_space",
            ActionKind::CloseSpace => "close_space",
            ActionKind::DelaySession => "delay_session",
            ActionKind::Redirect => "redirect",
            ActionKind::MoveSession => "move_session",
            ActionKind::Recommend => "recommend",
        }
    }

    /// Messages are delivered at least once; everything else is desired state.
    pub fn is_message(self) -> bool {
        matches!(
            self,
            ActionKind::Notify | ActionKind::Dispatch | ActionKind::Alert
        )
    }

    /// Attendee-facing actions are what the emergency hold cancels.
    pub fn is_attendee_facing(self) -> bool {
        matches!(
            self,
            ActionKind::Notify
                | ActionKind::Sign
                | ActionKind::Redirect
                | ActionKind::MoveSession
                | ActionKind::Recommend
        )
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        [
            ActionKind::Notify,
            ActionKind::Sign,
            ActionKind::Dispatch,
            ActionKind::Alert,
            ActionKind::OpenSpace,
            ActionKind::CloseSpace,
            ActionKind::DelaySession,
            ActionKind::Redirect,
            ActionKind::MoveSession,
            ActionKind::Recommend,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Which resources an action addresses, relative to the policy's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The scope's space (or the scope session's space).
    Space,
    /// The scope's session (or the session running in the scope space).
    Session,
    /// Every sign in the scope's space.
    SpaceSigns,
    /// Every sign in the scope's zone.
    ZoneSigns,
    /// Attendees whose plan includes the scope's session.
    SessionAttendees,
    /// The operator desk.
    Operators,
    /// Named resources, e.g. sign ids or a space id.
    Ids(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionSpec {
    pub kind: ActionKind,
    pub target: Target,
    /// Parameter name to CEL expression; a sorted map so outputs are ordered.
    pub params: BTreeMap<String, String>,
    /// How long after the decision the action is still worth carrying out.
    pub valid_for: Millis,
}

/// A policy as written, with its expressions still in CEL source form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub id: String,
    /// Content hash of the policy's definition, so explanations name the exact version.
    pub version: String,
    pub description: String,
    /// Signal types (`space.occupancy`, …) and `minute` for the per-minute metric refresh.
    pub on: Vec<String>,
    pub scope: Scope,
    pub condition: String,
    pub hold: Millis,
    pub rearm: Option<String>,
    pub cooldown: Millis,
    pub priority: i32,
    pub mode: Mode,
    pub approval_timeout: Millis,
    pub on_timeout: OnTimeout,
    /// Fire even when the scope's data is stale. Off by default.
    pub allow_stale: bool,
    pub actions: Vec<ActionSpec>,
}

/// A complete policy set, journaled as one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicySet {
    pub hash: String,
    pub policies: Vec<Policy>,
}
