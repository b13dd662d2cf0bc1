//! External signals: CloudEvents 1.0 envelopes with typed `data`.
//!
//! Parsing is the trust boundary. Anything from outside passes through
//! [`Signal::parse_json`], which refuses reserved and unknown types and names the
//! offending field, so nothing malformed reaches the journal or the core.

use crate::Millis;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use thiserror::Error;

mod parse;
mod payload;
mod time;

use payload::*;

pub use parse::BinaryAttrs;
pub use time::parse_rfc3339;

/// The signal catalogue (v1). The names are stable: recorded journals use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SignalType {
    SpaceOccupancy,
    SpaceEntered,
    SpaceExited,
    SpaceDensity,
    QueueLength,
    SpaceClosed,
    SpaceOpened,
    SpaceTurnedAway,
    AttendeeCheckedIn,
    AttendeePlan,
    SessionStarted,
    SessionEnded,
    SessionCancelled,
    SessionDelayed,
    SessionMoved,
    StaffLocation,
    StaffStatus,
    StaffTask,
    IncidentReported,
    SpaceFull,
}

impl SignalType {
    pub const COUNT: usize = 20;
    pub const ALL: [SignalType; Self::COUNT] = [
        SignalType::SpaceOccupancy,
        SignalType::SpaceEntered,
        SignalType::SpaceExited,
        SignalType::SpaceDensity,
        SignalType::QueueLength,
        SignalType::SpaceClosed,
        SignalType::SpaceOpened,
        SignalType::SpaceTurnedAway,
        SignalType::AttendeeCheckedIn,
        SignalType::AttendeePlan,
        SignalType::SessionStarted,
        SignalType::SessionEnded,
        SignalType::SessionCancelled,
        SignalType::SessionDelayed,
        SignalType::SessionMoved,
        SignalType::StaffLocation,
        SignalType::StaffStatus,
        SignalType::StaffTask,
        SignalType::IncidentReported,
        SignalType::SpaceFull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignalType::SpaceOccupancy => "space.occupancy",
            SignalType::SpaceEntered => "space.entered",
            SignalType::SpaceExited => "space.exited",
            SignalType::SpaceDensity => "space.density",
            SignalType::QueueLength => "queue.length",
            SignalType::SpaceClosed => "space.closed",
            SignalType::SpaceOpened => "space.opened",
            SignalType::SpaceTurnedAway => "space.turned_away",
            SignalType::SpaceFull => "space.full",
            SignalType::AttendeeCheckedIn => "attendee.checked_in",
            SignalType::AttendeePlan => "attendee.plan",
            SignalType::SessionStarted => "session.started",
            SignalType::SessionEnded => "session.ended",
            SignalType::SessionCancelled => "session.cancelled",
            SignalType::SessionDelayed => "session.delayed",
            SignalType::SessionMoved => "session.moved",
            SignalType::StaffLocation => "staff.location",
            SignalType::StaffStatus => "staff.status",
            SignalType::StaffTask => "staff.task",
            SignalType::IncidentReported => "incident.reported",
        }
    }

    pub fn parse(s: &str) -> Option<SignalType> {
        SignalType::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Which kind of entity the `subject` names.
    pub fn subject_kind(self) -> SubjectKind {
        use SignalType::*;
        match self {
            SpaceOccupancy | SpaceEntered | SpaceExited | SpaceDensity | QueueLength
            | SpaceClosed | SpaceOpened | SpaceTurnedAway | SpaceFull | IncidentReported => {
                SubjectKind::Space
            }
            AttendeeCheckedIn | AttendeePlan => SubjectKind::Attendee,
            SessionStarted | SessionEnded | SessionCancelled | SessionDelayed | SessionMoved => {
                SubjectKind::Session
            }
            StaffLocation | StaffStatus | StaffTask => SubjectKind::Staff,
        }
    }
}

impl fmt::Display for SignalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Space,
    Session,
    Staff,
    Attendee,
}

/// Type prefixes that only Baton itself may write into the journal.
pub const RESERVED_PREFIXES: [&str; 4] = ["clock.", "action.", "baton.", "command."];

