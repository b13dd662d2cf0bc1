//! The trust boundary: bounds, data shape, base64 and the envelope, read into a typed Signal.

use super::*;

pub(super) fn bounded_attr(v: &str, field: &str, max: usize) -> Result<(), SignalError> {
    if v.len() > max {
        return Err(SignalError::malformed(
            field,
            format!("is {} bytes; at most {max} are allowed", v.len()),
        ));
    }
    Ok(())
}

pub(super) fn bounded(v: String, field: &str, max: usize) -> Result<String, SignalError> {
    bounded_attr(&v, &format!("data.{field}"), max)?;
    Ok(v)
}

pub(super) fn bounded_opt(
    v: Option<String>,
    field: &str,
    max: usize,
) -> Result<Option<String>, SignalError> {
    v.map(|v| bounded(v, field, max)).transpose()
}

/// Refuses `data` over [`limits::DATA_BYTES`] or nested deeper than
/// [`limits::DATA_DEPTH`], by a scan of the bytes before anything parses it.
pub(super) fn check_data_shape(text: &str) -> Result<(), SignalError> {
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
pub(super) fn decode_base64_json(b64: &str) -> Result<Box<RawValue>, SignalError> {
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
            SpaceFull => {
                let d: FullData = data_as(raw)?;
                SignalData::Full {
                    full: required(d.full, "full")?,
                    reason: bounded_opt(d.reason, "reason", limits::TEXT_BYTES)?,
                }
            }
            AttendeeCheckedIn => SignalData::CheckedIn {
                gate: bounded_opt(data_as::<GateData>(raw)?.gate, "gate", limits::ID_BYTES)?,
            },
            AttendeePlan => {
                let d: PlanData = data_as(raw)?;
                let share_position = d.share_position.unwrap_or(false);
                let sessions = required(d.sessions, "sessions")?;
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
                SignalData::Plan {
                    sessions,
                    share_position,
                }
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
            SignalData::Plan {
                sessions,
                share_position,
            } => {
                if *share_position {
                    json!({"sessions": sessions, "share_position": true})
                } else {
                    json!({"sessions": sessions})
                }
            }
            SignalData::Full { full, reason } => match reason {
                Some(r) => json!({"full": full, "reason": r}),
                None => json!({"full": full}),
            },
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
