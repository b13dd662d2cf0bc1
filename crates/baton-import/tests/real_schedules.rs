//! Each real schedule in `tests/fixtures/` is imported, written to a temporary
//! directory and loaded with `baton_spec::load` (what `baton check` runs), and
//! concrete facts from the source file are checked in the result.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_import::{Format, ImportOptions, Imported, import_schedule, write_dir};
use baton_spec::Loaded;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Imports, writes, checks; panics with every diagnostic if the check fails.
fn import_and_check(name: &str, opts: &ImportOptions) -> (Imported, Loaded) {
    let imported = import_schedule(&fixture(name), Format::Auto, opts)
        .unwrap_or_else(|e| panic!("import {name}: {e}"));
    let dir = tempfile::tempdir().expect("tempdir");
    write_dir(&imported, dir.path()).expect("write");
    let loaded = baton_spec::load(dir.path()).unwrap_or_else(|diags| {
        let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        panic!("baton check of {name} failed:\n{}", text.join("\n"))
    });
    (imported, loaded)
}

/// Milliseconds of an RFC 3339 instant, as Baton stores session times.
fn ms(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<jiff::Timestamp>()
        .expect("test timestamp")
        .as_millisecond()
}

fn session<'a>(l: &'a Loaded, title: &str) -> &'a baton_model::Session {
    l.spec
        .sessions
        .iter()
        .find(|s| s.title == title)
        .unwrap_or_else(|| panic!("no session titled {title:?}"))
}

fn space<'a>(l: &'a Loaded, id: &str) -> &'a baton_model::Space {
    l.spec
        .spaces
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no space {id:?}"))
}

fn warned(imported: &Imported, needles: &[&str]) -> bool {
    imported
        .warnings
        .iter()
        .any(|w| needles.iter().all(|n| w.contains(n)))
}

/// The text of one session's entry in sessions.yaml, from its id to the next.
fn yaml_entry<'a>(imported: &'a Imported, id: &str) -> &'a str {
    let text = &imported.files["sessions.yaml"];
    let key = format!("- id: {id}\n");
    let start = text
        .find(&key)
        .unwrap_or_else(|| panic!("{id} not in sessions.yaml"));
    let rest = &text[start + key.len()..];
    &rest[..rest.find("- id:").unwrap_or(rest.len())]
}

#[test]
fn camp2019_frab_json() {
    let (imp, l) = import_and_check("camp2019.schedule.json.gz", &ImportOptions::default());
    assert_eq!(l.spec.event.id, "camp2019");
    assert_eq!(l.spec.event.timezone, "Europe/Berlin");
    assert_eq!(l.spec.event.utc_offset_s, 7200, "CEST in August");
    assert!(imp.files["event.yaml"].contains("date: \"2019-08-21\""));
    assert_eq!(l.spec.sessions.len(), 79);
    assert_eq!(l.spec.spaces.len(), 2);
    let s = session(&l, "Opening Ceremony");
    assert_eq!(s.id, "camp2019-10386-opening-ceremony");
    assert_eq!(s.space, "curie");
    assert_eq!(s.track, "CCC");
    assert_eq!(s.start, ms("2019-08-21T11:00:00+02:00"));
    assert_eq!(s.end, ms("2019-08-21T11:30:00+02:00"));
    let entry = yaml_entry(&imp, "camp2019-10386-opening-ceremony");
    assert!(entry.contains("start: \"11:00\""), "{entry}");
    // Speakers go in the comment above the entry, not into invented fields.
    assert!(
        imp.files["sessions.yaml"]
            .contains("# event 10386; by jinxx, smtw\n  - id: camp2019-10386")
    );
    // Later days are written with their date.
    assert!(imp.files["sessions.yaml"].contains("start: \"2019-08-25T"));
    // No capacities anywhere: the default, with a warning naming both rooms.
    assert!(warned(
        &imp,
        &[
            "2 of 2 rooms have no capacity",
            "assumed 100 seats",
            "Curie",
            "Meitner"
        ]
    ));
    assert!(
        l.spec
            .spaces
            .iter()
            .all(|s| s.capacity == 100 && s.area_m2 == 120.0)
    );
    assert_eq!(l.spec.links.len(), 1, "two rooms: one link");
}