/// Bounds on what one signal may carry, so a sender cannot make the journal,
/// the dedup window or the read model hold arbitrary amounts of memory.
/// A signal over any of them is refused with the field named.
pub mod limits {
    /// `id`, `subject` and the ids inside `data` (attendee, gate, space, task, sessions).
    pub const ID_BYTES: usize = 256;
    /// `source` (a URI reference).
    pub const SOURCE_BYTES: usize = 1024;
    /// `time` (an RFC 3339 timestamp is about 30 bytes).
    pub const TIME_BYTES: usize = 64;
    /// Free text inside `data` (`reason`, `kind`, `note`).
    pub const TEXT_BYTES: usize = 4096;
    /// `data` as sent, in bytes of JSON.
    pub const DATA_BYTES: usize = 64 * 1024;
    /// Nesting of arrays and objects inside `data`.
    pub const DATA_DEPTH: usize = 16;
    /// Sessions in one `attendee.plan`.
    pub const PLAN_SESSIONS: usize = 1000;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffStatus {
    Available,
    Busy,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Acknowledged,
    Declined,
    Arrived,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The typed payload of each signal type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SignalData {
    Occupancy {
        count: u32,
        confidence: Option<f64>,
    },
    Entered {
        count: u32,
        attendee: Option<String>,
    },
    Exited {
        count: u32,
        attendee: Option<String>,
    },
    Density {
        persons_per_m2: f64,
    },
    QueueLength {
        length: u32,
        wait_s: Option<f64>,
    },
    Closed {
        reason: Option<String>,
    },
    Opened {
        reason: Option<String>,
    },
    TurnedAway {
        count: u32,
    },
    /// A door volunteer's sign: `full` wins over the sensors in the public
    /// room status until a later `space.full` clears it.
    Full {
        full: bool,
        reason: Option<String>,
    },
    CheckedIn {
        gate: Option<String>,
    },
    Plan {
        sessions: Vec<String>,
        /// The attendee consents to their position (door scans) being used
        /// for their recommendations.
        share_position: bool,
    },
    SessionStarted,
    SessionEnded,
    SessionCancelled,
    SessionDelayed {
        minutes: u32,
    },
    SessionMoved {
        space: String,
    },
    StaffLocation {
        space: String,
    },
    StaffStatus {
        status: StaffStatus,
    },
    StaffTask {
        task: String,
        state: TaskState,
    },
    Incident {
        severity: Severity,
        kind: String,
        note: Option<String>,
    },
}

/// One incoming fact, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub id: String,
    pub source: String,
    pub kind: SignalType,
    pub subject: String,
    /// The sender's own event time, kept for explanations and lateness; never the core's clock.
    pub time: Option<Millis>,
    pub data: SignalData,
}

/// Why a signal was refused. `field` is a JSON path such as `data.count`.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("field `{field}`: {message}")]
pub struct SignalError {
    pub field: String,
    pub message: String,
    pub kind: SignalErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalErrorKind {
    Malformed,
    ReservedType,
    UnknownType,
}

impl SignalError {
    fn malformed(field: impl Into<String>, message: impl Into<String>) -> Self {
        SignalError {
            field: field.into(),
            message: message.into(),
            kind: SignalErrorKind::Malformed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: &str, subject: &str, data: &str) -> String {
        format!(
            r#"{{"specversion":"1.0","id":"1","source":"s","type":"{t}","subject":"{subject}","data":{data}}}"#
        )
    }

    #[test]
    fn parses_occupancy_and_roundtrips() {
        let s = Signal::parse_json(&ev("space.occupancy", "hall-a", r#"{"count":12}"#)).unwrap();
        assert_eq!(
            s.data,
            SignalData::Occupancy {
                count: 12,
                confidence: None
            }
        );
        let again = Signal::parse_json(&s.to_cloudevent().to_string()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn names_the_bad_field() {
        let e =
            Signal::parse_json(&ev("space.occupancy", "hall-a", r#"{"count":-3}"#)).unwrap_err();
        assert_eq!(e.field, "data.count");
        let e = Signal::parse_json(&ev("space.occupancy", "hall-a", r#"{}"#)).unwrap_err();
        assert_eq!(e.field, "data.count");
        let e = Signal::parse_json(&ev(
            "incident.reported",
            "hall-a",
            r#"{"severity":"huge","kind":"x"}"#,
        ))
        .unwrap_err();
        assert_eq!(e.field, "data.severity");
        let e = Signal::parse_json(
            r#"{"specversion":"1.0","source":"s","type":"space.entered","subject":"x"}"#,
        )
        .unwrap_err();
        assert_eq!(e.field, "id");
        let e = Signal::parse_json(&ev("space.occupancy", "hall-a", r#"{"count":"many"}"#))
            .unwrap_err();
        assert!(e.field.starts_with("data"), "{e}");
    }

    #[test]
    fn refuses_reserved_and_unknown_types() {
        let e = Signal::parse_json(&ev("clock.tick", "x", "{}")).unwrap_err();
        assert_eq!(e.kind, SignalErrorKind::ReservedType);
        let e = Signal::parse_json(&ev("action.result", "x", "{}")).unwrap_err();
        assert_eq!(e.kind, SignalErrorKind::ReservedType);
        let e = Signal::parse_json(&ev("space.teleported", "x", "{}")).unwrap_err();
        assert_eq!(e.kind, SignalErrorKind::UnknownType);
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "{",
            "[]",
            "null",
            "{\"specversion\":1}",
            "\u{0}",
            "{\"data\":{\"count\":1e400}}",
        ] {
            assert!(Signal::parse_json(text).is_err());
        }
    }
}
