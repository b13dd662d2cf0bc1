//! Room sizes the schedule does not carry, from a file the user gives.
//!
//! Two shapes are read:
//! - CSV with a header. Name columns are those whose header mentions `name`,
//!   `room`, `key`, `title`, `slug`, `id` or `guid` (a cell may list several
//!   names split by `;` or `|`); seats come from a `capacity`/`seats` column,
//!   floor area from a column mentioning `area` (m²), and an optional
//!   `zone`/`building` column places the room in a zone.
//! - JSON rooms as c3voc writes them (`{"rooms": [...]}`, a bare list, or a
//!   whole schedule with `conference.rooms`), matched by guid, slug or name.
//!
//! Names are compared with punctuation and case folded away, and also by the
//! part before and inside parentheses, so the FOSDEM CSV's
//! `UD2.120 (Chavanne)` matches both `UD2.120 (Chavanne)` (2025) and
//! `Chavanne` (2012). A short name that would match two rows matches none.

use crate::ImportError;
use crate::model::Room;
use crate::text::normalize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The row's first name, for messages.
    pub label: String,
    pub seats: Option<u32>,
    pub area_m2: Option<f64>,
    pub zone: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Venue {
    pub entries: Vec<Entry>,
    /// Whole names, slugs, guids: entry index, or `None` when two rows claim it.
    strong: HashMap<String, Option<usize>>,
    /// Parts of names (before/inside parentheses).
    weak: HashMap<String, Option<usize>>,
}

/// The names a room or a row is known by: whole ones first, then parts.
fn aliases(name: &str) -> (Vec<String>, Vec<String>) {
    let whole = vec![normalize(name)];
    let mut parts = Vec::new();
    if let Some((before, rest)) = name.split_once('(') {
        parts.push(normalize(before));
        parts.push(normalize(rest.split(')').next().unwrap_or_default()));
    }
    let keep = |v: Vec<String>| v.into_iter().filter(|a| !a.is_empty()).collect();
    (keep(whole), keep(parts))
}

impl Venue {
    fn add(&mut self, entry: Entry, names: &[String]) {
        let idx = self.entries.len();
        self.entries.push(entry);
        for name in names {
            let (whole, parts) = aliases(name);
            for (map, keys) in [(&mut self.strong, whole), (&mut self.weak, parts)] {
                for k in keys {
                    map.entry(k)
                        .and_modify(|v| {
                            if *v != Some(idx) {
                                *v = None;
                            }
                        })
                        .or_insert(Some(idx));
                }
            }
        }
    }

    /// The row for a room: by guid, slug or whole name, then by a part of its name.
    pub fn find(&self, room: &Room) -> Option<usize> {
        let mut whole: Vec<String> = [room.guid.as_deref(), room.slug.as_deref()]
            .into_iter()
            .flatten()
            .map(normalize)
            .collect();
        let (w, parts) = aliases(&room.name);
        whole.extend(w);
        let look = |map: &HashMap<String, Option<usize>>, keys: &[String]| {
            keys.iter().find_map(|k| map.get(k).copied().flatten())
        };
        look(&self.strong, &whole)
            .or_else(|| look(&self.weak, &whole))
            .or_else(|| look(&self.strong, &parts))
            .or_else(|| look(&self.weak, &parts))
    }
}

pub(crate) fn load(
    path: &std::path::Path,
    warnings: &mut Vec<String>,
) -> Result<Venue, ImportError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let venue = if text.trim_start().starts_with(['{', '[']) {
        from_json(text, &file, warnings)?
    } else {
        from_csv(text, &file, warnings)?
    };
    if venue.entries.is_empty() {
        return Err(ImportError::Parse {
            file,
            at: "whole file".into(),
            message: "no room with a capacity or an area".into(),
        });
    }
    Ok(venue)
}

fn from_csv(text: &str, file: &str, warnings: &mut Vec<String>) -> Result<Venue, ImportError> {
    let err = |at: String, message: String| ImportError::Parse {
        file: file.to_string(),
        at,
        message,
    };
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rd
        .headers()
        .map_err(|e| err("line 1".into(), e.to_string()))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let find = |pred: &dyn Fn(&str) -> bool| headers.iter().position(|h| pred(h));
    let seats = find(&|h| h.contains("capacity") || h.contains("seats"));
    let area = find(&|h| h.contains("area"));
    let zone = find(&|h| h == "zone" || h == "building");
    let names: Vec<usize> = (0..headers.len())
        .filter(|i| Some(*i) != seats && Some(*i) != area && Some(*i) != zone)
        .filter(|i| {
            ["name", "room", "key", "title", "slug", "id", "guid"]
                .iter()
                .any(|k| headers[*i].contains(k))
        })
        .collect();
    if names.is_empty() {
        return Err(err(
            "line 1".into(),
            format!(
                "no name column (a header with name, room, key, title, slug, id or guid) among {headers:?}"
            ),
        ));
    }
    if seats.is_none() && area.is_none() {
        return Err(err(
            "line 1".into(),
            format!("no capacity/seats column and no area column among {headers:?}"),
        ));
    }
    let mut venue = Venue::default();
    for (i, rec) in rd.records().enumerate() {
        let at = format!("line {}", i + 2);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!("{file}: {at}: {e}, skipped"));
                continue;
            }
        };
        let cell = |c: Option<usize>| c.and_then(|c| rec.get(c)).filter(|s| !s.is_empty());
        let row_names: Vec<String> = names
            .iter()
            .filter_map(|c| rec.get(*c))
            .flat_map(|s| s.split([';', '|']))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let Some(label) = row_names.first().cloned() else {
            warnings.push(format!("{file}: {at}: no room name, skipped"));
            continue;
        };
        let seat_n = cell(seats).map(|s| s.replace([',', '_', ' '], ""));
        let seat_n = match seat_n {
            None => None,
            Some(s) => match s.parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 && n < f64::from(u32::MAX) => {
                    Some(n.round() as u32)
                }
                _ => {
                    warnings.push(format!(
                        "{file}: {at}: capacity {s:?} is not a positive number, ignored"
                    ));
                    None
                }
            },
        };
        let area_n = match cell(area) {
            None => None,
            Some(s) => match s.parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 => Some(n),
                _ => {
                    warnings.push(format!(
                        "{file}: {at}: area {s:?} is not a positive number, ignored"
                    ));
                    None
                }
            },
        };
        if seat_n.is_none() && area_n.is_none() {
            warnings.push(format!(
                "{file}: {at}: {label:?} has neither a capacity nor an area, skipped"
            ));
            continue;
        }
        let entry = Entry {
            label,
            seats: seat_n,
            area_m2: area_n,
            zone: cell(zone).map(str::to_string),
        };
        venue.add(entry, &row_names);
    }
    Ok(venue)
}

