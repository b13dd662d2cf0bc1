//! The outbox: what the core thread writes so actions get delivered. The
//! delivery rows (`store`, `DATA/deliveries.sqlite`), their states
//! (`state`), and the routing that turns an `Execute` output into rows. The
//! core writes them; the executor (`exec`) reads and updates them. It
//! depends on neither, so `core` → `outbox` ← `exec` has no circle.

pub mod state;
pub mod store;

use baton_core::Output;
use serde_json::json;
use state::DeliveryState;
use std::collections::BTreeMap;
use store::Delivery;

/// Which connector each action kind goes to.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    by_kind: BTreeMap<String, String>,
    /// Exact resources routed before kinds (`operators:escalation`).
    by_resource: BTreeMap<String, String>,
}

impl Routing {
    /// Kinds to connectors, and exact resources routed before kinds.
    pub fn new(by_kind: BTreeMap<String, String>, by_resource: BTreeMap<String, String>) -> Self {
        Routing {
            by_kind,
            by_resource,
        }
    }

    pub fn connector(&self, kind: &str) -> &str {
        self.by_kind.get(kind).map(String::as_str).unwrap_or("log")
    }

    /// The connector for an action: its resource's, else its kind's.
    pub fn connector_for(&self, kind: &str, resource: &str) -> &str {
        self.by_resource
            .get(resource)
            .map(String::as_str)
            .unwrap_or_else(|| self.connector(kind))
    }

    /// The deliveries an `Execute` output makes.
    pub fn deliveries(&self, out: &Output) -> Vec<Delivery> {
        let Output::Execute {
            decision,
            at,
            actions,
        } = out
        else {
            return Vec::new();
        };
        actions
            .iter()
            .map(|a| {
                let key = decision.action(a.index).to_string();
                let payload = json!({
                    "key": key,
                    "decision": decision.to_string(),
                    "action": a.index,
                    "kind": a.kind.as_str(),
                    "resource": a.resource,
                    "params": a.params,
                    "valid_until": a.valid_until,
                    "at": at,
                });
                Delivery {
                    key,
                    connector: self
                        .connector_for(a.kind.as_str(), a.resource.as_str())
                        .to_string(),
                    resource: a.resource.to_string(),
                    payload: payload.to_string(),
                    valid_until: a.valid_until,
                    attempts: 0,
                    state: DeliveryState::Pending,
                    last_error: None,
                    last_try: None,
                }
            })
            .collect()
    }
}
