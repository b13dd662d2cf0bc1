//! `baton import` on a real published schedule (FOSDEM 2025, frab XML,
//! gzipped fixture of baton-import) writes an event that passes `baton check`.

use std::path::Path;
use std::process::Command;

#[test]
fn a_real_schedule_imports_into_an_event_that_passes_check() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../baton-import/tests/fixtures");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("fosdem");
    let run = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("import")
        .arg(fixtures.join("fosdem-2025.schedule.xml.gz"))
        .arg("--out")
        .arg(&out)
        .arg("--capacities")
        .arg(fixtures.join("fosdem-ulb-room-areas.derived.csv"))
        .output()
        .expect("run baton import");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("943 sessions"), "{stdout}");
    assert!(stdout.contains("ok — 40 spaces, 943 sessions"), "{stdout}");
    assert!(
        stderr.contains("have no capacity"),
        "assumed capacities are warned: {stderr}"
    );
    // A second import into the same directory refuses to overwrite it.
    let again = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("import")
        .arg(fixtures.join("fosdem-2025.schedule.xml.gz"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run baton import again");
    assert!(!again.status.success());
    let check = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("check")
        .arg(&out)
        .output()
        .expect("run baton check");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
