//! Execution health: connectors and dead letters.

use super::*;

pub(super) async fn connectors(State(s): State<AppState>, _: Reader) -> Response {
    let mut v = s.exec.connectors_json();
    v["position"] = json!(s.core.position());
    ok(v)
}

pub(super) async fn deadletters(State(s): State<AppState>, _: Reader) -> Response {
    let mut v = s.exec.dead_letters();
    v["position"] = json!(s.core.position());
    ok(v)
}

pub(super) async fn retry_deadletter(
    State(s): State<AppState>,
    _: Operator,
    Path(key): Path<String>,
) -> Response {
    use crate::exec::RetryError;
    match s.exec.retry(&key) {
        Ok(()) => ok(json!({"retrying": key})),
        Err(RetryError::NotFound(e)) => Problem::not_found(e).into_response(),
        Err(RetryError::Refused(e)) => Problem::conflict(e).into_response(),
        Err(RetryError::Store(e)) => Problem::unavailable(e).into_response(),
    }
}
