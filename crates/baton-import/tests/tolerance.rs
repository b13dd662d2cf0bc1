//! Small hand-made schedules with the faults real files have, one of each:
//! the import skips or repairs them, says so, and the result still passes
//! `baton check`. And the errors that are errors name the file and place.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_import::{
    Format, ImportError, ImportOptions, Imported, import_bytes, import_schedule, write_dir,
    write_dir_replacing,
};
use baton_spec::Loaded;
use std::io::Write;

fn check(imported: &Imported) -> Loaded {
    let dir = tempfile::tempdir().expect("tempdir");
    write_dir(imported, dir.path()).expect("write");
    baton_spec::load(dir.path()).unwrap_or_else(|d| {
        let text: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        panic!(
            "baton check failed:\n{}\n{:#?}",
            text.join("\n"),
            imported.files
        )
    })
}

fn warned(imported: &Imported, needles: &[&str]) -> bool {
    imported
        .warnings
        .iter()
        .any(|w| needles.iter().all(|n| w.contains(n)))
}

fn ms(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<jiff::Timestamp>()
        .expect("test timestamp")
        .as_millisecond()
}

const QUIRKY_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<schedule>
  <conference>
    <title>Quirk Con</title>
    <start>2026-03-28</start>
    <time_zone_name>Mars/Olympus</time_zone_name>
    <day_change>05:00</day_change>
  </conference>
  <day date="2026-03-28" index="1">
    <room name="Main Hall" capacity="400">
      <event id="1"><start>10:00</start><duration>00:45</duration><slug></slug>
        <title>A "quoted": title
          on two lines</title>
        <persons><person>Ann</person><person>Bo</person></persons></event>
      <event id="1"><start>10:00</start><duration>00:45</duration><title>A "quoted": title on two lines</title></event>
      <event id="2"><start>11:00</start><title>No duration</title></event>
      <event id="3"><start>12:00</start><duration>00:00</duration><title>Zero</title></event>
      <event id="4"><start>02:30</start><duration>01:00</duration><title>Night owl</title></event>
      <event id="5"><start>xx</start><duration>00:30</duration><title>Bad start</title></event>
      <event id="6"><start>13:00</start><duration>00:30</duration><title></title></event>
    </room>
  </day>
  <day index="2">
    <event id="7"><start>10:00</start><duration>00:30</duration><room>Annex B2</room><title>Dateless</title></event>
    <event id="8"><date>2026-03-29T10:00:00+02:00</date><duration>00:30</duration><room>Annex B2</room><title>Has date</title></event>
  </day>
</schedule>
"#;

#[test]
fn quirky_xml_is_imported_with_warnings() {
    let opts = ImportOptions {
        timezone: Some("Europe/Berlin".into()),
        ..ImportOptions::default()
    };
    let imp =
        import_bytes(QUIRKY_XML.as_bytes(), "quirky.xml", Format::Auto, &opts).expect("imports");
    let l = check(&imp);
    let titles: Vec<&str> = l.spec.sessions.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "A \"quoted\": title on two lines",
            "Untitled (6)",
            "Night owl",
            "Has date"
        ]
    );
    assert!(warned(&imp, &["unknown time zone \"Mars/Olympus\""]));
    assert!(warned(&imp, &["listed twice"]));
    assert!(warned(
        &imp,
        &[
            "quirky.xml: line 16",
            "<event id=2>",
            "no usable <duration>"
        ]
    ));
    assert!(warned(&imp, &["line 17", "\"Zero\" has no length"]));
    assert!(warned(
        &imp,
        &["<event id=5>", "no usable <date> or <start>"]
    ));
    assert!(warned(&imp, &["no title"]));
    assert!(warned(&imp, &["<day> without a usable date"]));
    assert!(warned(&imp, &["<event id=7>", "its <day> has no date"]));
    // 02:30 is before the 05:00 day change, so the 29th; that night Berlin
    // skips 02:00-03:00, so the talk lands at 03:30 and it is said.
    assert!(warned(
        &imp,
        &["2026-03-29 02:30 does not exist", "2026-03-29 03:30"]
    ));
    let owl = &l.spec.sessions[2];
    assert_eq!(owl.start, ms("2026-03-29T03:30:00+02:00"));
    assert_eq!(owl.end, ms("2026-03-29T04:30:00+02:00"));
    // The capacity attribute is used; the room named only by events is assumed.
    let hall = &l.spec.spaces[0];
    assert_eq!((hall.id.as_str(), hall.capacity), ("main-hall", 400));
    assert_eq!(hall.kind, baton_model::SpaceKind::Hall);
    assert!(warned(&imp, &["1 of 2 rooms", "Annex B2"]));
    assert!(imp.files["sessions.yaml"].contains("# event 1; by Ann, Bo\n"));
    assert!(
        imp.summary.contains("4 sessions in 2 rooms"),
        "{}",
        imp.summary
    );
}

