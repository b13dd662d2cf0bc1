//! The spec and policy set, indexed and compiled once, read-only while the core runs.

use crate::los::{Table, table_for};
use baton_model::{Policy, PolicySet, ScopeKind, SignalType, Spec};
use baton_policy::{CheckError, Expr};
use std::collections::{BTreeMap, HashMap};

/// Id lookups run on every signal: one-shot xxh3 instead of SipHash. The
/// keys are the spec's own ids, a fixed set, so flooding is not a concern.
pub type IdMap = HashMap<String, u32, std::hash::BuildHasherDefault<IdHasher>>;

/// Hashes each written byte slice in one xxh3 call (a streaming hasher
/// would copy short ids into its buffer first).
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u8(&mut self, b: u8) {
        self.0 = self.0.rotate_left(8) ^ u64::from(b);
    }
}

/// A policy with its expressions compiled and its scope resolved.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    pub def: Policy,
    pub condition: Expr,
    pub rearm: Option<Expr>,
    /// Per action, its parameters in name order.
    pub params: Vec<Vec<(String, Expr)>>,
    /// Per entity of the scope kind: is it in scope?
    pub in_scope: Vec<bool>,
    pub on_minute: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("policy {policy:?}, field `{field}`: {error}")]
pub struct ConfigError {
    pub policy: String,
    pub field: String,
    pub error: CheckError,
}

/// Everything the core needs that does not change with signals.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub spec: Spec,
    pub policy_set: PolicySet,
    pub space_idx: IdMap,
    pub session_idx: IdMap,
    pub staff_idx: IdMap,
    pub sign_idx: IdMap,
    pub space_tables: Vec<Table>,
    /// Sessions per space, sorted by start.
    pub sessions_by_space: Vec<Vec<u32>>,
    pub signs_by_space: Vec<Vec<u32>>,
    pub signs_by_zone: BTreeMap<String, Vec<u32>>,
    pub policies: Vec<CompiledPolicy>,
    pub policy_idx: HashMap<String, u32>,
    /// Policies to evaluate per signal type: the trigger index.
    pub by_trigger: Vec<Vec<u32>>,
    /// Per signal type and space: the space-scoped policies in scope, in
    /// priority order. Cost per signal follows the policies that apply, not
    /// how many exist.
    pub by_trigger_space: Vec<Vec<Vec<u32>>>,
    /// Per signal type and session: the session-scoped policies in scope.
    pub by_trigger_session: Vec<Vec<Vec<u32>>>,
    /// Per space: every space-scoped policy in scope for it, sorted; the
    /// position is the slot of its state in `State::space_instances`.
    pub space_policies: Vec<Vec<u32>>,
    /// Per session: every session-scoped policy in scope for it, sorted.
    pub session_policies: Vec<Vec<u32>>,
    pub minute_policies: Vec<u32>,
    /// Shortest walking times between spaces, for the planner.
    pub walk: crate::planner::WalkTimes,
}

/// Per action, its compiled parameters in name order.
pub type CompiledParams = Vec<Vec<(String, Expr)>>;

/// Compiles one policy's condition, rearm and parameters against the schema.
pub fn compile_policy(p: &Policy) -> Result<(Expr, Option<Expr>, CompiledParams), ConfigError> {
    let err = |field: String| {
        move |error| ConfigError {
            policy: p.id.clone(),
            field,
            error,
        }
    };
    let condition = Expr::condition(&p.condition).map_err(err("condition".into()))?;
    let rearm = p
        .rearm
        .as_deref()
        .map(Expr::condition)
        .transpose()
        .map_err(err("rearm".into()))?;
    let mut params = Vec::new();
    for (i, a) in p.actions.iter().enumerate() {
        let mut ps = Vec::new();
        for (name, src) in &a.params {
            let e = Expr::any(src).map_err(err(format!("actions[{i}].params.{name}")))?;
            ps.push((name.clone(), e));
        }
        params.push(ps);
    }
    Ok((condition, rearm, params))
}

