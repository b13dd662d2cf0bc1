//! `baton replay` end to end, through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon")
}

fn baton() -> Command {
    Command::new(env!("CARGO_BIN_EXE_baton"))
}

/// Runs a replay in its own process; returns (stdout bytes, stderr text).
fn replay(signals: &Path) -> (Vec<u8>, String) {
    let out = baton()
        .arg("replay")
        .arg(example())
        .arg(signals)
        .output()
        .expect("run baton");
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn hash(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[test]
fn two_processes_give_byte_identical_decisions_and_one_changed_signal_changes_them() {
    let signals = example().join("signals.jsonl");
    let (a, summary) = replay(&signals);
    let (b, _) = replay(&signals);
    assert!(a.len() > 1000, "decision output must not be empty");
    assert_eq!(hash(&a), hash(&b));
    assert!(
        !summary.contains('\u{1b}'),
        "no progress bar when stderr is not a terminal"
    );

    // Change one signal: the overfull talk's first camera count (hall-c) becomes a full house.
    let text = std::fs::read_to_string(&signals).expect("signals");
    let (i, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("\"cam-hall-c\""))
        .expect("a hall-c camera line");
    let changed_line = line.replace("\"count\":", "\"count\":290, \"was\":");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[i] = &changed_line;
    let dir = tempfile::tempdir().expect("tempdir");
    let changed = dir.path().join("signals.jsonl");
    std::fs::write(&changed, lines.join("\n")).expect("write");
    let (c, _) = replay(&changed);
    assert_ne!(
        hash(&a),
        hash(&c),
        "changing one signal must change the output"
    );
}

#[test]
fn every_example_policy_fires_and_the_summary_reports_rejections() {
    let (out, summary) = replay(&example().join("signals.jsonl"));
    let text = String::from_utf8(out).expect("utf-8");
    let spec = baton_spec::load(&example()).expect("example loads");
    for p in &spec.policies.policies {
        let needle = format!("\"policy\":\"{}\"", p.id);
        assert!(text.contains(&needle), "policy {} never fired", p.id);
    }
    assert!(
        summary.contains("rejected at ingest (malformed): 1"),
        "{summary}"
    );
    assert!(
        summary.contains("data.count"),
        "the malformed line names its field: {summary}"
    );
    assert!(summary.contains("unknown space"), "{summary}");
    assert!(summary.contains("duplicates dropped: 1"), "{summary}");
}

#[test]
fn commands_in_a_replay_file_pause_and_resume_automation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signals = dir.path().join("s.jsonl");
    let ev = |id: u32, t: &str, count: u32| {
        format!(
            r#"{{"specversion":"1.0","id":"c{id}","source":"cam","type":"space.occupancy","subject":"hall-c","time":"{t}","data":{{"count":{count}}}}}"#
        )
    };
    let lines = [
        r#"{"command":"pause","actor":"ops-lead","time":"2026-06-12T09:50:00Z"}"#.to_string(),
        ev(1, "2026-06-12T10:00:00Z", 100),
        ev(2, "2026-06-12T10:00:30Z", 299),
        ev(3, "2026-06-12T10:01:45Z", 299),
        r#"{"command":"resume","actor":"ops-lead","time":"2026-06-12T10:05:00Z"}"#.to_string(),
    ];
    std::fs::write(&signals, lines.join("\n")).expect("write");
    let (out, summary) = replay(&signals);
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        summary.contains("pause 1") && summary.contains("resume 1"),
        "{summary}"
    );
    assert!(
        text.contains("\"status\":\"paused\""),
        "decisions while paused are shown: {text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let paused = lines
        .iter()
        .position(|l| l.contains("\"status\":\"paused\""))
        .expect("paused decision");
    let first_exec = lines
        .iter()
        .position(|l| l.contains("\"kind\":\"execute\""))
        .expect("resume reconciles the signs");
    assert!(first_exec > paused, "nothing executes while paused");
}

#[test]
fn replay_into_a_data_directory_restores_to_the_same_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = baton()
        .arg("replay")
        .arg(example())
        .arg(example().join("signals.jsonl"))
        .arg("--out")
        .arg(dir.path().join("d.jsonl"))
        .arg("--data")
        .arg(dir.path().join("data"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = baton()
        .arg("restore")
        .arg(dir.path().join("data"))
        .output()
        .expect("run");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8_lossy(&r.stdout);
    let summary = String::from_utf8_lossy(&out.stderr);
    let entries: String = summary
        .split("journal entries: ")
        .nth(1)
        .expect("summary")
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    assert!(
        text.contains(&format!("restored position {entries} ")),
        "{text} vs {entries}"
    );
}

#[test]
fn check_names_file_and_line_for_a_broken_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(example()).expect("dir") {
        let e = e.expect("entry");
        if e.path().extension().is_some_and(|x| x == "yaml") {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
        }
    }
    let p = dir.path().join("sessions.yaml");
    let t =
        std::fs::read_to_string(&p)
            .expect("read")
            .replacen("space: hall-c", "space: hall-z", 1);
    std::fs::write(&p, t).expect("write");
    let out = baton().arg("check").arg(dir.path()).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sessions.yaml:") && err.contains("hall-z"),
        "{err}"
    );
    let ok = baton().arg("check").arg(example()).output().expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn schema_prints_the_spec_files_and_the_cel_context() {
    let out = baton().arg("schema").output().expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["spec_files"]["policies.yaml"].is_object());
    let fields = v["cel_context"]["fields"].as_array().expect("fields");
    assert!(
        fields
            .iter()
            .any(|f| f["path"] == "space.fill" && f["type"] == "double")
    );
}
