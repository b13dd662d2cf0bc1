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
}

impl SignalType {
    pub const COUNT: usize = 19;
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
            | SpaceClosed | SpaceOpened | SpaceTurnedAway | IncidentReported => SubjectKind::Space,
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
    CheckedIn {
        gate: Option<String>,
    },
    Plan {
        sessions: Vec<String>,
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

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    specversion: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subject: Option<Cow<'a, str>>,
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    data_base64: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct CountData {
    count: Option<i64>,
    attendee: Option<String>,
}
#[derive(Deserialize)]
struct OccupancyData {
    count: Option<i64>,
    confidence: Option<f64>,
}
#[derive(Deserialize)]
struct DensityData {
    persons_per_m2: Option<f64>,
}
#[derive(Deserialize)]
struct QueueData {
    length: Option<i64>,
    wait_s: Option<f64>,
}
#[derive(Deserialize)]
struct ReasonData {
    reason: Option<String>,
}
#[derive(Deserialize)]
struct GateData {
    gate: Option<String>,
}
#[derive(Deserialize)]
struct PlanData {
    sessions: Option<Vec<String>>,
}
#[derive(Deserialize)]
struct DelayData {
    minutes: Option<i64>,
}
#[derive(Deserialize)]
struct SpaceRef {
    space: Option<String>,
}
#[derive(Deserialize)]
struct StatusData {
    status: Option<String>,
}
#[derive(Deserialize)]
struct TaskData {
    task: Option<String>,
    state: Option<String>,
}
#[derive(Deserialize)]
struct IncidentData {
    severity: Option<String>,
    kind: Option<String>,
    note: Option<String>,
}

fn data_as<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<T, SignalError> {
    let text = raw.map(|r| r.get()).unwrap_or("{}");
    let text = if text == "null" { "{}" } else { text };
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        // serde_json names the field in "invalid type ... for key `x`"-free messages; pull it out
        // of "missing field"/"unknown variant" texts where it is there, else point at `data`.
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.contains("field"))
            .map(|f| format!("data.{f}"))
            .unwrap_or_else(|| "data".to_string());
        SignalError::malformed(field, msg)
    })
}

fn required<T>(v: Option<T>, field: &str) -> Result<T, SignalError> {
    v.ok_or_else(|| SignalError::malformed(format!("data.{field}"), "is required"))
}

fn count_u32(v: Option<i64>, field: &str, default: Option<u32>) -> Result<u32, SignalError> {
    match (v, default) {
        (None, Some(d)) => Ok(d),
        (None, None) => required(None, field),
        (Some(n), _) => u32::try_from(n).map_err(|_| {
            SignalError::malformed(
                format!("data.{field}"),
                format!("must be an integer from 0 to {}, got {n}", u32::MAX),
            )
        }),
    }
}

fn non_empty(s: Option<String>, field: &str) -> Result<String, SignalError> {
    let s = required(s, field)?;
    if s.trim().is_empty() {
        return Err(SignalError::malformed(
            format!("data.{field}"),
            "must not be empty",
        ));
    }
    Ok(s)
}

fn finite(v: f64, field: &str, min: f64, max: f64) -> Result<f64, SignalError> {
    if !v.is_finite() || v < min || v > max {
        return Err(SignalError::malformed(
            format!("data.{field}"),
            format!("must be between {min} and {max}, got {v}"),
        ));
    }
    Ok(v)
}

fn enum_field<T: for<'d> Deserialize<'d>>(
    s: Option<String>,
    field: &str,
    allowed: &str,
) -> Result<T, SignalError> {
    let s = required(s, field)?;
    serde_json::from_value(serde_json::Value::String(s.clone())).map_err(|_| {
        SignalError::malformed(
            format!("data.{field}"),
            format!("must be one of {allowed}, got {s:?}"),
        )
    })
}

