//! Staff tasks over HTTP: the desk's list of open tasks and reassignment
//! (operators), and a staff member's own tasks with their updates (the
//! `staff` role, whose token name is their staff id in the event).
//!
//! A staff member's update is journaled as the `staff.task` signal their
//! messenger would send (source `console`), so the engine has one way in
//! for it; its id names the assignment, so pressing a button twice is a
//! duplicate, not a second update.

use super::{AppState, Operator, Reader, ok, reply};
use crate::auth::{Caller, Role};
use crate::problem::Problem;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use baton_core::Engine;
use baton_core::state::TaskStage;
use baton_model::CommandKind;
use baton_model::signal::TaskState;
use serde::Deserialize;
use serde_json::{Value, json};

fn stage(s: TaskStage) -> &'static str {
    match s {
        TaskStage::Assigned => "assigned",
        TaskStage::Acknowledged => "acknowledged",
        TaskStage::Arrived => "arrived",
        TaskStage::Waiting => "waiting",
    }
}

/// Every open task, oldest first, with who has it and where.
fn tasks_json(e: &Engine, only: Option<u32>) -> Vec<Value> {
    let cfg = e.config();
    let st = e.state();
    let mut items: Vec<(i64, Value)> = st
        .tasks
        .iter()
        .filter(|(_, t)| only.is_none_or(|sf| t.staff == sf && t.stage != TaskStage::Waiting))
        .map(|(id, t)| {
            let space = &cfg.spec.spaces[t.space as usize];
            let waiting = t.stage == TaskStage::Waiting;
            let person = &cfg.spec.staff[t.staff as usize];
            (
                t.since,
                json!({
                    "id": id,
                    "stage": stage(t.stage),
                    "space": space.id,
                    "space_name": space.name,
                    "role": t.role,
                    "note": t.note,
                    "staff": (!waiting).then(|| person.id.clone()),
                    "staff_name": (!waiting).then(|| person.name.clone()),
                    "since": t.since,
                    "valid_until": t.valid_until,
                    "asked": t.passed.len() + usize::from(!waiting),
                    "decision": t.decision.to_string(),
                    "policy": t.policy,
                }),
            )
        })
        .collect();
    items.sort_by_key(|(since, _)| *since);
    items.into_iter().map(|(_, v)| v).collect()
}

pub(super) async fn list(State(s): State<AppState>, _: Reader) -> Response {
    reply(
        s.query(|e, _| json!({"items": tasks_json(e, None), "position": e.position()}))
            .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReassignBody {
    /// A staff id; absent or null: the best other person free.
    #[serde(default)]
    to: Option<String>,
}

pub(super) async fn reassign(
    State(s): State<AppState>,
    Operator(caller): Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b: ReassignBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReassignBody { to: None }
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return Problem::bad_field(
                    "to",
                    format!("{e}: send {{\"to\": \"STAFF-ID\"}} or {{}}"),
                )
                .into_response();
            }
        }
    };
    super::run_as(
        &s,
        &caller,
        CommandKind::ReassignTask { task: id, to: b.to },
    )
    .await
}

/// The caller's staff index: a `staff` token whose name is a staff id.
async fn staff_of(
    s: &AppState,
    headers: &HeaderMap,
    mutating: bool,
) -> Result<(Caller, u32), Problem> {
    let c = s.caller_with(headers, mutating)?;
    if c.role != Role::Staff {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this is a staff member's own task list: sign in with a staff token (baton token create --role staff --name STAFF-ID)",
        ));
    }
    let name = c.name.clone();
    let found = s
        .query(move |e, _| json!(e.config().staff_idx.get(name.as_str()).copied()))
        .await?;
    match found.as_u64() {
        Some(sf) => Ok((c, sf as u32)),
        None => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "the token's name {:?} is not a staff id in this event's staff list",
                c.name
            ),
        )),
    }
}

pub(super) async fn mine(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let sf = match staff_of(&s, &headers, false).await {
        Ok((_, sf)) => sf,
        Err(p) => return p.into_response(),
    };
    reply(
        s.query(move |e, _| {
            let mut me = crate::view::staff_json(e, sf);
            if let Some(o) = me.as_object_mut() {
                o.remove("tasks");
            }
            json!({
                "me": me,
                "event": e.config().spec.event.name,
                "items": tasks_json(e, Some(sf)),
                "now": e.state().now,
                "position": e.position(),
            })
        })
        .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    state: TaskState,
}

pub(super) async fn update(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let sf = match staff_of(&s, &headers, true).await {
        Ok((_, sf)) => sf,
        Err(p) => return p.into_response(),
    };
    let b: UpdateBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Problem::bad_field(
                "state",
                format!("{e}: use acknowledged, arrived, done or declined"),
            )
            .into_response();
        }
    };
    // Only the person who has the task may update it; the engine would
    // ignore anyone else's update, but they should hear why.
    let task = id.clone();
    let held = s
        .query(move |e, _| {
            let st = e.state();
            match st.tasks.get(&task) {
                Some(t) if t.staff == sf && t.stage != TaskStage::Waiting => {
                    json!({"since": t.since, "staff": e.config().spec.staff[sf as usize].id})
                }
                _ => Value::Null,
            }
        })
        .await;
    let held = match held {
        Ok(Value::Null) => {
            return Problem::not_found(format!("you have no open task {id:?}")).into_response();
        }
        Ok(v) => v,
        Err(p) => return p.into_response(),
    };
    let state = serde_json::to_value(b.state).unwrap_or(Value::Null);
    let staff = held["staff"].as_str().unwrap_or_default();
    let event = json!({
        "specversion": "1.0",
        "id": format!("console:{staff}:{id}:{}:{}", held["since"], state.as_str().unwrap_or_default()),
        "source": "console",
        "type": "staff.task",
        "subject": staff,
        "data": {"task": id, "state": state},
    });
    match s.journal_for(&event).await {
        Ok(r) => ok(json!({
            "task": id,
            "state": state,
            "duplicate": r.duplicates == 1,
            "position": r.position,
        })),
        Err(p) => p.into_response(),
    }
}