#[test]
fn rc3_pretalx_json_without_time_zone() {
    let (imp, l) = import_and_check(
        "rc3-2020.pretalx.schedule.json.gz",
        &ImportOptions::default(),
    );
    assert_eq!(l.spec.sessions.len(), 48);
    assert_eq!(l.spec.spaces.len(), 5);
    // No time_zone_name: a fixed zone from the +01:00 offsets, with a warning.
    assert_eq!(l.spec.event.timezone, "Etc/GMT-1");
    assert!(warned(&imp, &["no time zone in the file", "Etc/GMT-1"]));
    let s = session(
        &l,
        "Der faule Admin automatisiert: Gluon auf echter Hardware testen",
    );
    assert_eq!(s.id, "mja8qy", "pretalx code as slug");
    assert_eq!(s.space, "r3s-monheim-rhein");
    assert_eq!(s.start, ms("2020-12-27T11:30:00+01:00"));
    assert!(yaml_entry(&imp, "mja8qy").contains("start: \"11:30\""));
    // "r3s - Monheim/Rhein" is not a building code: every room in one zone.
    assert!(l.spec.spaces.iter().all(|s| s.zone == "main"));

    // Given the real zone, the same instants and no zone warning.
    let opts = ImportOptions {
        timezone: Some("Europe/Berlin".into()),
        ..ImportOptions::default()
    };
    let (imp, l) = import_and_check("rc3-2020.pretalx.schedule.json.gz", &opts);
    assert_eq!(l.spec.event.timezone, "Europe/Berlin");
    assert!(!warned(&imp, &["time zone"]));
    assert_eq!(
        session(&l, "State of the Waffle").start,
        ms("2020-12-27T20:00:00+01:00")
    );
}

#[test]
fn democon_zone_disagrees_with_offsets() {
    let (imp, l) = import_and_check(
        "pretalx-democon.schedule.json.gz",
        &ImportOptions::default(),
    );
    assert_eq!(l.spec.sessions.len(), 36);
    // Both rooms share one GUID in the file; they stay two rooms.
    let mut ids: Vec<&str> = l.spec.spaces.iter().map(|s| s.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["gray-room", "tan-room"]);
    // time_zone_name UTC, but dates say +01:00: the instants are kept and it is said.
    assert_eq!(l.spec.event.timezone, "UTC");
    assert!(warned(
        &imp,
        &["36 event time(s) carry offsets", "+01:00", "UTC"]
    ));
    let s = session(&l, "Focused 5thgeneration hardware");
    assert_eq!(s.start, ms("2020-12-14T09:00:00+01:00"));
    assert!(yaml_entry(&imp, &s.id).contains("start: \"08:00\""));
}

#[test]
fn hub_schedule2_flat_events_and_room_capacities() {
    let (imp, l) = import_and_check("hub-schedule2.example.json", &ImportOptions::default());
    assert_eq!(l.spec.event.timezone, "Europe/Berlin");
    assert_eq!(l.spec.spaces.len(), 5);
    assert_eq!(l.spec.sessions.len(), 2);
    let saal1 = space(&l, "saal-1");
    assert_eq!(saal1.capacity, 3025);
    assert_eq!(saal1.kind, baton_model::SpaceKind::Hall);
    assert_eq!(space(&l, "saal-glitch").capacity, 1160);
    assert_eq!(space(&l, "saal-zigzag").capacity, 965);
    assert!(warned(&imp, &["2 of 5 rooms", "Stage HUFF", "Stage YELL"]));
    // 00:15 on the second day: written with its date, end from the event's `end`.
    let s = session(&l, "A Competitive Time-Trial AI for Need for Speed:");
    assert_eq!(s.space, "saal-zigzag");
    assert_eq!(s.start, ms("2024-12-27T23:15:00Z"));
    assert_eq!(s.end, ms("2024-12-27T23:55:00Z"));
    assert!(yaml_entry(&imp, &s.id).contains("start: \"2024-12-28T00:15\""));
    // Speakers only: the CONTRIBUTOR is left out.
    assert!(imp.files["sessions.yaml"].contains("by Gabriela Bogk, Aline Blankertz\n"));
}

