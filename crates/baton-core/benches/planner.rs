//! Issue-3 targets as criterion benchmarks (figures, not timed tests):
//!
//! - `core/apply_500_spaces_100_policies`: the core alone on parsed signals,
//!   500 spaces, 100 policies of which 5 are in scope for each signal;
//! - `redirect/solve_3000_people_20_groups_8_alternatives`;
//! - `dispatch/assign_30_tasks_200_staff`;
//! - memory per attendee and per space of engine state, printed (measured
//!   with a counting allocator around building the state).
//!
//! Run: `cargo bench -p baton-core --bench planner`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_core::Engine;
use baton_core::planner::{dispatch, redirect};
use baton_model::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const SPACES: usize = 500;
const ZONES: usize = 20;
const POLICIES: usize = 100;
const SIGNALS: usize = 1_000_000;
const T0: i64 = 1_781_000_000_000;

fn event() -> EventInfo {
    EventInfo {
        id: "bench".into(),
        name: "bench".into(),
        timezone: "UTC".into(),
        utc_offset_s: 0,
        stale_after: 240_000,
        confidence_half_life: 1_800_000,
        dedup_window: std::env::var("DEDUP_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(900_000),
        dedup_max_keys: 1_000_000,
        skew_bound: 120_000,
        tick: 1000,
    }
}

fn spec() -> Spec {
    let spaces = (0..SPACES)
        .map(|i| Space {
            id: format!("s{i}"),
            name: format!("Space {i}"),
            kind: if i % 5 == 0 {
                SpaceKind::Corridor
            } else {
                SpaceKind::Room
            },
            capacity: 100,
            area_m2: 120.0,
            zone: format!("z{}", i % ZONES),
            seated: i % 5 != 0,
            position: None,
            standing_limit: 0,
            features: Vec::new(),
            outline: Vec::new(),
        })
        .collect();
    Spec {
        event: event(),
        spaces,
        links: vec![],
        sessions: vec![],
        staff: vec![],
        signs: vec![],
        governance: Default::default(),
    }
}

/// 100 policies, five per zone, with the example's kinds of conditions.
fn policies() -> PolicySet {
    let shapes = [
        ("space.fill >= 0.97", "space.fill < 0.8"),
        (
            "space.occupancy > 98 && !space.stale",
            "space.occupancy < 70",
        ),
        ("space.los in ['E', 'F']", "space.los in ['A', 'B']"),
        (
            "space.inflow_1m > 400 || space.queue_length > 60",
            "space.inflow_1m < 10",
        ),
        (
            "space.fill >= 0.99 && space.id != 'overflow'",
            "space.fill < 0.75",
        ),
    ];
    let policies = (0..POLICIES)
        .map(|k| {
            let (cond, rearm) = shapes[k % shapes.len()];
            let mut params = BTreeMap::new();
            params.insert(
                "message".to_string(),
                "space.name + ' needs a look'".to_string(),
            );
            Policy {
                id: format!("p{k:03}"),
                version: "v1".into(),
                description: String::new(),
                on: vec!["space.occupancy".into()],
                scope: Scope {
                    kind: ScopeKind::Space,
                    space_kinds: vec![],
                    zones: vec![format!("z{}", (k / shapes.len()) % ZONES)],
                    ids: vec![],
                },
                condition: cond.into(),
                hold: 0,
                rearm: Some(rearm.into()),
                cooldown: 0,
                priority: (k % 7) as i32,
                mode: Mode::Auto,
                approval_timeout: 300_000,
                on_timeout: OnTimeout::Drop,
                allow_stale: false,
                actions: vec![ActionSpec {
                    kind: ActionKind::Alert,
                    target: Target::Operators,
                    params,
                    valid_for: 600_000,
                }],
            }
        })
        .collect();
    PolicySet {
        hash: "bench".into(),
        policies,
    }
}

fn signals() -> Vec<Stamped> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..SIGNALS)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let sp = i % SPACES;
            // Each space fills and empties over 220 readings: a fire rate
            // near the example's (1.7%).
            let phase = ((i / SPACES) % 220) as i64;
            let base = 40 + (phase - 110).abs() * 6 / 11;
            let count = (base + (x % 7) as i64).clamp(0, 100) as u32;
            Stamped {
                seq: i as u64 + 1,
                time: T0 + i as i64,
                entry: Entry::Signal(Signal {
                    id: i.to_string(),
                    source: "cam".into(),
                    kind: SignalType::SpaceOccupancy,
                    subject: format!("s{sp}"),
                    time: Some(T0 + i as i64),
                    data: SignalData::Occupancy {
                        count,
                        confidence: None,
                    },
                }),
            }
        })
        .collect()
}

