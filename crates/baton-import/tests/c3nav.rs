//! The c3nav venue import (issue 13, item 6) on the FOSDEM campus map
//! (`fosdem-ulb-c3nav-2017.json.gz`, github.com/FOSDEM/maps 2017): alone, as
//! a venue-only event, and as the venue of the FOSDEM 2025 schedule. Each
//! result is written and loaded with `baton_spec::load` (what `baton check` runs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_import::{Format, ImportOptions, Imported, import_c3nav, import_schedule, write_dir};
use baton_model::SpaceKind;
use baton_spec::Loaded;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAP: &str = "fosdem-ulb-c3nav-2017.json.gz";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn check(imported: &Imported) -> Loaded {
    let dir = tempfile::tempdir().expect("tempdir");
    write_dir(imported, dir.path()).expect("write");
    baton_spec::load(dir.path()).unwrap_or_else(|diags| {
        let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        panic!(
            "baton check failed:\n{}\n--- venue.yaml ---\n{}",
            text.join("\n"),
            imported.files["venue.yaml"]
        )
    })
}

/// Every space reachable from the first through the (symmetric) links.
fn connected(l: &Loaded) -> bool {
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for k in &l.spec.links {
        adj.entry(&k.from).or_default().push(&k.to);
        adj.entry(&k.to).or_default().push(&k.from);
    }
    let Some(first) = l.spec.spaces.first() else {
        return false;
    };
    let mut seen = BTreeSet::from([first.id.as_str()]);
    let mut todo = vec![first.id.as_str()];
    while let Some(s) = todo.pop() {
        for &n in adj.get(s).into_iter().flatten() {
            if seen.insert(n) {
                todo.push(n);
            }
        }
    }
    seen.len() == l.spec.spaces.len()
}

fn space<'a>(l: &'a Loaded, id: &str) -> &'a baton_model::Space {
    l.spec
        .spaces
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no space {id:?}"))
}

fn brussels() -> ImportOptions {
    ImportOptions {
        timezone: Some("Europe/Brussels".into()),
        ..ImportOptions::default()
    }
}

#[test]
fn the_fosdem_map_imports_into_a_connected_venue_that_passes_check() {
    let imported = import_c3nav(&fixture(MAP), &brussels()).expect("import");
    let l = check(&imported);
    let spaces = &l.spec.spaces;
    // 71 walkable polygons (62 rooms/ + 9 outsides/) and one assumed entrance.
    assert_eq!(spaces.len(), 72, "{}", imported.summary);
    assert!(
        (70..=90).contains(&l.spec.links.len()),
        "{} links",
        l.spec.links.len()
    );
    assert!(connected(&l), "the venue graph is one component");
    for s in spaces {
        assert!(s.area_m2 > 0.0 && s.capacity > 0, "{}: {s:?}", s.id);
        assert!(!s.zone.is_empty(), "{} has a zone", s.id);
        assert!(s.position.is_some(), "{} has a position", s.id);
    }
    assert!(l.spec.links.iter().all(|k| k.walk_s >= 1));
    let count = |k: SpaceKind| spaces.iter().filter(|s| s.kind == k).count();
    assert_eq!(count(SpaceKind::Entrance), 1);
    assert!(count(SpaceKind::Corridor) >= 10);
    assert!(count(SpaceKind::Stairway) >= 5);
    assert!(count(SpaceKind::Outdoor) >= 5);
    // The 27 named lecture rooms of the 2017 map are seated.
    assert_eq!(spaces.iter().filter(|s| s.seated).count(), 27);
    let zones: BTreeSet<&str> = spaces.iter().map(|s| s.zone.as_str()).collect();
    for z in ["aw", "campus", "h", "j", "k", "u"] {
        assert!(zones.contains(z), "zone {z} in {zones:?}");
    }
    // Janson: 1,117 m² on the map, 930 seats at 1.2 m² a seat.
    let janson = space(&l, "janson");
    assert_eq!(janson.kind, SpaceKind::Hall);
    assert!((janson.area_m2 - 1117.0).abs() < 1.0, "{janson:?}");
    assert_eq!(janson.capacity, 930);
    assert_eq!(janson.zone, "j");
    assert!(janson.outline.len() >= 3);
    assert_eq!(space(&l, "k4201").zone, "k");
    assert_eq!(space(&l, "ud2120").zone, "u");
    assert!(!space(&l, "wc").seated, "a WC is no talk room");
    // Doors become links: H.1308 opens on the H ground-floor corridor.
    assert!(
        l.spec
            .links
            .iter()
            .any(|k| (k.from == "h1308" && k.to == "h1-main-corridor")
                || (k.to == "h1308" && k.from == "h1-main-corridor"))
    );
    // What the map lacks is said: points of interest, the entrance, the gaps.
    let warned = |n: &str| imported.warnings.iter().any(|w| w.contains(n));
    assert!(warned("point(s) of interest"));
    assert!(warned("draws no entrance"));
    assert!(warned("ASSUMED path"));
    assert!(imported.files["sessions.yaml"].contains("sessions: []"));
    assert_eq!(l.spec.sessions.len(), 0);
    assert_eq!(l.spec.event.timezone, "Europe/Brussels");
}

