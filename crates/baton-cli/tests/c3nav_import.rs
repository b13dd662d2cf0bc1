//! `baton import c3nav MAP --out DIR` on the FOSDEM campus map (baton-import's
//! gzipped fixture), and `baton import SCHEDULE --venue-map MAP` with FOSDEM
//! 2025: both outputs pass `baton check`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;
use common::{baton, os};
use std::path::Path;

#[test]
fn the_fosdem_map_and_a_schedule_on_it_import_and_pass_check() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../baton-import/tests/fixtures");
    let map = fixtures.join("fosdem-ulb-c3nav-2017.json.gz");
    let dir = tempfile::tempdir().expect("tempdir");

    let venue = dir.path().join("campus");
    let (ok, stdout, stderr) = baton(&[
        os("import"),
        os("c3nav"),
        map.as_os_str(),
        os("--out"),
        venue.as_os_str(),
        os("--timezone"),
        os("Europe/Brussels"),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("72 spaces"), "{stdout}");
    assert!(stderr.contains("draws no entrance"), "{stderr}");
    let (ok, stdout, stderr) = baton(&[os("check"), venue.as_os_str()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("ok — 72 spaces"), "{stdout}");

    let event = dir.path().join("fosdem");
    let (ok, stdout, stderr) = baton(&[
        os("import"),
        fixtures.join("fosdem-2025.schedule.xml.gz").as_os_str(),
        os("--out"),
        event.as_os_str(),
        os("--venue-map"),
        map.as_os_str(),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("25 of 40 rooms matched (62%)"),
        "the share matched is reported: {stdout}"
    );
    assert!(stderr.contains("not on the map"), "{stderr}");
    let (ok, stdout, stderr) = baton(&[os("check"), event.as_os_str()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("943 sessions"), "{stdout}");

    // A map that is not JSON is an error naming the file.
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "not json").expect("write");
    let (ok, _, stderr) = baton(&[
        os("import"),
        os("c3nav"),
        bad.as_os_str(),
        os("--out"),
        dir.path().join("x").as_os_str(),
    ]);
    assert!(!ok);
    assert!(stderr.contains("broken.json"), "{stderr}");
}
