//! Where one seed's crowding happens, per space, under a policy set and
//! with no orchestration: `cargo run --release -p baton-sim --example diag -- EVENT [SEED]`.

use baton_sim::{RunOptions, World, no_orchestration, run};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: diag EVENT [SEED]")?);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let loaded = baton_spec::load(&dir).map_err(|d| format!("{d:?}"))?;
    let world = World::new(&loaded.spec, 1)?;
    let twin = baton_sim::load_twin(&dir, &world)?;
    let opts = RunOptions {
        seed,
        compliance: None,
        series: false,
        practice: false,
        oracle: false,
        recommendations: false,
    };
    let on = run(&world, &twin, &loaded.policies, opts)?;
    let off = run(&world, &twin, &no_orchestration(&loaded.policies), opts)?;
    println!("{:<22} {:>12} {:>12}", "space", "above (on)", "above (off)");
    for (i, s) in world.spaces.iter().enumerate() {
        println!(
            "{:<22} {:>12.0} {:>12.0}",
            s.id, on.above_by_space[i], off.above_by_space[i]
        );
    }
    println!("on:  {:?}\noff: {:?}", on.kpis, off.kpis);
    let agents = baton_sim::agents::population(&world, &twin, seed);
    println!(
        "the twin holds {:.0} bytes per attendee",
        baton_sim::agents::bytes_per_agent(&agents)
    );
    println!(
        "decisions {} / {}, signs followed {}",
        on.decisions, off.decisions, on.sign_followed
    );
    Ok(())
}