#[test]
fn fosdem_2025_with_floor_areas() {
    let opts = ImportOptions {
        capacities: Some(fixture("fosdem-ulb-room-areas.derived.csv")),
        ..ImportOptions::default()
    };
    let (imp, l) = import_and_check("fosdem-2025.schedule.xml.gz", &opts);
    assert_eq!(l.spec.event.id, "fosdem-2025");
    assert_eq!(l.spec.event.timezone, "Europe/Brussels");
    assert!(imp.files["event.yaml"].contains("date: \"2025-02-01\""));
    // Attendance from FOSDEM's published figure, with its source.
    assert!(imp.files["twin.yaml"].contains("attendees: 8000\n"));
    assert!(imp.files["twin.yaml"].contains("fosdem.org"));
    assert_eq!(l.spec.sessions.len(), 943);
    assert_eq!(l.spec.spaces.len(), 40, "every declared room, used or not");
    let used: std::collections::HashSet<&str> =
        l.spec.sessions.iter().map(|s| s.space.as_str()).collect();
    assert_eq!(used.len(), 29);
    let s = session(&l, "A New Approach to Callee-Saved Registers in LLVM");
    assert_eq!(s.space, "k3201", "room slug from the file");
    assert_eq!(s.track, "LLVM");
    assert_eq!(s.start, ms("2025-02-01T10:35:00+01:00"));
    assert_eq!(s.end, ms("2025-02-01T11:00:00+01:00"));
    assert!(s.id.len() <= 64 && s.id.starts_with("fosdem-2025-6210-"));
    // Janson: 1117 m² of floor at 1.2 m² a person.
    let janson = space(&l, "janson");
    assert_eq!((janson.capacity, janson.area_m2), (930, 1117.0));
    assert_eq!(janson.kind, baton_model::SpaceKind::Hall);
    assert_eq!(janson.zone, "main");
    let k3201 = space(&l, "k3201");
    assert_eq!((k3201.capacity, k3201.zone.as_str()), (76, "k"));
    assert_eq!(k3201.kind, baton_model::SpaceKind::Room);
    // Rooms the CSV lacks get the default, named in one warning; unused rows too.
    assert!(warned(
        &imp,
        &["15 of 40 rooms", "J.1.106", "UA2.118 (Henriot)"]
    ));
    assert!(warned(&imp, &["2 row(s) match no room", "aw1124", "h2211"]));
    // Janson is declared but holds nothing in this file.
    assert!(!used.contains("janson"));
    // Second day, written with its date.
    let s = session(
        &l,
        "Top Accessibility Errors Found in Open Source Through Automated Testing",
    );
    assert_eq!(s.space, "k3201");
    assert_eq!(s.start, ms("2025-02-02T09:00:00+01:00"));
    assert!(yaml_entry(&imp, &s.id).contains("start: \"2025-02-02T09:00\""));
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
}

#[test]
fn fosdem_2012_legacy_layout() {
    let opts = ImportOptions {
        capacities: Some(fixture("fosdem-ulb-room-areas.derived.csv")),
        timezone: Some("Europe/Brussels".into()),
        ..ImportOptions::default()
    };
    let (imp, l) = import_and_check("fosdem-2012.schedule.xml.gz", &opts);
    assert_eq!(l.spec.event.id, "fosdem-2012");
    assert_eq!(l.spec.sessions.len(), 442);
    assert_eq!(l.spec.spaces.len(), 23);
    // Empty slugs: ids from titles.
    let s = session(&l, "2012: New perspectives for Mozilla");
    assert_eq!(s.id, "2012-new-perspectives-for-mozilla");
    assert_eq!(s.space, "ud2-218a");
    assert_eq!(s.start, ms("2012-02-04T13:30:00+01:00"));
    // Short 2012 names match the CSV by the part in parentheses or the code.
    let chavanne = space(&l, "chavanne");
    assert_eq!((chavanne.capacity, chavanne.area_m2), (267, 320.8));
    assert_eq!(space(&l, "k-1-105").capacity, 459);
    assert!(!warned(&imp, &["have no capacity"]));
    // Two exams share UA2.114 from 14:00: warned by the importer and by baton check.
    assert!(warned(
        &imp,
        &[
            "room \"UA2.114\"",
            "TYPO3 certification exams",
            "BSDA certification exams"
        ]
    ));
    assert_eq!(l.warnings.len(), 1);
    assert!(l.warnings[0].message.contains("overlaps"));

    // Without a zone the clock times are kept as UTC, and it is said.
    let opts = ImportOptions {
        capacities: None,
        ..opts
    };
    let opts = ImportOptions {
        timezone: None,
        ..opts
    };
    let (imp, l) = import_and_check("fosdem-2012.schedule.xml.gz", &opts);
    assert_eq!(l.spec.event.timezone, "UTC");
    assert!(warned(&imp, &["no time zone in the file and no offsets"]));
    assert!(warned(&imp, &["23 of 23 rooms have no capacity"]));
    assert_eq!(
        session(&l, "2012: New perspectives for Mozilla").start,
        ms("2012-02-04T13:30:00Z")
    );
}

