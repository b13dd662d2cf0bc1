//! The read model the API serves: decisions with their history, the audit
//! timeline, and recent stream events for `Last-Event-ID` resume. Built from
//! the core's outputs on the core thread, so it is always consistent with
//! the position it reports.

use crate::topic::Topic;
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
/// Each part of the read model is also capped in bytes (its JSON size,
/// a close proxy for what it holds): a redirect decision can carry
/// thousands of recipients, so a count alone does not bound memory.
pub const DECISION_BYTES: usize = 64 << 20;
pub const AUDIT_BYTES: usize = 64 << 20;
pub const RECENT_BYTES: usize = 32 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    #[serde(flatten)]
    pub decision: Decision,
    /// The current status (the decision's own field is the status it was made with).
    pub current: Status,
    pub history: Vec<Value>,
    /// Its size as JSON when made, for the byte cap.
    #[serde(skip)]
    pub bytes: usize,
}

/// One stream event: its id is the journal position it came from.
#[derive(Debug, Clone)]
pub struct Event {
    pub seq: u64,
    /// Index among the events of one journal position: `seq.sub` is the
    /// stream id, unique, so a client can resume in the middle of an entry.
    pub sub: u32,
    pub topic: Topic,
    /// Coalescing key: a newer event with the same key replaces an older one
    /// for a lagging client.
    pub key: String,
    pub data: Arc<str>,
}

/// One audit entry. The output is kept as its JSON text, the same `Arc` its
/// stream event holds: a `serde_json::Value` tree costs five to six times
/// its text, which a byte cap on the text would not see. What the audit's
/// filters compare is taken out once; the text is parsed only for the
/// entries a query returns.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub position: u64,
    pub at: i64,
    pub output: Arc<str>,
    pub policy: Option<Box<str>>,
    pub space: Option<Box<str>>,
    /// The output's `id` and `decision` fields.
    pub id: Option<Box<str>>,
    pub decision: Option<Box<str>>,
}

impl AuditEntry {
    fn new(position: u64, at: i64, output: Arc<str>, data: &Value) -> AuditEntry {
        let text = |v: &Value| v.as_str().map(Box::from);
        AuditEntry {
            position,
            at,
            output,
            policy: text(&data["policy"]),
            space: text(&data["scope"]["space"]),
            id: text(&data["id"]),
            decision: text(&data["decision"]),
        }
    }

    /// What it holds: the text, the filter fields and the entry itself.
    fn bytes(&self) -> usize {
        let len = |s: &Option<Box<str>>| s.as_ref().map_or(0, |s| s.len());
        std::mem::size_of::<AuditEntry>()
            + self.output.len()
            + len(&self.policy)
            + len(&self.space)
            + len(&self.id)
            + len(&self.decision)
    }

    /// As the audit API shows it.
    pub fn json(&self) -> Value {
        let output = serde_json::from_str::<Value>(&self.output).unwrap_or(Value::Null);
        json!({"position": self.position, "at": self.at, "output": output})
    }
}

impl Event {
    /// What it holds: its texts (the data's `Arc` counted whole, though the
    /// audit shares it) and itself.
    fn bytes(&self) -> usize {
        std::mem::size_of::<Event>() + 16 + self.data.len() + self.key.len()
    }
}

#[derive(Default)]
pub struct View {
    pub decisions: BTreeMap<DecisionId, DecisionRecord>,
    pub audit: VecDeque<AuditEntry>,
    pub recent: VecDeque<Event>,
    /// The last (seq, sub) handed out.
    last_id: (u64, u32),
    /// The newest position whose events left `recent`: a client resuming
    /// from before it has missed events and must resync.
    pub dropped_through: u64,
    /// Positions before this were not replayed into the view at start-up.
    pub history_from: u64,
    /// Spaces crowded now (level E/F or over capacity), since when in
    /// journal time: the age of a crowding situation.
    pub crowded_since: BTreeMap<u32, i64>,
    /// The situations last pushed on the stream, to push only changes.
    pub situations_pushed: String,
    /// Per-space samples a journal minute, for sparklines and the detail view.
    pub history: crate::history::History,
    /// Bytes held by each part (JSON sizes), against the `*_BYTES` caps.
    decision_bytes: usize,
    audit_bytes: usize,
    recent_bytes: usize,
}