#[test]
fn fosdem_2025_joins_the_map_and_reports_the_share_matched() {
    let opts = ImportOptions {
        venue_map: Some(fixture(MAP)),
        ..ImportOptions::default()
    };
    let imported = import_schedule(&fixture("fosdem-2025.schedule.xml.gz"), Format::Auto, &opts)
        .expect("import");
    let l = check(&imported);
    assert_eq!(l.spec.sessions.len(), 943);
    assert!(connected(&l));
    // Measured: 25 of the 40 rooms of 2025 are on the 2017 map (62.5%),
    // holding 690 of the 943 sessions. The floor is 60%.
    let s = &imported.summary;
    let share = s
        .split("rooms matched (")
        .nth(1)
        .and_then(|t| t.split('%').next())
        .and_then(|p| p.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no match share in {s}"));
    assert!(share >= 60.0, "{s}");
    assert!(s.contains("25 of 40 rooms matched"), "{s}");
    assert!(s.contains("690 of 943 sessions"), "{s}");
    // Matched rooms sit on the map (position, outline); the schedule's name wins.
    let k = space(&l, "k1105");
    assert_eq!(k.name, "K.1.105 (La Fontaine)");
    assert!(k.position.is_some() && k.seated);
    let ud = l
        .spec
        .sessions
        .iter()
        .find(|x| x.space == "ud2120")
        .expect("sessions in UD2.120 (Chavanne)");
    assert!(!ud.title.is_empty());
    // Rooms the 2017 map lacks are listed and keep a space, attached to their building.
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("15 of 40 schedule rooms are not on the map")
                && w.contains("UD6.215"))
    );
    let ud6 = space(&l, "ud6215");
    assert_eq!(ud6.zone, "u");
    assert!(ud6.position.is_none());
    assert!(
        l.spec
            .links
            .iter()
            .any(|k| k.from == "ud6215" || k.to == "ud6215")
    );
}

#[test]
fn without_a_map_the_star_venue_is_unchanged() {
    let imported = import_schedule(
        &fixture("fosdem-2025.schedule.xml.gz"),
        Format::Auto,
        &ImportOptions::default(),
    )
    .expect("import");
    let l = check(&imported);
    assert_eq!(l.spec.spaces.len(), 40);
    assert!(l.spec.spaces.iter().all(|s| s.position.is_none()));
    assert!(!imported.summary.contains("venue map"));
}

fn write_bundle(dir: &Path, json: &str) -> PathBuf {
    let p = dir.join("map.json");
    std::fs::write(&p, json).expect("write bundle");
    p
}

#[test]
fn unusable_features_are_skipped_with_their_key_and_a_broken_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sq = |x: f64, y: f64, w: f64| {
        format!(
            r#"{{"type": "Polygon", "coordinates": [[[{x}, {y}], [{}, {y}], [{}, {}], [{x}, {}], [{x}, {y}]]]}}"#,
            x + w,
            x + w,
            y + w,
            y + w
        )
    };
    let json = format!(
        r#"{{
        "levels/0.json": {{"altitude": 0.0, "intermediate": false}},
        "buildings/a.json": {{"level": "0", "geometry": {}}},
        "rooms/hall.json": {{"level": "0", "geometry": {}}},
        "rooms/talk.json": {{"level": "0", "geometry": {}}},
        "rooms/island.json": {{"level": "0", "geometry": {}}},
        "rooms/line.json": {{"level": "0", "geometry": {{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}}},
        "rooms/nolevel.json": {{"level": "9", "geometry": {}}},
        "doors/d1.json": {{"level": "0", "geometry": {}}},
        "arealocations/talk.json": {{"level": "0", "titles": {{"en": "T101"}}, "location_type": "room", "geometry": {}}},
        "mystery/x.json": {{}}
    }}"#,
        sq(0.0, 0.0, 40.0),
        sq(0.0, 0.0, 10.0),
        sq(10.5, 0.0, 10.0),
        sq(30.0, 30.0, 5.0),
        sq(50.0, 50.0, 5.0),
        // A door straddling the wall between hall and talk.
        r#"{"type": "Polygon", "coordinates": [[[9.9, 4], [10.6, 4], [10.6, 5], [9.9, 5], [9.9, 4]]]}"#,
        sq(10.5, 0.0, 10.0),
    );
    let path = write_bundle(dir.path(), &json);
    let imported = import_c3nav(&path, &ImportOptions::default()).expect("import");
    let warned = |n: &str| imported.warnings.iter().any(|w| w.contains(n));
    assert!(warned("rooms/line.json"), "{:?}", imported.warnings);
    assert!(warned("rooms/nolevel.json"));
    assert!(warned("mystery/x.json"));
    assert!(warned("no time zone"));
    let l = check(&imported);
    assert!(connected(&l), "the island is joined by an assumed path");
    assert!(warned("island"));
    let talk = space(&l, "t101");
    assert!(talk.seated && talk.zone == "a" && (talk.area_m2 - 100.0).abs() < 1e-6);
    assert!(
        l.spec
            .links
            .iter()
            .any(|k| (k.from == "hall" && k.to == "t101") || (k.from == "t101" && k.to == "hall"))
    );
    assert_eq!(
        l.spec
            .spaces
            .iter()
            .filter(|s| s.kind == SpaceKind::Entrance)
            .count(),
        1
    );

    let broken = write_bundle(dir.path(), "{\"levels/0.json\": ");
    let err = import_c3nav(&broken, &ImportOptions::default()).expect_err("broken JSON");
    assert!(err.to_string().contains("map.json"), "{err}");
    let list = write_bundle(dir.path(), "[1, 2]");
    assert!(import_c3nav(&list, &ImportOptions::default()).is_err());
    let empty = write_bundle(dir.path(), "{}");
    assert!(import_c3nav(&empty, &ImportOptions::default()).is_err());
    let missing = import_c3nav(&dir.path().join("nope.json"), &ImportOptions::default());
    assert!(missing.is_err());
}
