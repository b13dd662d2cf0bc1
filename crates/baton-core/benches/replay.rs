//! Replay throughput: 1,000,000 `space.occupancy` CloudEvents over 500 spaces,
//! one threshold policy with hysteresis, JSON parsing included, no journal.
//!
//! Run: `cargo bench -p baton-core --bench replay`. The fire rate is printed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_core::Engine;
use baton_model::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::BTreeMap;

const SPACES: usize = 500;
const SIGNALS: usize = 1_000_000;

fn spec() -> (Spec, PolicySet) {
    let spaces = (0..SPACES)
        .map(|i| Space {
            id: format!("s{i}"),
            name: format!("Space {i}"),
            kind: SpaceKind::Room,
            capacity: 100,
            area_m2: 120.0,
            zone: format!("z{}", i % 10),
            seated: true,
            position: None,
            standing_limit: 0,
            features: Vec::new(),
            outline: Vec::new(),
        })
        .collect();
    let event = EventInfo {
        id: "bench".into(),
        name: "bench".into(),
        timezone: "UTC".into(),
        utc_offset_s: 0,
        stale_after: 240_000,
        confidence_half_life: 1_800_000,
        dedup_window: 900_000,
        dedup_max_keys: 1_000_000,
        skew_bound: 120_000,
        tick: 1000,
    };
    let mut params = BTreeMap::new();
    params.insert("message".to_string(), "space.name + ' is full'".to_string());
    let policy = Policy {
        id: "full".into(),
        version: "v1".into(),
        description: String::new(),
        on: vec!["space.occupancy".into()],
        scope: Scope {
            kind: ScopeKind::Space,
            space_kinds: vec![],
            zones: vec![],
            ids: vec![],
        },
        condition: "space.fill >= 0.9".into(),
        hold: 0,
        rearm: Some("space.fill < 0.7".into()),
        cooldown: 0,
        priority: 0,
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
    };
    (
        Spec {
            event,
            spaces,
            links: vec![],
            sessions: vec![],
            staff: vec![],
            signs: vec![],
            governance: Default::default(),
        },
        PolicySet {
            hash: "bench".into(),
            policies: vec![policy],
        },
    )
}

/// A deterministic stream: each space's count wanders between 40 and 100.
fn stream() -> Vec<String> {
    let t0 = 1_781_000_000_000i64;
    let mut x: u64 = 0x9e3779b97f4a7c15;
    (0..SIGNALS)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let sp = i % SPACES;
            let phase = ((i / SPACES) % 60) as i64;
            let base = 40 + (phase - 30).abs() * 2;
            let count = (base + (x % 7) as i64).clamp(0, 100);
            let t = jiff::Timestamp::from_millisecond(t0 + i as i64).map(|t| t.to_string()).unwrap_or_default();
            format!(
                r#"{{"specversion":"1.0","id":"{i}","source":"cam","type":"space.occupancy","subject":"s{sp}","time":"{t}","data":{{"count":{count}}}}}"#
            )
        })
        .collect()
}

fn run(lines: &[String], spec: &Spec, ps: &PolicySet) -> (u64, u64) {
    let mut engine = Engine::new(spec.clone(), ps.clone()).expect("bench spec compiles");
    let mut outputs = Vec::new();
    let mut decisions = 0u64;
    let mut seq = 0u64;
    let mut last_tick = 0i64;
    for line in lines {
        let s = Signal::parse_json(line).expect("bench signal parses");
        let t = s.time.unwrap_or(0);
        if t / 1000 > last_tick {
            last_tick = t / 1000;
            seq += 1;
            outputs.clear();
            engine.apply(
                &Stamped {
                    seq,
                    time: last_tick * 1000,
                    entry: Entry::Tick,
                },
                &mut outputs,
            );
        }
        seq += 1;
        outputs.clear();
        engine.apply(
            &Stamped {
                seq,
                time: t,
                entry: Entry::Signal(s),
            },
            &mut outputs,
        );
        decisions += outputs
            .iter()
            .filter(|o| matches!(o, baton_core::Output::Decision(_)))
            .count() as u64;
    }
    (seq, decisions)
}

fn bench(c: &mut Criterion) {
    let (spec, ps) = spec();
    let lines = stream();
    let (_, decisions) = run(&lines, &spec, &ps);
    eprintln!(
        "replay bench: {SIGNALS} signals, {decisions} decisions (fire rate {:.3}%)",
        decisions as f64 * 100.0 / SIGNALS as f64
    );
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    g.throughput(Throughput::Elements(SIGNALS as u64));
    g.bench_function("parse_and_apply_1m_occupancy", |b| {
        b.iter(|| run(&lines, &spec, &ps))
    });
    let parsed: Vec<Signal> = lines
        .iter()
        .map(|l| Signal::parse_json(l).expect("parses"))
        .collect();
    g.bench_function("apply_only_1m_occupancy", |b| {
        b.iter(|| {
            let mut engine = Engine::new(spec.clone(), ps.clone()).expect("compiles");
            let mut outputs = Vec::new();
            for (i, s) in parsed.iter().enumerate() {
                outputs.clear();
                let e = Stamped {
                    seq: i as u64 + 1,
                    time: s.time.unwrap_or(0),
                    entry: Entry::Signal(s.clone()),
                };
                engine.apply(&e, &mut outputs);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
