//! Speed and memory of one simulated day with the engine in the loop.
//!
//! Target: 20,000 attendees over a 10-hour day, sensors every 30 s, under
//! 10 s per seed; scaling at 5k, 20k and 100k; under 1 KB per attendee on
//! top of the engine's own state. `cargo bench -p baton-sim --bench day`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_sim::{RunOptions, World, run};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Duration;

fn day(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon");
    let Ok(loaded) = baton_spec::load(&dir) else {
        eprintln!("the example event does not load");
        return;
    };
    let Ok(world) = World::new(&loaded.spec, 1) else {
        return;
    };
    let Ok(base) = baton_sim::load_twin(&dir, &world) else {
        return;
    };
    let mut g = c.benchmark_group("day");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for n in [5_000u32, 20_000, 100_000] {
        let mut twin = base.clone();
        twin.attendees = n;
        let agents = baton_sim::agents::population(&world, &twin, 1);
        eprintln!(
            "{n} attendees: the twin holds {:.0} bytes per attendee",
            baton_sim::agents::bytes_per_agent(&agents)
        );
        g.bench_function(format!("{n}_attendees"), |b| {
            b.iter(|| {
                run(
                    &world,
                    &twin,
                    &loaded.policies,
                    RunOptions {
                        seed: 1,
                        compliance: None,
                        series: false,
                        practice: false,
                        oracle: false,
                        recommendations: false,
                    },
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, day);
criterion_main!(benches);
