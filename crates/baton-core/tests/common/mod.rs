//! Shared helpers for integration tests: a small event spec built directly from
//! model structs, a threshold-policy builder, and a driver that stamps entries
//! with gap-free sequence numbers and journal time.
//!
//! Also used by `crates/baton-journal/tests/restore.rs` (through `#[path]`), so
//! it depends only on `baton-core` and `baton-model`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
#![allow(dead_code)]

use baton_core::{Action, Decision, Engine, Output, State, Status};
use baton_model::{
    ActionKind, ActionSpec, Command, CommandKind, DecisionId, Entry, EventInfo, Millis, Mode,
    OnTimeout, ParamValue, Policy, PolicySet, Scope, ScopeKind, Session, Sign, Signal, Space,
    SpaceKind, Spec, Stamped, Target,
};
use std::collections::BTreeMap;

/// Journal time of relative time 0: 2026-01-01T00:00:00Z.
pub const T0: Millis = 1_767_225_600_000;
pub const SEC: Millis = 1_000;
pub const MIN: Millis = 60_000;

pub const HALL: &str = "hall";
pub const FOYER: &str = "foyer";
pub const HALL_SIGN: &str = "sign:hall-door";
pub const FOYER_SIGN: &str = "sign:foyer-board";
pub const HALL_SIGN_DEFAULT: &str = "WELCOME";
pub const HALL_SIGN_EMERGENCY: &str = "EVACUATE VIA EXIT B";
pub const FOYER_SIGN_DEFAULT: &str = "THIS WAY";
pub const FOYER_SIGN_EMERGENCY: &str = "EVACUATE";

pub fn event() -> EventInfo {
    EventInfo {
        id: "test".into(),
        name: "Test event".into(),
        timezone: "UTC".into(),
        utc_offset_s: 0,
        stale_after: 240_000,
        confidence_half_life: 1_800_000,
        dedup_window: 900_000,
        dedup_max_keys: 1_000_000,
        skew_bound: 120_000,
        tick: 1000,
    }
}

fn space(id: &str, kind: SpaceKind, capacity: u32, area_m2: f64, seated: bool) -> Space {
    Space {
        id: id.into(),
        name: id.to_uppercase(),
        kind,
        capacity,
        area_m2,
        zone: "z".into(),
        seated,
        position: None,
        standing_limit: 0,
        features: Vec::new(),
        outline: Vec::new(),
    }
}

fn sign(id: &str, space: &str, default_content: &str, emergency_content: &str) -> Sign {
    Sign {
        id: id.into(),
        space: space.into(),
        default_content: default_content.into(),
        emergency_content: emergency_content.into(),
    }
}

/// Two spaces in zone `z`: a seated hall (capacity 100) with one sign and one
/// session, and a foyer (capacity 300) with one sign.
pub fn spec() -> Spec {
    Spec {
        event: event(),
        spaces: vec![
            space(HALL, SpaceKind::Hall, 100, 120.0, true),
            space(FOYER, SpaceKind::Foyer, 300, 200.0, false),
        ],
        links: Vec::new(),
        sessions: vec![Session {
            id: "keynote".into(),
            title: "Keynote".into(),
            track: "main".into(),
            tags: Vec::new(),
            space: HALL.into(),
            start: T0,
            end: T0 + 8 * 60 * MIN,
            protected: false,
            needs: Vec::new(),
        }],
        staff: Vec::new(),
        signs: vec![
            sign("hall-door", HALL, HALL_SIGN_DEFAULT, HALL_SIGN_EMERGENCY),
            sign(
                "foyer-board",
                FOYER,
                FOYER_SIGN_DEFAULT,
                FOYER_SIGN_EMERGENCY,
            ),
        ],
        governance: Default::default(),
    }
}

/// A threshold policy on the hall: fires at `space.fill >= 0.9`, re-arms below
/// 0.7, and sets the hall's signs to `FULL` (valid for 10 minutes).
pub fn threshold(id: &str, hold: Millis, cooldown: Millis, mode: Mode) -> Policy {
    let mut params = BTreeMap::new();
    params.insert("content".to_string(), "'FULL'".to_string());
    Policy {
        id: id.into(),
        version: "v1".into(),
        description: format!("{id}: the hall is nearly full"),
        on: vec!["space.occupancy".into()],
        scope: Scope {
            kind: ScopeKind::Space,
            space_kinds: Vec::new(),
            zones: Vec::new(),
            ids: vec![HALL.into()],
        },
        condition: "space.fill >= 0.9".into(),
        hold,
        rearm: Some("space.fill < 0.7".into()),
        cooldown,
        priority: 0,
        mode,
        approval_timeout: 300_000,
        on_timeout: OnTimeout::Drop,
        allow_stale: false,
        actions: vec![ActionSpec {
            kind: ActionKind::Sign,
            target: Target::SpaceSigns,
            params,
            valid_for: 600_000,
        }],
    }
}

pub fn policy_set(policies: Vec<Policy>) -> PolicySet {
    PolicySet {
        hash: "test".into(),
        policies,
    }
}

/// The CloudEvents JSON of one signal.
pub fn cloudevent(source: &str, id: &str, kind: &str, subject: &str, data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"{source}","type":"{kind}","subject":"{subject}","data":{data}}}"#
    )
}

