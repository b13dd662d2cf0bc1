//! The read model the API serves: decisions with their history, the audit
//! timeline, and recent stream events for `Last-Event-ID` resume. Built from
//! the core's outputs on the core thread, so it is always consistent with
//! the position it reports.

use baton_core::context::Ctx;
use baton_core::{Decision, Engine, Output, Status};
use baton_model::DecisionId;
use baton_policy::{Field, field_value};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// How many decisions the API keeps in memory; older ones stay in the
/// journal and `baton explain` reconstructs them.
const DECISIONS: usize = 20_000;
const AUDIT: usize = 50_000;
/// Stream events kept for resume; older `Last-Event-ID`s get a resync.
pub const RECENT: usize = 10_000;

#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    #[serde(flatten)]
    pub decision: Decision,
    /// The current status (the decision's own field is the status it was made with).
    pub current: Status,
    pub history: Vec<Value>,
}

/// One stream event: its id is the journal position it came from.
#[derive(Debug, Clone)]
pub struct Event {
    pub seq: u64,
    /// Index among the events of one journal position: `seq.sub` is the
    /// stream id, unique, so a client can resume in the middle of an entry.
    pub sub: u32,
    pub topic: &'static str,
    /// Coalescing key: a newer event with the same key replaces an older one
    /// for a lagging client.
    pub key: String,
    pub data: Arc<str>,
}

#[derive(Default)]
pub struct View {
    pub decisions: BTreeMap<DecisionId, DecisionRecord>,
    pub audit: VecDeque<Value>,
    pub recent: VecDeque<Event>,
    /// The last (seq, sub) handed out.
    last_id: (u64, u32),
    /// The newest position whose events left `recent`: a client resuming
    /// from before it has missed events and must resync.
    pub dropped_through: u64,
    /// Positions before this were not replayed into the view at start-up.
    pub history_from: u64,
}

fn status_str(s: Status) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl View {
    /// Folds one entry's outputs in; returns the stream events they make.
    pub fn absorb(&mut self, seq: u64, at: i64, outputs: &[Output]) -> Vec<Event> {
        let mut events = Vec::new();
        for o in outputs {
            let data = serde_json::to_value(o).unwrap_or(Value::Null);
            let (topic, key) = match o {
                Output::Decision(d) => {
                    self.decisions.insert(
                        d.id,
                        DecisionRecord {
                            decision: (**d).clone(),
                            current: d.status,
                            history: Vec::new(),
                        },
                    );
                    while self.decisions.len() > DECISIONS {
                        self.decisions.pop_first();
                    }
                    ("decisions", d.id.to_string())
                }
                Output::DecisionUpdate {
                    decision, status, ..
                } => {
                    if let Some(r) = self.decisions.get_mut(decision) {
                        r.current = *status;
                        r.history.push(data.clone());
                    }
                    ("decisions", decision.to_string())
                }
                Output::Execute { decision, .. } => {
                    if let Some(r) = self.decisions.get_mut(decision) {
                        r.history.push(json!({"kind": "execute", "at": at}));
                    }
                    ("actions", format!("execute:{decision}"))
                }
                Output::ActionOutcome {
                    decision, action, ..
                } => ("actions", format!("outcome:{decision}/{action}")),
                Output::Task { task, .. } => ("tasks", task.clone()),
                Output::CommandRefused { .. } => ("commands", format!("refused:{seq}")),
                Output::OverrideEnded { resource, .. } => ("overrides", resource.clone()),
                Output::SignalRejected { .. } => ("signals", format!("rejected:{seq}")),
            };
            self.audit
                .push_back(json!({"position": seq, "at": at, "output": data}));
            while self.audit.len() > AUDIT {
                self.audit.pop_front();
            }
            let ev = self.remember(Event {
                seq,
                sub: 0,
                topic,
                key,
                data: Arc::from(data.to_string()),
            });
            events.push(ev);
        }
        events
    }

    /// Numbers the event within its position, keeps it for resume, and
    /// returns it as numbered.
    pub fn remember(&mut self, mut e: Event) -> Event {
        e.sub = if e.seq == self.last_id.0 && (e.seq, 0) != (0, 0) {
            self.last_id.1 + 1
        } else {
            0
        };
        self.last_id = (e.seq, e.sub);
        self.recent.push_back(e.clone());
        while self.recent.len() > RECENT {
            if let Some(old) = self.recent.pop_front() {
                self.dropped_through = self.dropped_through.max(old.seq);
            }
        }
        e
    }

    pub fn decision_json(&self, r: &DecisionRecord) -> Value {
        let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
        v["status"] = json!(status_str(r.current));
        v
    }
}

