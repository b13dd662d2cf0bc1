//! What needs a person: situations, alert cards and their acknowledgement.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct SituationsQuery {
    /// Lowest level shown: low, medium (default) or high.
    min: Option<String>,
}

/// Every active situation at or above `min`, grouped per space.
pub(super) async fn situations(
    State(s): State<AppState>,
    _: Reader,
    Query(q): Query<SituationsQuery>,
) -> Response {
    let min = match q.min.as_deref() {
        None => crate::situations::Level::Medium,
        Some(m) => match crate::situations::Level::parse(m) {
            Some(l) => l,
            None => {
                return Problem::bad_field("min", format!("{m:?}: use low, medium or high"))
                    .into_response();
            }
        },
    };
    reply(
        s.query(move |e, v| {
            list(
                crate::situations::list(e, v, min)
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
                e.position(),
            )
        })
        .await,
    )
}

pub(super) async fn alerts(State(s): State<AppState>, _: Reader) -> Response {
    listing(&s, |e, v| {
        e.state()
            .alerts
            .iter()
            .map(|(id, c)| {
                let first = v.decisions.get(&c.first).map(|r| v.decision_json(r));
                json!({
                    "id": id,
                    "space": match id.parsed() {
                        baton_model::Resource::Alert(space) => Some(space),
                        _ => None,
                    },
                    "count": c.count,
                    "opened": c.opened,
                    "last": c.last,
                    "acked_by": c.acked,
                    "escalated": c.escalated,
                    "first_decision": c.first.to_string(),
                    "first": first,
                })
            })
            .collect()
    })
    .await
}

pub(super) async fn ack_alert(
    State(s): State<AppState>,
    Operator(caller): Operator,
    Path(id): Path<String>,
) -> Response {
    let alert = match baton_model::Resource::parse(&id) {
        baton_model::Resource::Alert(_) => id.into(),
        _ => baton_model::Resource::Alert(&id).into(),
    };
    run_as(&s, &caller, CommandKind::AckAlert { alert }).await
}
