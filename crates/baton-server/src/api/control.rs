//! Policies and control: the policy set and modes, pause, the emergency hold, manual actions and overrides.

use super::*;

pub(super) async fn policies(State(s): State<AppState>, _: Reader) -> Response {
    reply(s
        .query(|e, _| {
            let cfg = e.config();
            let errors = &e.state().stats.eval_errors;
            let items = cfg
                .policy_set
                .policies
                .iter()
                .map(|p| {
                    let mode = e.state().modes.get(&p.id).copied().unwrap_or(p.mode);
                    json!({"id": p.id, "version": p.version, "description": p.description,
                           "priority": p.priority, "mode": mode, "on": p.on, "condition": p.condition,
                           "approval_timeout_ms": p.approval_timeout, "on_timeout": p.on_timeout,
                           "eval_errors": errors.get(&p.id).copied().unwrap_or(0)})
                })
                .collect();
            let mut v = list(items, e.position());
            v["version"] = json!(cfg.policy_set.hash);
            v
        })
        .await)
}

/// A new `policies.yaml`, checked against the running spec; refused whole
/// with every error named, or journaled as one `PolicySet` entry.
pub(super) async fn put_policies(State(s): State<AppState>, _: Admin, body: Bytes) -> Response {
    let text = match std::str::from_utf8(&body) {
        Ok(t) => t.to_string(),
        Err(_) => return Problem::bad_field("(body)", "not UTF-8").into_response(),
    };
    let (cfg, _) = match s.ask(|reply| Request::Config { reply }).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let set = match baton_spec::policies_from_yaml("policies.yaml", &text, &cfg.spec) {
        Ok(set) => set,
        Err(diags) => {
            let mut p = Problem::bad_field(
                diags.first().map(|d| d.field.clone()).unwrap_or_default(),
                baton_spec::lines(&diags),
            );
            p.title = "policy set refused";
            return p.into_response();
        }
    };
    let hash = set.hash.clone();
    match s.ask(|reply| Request::Policies { set, reply }).await {
        Ok(Ok(a)) => {
            for o in &a.outputs {
                if let Output::CommandRefused { reason, .. } = o {
                    return Problem::conflict(reason.clone()).into_response();
                }
            }
            ok(json!({"version": hash, "position": a.position}))
        }
        Ok(Err(e)) => Problem::unavailable(e.to_string()).into_response(),
        Err(p) => p.into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct ModeBody {
    mode: Mode,
}

pub(super) async fn set_mode(
    State(s): State<AppState>,
    Operator(caller): Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let b: ModeBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Problem::bad_field("mode", format!("{e}: use auto, approve, suggest or off"))
                .into_response();
        }
    };
    run_as(
        &s,
        &caller,
        CommandKind::SetMode {
            policy: id,
            mode: b.mode,
        },
    )
    .await
}

pub(super) async fn pause(State(s): State<AppState>, Operator(caller): Operator) -> Response {
    run_as(&s, &caller, CommandKind::Pause).await
}

pub(super) async fn resume(State(s): State<AppState>, Operator(caller): Operator) -> Response {
    run_as(&s, &caller, CommandKind::Resume).await
}

#[derive(Deserialize)]
pub(super) struct EmergencyBody {
    #[serde(default = "yes")]
    on: bool,
}

pub(super) fn yes() -> bool {
    true
}

pub(super) async fn emergency(
    State(s): State<AppState>,
    Operator(caller): Operator,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let on = if body.is_empty() {
        true
    } else {
        match serde_json::from_slice::<EmergencyBody>(&body) {
            Ok(b) => b.on,
            Err(e) => return Problem::bad_field("on", e.to_string()).into_response(),
        }
    };
    run_as(&s, &caller, CommandKind::Emergency { on }).await
}

pub(super) async fn manual_action(
    State(s): State<AppState>,
    Operator(caller): Operator,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let action: ManualAction = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return Problem::bad_field(
                "(action)",
                format!("{e}: expected {{kind, target: {{ids: [...]}}, params, valid_for}}"),
            )
            .into_response();
        }
    };
    run_as(&s, &caller, CommandKind::Manual { action }).await
}

pub(super) async fn overrides(State(s): State<AppState>, _: Reader) -> Response {
    listing(&s, |e, _| view::overrides_json(e)).await
}

#[derive(Deserialize)]
pub(super) struct OverrideBody {
    resource: baton_model::ResourceBuf,
    #[serde(default)]
    value: Option<String>,
    /// Journal time (ms) when it ends; or `minutes` from now.
    #[serde(default)]
    until: Option<i64>,
    #[serde(default)]
    minutes: Option<i64>,
}

pub(super) async fn add_override(
    State(s): State<AppState>,
    Operator(caller): Operator,
    body: Bytes,
) -> Response {
    // Who is asking comes before what they sent.
    let b: OverrideBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return Problem::bad_field("(override)", e.to_string()).into_response(),
    };
    let until = match (b.until, b.minutes) {
        (Some(u), _) => u,
        (None, Some(m)) if m > 0 => match m.checked_mul(60_000) {
            Some(ms) => s.core.clock.now_ms() + ms,
            None => return Problem::bad_field("minutes", "too many minutes").into_response(),
        },
        _ => {
            return Problem::bad_field("until", "give `until` (journal ms) or `minutes` > 0")
                .into_response();
        }
    };
    run_as(
        &s,
        &caller,
        CommandKind::Override {
            resource: b.resource,
            value: b.value,
            until,
        },
    )
    .await
}

pub(super) async fn release_override(
    State(s): State<AppState>,
    Operator(caller): Operator,
    Path(resource): Path<String>,
) -> Response {
    run_as(
        &s,
        &caller,
        CommandKind::Release {
            resource: resource.into(),
        },
    )
    .await
}