/// Parses an RFC 3339 timestamp into milliseconds since the epoch.
///
/// The shape nearly every sensor sends (`YYYY-MM-DDTHH:MM:SS[.fff…]Z`) takes
/// a direct path; anything else (offsets, lower-case separators, leap
/// seconds) goes through jiff. A property test holds the two to the same
/// answers.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    fast_utc(s.as_bytes()).or_else(|| {
        s.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
    })
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` only; `None` sends the caller to jiff.
fn fast_utc(b: &[u8]) -> Option<Millis> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let frac = &b[19..b.len() - 1];
    let ms = match frac {
        [] => 0,
        [b'.', rest @ ..] if (1..=9).contains(&rest.len()) => {
            let v = digits(rest)?;
            let scale = 10i64.pow(9 - rest.len() as u32);
            v * scale / 1_000_000
        }
        _ => return None,
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > mdays[(mo - 1) as usize] || h > 23 || mi > 59 {
        return None;
    }
    // Leap seconds, and pre-1970 times (whose sub-millisecond rounding
    // differs in sign), go the long way.
    if sec > 59 || y < 1970 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms)
}

fn bounded_attr(v: &str, field: &str, max: usize) -> Result<(), SignalError> {
    if v.len() > max {
        return Err(SignalError::malformed(
            field,
            format!("is {} bytes; at most {max} are allowed", v.len()),
        ));
    }
    Ok(())
}

fn bounded(v: String, field: &str, max: usize) -> Result<String, SignalError> {
    bounded_attr(&v, &format!("data.{field}"), max)?;
    Ok(v)
}

fn bounded_opt(v: Option<String>, field: &str, max: usize) -> Result<Option<String>, SignalError> {
    v.map(|v| bounded(v, field, max)).transpose()
}

/// Refuses `data` over [`limits::DATA_BYTES`] or nested deeper than
/// [`limits::DATA_DEPTH`], by a scan of the bytes before anything parses it.
fn check_data_shape(text: &str) -> Result<(), SignalError> {
    if text.len() > limits::DATA_BYTES {
        return Err(SignalError::malformed(
            "data",
            format!(
                "is {} bytes; at most {} are allowed",
                text.len(),
                limits::DATA_BYTES
            ),
        ));
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text.as_bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limits::DATA_DEPTH {
                    return Err(SignalError::malformed(
                        "data",
                        format!("is nested more than {} levels deep", limits::DATA_DEPTH),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// `data_base64` (structured mode): Baton's payloads are JSON, so the
/// decoded bytes must be a JSON value.
fn decode_base64_json(b64: &str) -> Result<Box<RawValue>, SignalError> {
    use base64::Engine as _;
    if b64.len() > limits::DATA_BYTES * 4 / 3 + 4 {
        return Err(SignalError::malformed(
            "data_base64",
            format!("decodes to more than {} bytes", limits::DATA_BYTES),
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| SignalError::malformed("data_base64", format!("is not base64: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SignalError::malformed("data_base64", "does not decode to UTF-8 JSON"))?;
    RawValue::from_string(text)
        .map_err(|e| SignalError::malformed("data_base64", format!("does not decode to JSON: {e}")))
}

/// The CloudEvents attributes of a binary-mode message (HTTP `ce-*`
/// headers); the message body is `data`.
#[derive(Debug, Clone, Default)]
pub struct BinaryAttrs<'a> {
    pub specversion: Option<&'a str>,
    pub id: Option<&'a str>,
    pub source: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub time: Option<&'a str>,
}

impl Signal {
    /// Parses one binary-mode CloudEvent: the attributes from headers, and
    /// the body as JSON `data` (an empty body is no data).
    pub fn parse_binary(attrs: &BinaryAttrs<'_>, body: &str) -> Result<Signal, SignalError> {
        let raw: Option<&RawValue> = if body.trim().is_empty() {
            None
        } else {
            check_data_shape(body)?;
            Some(serde_json::from_str(body).map_err(|e| {
                SignalError::malformed("data", format!("the body is not JSON: {e}"))
            })?)
        };
        Self::from_envelope(Envelope {
            specversion: attrs.specversion.map(Cow::Borrowed),
            id: attrs.id.map(Cow::Borrowed),
            source: attrs.source.map(Cow::Borrowed),
            kind: attrs.kind.map(Cow::Borrowed),
            subject: attrs.subject.map(Cow::Borrowed),
            time: attrs.time.map(Cow::Borrowed),
            data: raw,
            data_base64: None,
        })
    }

    /// Parses one structured-mode CloudEvent from JSON.
    pub fn parse_json(text: &str) -> Result<Signal, SignalError> {
        let env: Envelope = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let field = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.contains("field"))
                .unwrap_or("(envelope)")
                .to_string();
            SignalError::malformed(field, msg)
        })?;
        Self::from_envelope(env)
    }

    fn from_envelope(env: Envelope<'_>) -> Result<Signal, SignalError> {
        match env.specversion.as_deref() {
            Some("1.0") => {}
            Some(v) => {
                return Err(SignalError::malformed(
                    "specversion",
                    format!("must be \"1.0\", got {v:?}"),
                ));
            }
            None => return Err(SignalError::malformed("specversion", "is required")),
        }
        let id = env
            .id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| SignalError::malformed("id", "is required and must not be empty"))?;
        let source = env
            .source
            .filter(|s| !s.is_empty())
            .ok_or_else(|| SignalError::malformed("source", "is required and must not be empty"))?;
        let type_name = env
            .kind
            .ok_or_else(|| SignalError::malformed("type", "is required"))?;
        if RESERVED_PREFIXES.iter().any(|p| type_name.starts_with(p)) || type_name == "tick" {
            return Err(SignalError {
                field: "type".into(),
                message: format!("{type_name:?} is an internal type and cannot be ingested"),
                kind: SignalErrorKind::ReservedType,
            });
        }
        let kind = SignalType::parse(&type_name).ok_or_else(|| SignalError {
            field: "type".into(),
            message: format!("unknown signal type {type_name:?}"),
            kind: SignalErrorKind::UnknownType,
        })?;
        let subject = env.subject.filter(|s| !s.is_empty()).ok_or_else(|| {
            SignalError::malformed("subject", format!("is required for {type_name}"))
        })?;
        let time = match env.time {
            None => None,
            Some(t) if t.len() > limits::TIME_BYTES => {
                return Err(SignalError::malformed(
                    "time",
                    format!(
                        "is {} bytes; at most {} are allowed",
                        t.len(),
                        limits::TIME_BYTES
                    ),
                ));
            }
            Some(t) => Some(parse_rfc3339(&t).ok_or_else(|| {
                SignalError::malformed("time", format!("{t:?} is not an RFC 3339 timestamp"))
            })?),
        };
        bounded_attr(&id, "id", limits::ID_BYTES)?;
        bounded_attr(&source, "source", limits::SOURCE_BYTES)?;
        bounded_attr(&subject, "subject", limits::ID_BYTES)?;
        let decoded;
        let data = match (env.data, env.data_base64) {
            (Some(_), Some(_)) => {
                return Err(SignalError::malformed(
                    "data_base64",
                    "give either data or data_base64, not both",
                ));
            }
            (Some(raw), None) => Some(raw),
            (None, Some(b64)) => {
                decoded = decode_base64_json(&b64)?;
                Some(&*decoded)
            }
            (None, None) => None,
        };
        if let Some(raw) = data {
            check_data_shape(raw.get())?;
        }
        let data = Self::parse_data(kind, data)?;
        Ok(Signal {
            id: id.into_owned(),
            source: source.into_owned(),
            kind,
            subject: subject.into_owned(),
            time,
            data,
        })
    }

    fn parse_data(kind: SignalType, raw: Option<&RawValue>) -> Result<SignalData, SignalError> {
        use SignalType::*;
        Ok(match kind {
            SpaceOccupancy => {
                let d: OccupancyData = data_as(raw)?;
                let confidence = d
                    .confidence
                    .map(|c| finite(c, "confidence", 0.0, 1.0))
                    .transpose()?;
                SignalData::Occupancy {
                    count: count_u32(d.count, "count", None)?,
                    confidence,
                }
            }
            SpaceEntered | SpaceExited => {
                let d: CountData = data_as(raw)?;
                let count = count_u32(d.count, "count", Some(1))?;
                let attendee = bounded_opt(d.attendee, "attendee", limits::ID_BYTES)?;
                if kind == SpaceEntered {
                    SignalData::Entered { count, attendee }
                } else {
                    SignalData::Exited { count, attendee }
                }
            }
            SpaceDensity => {
                let d: DensityData = data_as(raw)?;
                SignalData::Density {
                    persons_per_m2: finite(
                        required(d.persons_per_m2, "persons_per_m2")?,
                        "persons_per_m2",
                        0.0,
                        20.0,
                    )?,
                }
            }
            QueueLength => {
                let d: QueueData = data_as(raw)?;
                let wait_s = d
                    .wait_s
                    .map(|w| finite(w, "wait_s", 0.0, 86_400.0))
                    .transpose()?;
                SignalData::QueueLength {
                    length: count_u32(d.length, "length", None)?,
                    wait_s,
                }
            }
            SpaceClosed => SignalData::Closed {
                reason: bounded_opt(
                    data_as::<ReasonData>(raw)?.reason,
                    "reason",
                    limits::TEXT_BYTES,
                )?,
            },
            SpaceOpened => SignalData::Opened {
                reason: bounded_opt(
                    data_as::<ReasonData>(raw)?.reason,
                    "reason",
                    limits::TEXT_BYTES,
                )?,
            },
            SpaceTurnedAway => {
                let d: CountData = data_as(raw)?;
                SignalData::TurnedAway {
                    count: count_u32(d.count, "count", Some(1))?,
                }
            }
            AttendeeCheckedIn => SignalData::CheckedIn {
                gate: bounded_opt(data_as::<GateData>(raw)?.gate, "gate", limits::ID_BYTES)?,
            },
            AttendeePlan => {
                let sessions = required(data_as::<PlanData>(raw)?.sessions, "sessions")?;
                if sessions.len() > limits::PLAN_SESSIONS {
                    return Err(SignalError::malformed(
                        "data.sessions",
                        format!(
                            "holds {} sessions; at most {} are allowed",
                            sessions.len(),
                            limits::PLAN_SESSIONS
                        ),
                    ));
                }
                if let Some(i) = sessions.iter().position(|s| s.len() > limits::ID_BYTES) {
                    bounded_attr(
                        &sessions[i],
                        &format!("data.sessions[{i}]"),
                        limits::ID_BYTES,
                    )?;
                }
                SignalData::Plan { sessions }
            }
            SessionStarted => SignalData::SessionStarted,
            SessionEnded => SignalData::SessionEnded,
            SessionCancelled => SignalData::SessionCancelled,
            SessionDelayed => {
                let d: DelayData = data_as(raw)?;
                let minutes = count_u32(d.minutes, "minutes", None)?;
                if minutes > 24 * 60 {
                    return Err(SignalError::malformed(
                        "data.minutes",
                        format!("a delay of {minutes} minutes is more than a day"),
                    ));
                }
                SignalData::SessionDelayed { minutes }
            }
            SessionMoved => SignalData::SessionMoved {
                space: bounded(
                    non_empty(data_as::<SpaceRef>(raw)?.space, "space")?,
                    "space",
                    limits::ID_BYTES,
                )?,
            },
            StaffLocation => SignalData::StaffLocation {
                space: bounded(
                    non_empty(data_as::<SpaceRef>(raw)?.space, "space")?,
                    "space",
                    limits::ID_BYTES,
                )?,
            },
            StaffStatus => SignalData::StaffStatus {
                status: enum_field(
                    data_as::<StatusData>(raw)?.status,
                    "status",
                    "available, busy, off",
                )?,
            },
            StaffTask => {
                let d: TaskData = data_as(raw)?;
                SignalData::StaffTask {
                    task: bounded(non_empty(d.task, "task")?, "task", limits::ID_BYTES)?,
                    state: enum_field(d.state, "state", "acknowledged, declined, arrived, done")?,
                }
            }
            IncidentReported => {
                let d: IncidentData = data_as(raw)?;
                SignalData::Incident {
                    severity: enum_field(d.severity, "severity", "low, medium, high, critical")?,
                    kind: bounded(non_empty(d.kind, "kind")?, "kind", limits::TEXT_BYTES)?,
                    note: bounded_opt(d.note, "note", limits::TEXT_BYTES)?,
                }
            }
        })
    }

    /// The CloudEvents JSON form, as a recording would hold it.
    pub fn to_cloudevent(&self) -> serde_json::Value {
        use serde_json::json;
        let data = match &self.data {
            SignalData::Occupancy { count, confidence } => match confidence {
                Some(c) => json!({"count": count, "confidence": c}),
                None => json!({"count": count}),
            },
            SignalData::Entered { count, attendee } | SignalData::Exited { count, attendee } => {
                match attendee {
                    Some(a) => json!({"count": count, "attendee": a}),
                    None => json!({"count": count}),
                }
            }
            SignalData::Density { persons_per_m2 } => json!({"persons_per_m2": persons_per_m2}),
            SignalData::QueueLength { length, wait_s } => match wait_s {
                Some(w) => json!({"length": length, "wait_s": w}),
                None => json!({"length": length}),
            },
            SignalData::Closed { reason } | SignalData::Opened { reason } => match reason {
                Some(r) => json!({"reason": r}),
                None => json!({}),
            },
            SignalData::TurnedAway { count } => json!({"count": count}),
            SignalData::CheckedIn { gate } => match gate {
                Some(g) => json!({"gate": g}),
                None => json!({}),
            },
            SignalData::Plan { sessions } => json!({"sessions": sessions}),
            SignalData::SessionStarted
            | SignalData::SessionEnded
            | SignalData::SessionCancelled => json!({}),
            SignalData::SessionDelayed { minutes } => json!({"minutes": minutes}),
            SignalData::SessionMoved { space } | SignalData::StaffLocation { space } => {
                json!({"space": space})
            }
            SignalData::StaffStatus { status } => json!({"status": status}),
            SignalData::StaffTask { task, state } => json!({"task": task, "state": state}),
            SignalData::Incident {
                severity,
                kind,
                note,
            } => match note {
                Some(n) => json!({"severity": severity, "kind": kind, "note": n}),
                None => json!({"severity": severity, "kind": kind}),
            },
        };
        let mut v = json!({
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.kind.as_str(),
            "subject": self.subject,
            "data": data,
        });
        if let Some(t) = self.time
            && let Ok(ts) = jiff::Timestamp::from_millisecond(t)
        {
            v["time"] = json!(ts.to_string());
        }
        v
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