#[test]
fn ccc_38c3_past_midnight_and_mixed_offsets() {
    let opts = ImportOptions {
        capacities: Some(fixture("ccc-38c3-cch-rooms.json")),
        ..ImportOptions::default()
    };
    let (imp, l) = import_and_check("ccc-38c3.schedule.xml.gz", &opts);
    assert_eq!(l.spec.event.id, "38c3");
    assert_eq!(l.spec.event.timezone, "Europe/Berlin");
    // The conference start is 09:30 UTC; the event date is Berlin's.
    assert!(imp.files["event.yaml"].contains("date: \"2024-12-27\""));
    assert!(imp.files["twin.yaml"].contains("attendees: 12000\n"));
    assert_eq!(l.spec.sessions.len(), 1007);
    assert_eq!(l.spec.spaces.len(), 72);
    let s = session(&l, "38C3: Opening Ceremony");
    assert_eq!(
        (s.space.as_str(), s.start),
        ("saal-1", ms("2024-12-27T10:30:00+01:00"))
    );
    // On day 1's schedule, but 01:10 the next morning.
    let s = session(&l, "Fnord-Nachrichtenrückblick 2024");
    assert_eq!(s.space, "saal-1");
    assert_eq!(s.start, ms("2024-12-28T01:10:00+01:00"));
    assert_eq!(s.end, ms("2024-12-28T02:40:00+01:00"));
    assert!(yaml_entry(&imp, &s.id).contains("start: \"2024-12-28T01:10\""));
    // Seats by room GUID from the venue file; the rest assumed and named.
    assert_eq!(space(&l, "saal-1").capacity, 3025);
    assert_eq!(space(&l, "saal-glitch").capacity, 1160);
    assert_eq!(space(&l, "saal-zigzag").capacity, 965);
    assert!(warned(
        &imp,
        &["69 of 72 rooms", "Stage HUFF", "Chill Floor"]
    ));
    // Chill Floor is double-booked twice: two warnings here, two from baton check.
    let overlaps: Vec<&String> = imp
        .warnings
        .iter()
        .filter(|w| w.starts_with("room \"Chill Floor\""))
        .collect();
    assert_eq!(overlaps.len(), 2, "{overlaps:?}");
    assert_eq!(
        l.warnings
            .iter()
            .filter(|w| w.message.contains("overlaps"))
            .count(),
        2
    );
    // Non-ASCII names still give valid ids.
    for id in [
        "erwachsenen-ballebad-1-stock",
        "saal-a-lotstationen-station-1",
    ] {
        assert!(l.spec.spaces.iter().any(|s| s.id == id), "{id}");
    }
}

/// `--hallways`: one corridor per zone, rooms linked through it; the rooms
/// themselves are unchanged and the sizes are warned as assumptions.
#[test]
fn fosdem_2025_with_hallways() {
    let opts = ImportOptions {
        capacities: Some(fixture("fosdem-ulb-room-areas.derived.csv")),
        hallways: true,
        ..ImportOptions::default()
    };
    let (imp, l) = import_and_check("fosdem-2025.schedule.xml.gz", &opts);
    let corridors: Vec<&baton_model::Space> = l
        .spec
        .spaces
        .iter()
        .filter(|s| s.kind == baton_model::SpaceKind::Corridor)
        .collect();
    let zones: std::collections::BTreeSet<&str> =
        l.spec.spaces.iter().map(|s| s.zone.as_str()).collect();
    assert_eq!(corridors.len(), zones.len());
    assert_eq!(l.spec.spaces.len(), 40 + zones.len());
    assert!(corridors.iter().all(|c| !c.seated && c.capacity >= 50));
    // Every room links to its own zone's hallway, and only there.
    for room in l
        .spec
        .spaces
        .iter()
        .filter(|s| s.kind != baton_model::SpaceKind::Corridor)
    {
        let links: Vec<&baton_model::Link> = l
            .spec
            .links
            .iter()
            .filter(|k| k.from == room.id || k.to == room.id)
            .collect();
        assert_eq!(links.len(), 1, "{}", room.id);
        assert_eq!(links[0].to, format!("hallways-{}", room.zone));
    }
    assert_eq!(l.spec.links.len(), 40 + zones.len() - 1);
    assert!(
        imp.warnings.iter().any(|w| w.contains("ASSUMED")),
        "{:?}",
        imp.warnings
    );
    assert!(imp.summary.contains("in 40 rooms"), "{}", imp.summary);
}
