//! Journal figures: durable append throughput and restart time.
//!
//! Run: `cargo bench -p baton-journal --bench journal`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_core::Engine;
use baton_journal::{Journal, Options, SqliteJournal};
use baton_model::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn signal(i: u64) -> Stamped {
    let json = format!(
        r#"{{"specversion":"1.0","id":"{i}","source":"cam","type":"space.occupancy","subject":"s{}","data":{{"count":{}}}}}"#,
        i % 50,
        i % 90
    );
    Stamped {
        seq: i,
        time: 1_781_000_000_000 + i as i64,
        entry: Entry::Signal(Signal::parse_json(&json).expect("parses")),
    }
}

fn spec() -> (Spec, PolicySet) {
    let spaces = (0..50)
        .map(|i| Space {
            id: format!("s{i}"),
            name: format!("S{i}"),
            kind: SpaceKind::Room,
            capacity: 100,
            area_m2: 100.0,
            zone: "z".into(),
            seated: true,
            position: None,
            standing_limit: 0,
            features: Vec::new(),
            outline: vec![],
        })
        .collect();
    let event = EventInfo {
        id: "b".into(),
        name: "b".into(),
        timezone: "UTC".into(),
        utc_offset_s: 0,
        stale_after: 240_000,
        confidence_half_life: 1_800_000,
        dedup_window: 900_000,
        dedup_max_keys: 1_000_000,
        skew_bound: 120_000,
        tick: 1000,
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
            hash: "b".into(),
            policies: vec![],
        },
    )
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("journal");
    g.sample_size(10);
    const N: u64 = 100_000;
    let entries: Vec<Stamped> = (1..=N).map(signal).collect();
    g.throughput(Throughput::Elements(N));
    g.bench_function("append_100k_in_1000_entry_commits", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut j = SqliteJournal::open(dir.path(), &Options::default()).expect("open");
            for chunk in entries.chunks(1000) {
                j.append(chunk).expect("append");
            }
        })
    });
    // Restart: 1,000,000 journaled entries, a snapshot 10,000 entries before the end.
    const TOTAL: u64 = 1_000_000;
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let (spec, ps) = spec();
        let mut engine = Engine::new(spec, ps).expect("compiles");
        let mut j = SqliteJournal::open(dir.path(), &Options::default()).expect("open");
        let mut batch = Vec::with_capacity(1000);
        let mut out = Vec::new();
        for i in 1..=TOTAL {
            let e = signal(i);
            out.clear();
            engine.apply(&e, &mut out);
            batch.push(e);
            if batch.len() == 1000 {
                j.append(&batch).expect("append");
                batch.clear();
            }
            if i == TOTAL - 10_000 {
                j.append(&batch).expect("append");
                batch.clear();
                j.save_snapshot(&engine.snapshot()).expect("snapshot");
            }
        }
        j.append(&batch).expect("append");
    }
    g.throughput(Throughput::Elements(1));
    g.bench_function("restart_1m_entries_recent_snapshot", |b| {
        b.iter(|| {
            let j = SqliteJournal::open(dir.path(), &Options::default()).expect("open");
            let (engine, tail) = baton_journal::restore(&j)
                .expect("restore")
                .expect("snapshot");
            assert_eq!(tail, 10_000);
            engine.position()
        })
    });
    g.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
