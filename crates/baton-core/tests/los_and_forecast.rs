//! The Fruin constants match the published table, and the forecast beats
//! persistence on the example scenario.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_core::Engine;
use baton_core::los;
use baton_model::{Entry, Signal, Stamped};
use std::path::Path;

#[test]
fn fruin_bounds_match_the_table() {
    let csv = include_str!("fixtures/fruin-los.csv");
    let mut walkway = Vec::new();
    let mut stairway = Vec::new();
    let mut queuing = Vec::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let (facility, level, max_density) = (cols[0], cols[1], cols[9]);
        if level == "F" {
            continue;
        }
        let v: f64 = max_density.parse().expect("density bound");
        match facility {
            "walkway" => walkway.push(v),
            "stairway" => stairway.push(v),
            "queuing" => queuing.push(v),
            other => panic!("unexpected facility {other}"),
        }
    }
    assert_eq!(walkway, los::WALKWAY.to_vec());
    assert_eq!(stairway, los::STAIRWAY.to_vec());
    assert_eq!(queuing, los::QUEUING.to_vec());
    assert_eq!(los::level(los::Table::Walkway, 0.2, 0.0), "A");
    assert_eq!(los::level(los::Table::Walkway, 1.5, 0.0), "E");
    assert_eq!(los::level(los::Table::Queuing, 6.0, 0.0), "F");
    assert_eq!(los::level(los::Table::Seated, 9.0, 0.9), "D");
}

#[test]
fn forecast_beats_persistence_on_the_scenario() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon");
    let loaded = baton_spec::load(&dir).expect("example loads");
    let mut engine = Engine::new(loaded.spec.clone(), loaded.policies.clone()).expect("compiles");
    let text = std::fs::read_to_string(dir.join("signals.jsonl")).expect("signals");
    let n = loaded.spec.spaces.len();
    // Per minute: (occupancy, forecast_10m) of every space, sampled at the minute refresh.
    let mut samples: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut seq = 0;
    let mut last_minute = i64::MIN;
    let mut out = Vec::new();
    for line in text.lines() {
        let Ok(s) = Signal::parse_json(line) else {
            continue;
        };
        let t = s.time.expect("scenario signals carry time");
        let minute = t / 60_000;
        while last_minute != i64::MIN && last_minute < minute {
            last_minute += 1;
            seq += 1;
            engine.apply(
                &Stamped {
                    seq,
                    time: last_minute * 60_000,
                    entry: Entry::Tick,
                },
                &mut out,
            );
            let st = engine.state();
            samples.push(
                (0..n)
                    .map(|i| {
                        (
                            f64::from(st.spaces[i].occupancy),
                            baton_core::context::forecast_10m(engine.config(), st, i as u32),
                        )
                    })
                    .collect(),
            );
        }
        last_minute = last_minute.max(minute);
        seq += 1;
        engine.apply(
            &Stamped {
                seq,
                time: t,
                entry: Entry::Signal(s),
            },
            &mut out,
        );
    }
    if let Ok(p) = std::env::var("BATON_DUMP_SERIES") {
        let rows: Vec<String> = samples
            .iter()
            .map(|r| {
                r.iter()
                    .map(|(o, _)| o.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        std::fs::write(p, rows.join("\n")).expect("dump");
    }
    let (mut err_forecast, mut err_persist, mut count) = (0.0, 0.0, 0u32);
    for (row, later) in samples.iter().zip(samples.iter().skip(10)) {
        for (&(now, forecast), &(actual, _)) in row.iter().zip(later) {
            if now == 0.0 && actual == 0.0 {
                continue;
            }
            err_forecast += (forecast - actual).abs();
            err_persist += (now - actual).abs();
            count += 1;
        }
    }
    assert!(count > 1000, "enough samples: {count}");
    let (mf, mp) = (
        err_forecast / f64::from(count),
        err_persist / f64::from(count),
    );
    eprintln!("10-minute forecast MAE {mf:.2} vs persistence {mp:.2} over {count} samples");
    assert!(
        mf < mp,
        "forecast MAE {mf:.2} must beat persistence {mp:.2}"
    );
}
