//! The typed context that policy expressions see.
//!
//! CEL has no implicit numeric conversion, and the `cel` crate has no type
//! checker yet, so Baton publishes this schema and checks every expression
//! against it before an event starts. The core fills these fields from its state.

use serde::Serialize;

/// A CEL type that a context field or expression can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ty {
    Int,
    Double,
    Bool,
    String,
}

impl Ty {
    pub fn as_str(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Double => "double",
            Ty::Bool => "bool",
            Ty::String => "string",
        }
    }
}

macro_rules! fields {
    ($( $var:ident => $path:literal, $ty:ident, $doc:literal; )*) => {
        /// One field of the policy context.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Field { $( $var, )* }

        impl Field {
            pub const ALL: &'static [Field] = &[ $( Field::$var, )* ];
            pub fn path(self) -> &'static str { match self { $( Field::$var => $path, )* } }
            pub fn ty(self) -> Ty { match self { $( Field::$var => Ty::$ty, )* } }
            pub fn doc(self) -> &'static str { match self { $( Field::$var => $doc, )* } }
        }
    };
}

fields! {
    SpaceId => "space.id", String, "the space's id";
    SpaceName => "space.name", String, "display name";
    SpaceKind => "space.kind", String, "hall, room, corridor, entrance, foyer, queue, stairway or outdoor";
    SpaceZone => "space.zone", String, "the zone the space belongs to";
    SpaceCapacity => "space.capacity", Int, "people the space holds";
    SpaceAreaM2 => "space.area_m2", Double, "floor area in square metres";
    SpaceOccupancy => "space.occupancy", Int, "estimated people inside, fusing absolute counts with entry/exit deltas";
    SpaceFill => "space.fill", Double, "occupancy / capacity";
    SpaceDensity => "space.density", Double, "persons per square metre";
    SpaceLos => "space.los", String, "Fruin level of service, A to F (seated spaces: by fill ratio)";
    SpaceInflow1m => "space.inflow_1m", Int, "people entering over the last minute";
    SpaceOutflow1m => "space.outflow_1m", Int, "people leaving over the last minute";
    SpaceInflow5m => "space.inflow_5m", Int, "people entering over the last five minutes";
    SpaceOutflow5m => "space.outflow_5m", Int, "people leaving over the last five minutes";
    SpaceTrendPerMin => "space.trend_per_min", Double, "smoothed change in occupancy per minute";
    SpaceForecast10m => "space.forecast_10m", Double, "forecast occupancy in ten minutes";
    SpaceMinutesToCapacity => "space.minutes_to_capacity", Double, "minutes until full at the faster of the 5-minute net door flow and the trend; -1.0 when not filling";
    SpaceStale => "space.stale", Bool, "no signal for longer than the event's stale_after";
    SpaceConfidence => "space.confidence", Double, "0..1, decays since the last absolute count";
    SpaceMinutesSinceSeen => "space.minutes_since_seen", Double, "minutes since the last signal about the space";
    SpaceClosed => "space.closed", Bool, "the space is closed";
    SpaceQueueLength => "space.queue_length", Int, "last reported queue length";
    SpaceQueueWaitS => "space.queue_wait_s", Double, "last reported queue wait in seconds";
    SpaceTurnedAway => "space.turned_away", Int, "people turned away at this space since the day began";
    SpaceHasSession => "space.has_session", Bool, "a session is running (or next) in this space";
    SessionId => "session.id", String, "the session's id, or empty";
    SessionTitle => "session.title", String, "title";
    SessionTrack => "session.track", String, "track";
    SessionSpace => "session.space", String, "the space the session is in now";
    SessionStatus => "session.status", String, "scheduled, running, ended or cancelled";
    SessionDelayMin => "session.delay_min", Int, "total delay in minutes";
    SessionAttendance => "session.attendance", Int, "people in the room while it runs";
    SessionPeak => "session.peak", Int, "highest attendance so far";
    SessionTurnedAway => "session.turned_away", Int, "people turned away while it ran";
    SessionMinutesToStart => "session.minutes_to_start", Double, "minutes until the (delayed) start; negative once started";
    SessionProtected => "session.protected", Bool, "automation may not move or retime it";
    SessionFill => "session.fill", Double, "attendance / the space's capacity";
    SessionBookmarks => "session.bookmarks", Int, "attendees whose plan (attendee.plan) holds the session";
    SessionExpected => "session.expected", Double, "forecast audience: bookmarks x the audience per bookmark learned today, raised to the room's count near the start; -1.0 when nothing is known";
    SessionExpectedLow => "session.expected_low", Double, "the forecast's 80% interval, lower end";
    SessionExpectedHigh => "session.expected_high", Double, "the forecast's 80% interval, upper end";
    SessionPFull => "session.p_full", Double, "probability the audience exceeds its room's seats plus standing";
    SessionMinutesToFull => "session.minutes_to_full", Double, "minutes until its room fills (running: at the door flow; scheduled: from the forecast); -1.0 when it is not expected to";
    SessionMoveStage => "session.move_stage", String, "its room move: tentative, published, dropped, or empty";
    SignalType => "signal.type", String, "the triggering signal's type, or \"minute\" for the per-minute refresh";
    SignalSubject => "signal.subject", String, "the triggering signal's subject";
    SignalCount => "signal.count", Int, "count, length or minutes carried by the signal, else 0";
    SignalSeverity => "signal.severity", String, "an incident's severity, else empty";
    SignalKind => "signal.kind", String, "an incident's kind, else empty";
    EventMinuteOfDay => "event.minute_of_day", Int, "local time of day in minutes";
    EventPaused => "event.paused", Bool, "automation is paused";
    EventEmergency => "event.emergency", Bool, "the emergency hold is on";
}

impl Field {
    pub fn by_path(path: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.path() == path)
    }
}

/// The roots an expression may name.
pub const ROOTS: [&str; 4] = ["space", "session", "signal", "event"];

/// Where the compiled evaluator reads field values. The core implements it over
/// its own state, so evaluation allocates nothing.
pub trait Fields {
    fn int(&self, f: Field) -> i64;
    fn double(&self, f: Field) -> f64;
    fn boolean(&self, f: Field) -> bool;
    fn string(&self, f: Field) -> &str;
}

/// The schema as JSON, for `baton schema`.
pub fn schema_json() -> serde_json_like::Schema {
    serde_json_like::Schema {
        fields: Field::ALL
            .iter()
            .map(|f| serde_json_like::FieldDoc {
                path: f.path(),
                ty: f.ty(),
                doc: f.doc(),
            })
            .collect(),
    }
}

/// Serializable description of the context; kept free of serde_json so the crate stays small.
pub mod serde_json_like {
    use super::Ty;
    use serde::Serialize;

    #[derive(Serialize)]
    pub struct Schema {
        pub fields: Vec<FieldDoc>,
    }

    #[derive(Serialize)]
    pub struct FieldDoc {
        pub path: &'static str,
        #[serde(rename = "type")]
        pub ty: Ty,
        pub doc: &'static str,
    }
}
