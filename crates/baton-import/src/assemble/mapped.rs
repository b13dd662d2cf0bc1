//! The venue when a c3nav map is given (`venue_map`): the schedule's rooms
//! are joined to the map's spaces, which replace the star of assumed links.

use super::Space;
use crate::c3nav::{self, ScheduleRoom};
use crate::{ImportError, ImportOptions};
use std::path::Path;

/// `venue.yaml`'s text and the match line for the summary; the schedule's
/// spaces take the ids of the map spaces they were joined to, so the
/// sessions written after this point name those.
pub(super) fn venue(
    map: &Path,
    spaces: &mut [Space],
    assumed: &[String],
    opts: &ImportOptions,
    warnings: &mut Vec<String>,
) -> Result<(String, String), ImportError> {
    let mut venue = c3nav::load(map, opts, warnings)?;
    if opts.hallways {
        warnings.push(format!(
            "{}: hallways are not assumed when a venue map gives the corridors",
            venue.file
        ));
    }
    let rooms: Vec<ScheduleRoom> = spaces
        .iter()
        .map(|s| ScheduleRoom {
            name: s.name.clone(),
            id: s.id.clone(),
            capacity: s.capacity,
            known: !assumed.contains(&s.name),
            basis: s.basis.clone(),
            area_m2: s.area_m2,
            zone: s.zone.clone(),
            sessions: s.sessions,
        })
        .collect();
    let joined = c3nav::join(&mut venue, &rooms, opts, warnings);
    for (s, id) in spaces.iter_mut().zip(joined.ids) {
        s.id = id;
    }
    let text = c3nav::venue_yaml(&venue, opts, Some(&joined.note));
    Ok((text, joined.note))
}
