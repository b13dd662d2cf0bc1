//! `baton sim` through the binary: the baselines and the grid.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::path::Path;
use std::process::Command;

fn sim(args: &[&str]) -> (bool, String, String) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("sim")
        .arg(&example)
        .arg("--out")
        .arg(dir.path().join("report"))
        .args(args)
        .output()
        .expect("run baton sim");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_grid_runs_every_point_and_reports_the_worst_and_best() {
    let (ok, stdout, stderr) = sim(&[
        "--seeds",
        "2",
        "--json",
        "--grid",
        "sigma=0.5,1.5",
        "push=0,0.5",
        "counters=all,half",
    ]);
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("sim --json");
    let g = &v["grid"];
    assert_eq!(g["a"], "event policies");
    assert_eq!(g["b"], "current practice");
    let points: Vec<&str> = g["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p[0].as_str().expect("label"))
        .collect();
    assert_eq!(
        points,
        [
            "sigma=0.5 push=0 counters=1",
            "sigma=0.5 push=0 counters=0.5",
            "sigma=0.5 push=0.5 counters=1",
            "sigma=0.5 push=0.5 counters=0.5",
            "sigma=1.5 push=0 counters=1",
            "sigma=1.5 push=0 counters=0.5",
            "sigma=1.5 push=0.5 counters=1",
            "sigma=1.5 push=0.5 counters=0.5"
        ]
    );
    let denied = g["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["kpi"] == "denied_people")
        .expect("the headline");
    // The worst point's difference is at least the best point's (lower is better).
    let mean = |side: &str| denied[side][1]["mean"].as_f64().expect("mean");
    assert!(mean("worst") >= mean("best"), "{denied}");
    assert!(points.contains(&denied["worst"][0].as_str().expect("label")));
    assert!(denied["holds"].is_boolean());
}

#[test]
fn a_bad_grid_is_refused_naming_the_item() {
    let (ok, _, stderr) = sim(&["--seeds", "1", "--grid", "colour=1,2"]);
    assert!(!ok);
    assert!(
        stderr.contains("--grid") && stderr.contains("colour"),
        "{stderr}"
    );
    let (ok, _, stderr) = sim(&["--seeds", "1", "--grid", "push=2"]);
    assert!(!ok);
    assert!(stderr.contains("push=2"), "{stderr}");
}