/// Every `prefix.*` field of the typed context, as JSON: the API shows
/// exactly what policies read.
pub fn fields_json(ctx: &Ctx<'_>, prefix: &str) -> Value {
    let mut m = serde_json::Map::new();
    for f in Field::ALL {
        if let Some(name) = f.path().strip_prefix(prefix) {
            m.insert(
                name.to_string(),
                serde_json::to_value(field_value(*f, ctx)).unwrap_or(Value::Null),
            );
        }
    }
    Value::Object(m)
}

pub fn space_json(engine: &Engine, sp: u32) -> Value {
    let cfg = engine.config();
    let st = engine.state();
    let session = baton_core::context::current_session(cfg, st, sp, st.now);
    let ctx = Ctx {
        cfg,
        st,
        space: Some(sp),
        session,
        signal: Default::default(),
    };
    let mut v = fields_json(&ctx, "space.");
    v["session"] = json!(session.map(|s| cfg.spec.sessions[s as usize].id.clone()));
    v["last_seen"] = json!(st.spaces[sp as usize].last_seen);
    v
}

pub fn session_json(engine: &Engine, se: u32) -> Value {
    let cfg = engine.config();
    let st = engine.state();
    let space = baton_core::context::session_space(cfg, st, se);
    let ctx = Ctx {
        cfg,
        st,
        space,
        session: Some(se),
        signal: Default::default(),
    };
    let mut v = fields_json(&ctx, "session.");
    let s = &cfg.spec.sessions[se as usize];
    v["start"] = json!(s.start);
    v["end"] = json!(s.end);
    v["tags"] = json!(s.tags);
    v
}

pub fn staff_json(engine: &Engine, sf: u32) -> Value {
    let cfg = engine.config();
    let st = &engine.state().staff[sf as usize];
    let s = &cfg.spec.staff[sf as usize];
    json!({
        "id": s.id,
        "name": s.name,
        "roles": s.roles,
        "zone": s.zone,
        "space": st.space.map(|x| cfg.spec.spaces[x as usize].id.clone()),
        "status": st.status,
        "tasks": st.tasks.iter().map(|t| {
            let task = engine.state().tasks.get(t);
            json!({
                "id": t,
                "space": task.map(|x| cfg.spec.spaces[x.space as usize].id.clone()),
                "role": task.map(|x| x.role.clone()),
                "stage": task.map(|x| x.stage),
                "policy": task.map(|x| x.policy.clone()),
            })
        }).collect::<Vec<_>>(),
    })
}

pub fn sign_json(engine: &Engine, sg: u32) -> Value {
    let cfg = engine.config();
    let st = engine.state();
    let s = &cfg.spec.signs[sg as usize];
    let resource = format!("sign:{}", s.id);
    json!({
        "id": s.id,
        "space": s.space,
        "default": s.default_content,
        "showing": st.published_signs.get(&sg).cloned().unwrap_or_else(|| s.default_content.clone()),
        "desired": st.desired_signs.get(&sg),
        "override": st.overrides.get(&resource).map(|o| json!({"value": o.value, "until": o.until, "actor": o.actor})),
        "claim": st.claims.get(&resource).map(|c| json!({"policy": c.policy, "priority": c.priority, "until": c.until})),
    })
}

/// What every console page shows in its header: pause, emergency hold,
/// journal time and the clock's mode, the policy modes operators changed,
/// and the active overrides. Pushed on the stream (`control`) after every
/// command and once per journal minute, so the console never polls for it.
pub fn control_json(engine: &Engine, clock: crate::clock::ClockMode) -> Value {
    let st = engine.state();
    json!({
        "now": st.now,
        "paused": st.paused,
        "emergency": st.emergency,
        "clock": clock.as_str(),
        "modes": st.modes,
        "overrides": overrides_json(engine),
    })
}

pub fn overrides_json(engine: &Engine) -> Vec<Value> {
    engine
        .state()
        .overrides
        .iter()
        .map(|(r, o)| json!({"resource": r, "value": o.value, "until": o.until, "actor": o.actor}))
        .collect()
}

/// When each pending approval times out, from the engine's timers.
pub fn approval_deadlines(engine: &Engine) -> BTreeMap<DecisionId, i64> {
    engine
        .state()
        .timers
        .iter()
        .filter_map(|(at, t)| match t {
            baton_core::state::Timer::Approval { decision } => Some((*decision, *at)),
            _ => None,
        })
        .collect()
}