/// Gives back a deque's spare capacity after a burst (when it holds less
/// than a quarter of it).
fn shrink<T>(d: &mut VecDeque<T>) {
    if d.capacity() > 1024 && d.capacity() > 4 * d.len() {
        d.shrink_to(2 * d.len());
    }
}

fn status_str(s: Status) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `data` with every notification's `recipients` list replaced by its
/// count; `None` when it names nobody.
pub fn aggregate_recipients(data: &Value, text: &str) -> Option<Value> {
    fn walk(v: &mut Value, changed: &mut bool) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "recipients"
                        && let Value::Array(list) = x
                    {
                        *x = json!({"count": list.len()});
                        *changed = true;
                    } else {
                        walk(x, changed);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, changed)),
            _ => {}
        }
    }
    if !text.contains("\"recipients\"") {
        return None;
    }
    let mut v = data.clone();
    let mut changed = false;
    walk(&mut v, &mut changed);
    changed.then_some(v)
}

impl View {
    /// Folds one entry's outputs in; returns the stream events they make.
    pub fn absorb(&mut self, seq: u64, at: i64, outputs: &[Output]) -> Vec<Event> {
        let mut events = Vec::new();
        for o in outputs {
            let data = serde_json::to_value(o).unwrap_or(Value::Null);
            let text: Arc<str> = Arc::from(data.to_string());
            let (topic, key) = match o {
                Output::Decision(d) => {
                    if let Some(old) = self.decisions.insert(
                        d.id,
                        DecisionRecord {
                            decision: (**d).clone(),
                            current: d.status,
                            history: Vec::new(),
                            bytes: text.len(),
                        },
                    ) {
                        self.decision_bytes -= old.bytes;
                    }
                    self.decision_bytes += text.len();
                    while self.decisions.len() > DECISIONS
                        || (self.decision_bytes > DECISION_BYTES && self.decisions.len() > 1)
                    {
                        if let Some((_, r)) = self.decisions.pop_first() {
                            self.decision_bytes -= r.bytes;
                        }
                    }
                    (Topic::Decisions, d.id.to_string())
                }
                Output::DecisionUpdate {
                    decision, status, ..
                } => {
                    if let Some(r) = self.decisions.get_mut(decision) {
                        r.current = *status;
                        r.history.push(data.clone());
                        // History counts against the cap too.
                        r.bytes += text.len();
                        self.decision_bytes += text.len();
                    }
                    (Topic::Decisions, decision.to_string())
                }
                Output::Execute { decision, .. } => {
                    if let Some(r) = self.decisions.get_mut(decision) {
                        r.history.push(json!({"kind": "execute", "at": at}));
                    }
                    (Topic::Actions, format!("execute:{decision}"))
                }
                Output::ActionOutcome {
                    decision, action, ..
                } => (Topic::Actions, format!("outcome:{decision}/{action}")),
                Output::Task { task, .. } => (Topic::Tasks, task.clone()),
                Output::Move {
                    decision, session, ..
                } => {
                    if let Some(r) = self.decisions.get_mut(decision) {
                        r.history.push(data.clone());
                        r.bytes += text.len();
                        self.decision_bytes += text.len();
                    }
                    (Topic::Moves, session.clone())
                }
                Output::CommandRefused { .. } => (Topic::Commands, format!("refused:{seq}")),
                Output::OverrideEnded { resource, .. } => (Topic::Overrides, resource.to_string()),
                Output::SignalRejected { .. } => (Topic::Signals, format!("rejected:{seq}")),
            };
            // The audit timeline keeps who was notified in aggregate: a
            // count, never the ids (docs/RECOMMENDATIONS.md, "Privacy").
            let audit_text = match aggregate_recipients(&data, &text) {
                Some(v) => Arc::from(v.to_string()),
                None => text.clone(),
            };
            let entry = AuditEntry::new(seq, at, audit_text, &data);
            self.audit_bytes += entry.bytes();
            self.audit.push_back(entry);
            while self.audit.len() > AUDIT
                || (self.audit_bytes > AUDIT_BYTES && self.audit.len() > 1)
            {
                if let Some(old) = self.audit.pop_front() {
                    self.audit_bytes -= old.bytes();
                }
            }
            shrink(&mut self.audit);
            let ev = self.remember(Event {
                seq,
                sub: 0,
                topic,
                key,
                data: text,
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
        self.recent_bytes += e.bytes();
        self.recent.push_back(e.clone());
        while self.recent.len() > RECENT
            || (self.recent_bytes > RECENT_BYTES && self.recent.len() > 1)
        {
            if let Some(old) = self.recent.pop_front() {
                self.recent_bytes -= old.bytes();
                self.dropped_through = self.dropped_through.max(old.seq);
            }
        }
        shrink(&mut self.recent);
        e
    }

    /// Bytes held by decisions, the audit timeline and recent stream events.
    pub fn bytes(&self) -> (usize, usize, usize) {
        (self.decision_bytes, self.audit_bytes, self.recent_bytes)
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
    // The board's view of the session here: its forecast and its move.
    if let Some(se) = session {
        let f = baton_core::forecast::session(cfg, st, se);
        v["session_expected"] = json!(f.expected.round());
        v["session_p_full"] = json!((f.p_full * 100.0).round() / 100.0);
        v["session_move"] = st.moves.get(&se).map_or(Value::Null, |m| {
            json!({
                "stage": m.stage.as_str(),
                "from": cfg.spec.spaces[m.from as usize].id,
                "to": cfg.spec.spaces[m.to as usize].id,
            })
        });
    }
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
    v["needs"] = json!(s.needs);
    v["programme_version"] = json!(st.programme_version);
    v["move"] = st.moves.get(&se).map_or(Value::Null, |m| {
        json!({
            "decision": m.decision.to_string(),
            "policy": m.policy,
            "from": cfg.spec.spaces[m.from as usize].id,
            "to": cfg.spec.spaces[m.to as usize].id,
            "stage": m.stage.as_str(),
            "decided": m.decided,
            "deadline": m.deadline,
            "needed": m.needed,
            "confirmed": m.confirmed,
            "expected": m.expected,
        })
    });
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
    let resource = baton_model::Resource::Sign(&s.id).to_string();
    json!({
        "id": s.id,
        "space": s.space,
        "default": s.default_content,
        "showing": st.published_signs.get(&sg).cloned().unwrap_or_else(|| s.default_content.clone()),
        "desired": st.desired_signs.get(&sg),
        "override": st.overrides.get(resource.as_str()).map(|o| json!({"value": o.value, "until": o.until, "actor": o.actor})),
        "claim": st.claims.get(resource.as_str()).map(|c| json!({"policy": c.policy, "priority": c.priority, "until": c.until})),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_model_is_capped_in_bytes_not_only_in_count() {
        let mut v = View::default();
        let big = "x".repeat(1 << 20);
        for seq in 1..=100u64 {
            v.absorb(
                seq,
                0,
                &[Output::CommandRefused {
                    seq,
                    reason: big.clone(),
                }],
            );
        }
        let (_, audit, recent) = v.bytes();
        assert!(audit <= AUDIT_BYTES, "{audit}");
        assert!(recent <= RECENT_BYTES, "{recent}");
        // Far fewer than the count caps: bytes decided.
        assert!(
            v.audit.len() < 70 && v.recent.len() < 40,
            "{} {}",
            v.audit.len(),
            v.recent.len()
        );
        // The newest is kept, and resuming from before the dropped ones resyncs.
        assert_eq!(v.recent.back().map(|e| e.seq), Some(100));
        assert!(v.dropped_through >= 60);
    }
}
