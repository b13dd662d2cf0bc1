//! Decisions: the list, one with its deliveries, approve (optionally edited) and reject; the command helpers every change goes through.

use super::*;

pub(super) async fn decisions(
    State(s): State<AppState>,
    _: Reader,
    Query(f): Query<Filter>,
) -> Response {
    let limit = f.limit.unwrap_or(200).min(5_000);
    reply(
        s.query(move |e, v| {
            let deadlines = view::approval_deadlines(e);
            let mut items: Vec<Value> = v
                .decisions
                .values()
                .rev()
                .map(|r| with_deadline(v.decision_json(r), deadlines.get(&r.decision.id)))
                .filter(|d| {
                    matches(d, "status", &f.status)
                        && matches(d, "policy", &f.policy)
                        && f.space
                            .as_deref()
                            .is_none_or(|sp| d["scope"]["space"].as_str() == Some(sp))
                })
                .take(limit)
                .collect();
            items.reverse();
            list(items, e.position())
        })
        .await,
    )
}

pub(super) fn decision_id(text: &str) -> Result<DecisionId, Problem> {
    serde_json::from_value(json!(text)).map_err(|_| {
        Problem::bad_field(
            "id",
            format!("{text:?} is not a decision id such as 1234.0"),
        )
    })
}

pub(super) async fn decision(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Response {
    let id = match decision_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    match s
        .query(move |e, v| match v.decisions.get(&id) {
            Some(r) => {
                let mut d = with_deadline(
                    v.decision_json(r),
                    view::approval_deadlines(e).get(&r.decision.id),
                );
                d["position"] = json!(e.position());
                d
            }
            None => Value::Null,
        })
        .await
    {
        Ok(Value::Null) => {
            Problem::not_found(format!("no decision {id} in memory")).into_response()
        }
        Ok(mut v) => {
            v["deliveries"] = s.exec.deliveries(&id.to_string());
            ok(v)
        }
        Err(p) => p.into_response(),
    }
}

/// Adds `expires` (journal ms) to a decision that waits for an approval
/// with a timeout, so the console can say when it runs out.
pub(super) fn with_deadline(mut d: Value, deadline: Option<&i64>) -> Value {
    d["expires"] = json!(deadline);
    d
}

/// Turns a command's outputs into an answer: a refusal is 409 with its reason.
pub(super) fn answered(a: Applied) -> Response {
    for o in &a.outputs {
        if let Output::CommandRefused { reason, .. } = o {
            return Problem::conflict(reason.clone()).into_response();
        }
    }
    ok(json!({"position": a.position, "outputs": a.outputs}))
}

/// Journals a command for a caller already checked as an operator.
pub(super) async fn run_as(s: &AppState, caller: &Caller, kind: CommandKind) -> Response {
    match s.command(caller, kind).await {
        Ok(a) => answered(a),
        Err(p) => p.into_response(),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct RejectBody {
    #[serde(default)]
    comment: String,
}

/// A refused approval of a decision that is no longer pending says what
/// became of it (expired, and why; or approved, rejected), from the read
/// model, rather than only "not pending".
pub(super) async fn settled_why(s: &AppState, decision: DecisionId, r: Response) -> Response {
    if r.status() != StatusCode::CONFLICT {
        return r;
    }
    let last = s
        .query(move |_, v| {
            v.decisions
                .get(&decision)
                .and_then(|d| d.history.iter().rev().find(|h| h.get("status").is_some()))
                .cloned()
                .unwrap_or(Value::Null)
        })
        .await
        .unwrap_or(Value::Null);
    match (last["status"].as_str(), last["reason"].as_str()) {
        (Some(st), Some(why)) if st != "pending" && st != "escalated" && !why.is_empty() => {
            Problem::conflict(format!(
                "decision {decision} is not pending: it is {st} ({why})"
            ))
            .into_response()
        }
        (Some(st), _) if st != "pending" && st != "escalated" => {
            Problem::conflict(format!("decision {decision} is not pending: it is {st}"))
                .into_response()
        }
        _ => r,
    }
}

pub(super) async fn approve(
    State(s): State<AppState>,
    Operator(caller): Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let decision = match decision_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    if body.is_empty() || body.as_ref() == b"{}" {
        let r = run_as(&s, &caller, CommandKind::Approve { decision }).await;
        return settled_why(&s, decision, r).await;
    }
    #[derive(Deserialize)]
    struct Edits {
        actions: Vec<baton_model::ActionEdit>,
    }
    match serde_json::from_slice::<Edits>(&body) {
        Ok(e) => {
            run_as(
                &s,
                &caller,
                CommandKind::ApproveEdited {
                    decision,
                    edits: e.actions,
                },
            )
            .await
        }
        Err(e) => Problem::bad_field(
            "actions",
            format!("{e}: expected {{\"actions\": [{{\"index\": N, \"params\": {{...}}, \"drop\": false}}]}}"),
        )
        .into_response(),
    }
}

pub(super) async fn reject(
    State(s): State<AppState>,
    Operator(caller): Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let decision = match decision_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    let b: RejectBody = if body.is_empty() {
        RejectBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return Problem::bad_field("comment", e.to_string()).into_response(),
        }
    };
    run_as(
        &s,
        &caller,
        CommandKind::Reject {
            decision,
            comment: b.comment,
        },
    )
    .await
}
