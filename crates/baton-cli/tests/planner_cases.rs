//! The planner's decisions as data: every folder under `tests/planner_cases/`
//! is a case (an event, signals inserted into its day, and the expected
//! digest of what the engine decided), replayed through the public CLI and
//! checked with insta. See `tests/planner_cases/README.md`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    about: String,
    event: PathBuf,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/planner_cases")
}

/// The event's own signals with `extra` inserted in time order.
fn merged(own: &str, extra: &str) -> String {
    common::insert_in_time_order(own, extra.lines())
}

/// `HH:MM:SS` of a journal time, UTC.
fn clock(ms: i64) -> String {
    let s = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// An action's parameters, minus the recipient list (its count stays).
fn params(p: &Value) -> String {
    let Some(map) = p.as_object() else {
        return String::new();
    };
    map.iter()
        .filter(|(k, _)| k.as_str() != "recipients")
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s:?}"),
            v => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One readable line per decision, action, decision update and task event.
fn digest(out: &str) -> String {
    let mut d = String::new();
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).expect("replay writes JSON lines");
        let at = clock(v["at"].as_i64().unwrap_or(0));
        match v["kind"].as_str().unwrap_or("") {
            "decision" => {
                let scope = &v["scope"];
                let mut place = scope["space"].as_str().unwrap_or("event").to_string();
                if let Some(session) = scope["session"].as_str() {
                    write!(place, " (session {session})").ok();
                }
                writeln!(
                    d,
                    "{at} {} {} ({}, {}) at {place}",
                    v["id"].as_str().unwrap_or("?"),
                    v["policy"].as_str().unwrap_or("?"),
                    v["mode"].as_str().unwrap_or("?"),
                    v["status"].as_str().unwrap_or("?"),
                )
                .ok();
                for a in v["actions"].as_array().into_iter().flatten() {
                    let held = a["suppressed"]
                        .as_str()
                        .map(|s| format!(" [held: {s}]"))
                        .unwrap_or_default();
                    writeln!(
                        d,
                        "    {} {} {}{held}",
                        a["kind"].as_str().unwrap_or("?"),
                        a["resource"].as_str().unwrap_or("?"),
                        params(&a["params"]),
                    )
                    .ok();
                }
                for key in ["constraints", "conflicts", "notes"] {
                    for t in v["explanation"][key].as_array().into_iter().flatten() {
                        writeln!(d, "    {key}: {}", t.as_str().unwrap_or("?")).ok();
                    }
                }
            }
            "decision_update" => {
                let why = match v["reason"].as_str() {
                    Some(r) if !r.is_empty() => format!(": {r}"),
                    _ => String::new(),
                };
                writeln!(
                    d,
                    "{at} {} -> {} by {}{why}",
                    v["id"].as_str().or(v["decision"].as_str()).unwrap_or("?"),
                    v["status"].as_str().unwrap_or("?"),
                    v["actor"].as_str().unwrap_or("?"),
                )
                .ok();
            }
            "task" => {
                writeln!(
                    d,
                    "{at} task {} {} {}",
                    v["task"].as_str().unwrap_or("?"),
                    v["state"].as_str().unwrap_or("?"),
                    v["staff"].as_str().unwrap_or("-"),
                )
                .ok();
            }
            "command_refused" | "signal_rejected" => {
                writeln!(
                    d,
                    "{at} {}: {}",
                    v["kind"].as_str().unwrap_or("?"),
                    v["reason"].as_str().unwrap_or("?")
                )
                .ok();
            }
            // What goes out follows from the decisions and their updates.
            _ => {}
        }
    }
    d
}

fn run_case(dir: &Path) -> (Case, String) {
    let text = std::fs::read_to_string(dir.join("case.yaml")).expect("case.yaml");
    let case: Case = serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("case.yaml").display()));
    let event = root().join(&case.event);
    let own = std::fs::read_to_string(event.join("signals.jsonl")).expect("event signals");
    let extra = std::fs::read_to_string(dir.join("extra.jsonl")).unwrap_or_default();
    let tmp = tempfile::tempdir().expect("tempdir");
    let signals = tmp.path().join("signals.jsonl");
    std::fs::write(&signals, merged(&own, &extra)).expect("write signals");
    let out = tmp.path().join("out.jsonl");
    let res = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("replay")
        .arg(&event)
        .arg(&signals)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run baton replay");
    assert!(
        res.status.success(),
        "{}: replay failed: {}",
        dir.display(),
        String::from_utf8_lossy(&res.stderr)
    );
    let out = std::fs::read_to_string(&out).expect("read --out");
    (case, digest(&out))
}

#[test]
fn every_planner_case_decides_as_recorded() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases())
        .expect("tests/planner_cases")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 3, "the cases are there: {dirs:?}");
    for dir in dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).expect("name");
        let (case, digest) = run_case(&dir);
        assert!(!digest.is_empty(), "{name}: the replay decided something");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_description(case.about);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("decisions", digest));
    }
}

#[test]
fn extra_lines_land_in_time_order() {
    let own = "{\"time\":\"2026-06-12T10:00:00Z\",\"id\":\"a\"}\n{\"time\":\"2026-06-12T10:02:00Z\",\"id\":\"c\"}\n";
    let extra = "{\"time\":\"2026-06-12T10:03:00Z\",\"id\":\"d\"}\n{\"time\":\"2026-06-12T10:01:00Z\",\"id\":\"b\"}\n";
    let ids: Vec<String> = merged(own, extra)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["id"].to_string())
        .collect();
    assert_eq!(ids, ["\"a\"", "\"b\"", "\"c\"", "\"d\""]);
}
