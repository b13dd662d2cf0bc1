//! `baton journal export|prune`, and explain and replay over an archive,
//! through the real binary on the example's day.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;
use common::baton;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon")
}

const LATER: &str = "2100-01-01T00:00:00Z";

#[test]
fn export_prune_then_explain_and_replay_from_the_archive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let full = dir.path().join("full.jsonl");
    let signals = example().join("signals.jsonl");
    let ev = example();
    let (ok, _, err) = baton(&[
        "replay".as_ref(),
        ev.as_os_str(),
        signals.as_os_str(),
        "--out".as_ref(),
        full.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert!(ok, "{err}");
    let (ok, before, err) = baton(&[
        "explain".as_ref(),
        "16201.0".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        ev.as_os_str(),
    ]);
    assert!(ok, "{err}");
    // The journal explains on its own too: `replay --data` snapshots the
    // start, so the event files are not needed.
    let (ok, alone, err) = baton(&[
        "explain".as_ref(),
        "16201.0".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert!(ok, "{err}");
    assert_eq!(alone, before);

    // Nothing exported: a prune keeps everything, and says why.
    let prune = [
        "journal".as_ref(),
        "prune".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--retain".as_ref(),
        "30d".as_ref(),
        "--as-of".as_ref(),
        LATER.as_ref(),
    ];
    let (ok, text, err) = baton(&prune);
    assert!(ok, "{err}");
    assert!(text.starts_with("pruned 0 entries"), "{text}");
    assert!(text.contains("not in any recorded export"), "{text}");

    // The snapshot at the start is before FROM: no event files needed.
    let archive = dir.path().join("morning.db");
    let export = |extra: &[&OsStr]| {
        let mut args: Vec<&OsStr> = vec![
            "journal".as_ref(),
            "export".as_ref(),
            "--data".as_ref(),
            data.as_os_str(),
            "15000".as_ref(),
            "17000".as_ref(),
            "--out".as_ref(),
            archive.as_os_str(),
        ];
        args.extend_from_slice(extra);
        baton(&args)
    };
    let (ok, text, err) = export(&[]);
    assert!(ok, "{err}");
    assert!(text.starts_with("exported entries 15000..=17000"), "{text}");

    // Entries 1..=14999 are in no export: the prune stops before them.
    let (ok, text, err) = baton(&prune);
    assert!(ok, "{err}");
    assert!(text.starts_with("pruned 0 entries"), "{text}");

    // Export the start too, FROM as a time (RFC 3339); then the prune can
    // go to 17000.
    let early = dir.path().join("early.db");
    let (ok, text, err) = baton(&[
        "journal".as_ref(),
        "export".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "2026-06-12T00:00:00Z".as_ref(),
        "14999".as_ref(),
        "--out".as_ref(),
        early.as_os_str(),
        "--event".as_ref(),
        ev.as_os_str(),
    ]);
    assert!(ok, "{err}");
    assert!(text.starts_with("exported entries 1..=14999"), "{text}");
    let (ok, text, err) = baton(&prune);
    assert!(ok, "{err}");
    assert!(text.starts_with("pruned 17000 entries"), "{text}");
    assert!(text.contains("keeps entries 17001..="), "{text}");

    // The live journal no longer has the decision, and points to the archive.
    let (ok, _, err) = baton(&[
        "explain".as_ref(),
        "16201.0".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        ev.as_os_str(),
    ]);
    assert!(!ok);
    assert!(err.contains("was pruned"), "{err}");
    assert!(err.contains("morning.db"), "{err}");

    // The archive explains it as the full journal did (up to what followed
    // after the archive's end).
    let (ok, after, err) = baton(&[
        "explain".as_ref(),
        "16201.0".as_ref(),
        "--archive".as_ref(),
        archive.as_os_str(),
    ]);
    assert!(ok, "{err}");
    let head = |s: &str| {
        s.split("Afterwards:")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        after.starts_with("Decision 16201.0 at 11:05:30 (local time)"),
        "{after}"
    );
    assert_eq!(head(&after), head(&before));

    // Outside its range the archive says what it holds.
    let (ok, _, err) = baton(&[
        "explain".as_ref(),
        "34205.0".as_ref(),
        "--archive".as_ref(),
        archive.as_os_str(),
    ]);
    assert!(!ok);
    assert!(err.contains("holds entries 15000..=17000"), "{err}");

    // Replaying the archive gives outputs the full replay gave too.
    let part = dir.path().join("part.jsonl");
    let (ok, _, err) = baton(&[
        "replay".as_ref(),
        "--archive".as_ref(),
        archive.as_os_str(),
        "--out".as_ref(),
        part.as_os_str(),
    ]);
    assert!(ok, "{err}");
    let full = std::fs::read_to_string(&full).expect("full");
    let part = std::fs::read_to_string(&part).expect("part");
    let all: std::collections::HashSet<&str> = full.lines().collect();
    assert!(
        part.contains("\"id\":\"16201.0\""),
        "no decision 16201.0 in\n{part}"
    );
    for line in part.lines() {
        assert!(all.contains(line), "not in the full replay: {line}");
    }

    // A restore after the prune still works (snapshot plus tail).
    let (ok, text, err) = baton(&["restore".as_ref(), data.as_os_str()]);
    assert!(ok, "{err}");
    assert!(text.starts_with("restored position"), "{text}");
}

#[test]
fn retention_durations_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, _, err) = baton(&[
        "journal".as_ref(),
        "prune".as_ref(),
        "--data".as_ref(),
        dir.path().as_os_str(),
        "--retain".as_ref(),
        "soon".as_ref(),
    ]);
    assert!(!ok);
    assert!(err.contains("--retain"), "{err}");
    let (ok, _, err) = baton(&[
        "journal".as_ref(),
        "prune".as_ref(),
        "--data".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert!(!ok);
    assert!(err.contains("holds no journal"), "{err}");
}