impl Compiled {
    /// Where policy `p`'s state for `entity` lives in the per-entity tables.
    pub fn slot(&self, p: u32, entity: u32) -> Option<(ScopeKind, usize)> {
        let kind = self.policies.get(p as usize)?.def.scope.kind;
        let list = match kind {
            ScopeKind::Space => self.space_policies.get(entity as usize)?,
            ScopeKind::Session => self.session_policies.get(entity as usize)?,
        };
        list.binary_search(&p).ok().map(|k| (kind, k))
    }

    pub fn new(spec: Spec, policy_set: PolicySet) -> Result<Compiled, ConfigError> {
        let space_idx = index_by_id(spec.spaces.iter().map(|s| s.id.as_str()));
        let session_idx = index_by_id(spec.sessions.iter().map(|s| s.id.as_str()));
        let sign_idx = index_by_id(spec.signs.iter().map(|s| s.id.as_str()));
        let staff_idx = index_by_id(spec.staff.iter().map(|s| s.id.as_str()));
        let space_tables = spec
            .spaces
            .iter()
            .map(|s| table_for(s.kind, s.seated))
            .collect();
        let sessions_by_space = sessions_by_space(&spec, &space_idx);
        let (signs_by_space, signs_by_zone) = signs_by_place(&spec, &space_idx);
        let (policies, by_trigger, minute_policies) =
            compile_policies(&spec, &policy_set, &space_idx)?;
        let (by_trigger_space, by_trigger_session) =
            by_trigger_and_entity(&spec, &policies, &by_trigger);
        let (space_policies, session_policies) = policies_by_entity(&spec, &policies);
        let policy_idx: HashMap<String, u32> = policies
            .iter()
            .enumerate()
            .map(|(i, p)| (p.def.id.clone(), i as u32))
            .collect();
        Ok(Compiled {
            policy_set,
            space_idx,
            session_idx,
            staff_idx,
            sign_idx,
            space_tables,
            sessions_by_space,
            signs_by_space,
            signs_by_zone,
            policies,
            policy_idx,
            by_trigger,
            by_trigger_space,
            by_trigger_session,
            space_policies,
            session_policies,
            minute_policies,
            walk: crate::planner::WalkTimes::new(&spec),
            spec,
        })
    }
}

/// Ids to their index, in the order given.
fn index_by_id<'a>(ids: impl Iterator<Item = &'a str>) -> IdMap {
    ids.enumerate()
        .map(|(i, id)| (id.to_string(), i as u32))
        .collect()
}

/// Each space's sessions, by start time then id.
fn sessions_by_space(spec: &Spec, space_idx: &IdMap) -> Vec<Vec<u32>> {
    let mut by_space = vec![Vec::new(); spec.spaces.len()];
    let mut order: Vec<u32> = (0..spec.sessions.len() as u32).collect();
    order.sort_by_key(|&i| {
        (
            spec.sessions[i as usize].start,
            spec.sessions[i as usize].id.clone(),
        )
    });
    for i in order {
        if let Some(&sp) = space_idx.get(&spec.sessions[i as usize].space) {
            by_space[sp as usize].push(i);
        }
    }
    by_space
}

/// Each space's signs, and each zone's.
fn signs_by_place(spec: &Spec, space_idx: &IdMap) -> (Vec<Vec<u32>>, BTreeMap<String, Vec<u32>>) {
    let mut by_space = vec![Vec::new(); spec.spaces.len()];
    let mut by_zone: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (i, sign) in spec.signs.iter().enumerate() {
        if let Some(&sp) = space_idx.get(&sign.space) {
            by_space[sp as usize].push(i as u32);
            by_zone
                .entry(spec.spaces[sp as usize].zone.clone())
                .or_default()
                .push(i as u32);
        }
    }
    (by_space, by_zone)
}

/// Policies compiled in evaluation order (priority first, then id: the
/// documented tie-break), the policies each signal type triggers, and the
/// per-minute ones.
type CompiledPolicies = (Vec<CompiledPolicy>, Vec<Vec<u32>>, Vec<u32>);

