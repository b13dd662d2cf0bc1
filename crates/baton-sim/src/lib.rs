//! The digital twin: an agent-based, discrete-event simulation of an event
//! day with the real engine in the loop.
//!
//! - [`world`]: the venue graph and the day's programme, by index.
//! - [`twin`]: `twin.yaml`, the day's assumptions and disruptions.
//! - [`agents`]: attendees, their plans and their random streams.
//! - [`run`]: one day for one seed and one policy set.
//! - [`study`]: policy sets × seeds on threads; KPI estimates and paired comparisons.
//! - [`oracle`]: the perfect-foresight room plan, a baseline no policy can read.
//! - [`grid`]: the paired comparison at every point of a grid of assumptions.
//! - [`stats`], [`kpi`], [`report`]: the numbers and the charts.
//!
//! **Architecture invariant:** a run is a pure function of (event, twin,
//! policy set, seed, compliance): no wall clock, no I/O, no shared random
//! state. The same inputs give the same KPIs whatever the thread count (and
//! on any machine whose maths library rounds `ln`, `exp` and `cos` alike).

pub mod agents;
pub mod bookmarks;
pub mod grid;
pub mod kpi;
pub mod oracle;
pub mod report;
pub mod roster;
pub mod run;
pub mod stats;
pub mod study;
pub mod twin;
pub mod world;

pub use kpi::{KPIS, Kpis, RunResult};
pub use run::{Live, RunError, RunOptions, run};
pub use study::{Case, CaseRuns, StudyOptions, Summary, no_orchestration, run_study};
pub use twin::Twin;
pub use world::{World, WorldError};

/// Loads an event directory's `twin.yaml` if it has one, else the plain
/// day; and its `attendees.csv`, if any, as the population.
pub fn load_twin(dir: &std::path::Path, world: &World) -> Result<Twin, twin::TwinError> {
    let path = dir.join("twin.yaml");
    let mut twin = match std::fs::read_to_string(&path) {
        Ok(text) => Twin::parse(&text, world)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Twin::plain(world),
        Err(e) => {
            return Err(twin::TwinError::Yaml(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let people = dir.join("attendees.csv");
    match std::fs::read_to_string(&people) {
        Ok(text) => {
            let r = roster::parse(&text, "attendees.csv", world)
                .map_err(|e| twin::TwinError::Yaml(e.to_string()))?;
            twin.attendees = r.people.len() as u32;
            twin.roster = Some(r.people);
            twin.warnings.extend(r.warnings);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(twin::TwinError::Yaml(format!(
                "cannot read {}: {e}",
                people.display()
            )));
        }
    }
    Ok(twin)
}
