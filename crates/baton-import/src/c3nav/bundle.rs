//! Reading a c3nav map package (the 2017-era layout: one JSON file per
//! feature) bundled into one JSON object whose keys are the package's file
//! paths (`levels/0.json`, `rooms/h1308.json`, `doors/…`, …) and whose
//! values are those files' JSON. Each feature is read into a typed struct;
//! one that does not fit is skipped with a warning naming its key.

use super::geometry::{Poly, Pt, Shape};
use crate::ImportError;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct LevelFile {
    #[serde(default)]
    altitude: f64,
    #[serde(default)]
    intermediate: bool,
}

#[derive(Debug, Deserialize)]
struct GeometryFile {
    #[serde(rename = "type")]
    kind: String,
    coordinates: serde_json::Value,
}

/// `buildings/`, `rooms/`, `outsides/`, `doors/`: a shape on one level.
#[derive(Debug, Deserialize)]
struct FeatureFile {
    level: String,
    geometry: GeometryFile,
}

/// `levelconnectors/`: a shape shared by two (or more) levels.
#[derive(Debug, Deserialize)]
struct ConnectorFile {
    levels: Vec<String>,
    geometry: GeometryFile,
}

/// `arealocations/`: a named area (a room, an area or a point of interest).
#[derive(Debug, Deserialize)]
struct LocationFile {
    level: String,
    #[serde(default)]
    titles: BTreeMap<String, String>,
    #[serde(default)]
    location_type: String,
    geometry: GeometryFile,
}

#[derive(Debug, Deserialize)]
struct PackageFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    bounds: Option<[[f64; 2]; 2]>,
}

#[derive(Debug, Clone)]
pub(super) struct Level {
    pub altitude: f64,
    pub intermediate: bool,
}

/// A feature on one level; `key` is its path in the package.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub key: String,
    pub level: String,
    pub shape: Shape,
}

#[derive(Debug, Clone)]
pub(super) struct Connector {
    pub key: String,
    pub levels: Vec<String>,
    pub shape: Shape,
}

#[derive(Debug, Clone)]
pub(super) struct Location {
    pub key: String,
    pub level: String,
    /// English title first, then the others.
    pub titles: Vec<String>,
    /// `room`, `area` or `poi`.
    pub kind: String,
    pub shape: Shape,
}

#[derive(Debug, Default)]
pub(super) struct Bundle {
    /// The file name, for messages.
    pub file: String,
    pub name: Option<String>,
    pub bounds: Option<[[f64; 2]; 2]>,
    /// `_origin.commit_date`, when the bundle says where it came from.
    pub date: Option<String>,
    pub levels: BTreeMap<String, Level>,
    pub buildings: Vec<Item>,
    pub rooms: Vec<Item>,
    pub outsides: Vec<Item>,
    pub doors: Vec<Item>,
    pub connectors: Vec<Connector>,
    pub locations: Vec<Location>,
    /// Folders read but not used (stairs, obstacles, …) and their sizes.
    pub ignored: BTreeMap<String, usize>,
}

/// Folders that draw the map but add no space or route to a venue.
const DRAWING_ONLY: &[&str] = &[
    "stairs",
    "obstacles",
    "lineobstacles",
    "holes",
    "sources",
    "escalators",
    "escalatorslopes",
    "oneways",
    "elevatorlevels",
    "locationgroups",
    "graph",
];

