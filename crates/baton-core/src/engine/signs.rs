//! Signs and the emergency hold: what automation wants each sign to show,
//! reconciling signs with it (after an override ends, on resume), and the
//! hold that puts every sign on its emergency content.

use super::*;
use crate::output::{Action, Output, Status};
use baton_model::{ActionKind, DecisionId, Millis, ParamValue};
use baton_model::{Resource, ResourceBuf};
use std::collections::BTreeMap;

impl Engine {
    /// A sign action's sign and the content it sets.
    pub(crate) fn sign_content(&self, a: &Action) -> Option<(u32, String)> {
        if a.kind != ActionKind::Sign {
            return None;
        }
        let idx = self.sign_index(&a.resource)?;
        let content = a
            .params
            .get("content")
            .map(|v| v.to_string())
            .unwrap_or_default();
        Some((idx, content))
    }

    /// Records what automation wants a sign to show (restored when an
    /// override ends or automation resumes).
    pub(crate) fn note_desired(&mut self, a: &Action) {
        if let Some((idx, content)) = self.sign_content(a) {
            self.st.desired_signs.insert(idx, content);
        }
    }

    pub(crate) fn end_override(&mut self, resource: &ResourceBuf, why: &str, out: &mut Out) {
        self.st.overrides.remove(resource);
        out.push(Output::OverrideEnded {
            resource: resource.clone(),
            at: self.st.now,
            reason: why.to_string(),
        });
        if let Some(idx) = self.sign_index(resource)
            && !self.st.paused
            && !self.st.emergency
        {
            self.reconcile_sign(idx, out);
        }
    }

    pub(crate) fn reconcile_sign(&mut self, idx: u32, out: &mut Out) {
        let sign = &self.cfg.spec.signs[idx as usize];
        let want = self
            .st
            .desired_signs
            .get(&idx)
            .cloned()
            .unwrap_or_else(|| sign.default_content.clone());
        if self.st.published_signs.get(&idx) == Some(&want)
            || self
                .st
                .overrides
                .contains_key(Resource::Sign(&sign.id).to_string().as_str())
        {
            return;
        }
        let resource = ResourceBuf::from(Resource::Sign(&sign.id));
        let id = out.id();
        let a = manual_sign(&resource, &want, self.st.now + 15 * 60_000);
        self.st.published_signs.insert(idx, want);
        out.push(Output::Execute {
            decision: id,
            at: self.st.now,
            actions: vec![a],
        });
    }

    pub(crate) fn reconcile_signs(&mut self, out: &mut Out) {
        for idx in 0..self.cfg.spec.signs.len() as u32 {
            self.reconcile_sign(idx, out);
        }
    }

    pub(crate) fn emergency(&mut self, on: bool, out: &mut Out) {
        if on == self.st.emergency {
            return;
        }
        self.st.emergency = on;
        let now = self.st.now;
        if on {
            let cancel: Vec<DecisionId> = self
                .st
                .pending
                .iter()
                .filter(|(_, p)| p.attendee_facing)
                .map(|(id, _)| *id)
                .collect();
            for id in cancel {
                self.st.pending.remove(&id);
                by_baton(out, id, Status::Cancelled, now, "emergency hold");
            }
            let id = out.id();
            let actions: Vec<Action> = self
                .cfg
                .spec
                .signs
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    manual_sign_indexed(
                        i as u32,
                        &Resource::Sign(&s.id).into(),
                        &s.emergency_content,
                        now + 24 * 3_600_000,
                    )
                })
                .collect();
            for (i, s) in self.cfg.spec.signs.iter().enumerate() {
                self.st
                    .published_signs
                    .insert(i as u32, s.emergency_content.clone());
            }
            if !actions.is_empty() {
                out.push(Output::Execute {
                    decision: id,
                    at: now,
                    actions,
                });
            }
        } else if !self.st.paused {
            self.reconcile_signs(out);
        }
    }
}

pub(crate) fn manual_sign(resource: &ResourceBuf, content: &str, valid_until: Millis) -> Action {
    manual_sign_indexed(0, resource, content, valid_until)
}

pub(crate) fn manual_sign_indexed(
    index: u32,
    resource: &ResourceBuf,
    content: &str,
    valid_until: Millis,
) -> Action {
    let mut params = BTreeMap::new();
    params.insert(
        "content".to_string(),
        ParamValue::String(content.to_string()),
    );
    Action {
        index,
        kind: ActionKind::Sign,
        resource: resource.clone(),
        params,
        valid_until,
        suppressed: None,
    }
}