const QUIRKY_JSON: &str = r#"{"schedule": {"version": "x", "conference": {
  "title": "Jay Conf", "acronym": "jay 2026!", "time_zone_name": "Europe/Lisbon",
  "start": "2026-06-12",
  "rooms": [{"name": "Hall", "capacity": "lots"}, {"capacity": 5}],
  "days": [{"index": 1, "date": "2026-06-12", "day_start": "2026-06-12T06:00:00+01:00",
    "rooms": {
      "Hall": [
        {"id": 1, "date": "2026-06-12T09:00:00+01:00", "duration": "01:00", "title": "Keynote",
         "track": null, "room": "Hall", "persons": [{"public_name": "Zoë"}, {"name": "Max"}]},
        {"id": 2, "start": "01:30", "duration": "0:30", "title": "Late", "room": "Hall"},
        {"id": 3, "date": "2026-06-12T09:30:00+01:00", "duration": "00:45", "title": "Overlapping", "room": "Hall"},
        "garbage",
        {"id": 4, "title": "no times"}
      ],
      "Side": {"not": "a list"}
    }}]}}}"#;

#[test]
fn quirky_json_is_imported_with_warnings() {
    let imp = import_bytes(
        QUIRKY_JSON.as_bytes(),
        "quirky.json",
        Format::Json,
        &ImportOptions::default(),
    )
    .expect("imports");
    let l = check(&imp);
    assert_eq!(l.spec.event.id, "jay-2026");
    assert_eq!(l.spec.event.timezone, "Europe/Lisbon");
    assert_eq!(l.spec.sessions.len(), 3);
    let late = l
        .spec
        .sessions
        .iter()
        .find(|s| s.title == "Late")
        .expect("late");
    // 01:30 is before the day's 06:00 start: the next morning.
    assert_eq!(late.start, ms("2026-06-13T01:30:00+01:00"));
    assert!(warned(&imp, &["conference.rooms[1]", "without a name"]));
    assert!(warned(&imp, &["rooms[\"Hall\"][3]", "not an event object"]));
    assert!(warned(
        &imp,
        &["rooms[\"Hall\"][4]", "no usable `date` or `start`"]
    ));
    assert!(warned(&imp, &["rooms[\"Side\"] is not a list"]));
    assert!(warned(
        &imp,
        &["room \"Hall\"", "\"Overlapping\"", "before \"Keynote\""]
    ));
    // "lots" is no capacity: the default, and a warning.
    assert!(warned(&imp, &["1 of 1 rooms", "Hall"]));
    assert!(imp.files["sessions.yaml"].contains("by Zoë, Max"));
    assert_eq!(l.warnings.len(), 1, "baton check's own overlap warning");
}

#[test]
fn capacities_csv_with_seats_and_zones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("rooms.csv");
    std::fs::write(
        &csv,
        "Room Name,Seats,Zone\nMain Hall,250,ground\n\"Annex B2\",40,first floor\nGhost,10,x\n",
    )
    .expect("write csv");
    let opts = ImportOptions {
        capacities: Some(csv),
        timezone: Some("Europe/Berlin".into()),
        ..ImportOptions::default()
    };
    let imp =
        import_bytes(QUIRKY_XML.as_bytes(), "quirky.xml", Format::Xml, &opts).expect("imports");
    let l = check(&imp);
    let zones: Vec<(&str, u32, &str)> = l
        .spec
        .spaces
        .iter()
        .map(|s| (s.id.as_str(), s.capacity, s.zone.as_str()))
        .collect();
    // The schedule's own 400 wins over the file's 250; the file places both.
    assert_eq!(
        zones,
        [
            ("main-hall", 400, "ground"),
            ("annex-b2", 40, "first-floor")
        ]
    );
    assert!(warned(
        &imp,
        &["rooms.csv", "1 row(s) match no room", "Ghost"]
    ));
    assert!(!warned(&imp, &["have no capacity"]));
    assert_eq!(l.spec.links.len(), 1, "two zones: their hubs linked");
    assert_eq!(l.spec.links[0].walk_s, 180);
}

