//! `baton check` on hostile or incomplete event directories: it reports and
//! exits non-zero, never aborts; warnings print as `warning:` lines and do not
//! fail the check.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon")
}

fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(example()).expect("example dir") {
        let e = e.expect("entry");
        if e.path().extension().is_some_and(|x| x == "yaml") {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
        }
    }
    dir
}

fn check(dir: &Path) -> (Option<i32>, String) {
    let run = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("check")
        .arg(dir)
        .output()
        .expect("run baton check");
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

#[test]
fn a_ten_thousand_term_condition_is_an_error_not_an_abort() {
    let dir = copy();
    let path = dir.path().join("policies.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    let long = vec!["space.occupancy"; 10_000].join(" + ");
    let from = "\"space.los in ['E', 'F']\"";
    assert!(text.contains(from));
    std::fs::write(&path, text.replacen(from, &format!("\"{long} > 0\""), 1)).expect("write");
    let (code, stderr) = check(dir.path());
    // A stack overflow aborts with a signal, which has no exit code.
    assert_eq!(code, Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("limit"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.starts_with("error: "), "{line}");
    assert!(line.contains("policies.yaml:58:"), "{line}");
    assert!(line.contains("policies[1].condition"), "{line}");
    assert!(line.contains("4096 bytes"), "{line}");
}

#[test]
fn warnings_print_and_do_not_fail_the_check() {
    let dir = copy();
    std::fs::remove_file(dir.path().join("policies.yaml")).expect("rm");
    let (code, stderr) = check(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("warning: ")
            && l.contains("policies.yaml")
            && l.contains("no policies")),
        "{stderr}"
    );
}
