//! `apply(state, entry) -> outputs`: the deterministic heart of Baton.
//!
//! No I/O, no wall clock, no randomness. Time is `Stamped::time`; ids are
//! (sequence, output index); iteration that reaches an output is over ordered
//! collections, and equal priorities break on policy id.

mod approvals;
mod commands;
mod moving;
mod reconfigure;
mod signals;
mod signs;

use crate::config::{Compiled, ConfigError};
use crate::context::{Ctx, SignalInfo, current_session, session_space};
use crate::effects::{Effects, Owner};
pub(crate) use crate::output::Out;
use crate::output::{Action, Decision, Explanation, Output, Scope, Status, Trigger};
use crate::planner::Planner;
pub(crate) use crate::state::bump;
use crate::state::{Instance, Pending, State, Timer};
use crate::suppression::Suppression;
use baton_model::{
    ActionResult, DecisionId, Entry, Millis, Mode, ParamValue, PolicySet, ScopeKind, Spec, Stamped,
};
use baton_model::{Resource, ResourceBuf};
use baton_policy::field_value;
use reconfigure::resize;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Core state plus the compiled configuration it runs under.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) cfg: Arc<Compiled>,
    pub(crate) st: State,
}

/// Everything needed to resume an engine without the journal before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub spec: Spec,
    pub policy_set: PolicySet,
    pub state: State,
}

/// A decision's status changed by Baton itself (a timer, a hold), with why.
pub(crate) fn by_baton(
    out: &mut Out,
    decision: DecisionId,
    status: Status,
    at: Millis,
    reason: &str,
) {
    out.push(Output::DecisionUpdate {
        decision,
        status,
        at,
        actor: "baton".into(),
        reason: reason.into(),
    });
}

/// When the last action that would be carried out stops being valid;
/// `None` when every action is suppressed.
pub(crate) fn last_valid(actions: &[crate::Action]) -> Option<Millis> {
    actions
        .iter()
        .filter(|a| a.suppressed.is_none())
        .map(|a| a.valid_until)
        .max()
}

/// `(source, id)` as one 128-bit fingerprint under the engine's dedup key
/// (see [`crate::state::Dedup::key`]).
pub fn dedup_key(engine: &Engine, source: &str, id: &str) -> u128 {
    engine.st.dedup.key(source, id)
}

impl Engine {
    pub fn new(spec: Spec, policy_set: PolicySet) -> Result<Engine, ConfigError> {
        let cfg = Compiled::new(spec, policy_set)?;
        let mut st = State::default();
        resize(&cfg, &mut st);
        Ok(Engine {
            cfg: Arc::new(cfg),
            st,
        })
    }

