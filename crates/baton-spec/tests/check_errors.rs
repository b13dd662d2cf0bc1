//! `baton check` on broken copies of the example: every error names file, line and field.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon")
}

/// Copies the example, replaces `from` with `to` in `file`, and returns the errors.
fn broken(file: &str, from: &str, to: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(example()).expect("example dir") {
        let e = e.expect("entry");
        if e.path().extension().is_some_and(|x| x == "yaml") {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
        }
    }
    let path = dir.path().join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} does not contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    let diags = baton_spec::load(dir.path()).expect_err("the broken copy must fail");
    diags
        .iter()
        .filter(|d| d.severity == baton_spec::Severity::Error)
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_example_passes() {
    let l = baton_spec::load(&example()).expect("example must pass");
    assert!(l.spec.spaces.len() >= 12);
    assert!(l.spec.sessions.len() >= 60);
    assert!(
        l.warnings.iter().any(|w| w.message.contains("overlaps")),
        "the deliberate overlap warns"
    );
}

#[test]
fn bad_cel_syntax() {
    insta::assert_snapshot!(broken(
        "policies.yaml",
        "space.fill >= 0.95 &&",
        "space.fill >>= 0.95 &&"
    ));
}

#[test]
fn unknown_field() {
    insta::assert_snapshot!(broken(
        "policies.yaml",
        "space.fill >= 0.95 &&",
        "space.fullness >= 0.95 &&"
    ));
}

#[test]
fn int_double_mixing() {
    insta::assert_snapshot!(broken(
        "policies.yaml",
        "space.fill >= 0.95 &&",
        "space.fill >= 1 &&"
    ));
}

#[test]
fn non_bool_condition() {
    insta::assert_snapshot!(broken(
        "policies.yaml",
        "\"signal.severity in ['high', 'critical']\"",
        "\"space.occupancy + 1\""
    ));
}

#[test]
fn session_in_unknown_space() {
    insta::assert_snapshot!(broken("sessions.yaml", "space: hall-c", "space: hall-z"));
}

#[test]
fn unknown_key_is_rejected() {
    insta::assert_snapshot!(broken(
        "venue.yaml",
        "    kind: hall\n",
        "    kind: hall\n    colour: red\n"
    ));
}

#[test]
fn bad_duration_and_mode() {
    insta::assert_snapshot!(broken("policies.yaml", "mode: suggest", "mode: sometimes"));
}

#[test]
fn missing_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let diags = baton_spec::load(dir.path()).expect_err("empty dir fails");
    let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert!(text.iter().any(|t| t.contains("event.yaml")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("venue.yaml")), "{text:?}");
}

#[test]
fn bad_governance() {
    let fill = broken(
        "event.yaml",
        "max_redirect_fill: 0.9 ",
        "max_redirect_fill: 90 ",
    );
    assert!(
        fill.contains("event.yaml:") && fill.contains("governance.max_redirect_fill"),
        "{fill}"
    );
    assert!(fill.contains("is not a fill between 0 and 1"), "{fill}");
    let quiet = broken("event.yaml", r#"from: "21:00""#, r#"from: "9pm""#);
    assert!(
        quiet.contains("governance.quiet_hours[0].from") && quiet.contains("\"9pm\""),
        "{quiet}"
    );
    let kind = broken("event.yaml", "kinds: [notify]", "kinds: [shout]");
    assert!(
        kind.contains("governance.quiet_hours[0].kinds") && kind.contains("\"shout\""),
        "{kind}"
    );
    let unknown = broken(
        "event.yaml",
        "max_tasks_per_staff: 1",
        "max_task_per_staff: 1",
    );
    assert!(unknown.contains("max_task_per_staff"), "{unknown}");
}

#[test]
fn a_type_error_names_the_field_by_its_path() {
    let e = broken("venue.yaml", "capacity: 200", "capacity: lots");
    assert!(
        e.contains("venue.yaml:29:15: spaces[1].capacity: invalid u32"),
        "{e}"
    );
}

#[test]
fn a_missing_directory_is_named_once() {
    let diags = baton_spec::load(Path::new("no/such/event")).expect_err("no directory");
    let text = diags[0].to_string();
    assert_eq!(text, "error: no/such/event: not a directory");
}

#[test]
fn dedup_max_keys_out_of_range_names_its_line() {
    let e = broken(
        "event.yaml",
        "dedup_window: 15m ",
        "dedup_max_keys: 0\ndedup_window: 15m ",
    );
    assert!(
        e.contains("event.yaml:12:17: dedup_max_keys: must be from 1 to 100,000,000, got 0"),
        "{e}"
    );
    let big = broken(
        "event.yaml",
        "dedup_window: 15m ",
        "dedup_max_keys: 100000001\ndedup_window: 15m ",
    );
    assert!(big.contains("got 100000001"), "{big}");
}

#[test]
fn a_standing_limit_outside_a_seated_room_is_refused_naming_the_field() {
    let e = broken(
        "venue.yaml",
        "    kind: corridor\n",
        "    kind: corridor\n    standing_limit: 40\n",
    );
    assert!(
        e.contains("standing_limit") && e.contains("seated rooms only"),
        "{e}"
    );
}