#[test]
fn gzip_and_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("schedule.xml.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(QUIRKY_XML.as_bytes()).expect("gzip");
    std::fs::write(&path, gz.finish().expect("gzip")).expect("write");
    let imp = import_schedule(&path, Format::Auto, &ImportOptions::default()).expect("imports");
    assert!(
        imp.summary.starts_with("Quirk Con: 4 sessions"),
        "{}",
        imp.summary
    );
    // Messages name the file by its name.
    assert!(warned(&imp, &["schedule.xml.gz: line 17"]));
}

#[test]
fn errors_name_file_and_place() {
    let opts = ImportOptions::default();
    let err = |text: &str, format: Format| {
        import_bytes(text.as_bytes(), "bad.in", format, &opts)
            .expect_err("should fail")
            .to_string()
    };
    let e = err("<schedule>\n  <day>\n</schedule>", Format::Auto);
    assert!(e.starts_with("bad.in: line 3"), "{e}");
    let e = err("<html><body/></html>", Format::Auto);
    assert!(e.contains("not <schedule>"), "{e}");
    let e = err("{\"schedule\": {\n  \"conference\": [}", Format::Auto);
    assert!(e.starts_with("bad.in: line 2, column"), "{e}");
    let e = err("{\"schedule\": {}}", Format::Auto);
    assert!(
        e.contains("schedule.conference") && e.contains("no `conference`"),
        "{e}"
    );
    let e = err("hello", Format::Auto);
    assert!(e.contains("neither JSON"), "{e}");
    let e = err("<schedule/>", Format::Json);
    assert!(e.starts_with("bad.in: line 1, column 1"), "{e}");
    let e = err("<schedule><conference/></schedule>", Format::Auto);
    assert!(e.contains("nothing to import"), "{e}");
    let e = err(
        "<schedule><day><room name=\"A\"/></day></schedule>",
        Format::Auto,
    );
    assert!(e.contains("cannot date the event"), "{e}");

    let bad_tz = ImportOptions {
        timezone: Some("Europe/Atlantis".into()),
        ..ImportOptions::default()
    };
    let r = import_bytes(QUIRKY_XML.as_bytes(), "q.xml", Format::Auto, &bad_tz);
    assert!(matches!(r, Err(ImportError::Options(m)) if m.contains("Europe/Atlantis")));
    let bad_area = ImportOptions {
        m2_per_person: 0.0,
        ..ImportOptions::default()
    };
    let r = import_bytes(QUIRKY_XML.as_bytes(), "q.xml", Format::Auto, &bad_area);
    assert!(matches!(r, Err(ImportError::Options(_))));
    let missing = ImportOptions {
        capacities: Some("/nonexistent/rooms.csv".into()),
        ..ImportOptions::default()
    };
    let r = import_bytes(QUIRKY_XML.as_bytes(), "q.xml", Format::Auto, &missing);
    assert!(matches!(r, Err(ImportError::Read { .. })));
    let r = import_schedule("/nonexistent/s.xml".as_ref(), Format::Auto, &opts);
    assert!(matches!(r, Err(ImportError::Read { .. })));
}

