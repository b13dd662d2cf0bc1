//! A venue from a c3nav map package (issue 13, item 6): the walkable
//! polygons of the map (`rooms/`, `outsides/`) become spaces with their
//! floor areas, outlines and positions; `doors/` and `levelconnectors/`
//! become the walking links between them; named `arealocations/` give the
//! spaces their names; `buildings/` give their zones.
//!
//! - [`bundle`] reads the package (bundled into one JSON object) into typed features;
//! - [`geometry`] holds the plane geometry (shoelace area, centroid, distances);
//! - [`spaces`] turns walkable polygons into spaces: kind, name, zone, capacity;
//! - [`links`] turns doors and level connectors into links, adds an entrance
//!   and joins what the map leaves disconnected;
//! - [`join`] matches a schedule's rooms to the map's;
//! - [`yaml`] writes `venue.yaml`.
//!
//! The numbers below are stated choices, not measurements of the venue; the
//! generated `venue.yaml` repeats them in its header.

mod bundle;
mod geometry;
mod join;
mod links;
mod spaces;
mod yaml;

use crate::{ImportError, ImportOptions, Imported};
use geometry::Pt;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

pub(crate) use join::{ScheduleRoom, join};
pub(crate) use yaml::venue_yaml;

/// Walking speed between spaces, m/s: conference pace. Free walking on the
/// level is 1.3 to 1.4 m/s in pedestrian studies; 1.0 m/s allows for doors,
/// crowds in the hallways and people finding their way on a strange campus.
pub(crate) const WALK_M_PER_S: f64 = 1.0;
/// Extra seconds per metre of height on a level change (stairs): people
/// climb about 0.5 m/s along a stair's slope, which is about 0.25 m/s of
/// height, so 4 s a metre on top of the horizontal distance.
pub(crate) const STAIR_S_PER_M: f64 = 4.0;
/// Floor area per person in circulation (corridors, foyers, stairways,
/// outdoor areas): 1 m², the walkway level-of-service C/D boundary, the same
/// figure the schedule import's assumed hallways use.
pub(crate) const STANDING_M2_PER_PERSON: f64 = 1.0;
/// A path the map does not draw between two parts of the campus (a gap in
/// a work-in-progress map) is assumed this much longer than the straight line.
pub(crate) const DETOUR: f64 = 1.4;
/// The assumed entrance: a gate of this many people on as many m².
pub(crate) const ENTRANCE_PEOPLE: u32 = 200;
/// Zone of outdoor areas and of spaces in no building.
pub(crate) const CAMPUS_ZONE: &str = "campus";

/// What a space is for, as `venue.yaml` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Hall,
    Room,
    Corridor,
    Foyer,
    Stairway,
    Outdoor,
    Entrance,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Hall => "hall",
            Kind::Room => "room",
            Kind::Corridor => "corridor",
            Kind::Foyer => "foyer",
            Kind::Stairway => "stairway",
            Kind::Outdoor => "outdoor",
            Kind::Entrance => "entrance",
        }
    }

    /// Corridors and foyers: where a room without a map polygon is attached.
    pub fn is_hub(self) -> bool {
        matches!(self, Kind::Corridor | Kind::Foyer)
    }
}

/// One space of the venue.
#[derive(Debug, Clone)]
pub(crate) struct MapSpace {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub capacity: u32,
    pub area_m2: f64,
    pub zone: String,
    pub seated: bool,
    pub position: Option<Pt>,
    /// Height of its level, m (0 for a room not on the map).
    pub altitude: f64,
    pub outline: Vec<Pt>,
    /// How capacity and area were found, for the comment beside them.
    pub basis: String,
    /// The map's titles for it (room code, devroom names of 2017).
    pub titles: Vec<String>,
    /// The bundle keys it comes from, or what it stands for.
    pub source: String,
    /// Sessions of a joined schedule held here.
    pub sessions: usize,
}

/// A walking link; `via` says what it crosses (a door's key, a level
/// connector's, an assumption).
#[derive(Debug, Clone)]
pub(crate) struct MapLink {
    pub a: usize,
    pub b: usize,
    pub walk_s: u32,
    pub via: String,
}

