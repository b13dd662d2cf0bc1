//! "What needs me now": every active situation, grouped per space, so the
//! desk sees a full room even when no decision (or an expired one) is
//! about it, and an incident before anyone approved its alert.
//!
//! Derived on demand from the engine's state and the read model, never
//! stored: pending decisions (with their age, escalation and how long their
//! actions stay valid), spaces at level of service E or F or over capacity
//! (since when, and whether a decision was made about them since),
//! unacknowledged alert cards, staff tasks nobody could take, and spaces
//! without data. A situation lasts until it is resolved (the space is
//! back under, the decision settled) or acknowledged (the card).

use crate::view::View;
use baton_core::Engine;
use baton_core::state::TaskStage;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How urgent a situation is; the list shows those at or above a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "low" => Some(Level::Low),
            "medium" => Some(Level::Medium),
            "high" => Some(Level::High),
            _ => None,
        }
    }
}

/// Is a space crowded, by its live state (`space_json`)? E/F, or more
/// people than its capacity.
pub fn crowded(space: &Value) -> Option<Level> {
    let los = space["los"].as_str().unwrap_or("");
    let occ = space["occupancy"].as_i64().unwrap_or(0);
    let cap = space["capacity"].as_i64().unwrap_or(i64::MAX);
    if space["stale"].as_bool() == Some(true) {
        return None;
    }
    if occ > cap || los == "F" {
        Some(Level::High)
    } else if los == "E" {
        Some(Level::Medium)
    } else {
        None
    }
}

struct Item {
    level: Level,
    since: i64,
    v: Value,
}

/// The situations at or above `min`, one group per space (and one for the
/// event as a whole), most urgent and oldest first.
pub fn list(engine: &Engine, view: &View, min: Level) -> Value {
    let cfg = engine.config();
    let st = engine.state();
    let now = st.now;
    let mut groups: BTreeMap<Option<u32>, Vec<Item>> = BTreeMap::new();
    let space_of = |id: &str| cfg.space_idx.get(id).copied();
    // Pending decisions.
    for (id, p) in &st.pending {
        let rec = view.decisions.get(id);
        let at = rec.map_or(now, |r| r.decision.at);
        let space = rec
            .and_then(|r| r.decision.scope.space.as_deref())
            .and_then(space_of);
        let policy = cfg
            .policies
            .get(p.policy as usize)
            .map(|x| x.def.id.clone())
            .unwrap_or_default();
        let priority = cfg
            .policies
            .get(p.policy as usize)
            .map_or(0, |x| x.def.priority);
        let valid_until = p
            .actions
            .iter()
            .filter(|a| a.suppressed.is_none())
            .map(|a| a.valid_until)
            .max();
        let level = if p.escalated || priority >= 100 {
            Level::High
        } else {
            Level::Medium
        };
        groups.entry(space).or_default().push(Item {
            level,
            since: at,
            v: json!({"kind": "decision", "decision": id.to_string(), "policy": policy,
                      "escalated": p.escalated, "valid_until": valid_until,
                      "text": format!("{policy} waits for approval{}",
                                      if p.escalated { " (escalated)" } else { "" })}),
        });
    }
    // Crowded spaces, and whether anything was decided about them since.
    for (&sp, &since) in &view.crowded_since {
        let v = crate::view::space_json(engine, sp);
        let Some(level) = crowded(&v) else { continue };
        let id = &cfg.spec.spaces[sp as usize].id;
        let decided = view.decisions.values().rev().take(2_000).any(|r| {
            r.decision.at >= since && r.decision.scope.space.as_deref() == Some(id.as_str())
        });
        groups.entry(Some(sp)).or_default().push(Item {
            level,
            since,
            v: json!({"kind": "crowding", "los": v["los"], "occupancy": v["occupancy"],
                      "capacity": v["capacity"], "decided": decided,
                      "text": format!("{} / {} (level {}){}", v["occupancy"], v["capacity"],
                                      v["los"].as_str().unwrap_or("?"),
                                      if decided { "" } else { "; no decision about it yet" })}),
        });
    }
    // Alert cards nobody acknowledged.
    for (group, card) in &st.alerts {
        if card.acked.is_some() {
            continue;
        }
        let alert = match group.parsed() {
            baton_model::Resource::Alert(space) => space,
            _ => group.as_str(),
        };
        let space = space_of(alert);
        groups.entry(space).or_default().push(Item {
            level: if card.escalated {
                Level::High
            } else {
                Level::Medium
            },
            since: card.opened,
            v: json!({"kind": "alert", "alert": alert,
                      "count": card.count, "escalated": card.escalated,
                      "text": format!("{} unacknowledged alert(s){}", card.count,
                                      if card.escalated { ", escalated" } else { "" })}),
        });
    }
    // Tasks nobody eligible could take.
    for (id, t) in &st.tasks {
        if t.stage != TaskStage::Waiting {
            continue;
        }
        groups.entry(Some(t.space)).or_default().push(Item {
            level: if t.priority >= 100 {
                Level::High
            } else {
                Level::Medium
            },
            since: t.since,
            v: json!({"kind": "task", "task": id, "role": t.role,
                      "text": format!("no {} free for task {id}", t.role)}),
        });
    }
    // Spaces without data.
    for (sp, s) in st.spaces.iter().enumerate() {
        let stale_after = cfg.spec.event.stale_after;
        if let Some(seen) = s.last_seen
            && now - seen > stale_after
        {
            groups.entry(Some(sp as u32)).or_default().push(Item {
                level: Level::Low,
                since: seen + stale_after,
                v: json!({"kind": "stale", "text": format!("no data for {} min", (now - seen) / 60_000)}),
            });
        }
    }
    let mut out: Vec<(Level, i64, Value)> = Vec::new();
    for (space, mut items) in groups {
        items.retain(|i| i.level >= min);
        if items.is_empty() {
            continue;
        }
        items.sort_by(|a, b| b.level.cmp(&a.level).then(a.since.cmp(&b.since)));
        let level = items[0].level;
        let since = items.iter().map(|i| i.since).min().unwrap_or(now);
        let (id, name, zone) = match space {
            Some(sp) => {
                let s = &cfg.spec.spaces[sp as usize];
                (json!(s.id), json!(s.name), json!(s.zone))
            }
            None => (Value::Null, json!("Event-wide"), Value::Null),
        };
        out.push((
            level,
            since,
            json!({"space": id, "name": name, "zone": zone, "level": level, "since": since,
                   "age_s": (now - since).max(0) / 1000,
                   "items": items.into_iter().map(|i| {
                       let mut v = i.v;
                       v["level"] = json!(i.level);
                       v["since"] = json!(i.since);
                       v
                   }).collect::<Vec<_>>()}),
        ));
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Value::Array(out.into_iter().map(|(_, _, v)| v).collect())
}
