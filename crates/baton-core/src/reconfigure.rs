//! A new spec or policy set while the event runs: state is resized to the
//! new spaces, sessions and staff, and carried over by id.

use crate::config::Compiled;
use crate::engine::*;
use crate::metrics::SpaceState;
use crate::output::Output;
use crate::state::{Instance, SessionState, StaffState, State, Timer};
use baton_model::{PolicySet, Spec};
use std::collections::BTreeMap;
use std::sync::Arc;

impl Engine {
    pub(crate) fn reconfigure(&mut self, spec: Spec, ps: PolicySet, out: &mut Out) {
        match Compiled::new(spec, ps) {
            Ok(cfg) => {
                migrate(&self.cfg, &cfg, &mut self.st);
                self.cfg = Arc::new(cfg);
                resize(&self.cfg, &mut self.st);
            }
            Err(e) => out.push(Output::CommandRefused {
                seq: out.seq,
                reason: format!("configuration refused: {e}"),
            }),
        }
    }
}

/// Sizes per-entity state to the configuration (new entities start empty).
pub(crate) fn resize(cfg: &Compiled, st: &mut State) {
    st.spaces
        .resize_with(cfg.spec.spaces.len(), SpaceState::default);
    st.sessions
        .resize_with(cfg.spec.sessions.len(), SessionState::default);
    st.staff
        .resize_with(cfg.spec.staff.len(), StaffState::default);
    st.space_instances
        .resize_with(cfg.space_policies.len(), Vec::new);
    for (e, list) in cfg.space_policies.iter().enumerate() {
        st.space_instances[e].resize_with(list.len(), Instance::default);
    }
    st.session_instances
        .resize_with(cfg.session_policies.len(), Vec::new);
    for (e, list) in cfg.session_policies.iter().enumerate() {
        st.session_instances[e].resize_with(list.len(), Instance::default);
    }
}

/// Carries state across a configuration change by entity id. Policy instances
/// and their timers restart: a new policy set starts its holds afresh.
fn migrate(old: &Compiled, new: &Compiled, st: &mut State) {
    let spaces = std::mem::take(&mut st.spaces);
    st.spaces = new
        .spec
        .spaces
        .iter()
        .map(|s| {
            old.space_idx
                .get(&s.id)
                .and_then(|&i| spaces.get(i as usize).cloned())
                .unwrap_or_default()
        })
        .collect();
    let sessions = std::mem::take(&mut st.sessions);
    st.sessions = new
        .spec
        .sessions
        .iter()
        .map(|s| {
            old.session_idx
                .get(&s.id)
                .and_then(|&i| sessions.get(i as usize).cloned())
                .unwrap_or_default()
        })
        .collect();
    let staff = std::mem::take(&mut st.staff);
    st.staff = new
        .spec
        .staff
        .iter()
        .map(|s| {
            old.staff_idx
                .get(&s.id)
                .and_then(|&i| staff.get(i as usize).cloned())
                .unwrap_or_default()
        })
        .collect();
    st.space_instances.clear();
    st.session_instances.clear();
    st.timers
        .retain(|(_, t)| !matches!(t, Timer::Policy { .. }));
    // Pending approvals refer to policies by index; keep only those whose policy survived.
    let ids: BTreeMap<u32, String> = old
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, p.def.id.clone()))
        .collect();
    st.pending.retain(|_, p| {
        ids.get(&p.policy)
            .and_then(|id| new.policy_idx.get(id))
            .is_some()
    });
    for p in st.pending.values_mut() {
        if let Some(n) = ids.get(&p.policy).and_then(|id| new.policy_idx.get(id)) {
            p.policy = *n;
        }
    }
}
