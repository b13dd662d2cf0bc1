//! The venue an import has to assume: hallways per zone and the links between rooms.

use super::*;

/// Seats share a zone's hallway: assumed 30% of the zone's seats, at one
/// person per m² (the walkway's level C/D boundary), at least 50.
pub(super) const HALLWAY_SHARE: f64 = 0.3;

/// One corridor per zone, so a simulated crowd waits at doors somewhere
/// instead of inside other rooms. Its size is an assumption, warned.
pub(super) fn add_hallways(spaces: &mut Vec<Space>, warnings: &mut Vec<String>) {
    let mut seats: BTreeMap<String, u64> = BTreeMap::new();
    for s in spaces.iter() {
        *seats.entry(s.zone.clone()).or_default() += u64::from(s.capacity);
    }
    let taken: HashSet<String> = spaces.iter().map(|s| s.id.clone()).collect();
    for (zone, n) in seats {
        let capacity = ((n as f64 * HALLWAY_SHARE).round() as u32).max(50);
        let mut id = format!("hallways-{zone}");
        while taken.contains(&id) {
            id.push('-');
        }
        warnings.push(format!(
            "zone {zone:?}: added {id} (kind corridor), ASSUMED {capacity} people on {capacity} m2"
        ));
        spaces.push(Space {
            id,
            name: format!("Hallways ({zone})"),
            capacity,
            area_m2: f64::from(capacity),
            zone,
            basis: format!(
                "ASSUMED: {:.0}% of the zone's seats, 1 m2 per person",
                HALLWAY_SHARE * 100.0
            ),
            sessions: 0,
            corridor: true,
        });
    }
}

/// Each room to its zone's hallway; each hallway to the hallway of the
/// zone with the most seats.
pub(super) fn hallway_links(
    spaces: &[Space],
    rooms: usize,
    walk_s: u32,
) -> Vec<(usize, usize, u32)> {
    let hall_of: BTreeMap<&str, usize> = (rooms..spaces.len())
        .map(|i| (spaces[i].zone.as_str(), i))
        .collect();
    let mut out: Vec<(usize, usize, u32)> = (0..rooms)
        .filter_map(|i| {
            hall_of
                .get(spaces[i].zone.as_str())
                .map(|&h| (i, h, walk_s))
        })
        .collect();
    if let Some(&centre) = hall_of
        .values()
        .max_by_key(|&&h| (spaces[h].capacity, std::cmp::Reverse(h)))
    {
        out.extend(
            hall_of
                .values()
                .filter(|&&h| h != centre)
                .map(|&h| (h, centre, walk_s.saturating_mul(3))),
        );
    }
    out
}

/// A star per zone around its largest room, and the zones' centres in a
/// star around the largest of them: a connected stand-in for real routes.
pub(super) fn links(spaces: &[Space], walk_s: u32) -> Vec<(usize, usize, u32)> {
    let mut zones: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in spaces.iter().enumerate() {
        zones.entry(s.zone.as_str()).or_default().push(i);
    }
    let biggest = |list: &[usize]| {
        list.iter()
            .copied()
            .max_by_key(|&i| (spaces[i].capacity, std::cmp::Reverse(i)))
    };
    let mut out = Vec::new();
    let mut hubs = Vec::new();
    for list in zones.values() {
        let Some(hub) = biggest(list) else { continue };
        hubs.push(hub);
        out.extend(
            list.iter()
                .filter(|&&i| i != hub)
                .map(|&i| (i, hub, walk_s)),
        );
    }
    if let Some(centre) = biggest(&hubs) {
        out.extend(
            hubs.iter()
                .filter(|&&h| h != centre)
                .map(|&h| (h, centre, walk_s.saturating_mul(3))),
        );
    }
    out
}