fn apply_all(spec: &Spec, ps: &PolicySet, entries: &[Stamped]) -> u64 {
    let mut engine = Engine::new(spec.clone(), ps.clone()).expect("bench spec compiles");
    let mut outputs = Vec::new();
    let mut decisions = 0;
    for e in entries {
        outputs.clear();
        engine.apply(e, &mut outputs);
        decisions += outputs
            .iter()
            .filter(|o| matches!(o, baton_core::Output::Decision(_)))
            .count() as u64;
    }
    decisions
}

fn core(c: &mut Criterion) {
    let (spec, ps) = (spec(), policies());
    let entries = signals();
    let decisions = apply_all(&spec, &ps, &entries);
    eprintln!(
        "core bench: {SIGNALS} signals, {decisions} decisions (fire rate {:.2}%)",
        decisions as f64 * 100.0 / SIGNALS as f64
    );
    let mut g = c.benchmark_group("core");
    g.sample_size(10);
    g.throughput(Throughput::Elements(SIGNALS as u64));
    g.bench_function("apply_500_spaces_100_policies", |b| {
        b.iter(|| apply_all(&spec, &ps, &entries))
    });
    g.finish();
}

/// 3,000 people in 20 groups, 8 alternatives of 250–600 seats.
fn redirect_problem() -> redirect::Problem {
    let sizes: Vec<u32> = (0..20).map(|g| 100 + (g * 37 % 100) as u32).collect();
    let total: u32 = sizes.iter().sum();
    assert!((2_900..=3_100).contains(&total), "{total} people");
    let capacities: Vec<u32> = (0..8).map(|a| 250 + (a * 53 % 350) as u32).collect();
    let cost = (0..20)
        .map(|g| {
            (0..8)
                .map(|a| Some(20 + ((g * 7 + a * 13) % 90) as i64))
                .collect()
        })
        .collect();
    redirect::Problem {
        sizes,
        capacities,
        cost,
        unplaced_cost: 10_000,
    }
}

fn dispatch_costs() -> Vec<Vec<Option<i64>>> {
    (0..30)
        .map(|t| {
            (0..200)
                .map(|s| ((t * 31 + s * 17) % 11 != 0).then_some(((t * 97 + s * 41) % 600) as i64))
                .collect()
        })
        .collect()
}

fn solvers(c: &mut Criterion) {
    let p = redirect_problem();
    let plan = redirect::solve(&p);
    eprintln!(
        "redirect bench: {} people, method {:?}, cost {}, unplaced {}",
        p.sizes.iter().sum::<u32>(),
        plan.method,
        plan.cost,
        plan.unplaced.iter().sum::<u32>()
    );
    c.bench_function("redirect/solve_3000_people_20_groups_8_alternatives", |b| {
        b.iter(|| redirect::solve(&p))
    });
    let costs = dispatch_costs();
    c.bench_function("dispatch/assign_30_tasks_200_staff", |b| {
        b.iter(|| dispatch::assign(&costs))
    });
}

/// Bytes of engine state per attendee and per space, from the allocator.
fn memory(_: &mut Criterion) {
    let before = LIVE.load(Ordering::Relaxed);
    let mut engine = Engine::new(spec(), policies()).expect("compiles");
    let with_spaces = LIVE.load(Ordering::Relaxed);
    let empty_engine = Engine::new(
        Spec {
            spaces: vec![],
            ..spec()
        },
        PolicySet {
            hash: "none".into(),
            policies: vec![],
        },
    )
    .expect("compiles");
    let base = LIVE.load(Ordering::Relaxed) - with_spaces;
    drop(empty_engine);
    let per_space = (with_spaces - before).saturating_sub(base) / SPACES;
    let mut outputs = Vec::new();
    let attendees = 20_000u64;
    let start = LIVE.load(Ordering::Relaxed);
    for i in 0..attendees {
        for (k, entry) in [
            Entry::Signal(Signal {
                id: format!("c{i}"),
                source: "reg".into(),
                kind: SignalType::AttendeeCheckedIn,
                subject: format!("att-{i:06}"),
                time: None,
                data: SignalData::CheckedIn {
                    gate: Some("s0".into()),
                },
            }),
            Entry::Signal(Signal {
                id: format!("p{i}"),
                source: "app".into(),
                kind: SignalType::AttendeePlan,
                subject: format!("att-{i:06}"),
                time: None,
                data: SignalData::Plan {
                    sessions: vec![],
                    share_position: false,
                },
            }),
        ]
        .into_iter()
        .enumerate()
        {
            outputs.clear();
            engine.apply(
                &Stamped {
                    seq: i * 2 + k as u64 + 1,
                    // Far apart, so the dedup window does not hold them all.
                    time: T0 + i as i64 * 60_000,
                    entry,
                },
                &mut outputs,
            );
        }
    }
    let per_attendee = (LIVE.load(Ordering::Relaxed) - start) as u64 / attendees;
    eprintln!(
        "memory: {per_space} B per space (500 spaces, 100 policies), {per_attendee} B per attendee (checked in, with a plan)"
    );
}

criterion_group!(benches, core, solvers, memory);
criterion_main!(benches);