pub fn signal(source: &str, id: &str, kind: &str, subject: &str, data: &str) -> Signal {
    Signal::parse_json(&cloudevent(source, id, kind, subject, data)).expect("test signal parses")
}

/// Feeds entries to an engine, stamping `seq` (1, 2, …) and journal time
/// (`T0 + t`), and keeps every entry and output.
pub struct Driver {
    pub engine: Engine,
    pub seq: u64,
    /// Every entry applied, in order.
    pub entries: Vec<Stamped>,
    /// Every output, in order.
    pub outputs: Vec<Output>,
    next_signal: u64,
}

impl Driver {
    pub fn new(spec: Spec, policies: Vec<Policy>) -> Driver {
        let engine = Engine::new(spec, policy_set(policies)).expect("test configuration compiles");
        Driver {
            engine,
            seq: 0,
            entries: Vec::new(),
            outputs: Vec::new(),
            next_signal: 0,
        }
    }

    /// The test spec with these policies.
    pub fn with(policies: Vec<Policy>) -> Driver {
        Driver::new(spec(), policies)
    }

    pub fn state(&self) -> &State {
        self.engine.state()
    }

    /// Stamps and applies one entry at relative time `t`; returns its outputs.
    pub fn apply(&mut self, t: Millis, entry: Entry) -> Vec<Output> {
        self.seq += 1;
        let e = Stamped {
            seq: self.seq,
            time: T0 + t,
            entry,
        };
        let mut out = Vec::new();
        self.engine.apply(&e, &mut out);
        self.entries.push(e);
        self.outputs.extend(out.iter().cloned());
        out
    }

    /// A signal with a fresh, unique `(source, id)`.
    pub fn send(&mut self, t: Millis, kind: &str, subject: &str, data: &str) -> Vec<Output> {
        self.next_signal += 1;
        let id = format!("sig-{}", self.next_signal);
        self.raw(t, "test-counter", &id, kind, subject, data)
    }

    /// A signal with a caller-chosen `(source, id)`, e.g. to send a duplicate.
    pub fn raw(
        &mut self,
        t: Millis,
        source: &str,
        id: &str,
        kind: &str,
        subject: &str,
        data: &str,
    ) -> Vec<Output> {
        self.apply(t, Entry::Signal(signal(source, id, kind, subject, data)))
    }

    pub fn occ(&mut self, t: Millis, space: &str, count: u32) -> Vec<Output> {
        self.send(
            t,
            "space.occupancy",
            space,
            &format!(r#"{{"count":{count}}}"#),
        )
    }

    pub fn entered(&mut self, t: Millis, space: &str, count: u32) -> Vec<Output> {
        self.send(
            t,
            "space.entered",
            space,
            &format!(r#"{{"count":{count}}}"#),
        )
    }

    pub fn exited(&mut self, t: Millis, space: &str, count: u32) -> Vec<Output> {
        self.send(t, "space.exited", space, &format!(r#"{{"count":{count}}}"#))
    }

    pub fn tick(&mut self, t: Millis) -> Vec<Output> {
        self.apply(t, Entry::Tick)
    }

    /// Ticks at `from`, `from + step`, … up to and including `to`; all outputs.
    pub fn ticks(&mut self, from: Millis, to: Millis, step: Millis) -> Vec<Output> {
        let mut out = Vec::new();
        let mut t = from;
        while t <= to {
            out.extend(self.tick(t));
            t += step;
        }
        out
    }

    pub fn cmd(&mut self, t: Millis, kind: CommandKind) -> Vec<Output> {
        self.apply(
            t,
            Entry::Command(Command {
                actor: "op".into(),
                kind,
            }),
        )
    }
}

pub fn decisions(out: &[Output]) -> Vec<&Decision> {
    out.iter()
        .filter_map(|o| match o {
            Output::Decision(d) => Some(&**d),
            _ => None,
        })
        .collect()
}

/// Decisions of one policy.
pub fn decisions_of<'a>(out: &'a [Output], policy: &str) -> Vec<&'a Decision> {
    decisions(out)
        .into_iter()
        .filter(|d| d.policy == policy)
        .collect()
}

/// The actions of every `Execute` output: what actually goes out.
pub fn executed(out: &[Output]) -> Vec<(DecisionId, &Action)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Execute {
                decision, actions, ..
            } => Some(actions.iter().map(move |a| (*decision, a))),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Executed actions addressed to `resource`.
pub fn executed_on<'a>(out: &'a [Output], resource: &str) -> Vec<&'a Action> {
    executed(out)
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| a.resource == resource)
        .collect()
}

pub fn updates(out: &[Output]) -> Vec<(DecisionId, Status)> {
    out.iter()
        .filter_map(|o| match o {
            Output::DecisionUpdate {
                decision, status, ..
            } => Some((*decision, *status)),
            _ => None,
        })
        .collect()
}

pub fn refused(out: &[Output]) -> Vec<&str> {
    out.iter()
        .filter_map(|o| match o {
            Output::CommandRefused { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect()
}

/// A sign action's `content` parameter.
pub fn content(a: &Action) -> Option<&str> {
    match a.params.get("content") {
        Some(ParamValue::String(s)) => Some(s.as_str()),
        _ => None,
    }
}