/// Parses the bundle; a file that is not a JSON object is an error.
pub(super) fn read(
    text: &str,
    file: &str,
    warnings: &mut Vec<String>,
) -> Result<Bundle, ImportError> {
    let root: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| ImportError::Parse {
            file: file.to_string(),
            at: format!("line {}, column {}", e.line(), e.column()),
            message: format!("not a c3nav map bundle (a JSON object of package files): {e}"),
        })?;
    let mut b = Bundle {
        file: file.to_string(),
        ..Bundle::default()
    };
    for (key, value) in root {
        let (folder, rest) = key.split_once('/').unwrap_or((key.as_str(), ""));
        let stem = rest.strip_suffix(".json").unwrap_or(rest).to_string();
        let skip = |why: String, warnings: &mut Vec<String>| {
            warnings.push(format!("{file}: {key}: {why}, skipped"));
        };
        match folder {
            "_origin" => {
                b.date = value
                    .get("commit_date")
                    .and_then(|d| d.as_str())
                    .map(str::to_string);
            }
            "package.json" => match serde_json::from_value::<PackageFile>(value) {
                Ok(p) => {
                    b.name = p.name;
                    b.bounds = p.bounds;
                }
                Err(e) => skip(e.to_string(), warnings),
            },
            "levels" => match serde_json::from_value::<LevelFile>(value) {
                Ok(l) if l.altitude.is_finite() => {
                    b.levels.insert(
                        stem,
                        Level {
                            altitude: l.altitude,
                            intermediate: l.intermediate,
                        },
                    );
                }
                Ok(_) => skip("altitude is not a finite number".into(), warnings),
                Err(e) => skip(e.to_string(), warnings),
            },
            "buildings" | "rooms" | "outsides" | "doors" => {
                let item = serde_json::from_value::<FeatureFile>(value)
                    .map_err(|e| e.to_string())
                    .and_then(|f| {
                        Ok(Item {
                            key: key.clone(),
                            level: f.level,
                            shape: shape(&f.geometry)?,
                        })
                    });
                match item {
                    Ok(item) => match folder {
                        "buildings" => b.buildings.push(item),
                        "rooms" => b.rooms.push(item),
                        "outsides" => b.outsides.push(item),
                        _ => b.doors.push(item),
                    },
                    Err(e) => skip(e, warnings),
                }
            }
            "levelconnectors" => {
                let c = serde_json::from_value::<ConnectorFile>(value)
                    .map_err(|e| e.to_string())
                    .and_then(|c| {
                        Ok(Connector {
                            key: key.clone(),
                            levels: c.levels,
                            shape: shape(&c.geometry)?,
                        })
                    });
                match c {
                    Ok(c) => b.connectors.push(c),
                    Err(e) => skip(e, warnings),
                }
            }
            "arealocations" => {
                let l = serde_json::from_value::<LocationFile>(value)
                    .map_err(|e| e.to_string())
                    .and_then(|l| {
                        let mut titles: Vec<String> = Vec::new();
                        for (lang, t) in &l.titles {
                            let t = t.trim().to_string();
                            if t.is_empty() || titles.contains(&t) {
                                continue;
                            }
                            if lang == "en" {
                                titles.insert(0, t);
                            } else {
                                titles.push(t);
                            }
                        }
                        Ok(Location {
                            key: key.clone(),
                            level: l.level,
                            titles,
                            kind: l.location_type,
                            shape: shape(&l.geometry)?,
                        })
                    });
                match l {
                    Ok(l) => b.locations.push(l),
                    Err(e) => skip(e, warnings),
                }
            }
            f if DRAWING_ONLY.contains(&f) => *b.ignored.entry(f.to_string()).or_default() += 1,
            _ => skip(
                "not a c3nav package file this importer knows".into(),
                warnings,
            ),
        }
    }
    Ok(b)
}

/// A GeoJSON `Polygon` or `MultiPolygon` with finite coordinates and at
/// least three distinct points per ring.
fn shape(g: &GeometryFile) -> Result<Shape, String> {
    let polys: Vec<Vec<Vec<Pt>>> = match g.kind.as_str() {
        "Polygon" => vec![
            serde_json::from_value(g.coordinates.clone())
                .map_err(|e| format!("Polygon coordinates: {e}"))?,
        ],
        "MultiPolygon" => serde_json::from_value(g.coordinates.clone())
            .map_err(|e| format!("MultiPolygon coordinates: {e}"))?,
        other => return Err(format!("geometry {other:?} is not an area (Polygon)")),
    };
    let mut out = Vec::new();
    for rings in polys {
        let mut rings = rings.into_iter().map(|mut r| {
            if r.len() > 1 && r.first() == r.last() {
                r.pop();
            }
            r
        });
        let Some(outer) = rings.next() else { continue };
        let holes: Vec<Vec<Pt>> = rings.filter(|r| r.len() >= 3).collect();
        if outer.len() < 3 {
            return Err(format!("a ring of {} point(s), not a polygon", outer.len()));
        }
        if !outer
            .iter()
            .chain(holes.iter().flatten())
            .flatten()
            .all(|c| c.is_finite())
        {
            return Err("a coordinate is not a finite number".into());
        }
        out.push(Poly { outer, holes });
    }
    if out.is_empty() {
        return Err("an empty geometry".into());
    }
    Ok(Shape { polys: out })
}
