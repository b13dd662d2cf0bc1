//! What-if simulations on the server's twin.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SimBody {
    /// "live", "none", or the text of a policies.yaml.
    a: Option<String>,
    b: Option<String>,
    seeds: Option<u32>,
}

pub(super) async fn start_simulation(
    State(s): State<AppState>,
    Operator(caller): Operator,
    body: Bytes,
) -> Response {
    use crate::sims::{MAX_SEEDS, Side};
    let body: SimBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return Problem::bad_field("(body)", e.to_string()).into_response(),
    };
    let seeds = body.seeds.unwrap_or(10);
    if seeds == 0 || seeds > MAX_SEEDS {
        return Problem::bad_field("seeds", format!("{seeds} is not between 1 and {MAX_SEEDS}"))
            .into_response();
    }
    let a = Side::parse(body.a.as_deref());
    let b = Side::parse(Some(body.b.as_deref().unwrap_or("none")));
    let (cfg, now) = match s.ask(|reply| Request::Config { reply }).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let pa = match a.resolve("a", &cfg.spec, &cfg.policy_set) {
        Ok(p) => p,
        Err(e) => return Problem::bad_field("a", e).into_response(),
    };
    let pb = match b.resolve("b", &cfg.spec, &cfg.policy_set) {
        Ok(p) => p,
        Err(e) => return Problem::bad_field("b", e).into_response(),
    };
    let (la, lb) = crate::sims::labels(&a, &b);
    let req = crate::sims::Request {
        event_dir: s.event_dir.clone(),
        config: cfg,
        a: (la, pa),
        b: (lb, pb),
        seeds,
        actor: caller.name.clone(),
        now,
    };
    // Loading twin.yaml and attendees.csv reads files: off the async runtime.
    let sims = s.sims.clone();
    let started = match tokio::task::spawn_blocking(move || sims.start(req)).await {
        Ok(r) => r,
        Err(e) => Err(crate::sims::StartError::Internal(e.to_string())),
    };
    match started {
        Ok(job) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({"id": job.id, "total": job.total})),
        )
            .into_response(),
        Err(e @ crate::sims::StartError::Busy) => Problem::conflict(e.to_string()).into_response(),
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}

pub(super) async fn get_simulation(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Response {
    match s.sims.get(&id) {
        Some(v) => ok(v),
        None => Problem::not_found(format!("simulation {id}")).into_response(),
    }
}

pub(super) async fn list_simulations(State(s): State<AppState>, _: Reader) -> Response {
    ok(s.sims.list())
}
