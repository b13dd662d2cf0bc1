//! Signals in: `POST /v1/signals` in structured, batch and binary CloudEvents mode.

use super::*;

/// One CloudEvent (structured mode, or binary mode with `ce-*` headers), or
/// a batch (`application/cloudevents-batch+json`, a JSON array) accepted or
/// refused whole. Answers once durable.
pub(super) async fn ingest(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    // Who is asking, and whether they may post, comes before reading what
    // they sent (the `admit` layer has already bounded its size).
    match s.caller(&headers) {
        Ok(c) if matches!(c.role, Role::Ingest | Role::Operator | Role::Admin) => {}
        Ok(_) => return Problem::forbidden("ingest").into_response(),
        Err(p) => return p.into_response(),
    }
    let mode = match Carry::of(&headers) {
        Ok(m) => m,
        Err(p) => {
            crate::admit::drain(body, MAX_BODY).await;
            return p.into_response();
        }
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        // The `admit` layer answers for a body cut off (size, budget, time).
        Err(_) => {
            return Problem::bad_field("(body)", "the body could not be read").into_response();
        }
    };
    match ingest_inner(&s, &headers, mode, &body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

/// How a request carries its CloudEvents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Carry {
    Structured,
    Batch,
    Binary,
}

impl Carry {
    /// From the headers: `ce-specversion` means binary mode; otherwise the
    /// content type must be JSON (or absent, which is read as structured).
    fn of(headers: &HeaderMap) -> Result<Carry, Problem> {
        if headers.contains_key("ce-specversion") {
            return Ok(Carry::Binary);
        }
        let ctype = headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("(not text)"))
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        match ctype.as_deref() {
            Some("application/cloudevents-batch+json") => Ok(Carry::Batch),
            None | Some("application/cloudevents+json" | "application/json") => {
                Ok(Carry::Structured)
            }
            Some(other) => {
                let mut p = Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported media type",
                    format!(
                        "content-type {other:?}: send application/cloudevents+json (one event), \
                         application/cloudevents-batch+json (a batch), or binary mode with ce-* headers"
                    ),
                );
                p.field = Some("content-type".into());
                Err(p)
            }
        }
    }
}

/// The CloudEvents attributes of a binary-mode request, from its headers.
pub(super) fn binary_attrs(
    headers: &HeaderMap,
) -> Result<baton_model::signal::BinaryAttrs<'_>, Problem> {
    let get = |name: &str| -> Result<Option<&str>, Problem> {
        headers
            .get(name)
            .map(|v| {
                v.to_str()
                    .map_err(|_| Problem::bad_field(name.to_string(), "is not visible ASCII"))
            })
            .transpose()
    };
    Ok(baton_model::signal::BinaryAttrs {
        specversion: get("ce-specversion")?,
        id: get("ce-id")?,
        source: get("ce-source")?,
        kind: get("ce-type")?,
        subject: get("ce-subject")?,
        time: get("ce-time")?,
    })
}

/// Parses and journals a body from a caller already allowed to post.
pub(super) async fn ingest_inner(
    s: &AppState,
    headers: &HeaderMap,
    mode: Carry,
    body: &[u8],
) -> Result<Response, Problem> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Problem::bad_field("(body)", "the body is not UTF-8"))?;
    let signals = match mode {
        Carry::Batch => {
            let items: Vec<&serde_json::value::RawValue> =
                serde_json::from_str(text).map_err(|e| {
                    Problem::bad_field(
                        "(batch)",
                        format!("a batch is a JSON array of CloudEvents: {e}"),
                    )
                })?;
            let mut out = Vec::with_capacity(items.len());
            for (i, raw) in items.iter().enumerate() {
                let sig = Signal::parse_json(raw.get()).map_err(|e| {
                    Problem::bad_field(format!("[{i}].{}", e.field), e.message.clone())
                })?;
                out.push(sig);
            }
            out
        }
        Carry::Binary => {
            let attrs = binary_attrs(headers)?;
            let sig = Signal::parse_binary(&attrs, text).map_err(|e| {
                let field = match e.field.as_str() {
                    "specversion" | "id" | "source" | "type" | "subject" | "time" => {
                        format!("ce-{}", e.field)
                    }
                    _ => e.field.clone(),
                };
                Problem::bad_field(field, e.message.clone())
            })?;
            vec![sig]
        }
        Carry::Structured if text.trim_start().starts_with('[') => {
            return Err(Problem::bad_field(
                "(body)",
                "a JSON array is a batch: send it with content-type application/cloudevents-batch+json",
            ));
        }
        Carry::Structured => vec![
            Signal::parse_json(text)
                .map_err(|e| Problem::bad_field(e.field.clone(), e.message.clone()))?,
        ],
    };
    let batch = mode == Carry::Batch;
    let n = signals.len();
    if !s.core.reserve(n) {
        return Err(Problem::busy());
    }
    let r: Ingested = match s.ask(|reply| Request::Ingest { signals, reply }).await {
        Ok(Ok(r)) => r,
        Ok(Err(IngestError::Unknown {
            index,
            field,
            message,
        })) => {
            let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown", message);
            p.field = Some(if batch {
                format!("[{index}].{field}")
            } else {
                field.to_string()
            });
            return Err(p);
        }
        Ok(Err(IngestError::Journal(e))) => return Err(Problem::unavailable(e)),
        Err(p) => {
            // Refused before it reached the core: give the room back.
            if p.status == StatusCode::TOO_MANY_REQUESTS {
                s.core.release(n);
            }
            return Err(p);
        }
    };
    if !batch && r.duplicates == 1 {
        return Ok(ok(json!({"duplicate": true, "position": r.position})));
    }
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "accepted": r.accepted,
            "duplicates": r.duplicates,
            "received": n,
            "position": r.position,
        })),
    )
        .into_response())
}
