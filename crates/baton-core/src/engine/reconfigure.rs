//! A new spec or policy set while the event runs: state is resized to the
//! new spaces, sessions and staff, and carried over by id.

use super::*;
use crate::config::Compiled;
use crate::config::IdMap;
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
    st.spaces = carry(&new.spec.spaces, |s| &s.id, &old.space_idx, &mut st.spaces);
    st.sessions = carry(
        &new.spec.sessions,
        |s| &s.id,
        &old.session_idx,
        &mut st.sessions,
    );
    st.staff = carry(&new.spec.staff, |s| &s.id, &old.staff_idx, &mut st.staff);
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
    st.pending.retain(
        |_, p| match ids.get(&p.policy).and_then(|id| new.policy_idx.get(id)) {
            Some(&n) => {
                p.policy = n;
                true
            }
            None => false,
        },
    );
}

/// The new spec's entities, each with its old state when the old spec had
/// one of the same id, else a fresh one.
fn carry<E, T: Default>(
    entities: &[E],
    id: impl Fn(&E) -> &String,
    old_idx: &IdMap,
    old: &mut Vec<T>,
) -> Vec<T> {
    let mut old = std::mem::take(old);
    // Ids are unique, so each old state moves at most once.
    entities
        .iter()
        .map(|e| {
            old_idx
                .get(id(e))
                .and_then(|&i| old.get_mut(i as usize).map(std::mem::take))
                .unwrap_or_default()
        })
        .collect()
}