/// The venue a map gives.
#[derive(Debug, Clone)]
pub(crate) struct Venue {
    /// The bundle's file name, for messages.
    pub file: String,
    pub name: Option<String>,
    pub date: Option<String>,
    pub spaces: Vec<MapSpace>,
    pub links: Vec<MapLink>,
    /// Links the map does not have, added to connect it.
    pub assumed_links: usize,
    /// Seats per m² used, for the header.
    pub m2_per_seat: f64,
}

impl Venue {
    /// `12 seated rooms, 20 corridors, …`.
    pub fn counts(&self) -> String {
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &self.spaces {
            let k = if s.seated { "seated" } else { s.kind.as_str() };
            *by_kind.entry(k).or_default() += 1;
        }
        by_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads the bundle at `path` (gzipped or not) and builds its venue.
pub(crate) fn load(
    path: &Path,
    opts: &ImportOptions,
    warnings: &mut Vec<String>,
) -> Result<Venue, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut unzipped = Vec::new();
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut unzipped)
            .map_err(|e| ImportError::Parse {
                file: file.clone(),
                at: "gzip stream".into(),
                message: e.to_string(),
            })?;
        &unzipped[..]
    } else {
        &bytes[..]
    };
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::Parse {
        file: file.clone(),
        at: format!("byte {}", e.valid_up_to()),
        message: "not UTF-8 text".into(),
    })?;
    let b = bundle::read(text.trim_start_matches('\u{feff}'), &file, warnings)?;
    let regions = spaces::regions(&b, warnings);
    let mut venue = spaces::build(&b, &regions, opts, warnings)?;
    links::build(&b, &regions, &mut venue, warnings);
    Ok(venue)
}

/// A venue-only event: the map's spaces and links, no sessions, no policies.
pub(crate) fn import_venue(path: &Path, opts: &ImportOptions) -> Result<Imported, ImportError> {
    let mut warnings = Vec::new();
    let venue = load(path, opts, &mut warnings)?;
    let name = venue.name.clone().unwrap_or_else(|| venue.file.clone());
    let id = [venue.name.as_deref(), Some(venue.file.as_str())]
        .into_iter()
        .flatten()
        .map(crate::text::slugify)
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "venue".into());
    let tz = match &opts.timezone {
        Some(tz) => tz.clone(),
        None => {
            warnings.push(format!(
                "{}: a map names no time zone; wrote UTC into event.yaml (give a time zone)",
                venue.file
            ));
            "UTC".to_string()
        }
    };
    let date = venue
        .date
        .as_deref()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .unwrap_or(jiff::civil::date(2000, 1, 1));
    warnings.push(format!(
        "{}: no programme, so event.yaml's date ({date}) is a placeholder (the map's own date where it has one): set the event's first day",
        venue.file
    ));
    let mut files = BTreeMap::new();
    files.insert(
        "event.yaml".to_string(),
        crate::assemble::event_yaml(&id, &name, &tz, date, &venue.file, "c3nav map package"),
    );
    files.insert("venue.yaml".to_string(), venue_yaml(&venue, opts, None));
    files.insert(
        "sessions.yaml".to_string(),
        format!(
            "# Imported by baton-import from the map {}: a venue without a programme.\n\
             # Import a schedule with --venue-map to place sessions in these spaces.\n\nsessions: []\n",
            crate::text::comment(&venue.file)
        ),
    );
    files.insert(
        "policies.yaml".to_string(),
        "# No policies yet: a venue imported from a map, without a programme.\n\
         # See examples/rustconf-lisbon/policies.yaml.\n\npolicies: []\n"
            .to_string(),
    );
    let zones: std::collections::BTreeSet<&str> =
        venue.spaces.iter().map(|s| s.zone.as_str()).collect();
    let summary = format!(
        "{name}: {} spaces ({}) in {} zone(s), {} links ({} assumed); {} warning(s)",
        venue.spaces.len(),
        venue.counts(),
        zones.len(),
        venue.links.len(),
        venue.assumed_links,
        warnings.len()
    );
    Ok(Imported {
        files,
        warnings,
        summary,
    })
}
