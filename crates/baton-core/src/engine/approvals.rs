//! Approvals that run out: a pending decision whose actions can no longer
//! take effect leaves the queue, and one nobody answered in time drops,
//! executes or escalates as its policy says.

use super::*;
use crate::output::{Output, Status};
use baton_model::{ActionKind, DecisionId, OnTimeout, ParamValue};
use std::collections::BTreeMap;

impl Engine {
    /// A pending decision none of whose actions can still take effect is
    /// taken out of the queue, so the queue never offers an approval that
    /// would do nothing.
    pub(crate) fn approval_outlived(&mut self, id: DecisionId, out: &mut Out) {
        let now = self.st.now;
        let Some(p) = self.st.pending.get(&id) else {
            return;
        };
        if last_valid(&p.actions).is_some_and(|t| t >= now) {
            return;
        }
        self.st.pending.remove(&id);
        by_baton(
            out,
            id,
            Status::Expired,
            now,
            "nobody approved it while its actions were valid",
        );
    }

    pub(crate) fn approval_timeout(&mut self, id: DecisionId, out: &mut Out) {
        let Some(p) = self.st.pending.get(&id) else {
            return;
        };
        let policy = &self.cfg.policies[p.policy as usize].def;
        match policy.on_timeout {
            OnTimeout::Drop => {
                self.st.pending.remove(&id);
                by_baton(out, id, Status::Expired, self.st.now, "approval timed out");
            }
            OnTimeout::Escalate => {
                let now = self.st.now;
                let policy_id = policy.id.clone();
                let waited = policy.approval_timeout / 60_000;
                let valid = self.st.pending.get_mut(&id).and_then(|p| {
                    p.escalated = true;
                    last_valid(&p.actions)
                });
                by_baton(
                    out,
                    id,
                    Status::Escalated,
                    now,
                    "approval timed out; escalated",
                );
                // The escalation reaches a person: an alert to the duty
                // manager (`operators:escalation`), delivered like any
                // action, through whatever connector takes it.
                let mut params = BTreeMap::new();
                params.insert("decision".into(), ParamValue::String(id.to_string()));
                params.insert("severity".into(), ParamValue::String("high".into()));
                params.insert(
                    "message".into(),
                    ParamValue::String(format!(
                        "decision {id} ({policy_id}) waited {waited} min for approval; it stays approvable while its actions are valid"
                    )),
                );
                let alert = out.id();
                out.push(Output::Execute {
                    decision: alert,
                    at: now,
                    actions: vec![crate::Action {
                        index: 0,
                        kind: ActionKind::Alert,
                        resource: Resource::Operators("escalation").into(),
                        params,
                        valid_until: valid.unwrap_or(now).max(now + 10 * 60_000),
                        suppressed: None,
                    }],
                });
            }
        }
    }
}
