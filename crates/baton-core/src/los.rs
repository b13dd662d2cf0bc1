//! Fruin levels of service (J. J. Fruin, *Pedestrian Planning and Design*, 1971/1987, ch. 4).
//!
//! Thresholds are the metric density bounds (persons/m²) of the table shipped in
//! `tests/fixtures/fruin-los.csv`; a test checks these constants against it.
//! Seated spaces use Baton's own fill-ratio bands, since Fruin's tables describe
//! people on their feet.

use baton_model::SpaceKind;

/// Upper density bound (persons/m²) of levels A–E; above the last is F.
pub const WALKWAY: [f64; 5] = [0.308, 0.431, 0.718, 1.076, 2.153];
pub const STAIRWAY: [f64; 5] = [0.538, 0.718, 1.076, 1.538, 2.691];
pub const QUEUING: [f64; 5] = [0.828, 1.076, 1.538, 3.588, 5.382];
/// Upper fill ratio of levels A–E for seated spaces.
pub const SEATED_FILL: [f64; 5] = [0.5, 0.7, 0.85, 0.95, 1.0];

const LEVELS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

fn band(value: f64, bounds: &[f64; 5]) -> &'static str {
    for (i, b) in bounds.iter().enumerate() {
        if value <= *b {
            return LEVELS[i];
        }
    }
    LEVELS[5]
}

/// Which table applies to a space.
pub fn table_for(kind: SpaceKind, seated: bool) -> Table {
    match kind {
        _ if seated => Table::Seated,
        SpaceKind::Corridor | SpaceKind::Foyer | SpaceKind::Outdoor => Table::Walkway,
        SpaceKind::Stairway => Table::Stairway,
        // Entrances, queues and standing rooms hold people waiting on their feet.
        SpaceKind::Entrance | SpaceKind::Queue | SpaceKind::Hall | SpaceKind::Room => {
            Table::Queuing
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Walkway,
    Stairway,
    Queuing,
    Seated,
}

/// The level for a density (or, for seated spaces, a fill ratio).
pub fn level(table: Table, density: f64, fill: f64) -> &'static str {
    match table {
        Table::Walkway => band(density, &WALKWAY),
        Table::Stairway => band(density, &STAIRWAY),
        Table::Queuing => band(density, &QUEUING),
        Table::Seated => band(fill, &SEATED_FILL),
    }
}

/// True for levels E and F, which the KPIs count.
pub fn is_critical(level: &str) -> bool {
    matches!(level, "E" | "F")
}