fn from_json(text: &str, file: &str, warnings: &mut Vec<String>) -> Result<Venue, ImportError> {
    let root: Value = serde_json::from_str(text).map_err(|e| ImportError::Parse {
        file: file.to_string(),
        at: format!("line {}, column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    let rooms = root
        .as_array()
        .or_else(|| root.get("rooms").and_then(Value::as_array))
        .or_else(|| root.pointer("/conference/rooms").and_then(Value::as_array))
        .or_else(|| {
            root.pointer("/schedule/conference/rooms")
                .and_then(Value::as_array)
        })
        .ok_or_else(|| ImportError::Parse {
            file: file.to_string(),
            at: "top level".into(),
            message: "no room list: expected `rooms`, `conference.rooms` or a list".into(),
        })?;
    let mut venue = Venue::default();
    let mut without = Vec::new();
    for (i, r) in rooms.iter().enumerate() {
        let s = |k: &str| {
            r.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(label) = s("name") else {
            warnings.push(format!("{file}: rooms[{i}]: no name, skipped"));
            continue;
        };
        let seats = r
            .get("capacity")
            .and_then(Value::as_u64)
            .and_then(|c| u32::try_from(c).ok())
            .filter(|c| *c > 0);
        let area_m2 = r
            .get("area_m2")
            .and_then(Value::as_f64)
            .filter(|a| a.is_finite() && *a > 0.0);
        if seats.is_none() && area_m2.is_none() {
            without.push(label.to_string());
            continue;
        }
        let names: Vec<String> = [s("name"), s("slug"), s("guid")]
            .into_iter()
            .flatten()
            .map(str::to_string)
            .collect();
        let entry = Entry {
            label: label.to_string(),
            seats,
            area_m2,
            zone: s("zone").map(str::to_string),
        };
        venue.add(entry, &names);
    }
    if !without.is_empty() {
        warnings.push(format!(
            "{file}: {} room(s) without a capacity there: {}",
            without.len(),
            without.join(", ")
        ));
    }
    Ok(venue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(name: &str) -> Room {
        Room {
            name: name.into(),
            ..Room::default()
        }
    }

    #[test]
    fn matches_old_and_new_names() {
        let csv = "room_key,level,polygon_area_m2,fosdem_schedule_room_names\n\
                   ud2120,1,320.8,UD2.120 (Chavanne)\n\
                   k1105,0,551.2,K.1.105 (La Fontaine)\n\
                   h2211,1,53.3,\n";
        let mut w = Vec::new();
        let v = from_csv(csv, "t.csv", &mut w).expect("parses");
        assert!(w.is_empty(), "{w:?}");
        let idx = |n: &str| v.find(&room(n)).map(|i| v.entries[i].label.clone());
        assert_eq!(idx("UD2.120 (Chavanne)").as_deref(), Some("ud2120"));
        assert_eq!(idx("Chavanne").as_deref(), Some("ud2120"));
        assert_eq!(idx("K.1.105").as_deref(), Some("k1105"));
        assert_eq!(idx("H.2211").as_deref(), Some("h2211"));
        assert_eq!(idx("Janson"), None);
        assert_eq!(v.entries[0].area_m2, Some(320.8));
        assert_eq!(v.entries[0].seats, None);
    }

    #[test]
    fn seats_and_errors() {
        let mut w = Vec::new();
        let v = from_csv(
            "name,seats,zone\nHall A,\"1,200\",north\nRoom 1,lots,\n",
            "t.csv",
            &mut w,
        )
        .expect("parses");
        assert_eq!(v.entries.len(), 1);
        assert_eq!(v.entries[0].seats, Some(1200));
        assert_eq!(v.entries[0].zone.as_deref(), Some("north"));
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(from_csv("foo,bar\n1,2\n", "t.csv", &mut w).is_err());
        assert!(from_csv("name,colour\nA,red\n", "t.csv", &mut w).is_err());
    }

    #[test]
    fn ambiguous_parts_match_nothing() {
        let mut w = Vec::new();
        let v =
            from_csv("name,seats\nA (Annex),10\nB (Annex),20\n", "t.csv", &mut w).expect("parses");
        assert_eq!(v.find(&room("Annex")), None);
        assert_eq!(v.find(&room("B (Annex)")), Some(1));
    }
}
