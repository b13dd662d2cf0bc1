//! The audit timeline and the live stream (SSE, resumable by `Last-Event-ID`).

use super::*;

pub(super) async fn audit(
    State(s): State<AppState>,
    _: Reader,
    Query(f): Query<Filter>,
) -> Response {
    let limit = f.limit.unwrap_or(500).min(10_000);
    reply(
        s.query(move |e, v| {
            let mut items: Vec<Value> = v
                .audit
                .iter()
                .rev()
                .filter(|a| {
                    f.since.is_none_or(|x| a.at >= x)
                        && f.until.is_none_or(|x| a.at <= x)
                        && f.before.is_none_or(|b| a.position < b)
                        && f.policy
                            .as_deref()
                            .is_none_or(|p| a.policy.as_deref() == Some(p))
                        && f.space
                            .as_deref()
                            .is_none_or(|sp| a.space.as_deref() == Some(sp))
                        && f.decision.as_deref().is_none_or(|d| {
                            a.id.as_deref() == Some(d) || a.decision.as_deref() == Some(d)
                        })
                })
                // A page never splits one journal position's entries, so
                // `before` (the oldest position shown) skips nothing.
                .scan(None::<u64>, |last, a| {
                    let pos = Some(a.position);
                    Some((std::mem::replace(last, pos) == pos, a))
                })
                .enumerate()
                .take_while(|(i, (same, _))| *i < limit || *same)
                .map(|(_, (_, a))| a.json())
                .collect();
            items.reverse();
            list(items, e.position())
        })
        .await,
    )
}

#[derive(Deserialize, Default)]
pub(super) struct StreamQuery {
    topics: Option<String>,
    /// `Last-Event-ID` for clients that cannot set headers: a console that
    /// reopens its `EventSource` itself resumes from here.
    last_event_id: Option<String>,
}

/// Server-Sent Events. An event's id is its journal position; send
/// `Last-Event-ID` to resume. A client that falls behind is told to resync
/// (`event: resync`) instead of being buffered without bound.
pub(super) async fn stream(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, Problem> {
    s.reader(&headers)?;
    // An unknown topic is refused by name (it used to match nothing, so a
    // typo gave a silent stream).
    let topics: Option<Vec<Topic>> = match q.topics {
        None => None,
        Some(t) => Some(
            t.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| {
                    x.parse::<Topic>()
                        .map_err(|e| Problem::bad_field("topics", e))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    // `SEQ.SUB` as sent; a bare `SEQ` means everything at SEQ was seen.
    let last: Option<(u64, u32)> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(q.last_event_id.as_deref())
        .and_then(|v| match v.trim().split_once('.') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => Some((v.trim().parse().ok()?, u32::MAX)),
        });
    let rx = s.core.events.subscribe();
    let backlog = match last {
        None => Value::Null,
        Some(after) => {
            s.query(move |_, v| {
                if after.0 < v.dropped_through || after.0 < v.history_from {
                    return json!({"resync": true});
                }
                let mut latest: BTreeMap<String, (u64, u32, &'static str, String)> =
                    BTreeMap::new();
                let mut order = Vec::new();
                let mut newest = after;
                for e in v.recent.iter().filter(|e| (e.seq, e.sub) > after) {
                    newest = newest.max((e.seq, e.sub));
                    if latest
                        .insert(
                            e.key.clone(),
                            (e.seq, e.sub, e.topic.as_str(), e.data.to_string()),
                        )
                        .is_none()
                    {
                        order.push(e.key.clone());
                    }
                }
                json!({
                    "newest": [newest.0, newest.1],
                    "events": order.iter().filter_map(|k| latest.get(k)).map(|(seq, sub, t, d)| json!([seq, sub, t, d])).collect::<Vec<_>>(),
                })
            })
            .await?
        }
    };
    // Events the backlog already covered may also sit in the live channel.
    let newest: Option<(u64, u32)> = backlog["newest"].as_array().map(|a| {
        (
            a.first().and_then(Value::as_u64).unwrap_or(0),
            a.get(1).and_then(Value::as_u64).unwrap_or(0) as u32,
        )
    });
    let wanted = move |topic: &str| {
        topics
            .as_ref()
            .is_none_or(|t| t.iter().any(|x| x.as_str() == topic))
    };
    let wanted2 = wanted.clone();
    let mut first: Vec<SseEvent> = Vec::new();
    if backlog["resync"] == json!(true) {
        first.push(SseEvent::default().event("resync").data("{}"));
    }
    if let Some(evs) = backlog["events"].as_array() {
        for e in evs {
            let (seq, sub, topic, data) = (
                e[0].as_u64().unwrap_or(0),
                e[1].as_u64().unwrap_or(0),
                e[2].as_str().unwrap_or(""),
                e[3].as_str().unwrap_or(""),
            );
            if wanted2(topic) {
                first.push(
                    SseEvent::default()
                        .id(format!("{seq}.{sub}"))
                        .event(topic)
                        .data(data),
                );
            }
        }
    }
    let live = tokio_stream::wrappers::BroadcastStream::new(rx);
    use futures_util::StreamExt;
    let live = live.filter_map(move |item| {
        let out = match item {
            Ok(e) if newest.is_some_and(|n| (e.seq, e.sub) <= n) => None,
            Ok(e) if wanted(e.topic.as_str()) => Some(Ok(SseEvent::default()
                .id(format!("{}.{}", e.seq, e.sub))
                .event(e.topic.as_str())
                .data(&*e.data))),
            Ok(_) => None,
            Err(_) => Some(Ok(SseEvent::default()
                .event("resync")
                .data("{\"reason\": \"lagged\"}"))),
        };
        std::future::ready(out)
    });
    let head = futures_util::stream::iter(first.into_iter().map(Ok));
    let mut closing = s.closing.clone();
    let until = async move {
        let _ = closing.wait_for(|c| *c).await;
    };
    Ok(Sse::new(head.chain(live).take_until(until)).keep_alive(KeepAlive::default()))
}