/// 2026-10-25 in Berlin runs 02:00-03:00 twice. Offsets tell the two apart;
/// Baton's local times cannot, and reads the earlier.
#[test]
fn repeated_hour_at_dst_end() {
    let json = r#"{"schedule": {"conference": {"title": "Fold", "time_zone_name": "Europe/Berlin",
      "days": [{"date": "2026-10-24", "rooms": {"R": [
        {"id": 1, "date": "2026-10-25T02:30:00+01:00", "duration": "00:20", "title": "Second pass"},
        {"id": 2, "date": "2026-10-25T02:50:00+02:00", "duration": "00:20", "title": "Across"},
        {"id": 3, "date": "2026-10-25T01:00:00+02:00", "duration": "00:30", "title": "Before"}
      ]}}]}}}"#;
    let imp = import_bytes(
        json.as_bytes(),
        "fold.json",
        Format::Auto,
        &ImportOptions::default(),
    )
    .expect("imports");
    let l = check(&imp);
    let titles: Vec<&str> = l.spec.sessions.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Before", "Second pass"]);
    assert!(warned(
        &imp,
        &["\"Second pass\"", "clocks repeat", "reads the earlier one"]
    ));
    assert!(warned(
        &imp,
        &["\"Across\"", "end it before it starts: skipped"]
    ));
    // Read as the first 02:30 (+02:00), an hour before the file's instant.
    assert_eq!(l.spec.sessions[1].start, ms("2026-10-25T02:30:00+02:00"));
}

#[test]
fn rooms_without_events() {
    let xml = r#"<schedule><conference><title>Empty</title></conference>
      <day date="2026-01-10" index="1"><room name="A"/><room name="B"/></day></schedule>"#;
    let imp = import_bytes(
        xml.as_bytes(),
        "e.xml",
        Format::Auto,
        &ImportOptions::default(),
    )
    .expect("imports");
    assert!(imp.files["sessions.yaml"].contains("sessions: []"));
    assert!(imp.files["event.yaml"].contains("date: \"2026-01-10\""));
    let l = check(&imp);
    assert_eq!((l.spec.spaces.len(), l.spec.sessions.len()), (2, 0));
}

#[test]
fn write_dir_does_not_replace() {
    let imp = import_bytes(
        QUIRKY_XML.as_bytes(),
        "q.xml",
        Format::Auto,
        &ImportOptions::default(),
    )
    .expect("imports");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("event");
    write_dir(&imp, &out).expect("first write");
    let e = write_dir(&imp, &out).expect_err("refuses");
    assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    write_dir_replacing(&imp, &out).expect("replaces");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "event.yaml",
            "policies.yaml",
            "sessions.yaml",
            "staff.yaml",
            "venue.yaml"
        ]
    );
}

#[test]
fn format_names() {
    for (s, f) in [
        ("auto", Format::Auto),
        ("pretalx", Format::Json),
        ("JSON", Format::Json),
        ("frab", Format::Xml),
        ("pentabarf", Format::Xml),
    ] {
        assert_eq!(s.parse::<Format>(), Ok(f));
    }
    assert!("ical".parse::<Format>().is_err());
}

/// Truncated and byte-damaged copies of real files: never a panic, and
/// whatever imports passes `baton check`.
#[test]
fn never_panics_on_damaged_input() {
    use std::io::Read;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut inputs: Vec<Vec<u8>> = vec![QUIRKY_XML.into(), QUIRKY_JSON.into()];
    for name in [
        "pretalx-democon.schedule.json.gz",
        "camp2019.schedule.json.gz",
    ] {
        let gz = std::fs::read(fixtures.join(name)).expect("fixture");
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut text)
            .expect("gunzip");
        inputs.push(text);
    }
    inputs.push(std::fs::read(fixtures.join("hub-schedule2.example.json")).expect("fixture"));
    // A fixed LCG: the same damage every run.
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let junk = b"<>\"{}[]:,0123456789-T+\xff \n";
    let opts = ImportOptions::default();
    let mut imported = 0;
    for input in &inputs {
        for _ in 0..12 {
            let cut = next(input.len());
            let mut damaged = input.clone();
            for _ in 0..8 {
                let at = next(damaged.len());
                damaged[at] = junk[next(junk.len())];
            }
            // Digits for digits: still well-formed, but odd dates, times and durations.
            let mut odd = input.clone();
            for _ in 0..40 {
                let at = next(odd.len());
                if odd[at].is_ascii_digit() {
                    odd[at] = b'0' + next(10) as u8;
                }
            }
            for bytes in [&input[..cut], &damaged[..], &odd[..]] {
                // Whatever imports must also pass the check.
                if let Ok(imp) = import_bytes(bytes, "damaged", Format::Auto, &opts) {
                    check(&imp);
                    imported += 1;
                }
            }
        }
    }
    assert!(
        imported >= 40,
        "only {imported} damaged inputs imported: too little checked"
    );
}