    pub fn from_snapshot(snap: Snapshot) -> Result<Engine, ConfigError> {
        let cfg = Compiled::new(snap.spec, snap.policy_set)?;
        let mut st = snap.state;
        st.dedup.rebuild();
        resize(&cfg, &mut st);
        Ok(Engine {
            cfg: Arc::new(cfg),
            st,
        })
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            spec: self.cfg.spec.clone(),
            policy_set: self.cfg.policy_set.clone(),
            state: self.st.clone(),
        }
    }

    pub(crate) fn planner(&self) -> Planner<'_> {
        Planner {
            cfg: &self.cfg,
            st: &self.st,
        }
    }

    pub(crate) fn effects(&mut self) -> Effects<'_> {
        Effects {
            cfg: &self.cfg,
            st: &mut self.st,
        }
    }

    pub fn state(&self) -> &State {
        &self.st
    }

    pub fn config(&self) -> &Compiled {
        &self.cfg
    }

    /// The compiled configuration, shared: lets another thread read the
    /// running spec and policy set without copying them.
    pub fn shared_config(&self) -> Arc<Compiled> {
        self.cfg.clone()
    }

    /// Would `(source, id)` be dropped as a duplicate now? Ingest asks
    /// before journaling, so a retransmission is answered, not stored.
    pub fn is_duplicate(&self, source: &str, id: &str) -> bool {
        self.is_duplicate_key(self.st.dedup.key(source, id))
    }

    /// [`Engine::is_duplicate`] for a fingerprint from [`dedup_key`].
    pub fn is_duplicate_key(&self, key: u128) -> bool {
        self.st
            .dedup
            .contains(key, self.st.now, self.cfg.spec.event.dedup_window)
    }

    /// Sets the dedup window's hash key: the server's comes from its
    /// journal (random, made once), so a restore and a replay of that
    /// journal use it too. Set it before the first entry is applied; a
    /// replay of a signal file keeps the all-zero default.
    pub fn set_dedup_secret(&mut self, secret: [u64; 2]) {
        if self.st.dedup.secret != secret {
            self.st.dedup.secret = secret;
            self.st.dedup.clear();
        }
    }

    /// Keys in the dedup window, and the journal time it reaches back:
    /// shorter than `dedup_window` when the count bound evicts.
    pub fn dedup_window(&self) -> (usize, baton_model::Millis) {
        (
            self.st.dedup.len(),
            self.st.dedup.effective_window(self.st.now),
        )
    }

    /// The last journal sequence applied.
    pub fn position(&self) -> u64 {
        self.st.last_seq
    }

    /// Applies one journal entry. Entries must arrive in sequence order; an entry
    /// at or below the current position is ignored, so a replayed tail is idempotent.
    pub fn apply(&mut self, e: &Stamped, outputs: &mut Vec<Output>) {
        if e.seq <= self.st.last_seq && self.st.stats.entries > 0 {
            return;
        }
        let mut out = Out::new(e.seq, outputs);
        self.st.last_seq = e.seq;
        self.st.stats.entries += 1;
        // Journal time is monotone by contract; a regression is held at the last time.
        if e.time > self.st.now {
            self.st.now = e.time;
        }
        self.run_timers(&mut out);
        self.minute_refresh(&mut out);
        match &e.entry {
            Entry::Signal(s) => self.signal(s, &mut out),
            Entry::Tick => self.st.stats.ticks += 1,
            Entry::Command(c) => self.command(c, &mut out),
            Entry::ActionResult(r) => self.action_result(r, &mut out),
            Entry::PolicySet(ps) => self.reconfigure(self.cfg.spec.clone(), ps.clone(), &mut out),
            Entry::SpecChange(spec) => {
                self.reconfigure((**spec).clone(), self.cfg.policy_set.clone(), &mut out)
            }
        }
    }

    fn run_timers(&mut self, out: &mut Out) {
        while let Some((t, _)) = self.st.timers.first() {
            if *t > self.st.now {
                break;
            }
            let Some((_, timer)) = self.st.timers.pop_first() else {
                break;
            };
            match timer {
                Timer::Policy { policy, entity } => self.evaluate(
                    policy,
                    entity,
                    TrigRef::new(out.seq, "timer"),
                    SignalInfo {
                        kind: "timer",
                        ..Default::default()
                    },
                    out,
                ),
                Timer::Approval { decision } => self.approval_timeout(decision, out),
                Timer::ApprovalValidity { decision } => self.approval_outlived(decision, out),
                Timer::TaskAck { task, staff } => {
                    self.effects().task_ack_timeout(&task, staff, out)
                }
                Timer::TaskEnd { task } => self.effects().task_end(&task, out),
                Timer::MoveDeadline { session, decision } => {
                    self.move_deadline(session, decision, out)
                }
                Timer::AlertAck { group, opened } => {
                    self.effects().alert_ack_timeout(&group, opened, out)
                }
                Timer::OverrideExpiry { resource } => {
                    if self
                        .st
                        .overrides
                        .get(&resource)
                        .is_some_and(|o| o.until <= self.st.now)
                    {
                        self.end_override(&resource, "expired", out);
                    }
                }
            }
        }
    }

    fn minute_refresh(&mut self, out: &mut Out) {
        let minute = self.st.now.div_euclid(60_000);
        if minute <= self.st.minute {
            return;
        }
        let first = self.st.minute == 0;
        self.st.minute = minute;
        self.effects().prune_claims();
        if first {
            return;
        }
        self.effects().retry_waiting(out);
        self.learn_from_ended();
        for sp in 0..self.st.spaces.len() {
            let occ = f64::from(self.st.spaces[sp].occupancy);
            self.st.spaces[sp].holt.observe(occ);
            let ctx = self.ctx(Some(sp as u32), None, SignalInfo::default());
            if crate::los::is_critical(ctx.los(sp as u32)) {
                self.st.spaces[sp].critical_minutes += 1;
            }
        }
        let trig = TrigRef::new(out.seq, "minute");
        let minute_policies = self.cfg.minute_policies.clone();
        for p in minute_policies {
            let n = self.cfg.policies[p as usize].in_scope.len();
            for ent in 0..n as u32 {
                if self.cfg.policies[p as usize].in_scope[ent as usize] {
                    self.evaluate(
                        p,
                        ent,
                        trig,
                        SignalInfo {
                            kind: "minute",
                            ..Default::default()
                        },
                        out,
                    );
                }
            }
        }
    }

    /// Snapshots the forecast's sources for sessions half an hour from
    /// their start, and folds every counted session that ended into what
    /// the forecast learned: its peak plus the people turned away.
    fn learn_from_ended(&mut self) {
        let now = self.st.now;
        for se in 0..self.st.sessions.len() {
            let s = &self.st.sessions[se];
            if s.observed {
                continue;
            }
            let status = crate::context::session_status(&self.cfg, &self.st, se as u32, now);
            if s.snap.is_none()
                && status == "scheduled"
                && crate::forecast::minutes_to_start(&self.cfg, &self.st, se as u32)
                    <= crate::forecast::SNAPSHOT_MIN
            {
                let snap = crate::forecast::sources(&self.cfg, &self.st, se as u32);
                self.st.sessions[se].snap = Some(snap);
                continue;
            }
            if status == "running" && s.settled.is_none() {
                let since = -crate::forecast::minutes_to_start(&self.cfg, &self.st, se as u32);
                let room = crate::context::session_space(&self.cfg, &self.st, se as u32);
                if since >= 10.0
                    && let Some(sp) = room
                    && !self.st.spaces[sp as usize].stale(now, self.cfg.spec.event.stale_after)
                {
                    self.st.sessions[se].settled = Some(self.st.spaces[sp as usize].occupancy);
                }
                continue;
            }
            if status != "ended" || s.peak == 0 {
                continue;
            }
            let seen = s.settled.unwrap_or(s.peak);
            let demand = f64::from(seen) + s.turned_away as f64;
            let (track, bookmarks, snap) = (&self.cfg.spec.sessions[se].track, s.bookmarks, s.snap);
            self.st.learned.observe(track, bookmarks, demand, snap);
            self.st.sessions[se].observed = true;
        }
    }

    fn ctx<'a>(
        &'a self,
        space: Option<u32>,
        session: Option<u32>,
        signal: SignalInfo<'a>,
    ) -> Ctx<'a> {
        Ctx {
            cfg: &self.cfg,
            st: &self.st,
            space,
            session,
            signal,
        }
    }

    pub(crate) fn reject(&mut self, out: &mut Out, id: &str, reason: &str) {
        bump(&mut self.st.stats.rejected, reason);
        out.push(Output::SignalRejected {
            seq: out.seq,
            id: id.to_string(),
            reason: reason.to_string(),
        });
    }

    fn effective_mode(&self, p: u32) -> Mode {
        let def = &self.cfg.policies[p as usize].def;
        self.st.modes.get(&def.id).copied().unwrap_or(def.mode)
    }

    /// Runs one policy instance's state machine: condition, `for`, rearm, stale, cooldown.
    pub(crate) fn evaluate(
        &mut self,
        p: u32,
        entity: u32,
        trig: TrigRef,
        info: SignalInfo,
        out: &mut Out,
    ) {
        let mode = self.effective_mode(p);
        if mode == Mode::Off {
            return;
        }
        let cfg = &*self.cfg;
        let pol = &cfg.policies[p as usize];
        let (space, session) = match pol.def.scope.kind {
            ScopeKind::Space => (
                Some(entity),
                current_session(cfg, &self.st, entity, self.st.now),
            ),
            ScopeKind::Session => (session_space(cfg, &self.st, entity), Some(entity)),
        };
        let now = self.st.now;
        let Some((kind, slot)) = cfg.slot(p, entity) else {
            return;
        };
        let disarmed = self.st.instance(kind, entity, slot).disarmed;
        // Rearm first: a disarmed instance that has not re-armed needs nothing else.
        let mut rearmed = false;
        if disarmed {
            let r = {
                let ctx = self.ctx(space, session, info);
                match &pol.rearm {
                    Some(r) => r.eval_bool(&ctx),
                    None => pol.condition.eval_bool(&ctx).map(|c| !c),
                }
            };
            match r {
                Ok(true) => rearmed = true,
                Ok(false) => return,
                Err(_) => {
                    bump(&mut self.st.stats.eval_errors, &pol.def.id);
                    return;
                }
            }
        }
        let (cond, stale, values, params) = {
            let ctx = self.ctx(space, session, info);
            let cond = pol.condition.eval_bool(&ctx);
            let fires = cond == Ok(true);
            let stale =
                fires && pol.def.scope.kind == ScopeKind::Space && !pol.def.allow_stale && {
                    use baton_policy::Fields;
                    ctx.boolean(baton_policy::Field::SpaceStale)
                };
            let values: BTreeMap<&'static str, ParamValue> = if fires {
                pol.condition
                    .reads
                    .iter()
                    .map(|f| (f.path(), field_value(*f, &ctx)))
                    .collect()
            } else {
                BTreeMap::new()
            };
            let params: Vec<BTreeMap<String, ParamValue>> = if fires {
                pol.params
                    .iter()
                    .map(|ps| {
                        ps.iter()
                            .map(|(n, e)| {
                                (n.clone(), e.eval_param(&ctx).unwrap_or(ParamValue::Null))
                            })
                            .collect()
                    })
                    .collect()
            } else {
                Vec::new()
            };
            (cond, stale, values, params)
        };
        let cond = match cond {
            Ok(c) => c,
            Err(_) => {
                bump(&mut self.st.stats.eval_errors, &pol.def.id);
                false
            }
        };
        let inst: &mut Instance = self.st.instance(kind, entity, slot);
        if rearmed {
            inst.disarmed = false;
        }
        if !cond {
            inst.true_since = None;
            inst.held_from = None;
            return;
        }
        if inst.true_since.is_none() && pol.def.hold > 0 {
            inst.held_from = Some(trig.owned());
        }
        let since = *inst.true_since.get_or_insert(now);
        if now - since < pol.def.hold {
            self.st
                .timers
                .insert((since + pol.def.hold, Timer::Policy { policy: p, entity }));
            return;
        }
        if stale {
            bump(&mut self.st.stats.suppressed, "stale");
            return;
        }
        if let Some(last) = inst.last_fired
            && now < last + pol.def.cooldown
        {
            self.st
                .timers
                .insert((last + pol.def.cooldown, Timer::Policy { policy: p, entity }));
            bump(&mut self.st.stats.suppressed, "cooldown");
            return;
        }
        inst.disarmed = true;
        inst.last_fired = Some(now);
        inst.true_since = None;
        let held_from = inst.held_from.take().filter(|_| trig.kind == "timer");
        let held_since = (pol.def.hold > 0).then_some(since);
        self.fire(
            p,
            mode,
            space,
            session,
            trig.owned(),
            values,
            params,
            (held_since, held_from),
            out,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn fire(
        &mut self,
        p: u32,
        mode: Mode,
        space: Option<u32>,
        session: Option<u32>,
        trigger: Trigger,
        values: BTreeMap<&'static str, ParamValue>,
        params: Vec<BTreeMap<String, ParamValue>>,
        (held_since, held_from): (Option<Millis>, Option<Trigger>),
        out: &mut Out,
    ) {
        let cfg = Arc::clone(&self.cfg);
        let pol = &cfg.policies[p as usize];
        let now = self.st.now;
        let id = out.id();
        let plan = self.planner().plan(p, id, space, session, &params);
        let actions = plan.actions;
        let mut notes = plan.notes;
        let lost = !actions.is_empty()
            && actions
                .iter()
                .all(|a| a.suppressed.as_ref().is_some_and(|r| !r.is_operator_hold()));
        let status = match mode {
            _ if lost => Status::Lost,
            Mode::Auto if self.st.paused => Status::Paused,
            Mode::Auto => Status::Executed,
            Mode::Approve => Status::Pending,
            _ => Status::Suggested,
        };
        if self.st.paused {
            notes.push("automation paused: shown, not carried out".into());
        }
        bump(&mut self.st.stats.decisions_by_policy, &pol.def.id);
        let decision = Decision {
            id,
            at: now,
            policy: pol.def.id.clone(),
            policy_version: pol.def.version.clone(),
            priority: pol.def.priority,
            mode: mode.as_str(),
            status,
            scope: self.scope(space, session),
            actions: actions.clone(),
            explanation: Explanation {
                position: out.seq,
                trigger,
                condition: pol.def.condition.clone(),
                values,
                held_since,
                held_from,
                paused: self.st.paused,
                notes,
                constraints: plan.constraints,
                conflicts: plan.conflicts,
                alternatives: plan.alternatives,
                solver: plan.solver,
            },
        };
        out.push(Output::Decision(Box::new(decision)));
        // An overridden sign still records what automation wants, so release restores it.
        for a in actions
            .iter()
            .filter(|a| matches!(a.suppressed, Some(Suppression::Override { .. })))
        {
            if matches!(status, Status::Executed | Status::Paused) {
                self.note_desired(a);
            }
        }
        let owner = Owner {
            policy: pol.def.id.clone(),
            priority: pol.def.priority,
        };
        match status {
            Status::Executed => self.execute(id, &actions, Some(&owner), out),
            Status::Paused => {
                for a in actions.iter().filter(|a| a.suppressed.is_none()) {
                    self.note_desired(a);
                }
            }
            Status::Pending => {
                let attendee_facing = actions.iter().any(|a| a.kind.is_attendee_facing());
                self.st.pending.insert(
                    id,
                    Pending {
                        decision: id,
                        policy: p,
                        actions,
                        attendee_facing,
                        escalated: false,
                    },
                );
                self.st.timers.insert((
                    now + pol.def.approval_timeout,
                    Timer::Approval { decision: id },
                ));
                if let Some(last) = last_valid(&self.st.pending[&id].actions) {
                    self.st.timers.insert((
                        last.saturating_add(1),
                        Timer::ApprovalValidity { decision: id },
                    ));
                }
            }
            _ => {}
        }
    }

    fn scope(&self, space: Option<u32>, session: Option<u32>) -> Scope {
        let sp = space.map(|s| &self.cfg.spec.spaces[s as usize]);
        Scope {
            space: sp.map(|s| s.id.clone()),
            session: session.map(|s| self.cfg.spec.sessions[s as usize].id.clone()),
            zone: sp.map(|s| s.zone.clone()),
        }
    }

    /// Why `resource` names nothing the event has (`sign:`, `space:`,
    /// `session:` and `staff:` name declared things; other kinds, such as
    /// attendee groups, are open-ended).
    pub(crate) fn unknown_resource(&self, resource: &ResourceBuf) -> Option<String> {
        let cfg = &self.cfg;
        let (kind, id, known) = match resource.parsed() {
            Resource::Sign(id) => ("sign", id, cfg.sign_idx.contains_key(id)),
            Resource::Space(id) => ("space", id, cfg.space_idx.contains_key(id)),
            Resource::Session(id) => ("session", id, cfg.session_idx.contains_key(id)),
            Resource::Staff(id) => ("staff", id, cfg.staff_idx.contains_key(id)),
            _ => return None,
        };
        (!known).then(|| format!("the event has no {kind} {id:?}"))
    }

    pub(crate) fn sign_index(&self, resource: &ResourceBuf) -> Option<u32> {
        self.cfg
            .sign_idx
            .get(match resource.parsed() {
                Resource::Sign(id) => id,
                _ => return None,
            })
            .copied()
    }

    /// Emits the actions that are still valid and not suppressed.
    pub(crate) fn execute(
        &mut self,
        id: DecisionId,
        actions: &[Action],
        owner: Option<&Owner>,
        out: &mut Out,
    ) {
        let now = self.st.now;
        let mut go = Vec::new();
        for a in actions {
            if a.suppressed.is_some() {
                continue;
            }
            if a.valid_until < now {
                bump(&mut self.st.stats.action_outcomes, "expired");
                continue;
            }
            // What goes out is both what automation wants and what shows.
            if let Some((idx, content)) = self.sign_content(a) {
                self.st.desired_signs.insert(idx, content.clone());
                self.st.published_signs.insert(idx, content);
            }
            let mut a = a.clone();
            if self.effects().take_effect(id, &mut a, owner, out) {
                go.push(a);
            }
        }
        if !go.is_empty() {
            out.push(Output::Execute {
                decision: id,
                at: now,
                actions: go,
            });
        }
    }

    pub(crate) fn refuse(&mut self, out: &mut Out, reason: String) {
        bump(&mut self.st.stats.commands, "refused");
        out.push(Output::CommandRefused {
            seq: out.seq,
            reason,
        });
    }

    fn action_result(&mut self, r: &ActionResult, out: &mut Out) {
        bump(&mut self.st.stats.action_outcomes, r.outcome.as_str());
        out.push(Output::ActionOutcome {
            decision: r.decision,
            action: r.action,
            outcome: r.outcome,
            connector: r.connector.clone(),
        });
    }
}

