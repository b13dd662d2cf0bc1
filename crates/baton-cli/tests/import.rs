//! `baton import` on a real published schedule (FOSDEM 2025, frab XML,
//! gzipped fixture of baton-import) writes an event that passes `baton check`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;
use common::{baton, os};
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
    // The imported event carries notification caps, so the generic policies
    // cannot notify one person without limit.
    let spec = baton_spec::load(&out).expect("imported event loads").spec;
    assert_eq!(spec.governance.max_notifications_per_hour, 2);
    assert_eq!(spec.governance.max_notifications_per_day, 6);
}

/// FOSDEM 2025 (frab XML, capacities from the ULB room areas) and 38C3
/// (frab XML, capacities from the CCH room list): imported with the
/// `KIND FILE` form, checked, and simulated end to end with the generic
/// redirect policies against no orchestration; then a real attendee list
/// replaces the generated crowd.
#[test]
fn real_schedules_import_check_and_simulate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixtures = root.join("crates/baton-import/tests/fixtures");
    let policies = root.join("examples/policies/redirect-when-full.yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, schedule, capacities, hallways) in [
        (
            "fosdem",
            "fosdem-2025.schedule.xml.gz",
            "fosdem-ulb-room-areas.derived.csv",
            true,
        ),
        (
            "ccc",
            "ccc-38c3.schedule.xml.gz",
            "ccc-38c3-cch-rooms.json",
            false,
        ),
    ] {
        let out = dir.path().join(name);
        let mut args: Vec<std::ffi::OsString> = vec![
            "import".into(),
            "frab".into(),
            fixtures.join(schedule).into(),
            "--out".into(),
            out.clone().into(),
            "--capacities".into(),
            fixtures.join(capacities).into(),
        ];
        if hallways {
            args.push("--hallways".into());
        }
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let (ok, stdout, stderr) = baton(&args);
        assert!(ok, "{name}: {stdout}\n{stderr}");
        let (ok, _, stderr) = baton(&[os("check"), out.as_os_str()]);
        assert!(ok, "{name}: {stderr}");
        let report = dir.path().join(format!("{name}-report"));
        let (ok, stdout, stderr) = baton(&[
            os("sim"),
            out.as_os_str(),
            os("--policies"),
            policies.as_os_str(),
            os("--seeds"),
            os("2"),
            os("--json"),
            os("--out"),
            report.as_os_str(),
        ]);
        assert!(ok, "{name}: {stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("sim --json");
        assert_eq!(v["cases"].as_array().map(Vec::len), Some(4), "{name}: {v}");
        assert_eq!(v["cases"][1]["name"], "current practice");
        assert_eq!(v["cases"][2]["name"], "no orchestration");
        assert_eq!(v["cases"][3]["name"], "oracle rooms");
        assert_eq!(v["headline"]["kpi"], "denied_people", "{name}");
        let kpi = |case: usize, key: &str| -> f64 {
            v["cases"][case]["kpis"]
                .as_array()
                .and_then(|ks| ks.iter().find(|k| k["kpi"] == key))
                .and_then(|k| k["estimate"]["mean"].as_f64().or(k["mean"].as_f64()))
                .unwrap_or(f64::NAN)
        };
        assert!(kpi(0, "notifications_mean") > 0.0, "{name}: {v}");
        assert!(
            kpi(2, "turned_away") > 0.0,
            "{name}: nobody turned away without orchestration: {v}"
        );
        assert!(kpi(2, "denied_people") > 0.0, "{name}: {v}");
        assert!(report.join("index.html").is_file());
        assert!(report.join("notifications.svg").is_file());
    }

    // A real attendee list for FOSDEM: three people, one unknown track.
    let fosdem = dir.path().join("fosdem");
    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        "id,interests,arrival,app,badge\nann,Rust;Go,09:30,yes,yes\nbob,Basket Weaving,10:00,no,yes\ncid,,,,\n",
    )
    .expect("write people.csv");
    let (ok, stdout, stderr) = baton(&[
        os("import"),
        os("attendees"),
        people.as_os_str(),
        os("--out"),
        fosdem.as_os_str(),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("3 attendees"), "{stdout}");
    assert!(stderr.contains("people.csv:3: `interests`"), "{stderr}");
    let (ok, stdout, stderr) = baton(&[
        os("sim"),
        fosdem.as_os_str(),
        os("--seeds"),
        os("1"),
        os("--json"),
        os("--out"),
        dir.path().join("roster-report").as_os_str(),
    ]);
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("sim --json");
    assert_eq!(v["attendees"], 3, "{v}");

    // A broken list is refused, naming file, line and column of every bad
    // cell in one run.
    std::fs::write(
        &people,
        "id,app,arrival\nann,maybe,09:00\n,yes,09:00\ncid,no,25:99\n",
    )
    .expect("write");
    let (ok, _, stderr) = baton(&[
        os("import"),
        os("attendees"),
        people.as_os_str(),
        os("--out"),
        fosdem.as_os_str(),
        os("--force"),
    ]);
    assert!(!ok);
    assert!(stderr.contains("people.csv:2: `app`"), "{stderr}");
    assert!(stderr.contains("people.csv:3: `id`"), "{stderr}");
    assert!(stderr.contains("people.csv:4: `arrival`"), "{stderr}");
}