fn compile_policies(
    spec: &Spec,
    policy_set: &PolicySet,
    space_idx: &IdMap,
) -> Result<CompiledPolicies, ConfigError> {
    let mut policies = Vec::new();
    let mut by_trigger = vec![Vec::new(); SignalType::COUNT];
    let mut minute_policies = Vec::new();
    let mut defs: Vec<&Policy> = policy_set.policies.iter().collect();
    defs.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
    for p in defs {
        let (condition, rearm, params) = compile_policy(p)?;
        let idx = policies.len() as u32;
        let mut on_minute = false;
        for t in &p.on {
            if t == "minute" {
                on_minute = true;
                minute_policies.push(idx);
            } else if let Some(st) = SignalType::parse(t) {
                by_trigger[st.index()].push(idx);
            }
        }
        policies.push(CompiledPolicy {
            def: p.clone(),
            condition,
            rearm,
            params,
            in_scope: in_scope(spec, p, space_idx),
            on_minute,
        });
    }
    Ok((policies, by_trigger, minute_policies))
}

/// Which spaces (or sessions) a policy's scope takes in.
fn in_scope(spec: &Spec, p: &Policy, space_idx: &IdMap) -> Vec<bool> {
    match p.scope.kind {
        ScopeKind::Space => spec
            .spaces
            .iter()
            .map(|s| {
                (p.scope.space_kinds.is_empty() || p.scope.space_kinds.contains(&s.kind))
                    && (p.scope.zones.is_empty() || p.scope.zones.contains(&s.zone))
                    && (p.scope.ids.is_empty() || p.scope.ids.contains(&s.id))
            })
            .collect(),
        ScopeKind::Session => spec
            .sessions
            .iter()
            .map(|s| {
                let space = space_idx.get(&s.space).map(|&i| &spec.spaces[i as usize]);
                (p.scope.ids.is_empty() || p.scope.ids.contains(&s.id))
                    && (p.scope.space_kinds.is_empty()
                        || space.is_some_and(|sp| p.scope.space_kinds.contains(&sp.kind)))
                    && (p.scope.zones.is_empty()
                        || space.is_some_and(|sp| p.scope.zones.contains(&sp.zone)))
            })
            .collect(),
    }
}

/// For each signal type, the policies it triggers per space and per
/// session in scope: the hot path's lookup.
type PerEntity = (Vec<Vec<Vec<u32>>>, Vec<Vec<Vec<u32>>>);

fn by_trigger_and_entity(
    spec: &Spec,
    policies: &[CompiledPolicy],
    by_trigger: &[Vec<u32>],
) -> PerEntity {
    let mut by_trigger_space = vec![Vec::new(); SignalType::COUNT];
    let mut by_trigger_session = vec![Vec::new(); SignalType::COUNT];
    for (t, list) in by_trigger.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let mut per_space = vec![Vec::new(); spec.spaces.len()];
        let mut per_session = vec![Vec::new(); spec.sessions.len()];
        for &p in list {
            let cp: &CompiledPolicy = &policies[p as usize];
            let target = match cp.def.scope.kind {
                ScopeKind::Space => &mut per_space,
                ScopeKind::Session => &mut per_session,
            };
            for (e, inside) in cp.in_scope.iter().enumerate() {
                if *inside {
                    target[e].push(p);
                }
            }
        }
        by_trigger_space[t] = per_space;
        by_trigger_session[t] = per_session;
    }
    (by_trigger_space, by_trigger_session)
}

/// Every policy in scope of each space and of each session.
fn policies_by_entity(spec: &Spec, policies: &[CompiledPolicy]) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let mut space_policies = vec![Vec::new(); spec.spaces.len()];
    let mut session_policies = vec![Vec::new(); spec.sessions.len()];
    for (p, cp) in policies.iter().enumerate() {
        let target = match cp.def.scope.kind {
            ScopeKind::Space => &mut space_policies,
            ScopeKind::Session => &mut session_policies,
        };
        for (e, inside) in cp.in_scope.iter().enumerate() {
            if *inside {
                target[e].push(p as u32);
            }
        }
    }
    (space_policies, session_policies)
}