/// (policy, entity) pairs to evaluate for one signal, on the stack for the
/// usual handful, spilling to the heap beyond that.
#[derive(Default)]
pub(crate) struct Work {
    inline: [(u32, u32); 16],
    len: usize,
    spill: Vec<(u32, u32)>,
}

impl Work {
    pub(crate) fn push(&mut self, p: u32, e: u32) {
        if self.len < self.inline.len() {
            self.inline[self.len] = (p, e);
        } else {
            self.spill.push((p, e));
        }
        self.len += 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, k: usize) -> (u32, u32) {
        if k < self.inline.len() {
            self.inline[k]
        } else {
            self.spill[k - self.inline.len()]
        }
    }
}

/// What triggered an evaluation, borrowed: most evaluations do not fire,
/// so the owned [`Trigger`] is built only for a decision.
#[derive(Clone, Copy)]
pub(crate) struct TrigRef<'a> {
    pub(crate) seq: u64,
    pub(crate) kind: &'a str,
    pub(crate) id: Option<&'a str>,
    pub(crate) subject: Option<&'a str>,
}

impl<'a> TrigRef<'a> {
    fn new(seq: u64, kind: &'a str) -> Self {
        TrigRef {
            seq,
            kind,
            id: None,
            subject: None,
        }
    }

    fn owned(self) -> Trigger {
        trigger_for(self.seq, self.kind, self.id, self.subject)
    }
}

pub(crate) fn trigger_for(
    seq: u64,
    kind: &str,
    id: Option<&str>,
    subject: Option<&str>,
) -> Trigger {
    Trigger {
        seq,
        kind: kind.to_string(),
        signal_id: id.map(str::to_string),
        subject: subject.map(str::to_string),
    }
}
