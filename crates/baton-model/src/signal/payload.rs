//! The shapes of each signal type's data, and reading them with the field named.

use super::*;

#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    #[serde(borrow)]
    pub(super) specversion: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) source: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    pub(super) kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) subject: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) data: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(super) data_base64: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(super) struct CountData {
    pub(super) count: Option<i64>,
    pub(super) attendee: Option<String>,
}
#[derive(Deserialize)]
pub(super) struct OccupancyData {
    pub(super) count: Option<i64>,
    pub(super) confidence: Option<f64>,
}
#[derive(Deserialize)]
pub(super) struct DensityData {
    pub(super) persons_per_m2: Option<f64>,
}
#[derive(Deserialize)]
pub(super) struct QueueData {
    pub(super) length: Option<i64>,
    pub(super) wait_s: Option<f64>,
}
#[derive(Deserialize)]
pub(super) struct ReasonData {
    pub(super) reason: Option<String>,
}
#[derive(Deserialize)]
pub(super) struct GateData {
    pub(super) gate: Option<String>,
}
#[derive(Deserialize)]
pub(super) struct PlanData {
    pub(super) sessions: Option<Vec<String>>,
    pub(super) share_position: Option<bool>,
}
#[derive(Deserialize)]
pub(super) struct FullData {
    pub(super) full: Option<bool>,
    pub(super) reason: Option<String>,
}
#[derive(Deserialize)]
pub(super) struct DelayData {
    pub(super) minutes: Option<i64>,
}
#[derive(Deserialize)]
pub(super) struct SpaceRef {
    pub(super) space: Option<String>,
}
#[derive(Deserialize)]
pub(super) struct StatusData {
    pub(super) status: Option<String>,
}
#[derive(Deserialize)]
pub(super) struct TaskData {
    pub(super) task: Option<String>,
    pub(super) state: Option<String>,
}
#[derive(Deserialize)]
pub(super) struct IncidentData {
    pub(super) severity: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) note: Option<String>,
}

pub(super) fn data_as<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<T, SignalError> {
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

pub(super) fn required<T>(v: Option<T>, field: &str) -> Result<T, SignalError> {
    v.ok_or_else(|| SignalError::malformed(format!("data.{field}"), "is required"))
}

pub(super) fn count_u32(
    v: Option<i64>,
    field: &str,
    default: Option<u32>,
) -> Result<u32, SignalError> {
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

pub(super) fn non_empty(s: Option<String>, field: &str) -> Result<String, SignalError> {
    let s = required(s, field)?;
    if s.trim().is_empty() {
        return Err(SignalError::malformed(
            format!("data.{field}"),
            "must not be empty",
        ));
    }
    Ok(s)
}

pub(super) fn finite(v: f64, field: &str, min: f64, max: f64) -> Result<f64, SignalError> {
    if !v.is_finite() || v < min || v > max {
        return Err(SignalError::malformed(
            format!("data.{field}"),
            format!("must be between {min} and {max}, got {v}"),
        ));
    }
    Ok(v)
}

pub(super) fn enum_field<T: for<'d> Deserialize<'d>>(
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
