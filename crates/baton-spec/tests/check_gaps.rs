//! Gaps `baton check` used to let through: a link from a space to itself, a
//! missing policies.yaml, constant failures in conditions, oversized or
//! special spec files, non-UTF-8 text, and conditions past the size limits.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_spec::{Diagnostic, Severity};
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon")
}

/// A copy of the example's YAML files.
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

fn replace(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} does not contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

fn errors(dir: &Path) -> Vec<Diagnostic> {
    let Err(diags) = baton_spec::load(dir) else {
        panic!("must fail");
    };
    diags
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

fn warnings(dir: &Path) -> Vec<Diagnostic> {
    baton_spec::load(dir)
        .unwrap_or_else(|d| panic!("must pass: {}", baton_spec::lines(&d)))
        .warnings
}

#[test]
fn a_link_from_a_space_to_itself_is_an_error_on_its_line() {
    let dir = copy();
    replace(
        dir.path(),
        "venue.yaml",
        "{from: corridor-central, to: courtyard, walk_s: 30}",
        "{from: courtyard, to: courtyard, walk_s: 30}",
    );
    let e = errors(dir.path());
    let link = e
        .iter()
        .find(|d| d.message.contains("to itself"))
        .unwrap_or_else(|| panic!("{}", baton_spec::lines(&e)));
    assert_eq!(link.file, "venue.yaml");
    assert_eq!(link.line, 209);
    assert!(link.field.starts_with("links["), "{link}");
}

#[test]
fn a_missing_policies_file_warns() {
    let dir = copy();
    std::fs::remove_file(dir.path().join("policies.yaml")).expect("rm");
    let w = warnings(dir.path());
    assert!(
        w.iter()
            .any(|d| d.file == "policies.yaml" && d.message.contains("no policies")),
        "{}",
        baton_spec::lines(&w)
    );
}

#[test]
fn constant_failures_in_a_condition_warn_with_file_line_and_field() {
    for (cond, error) in [
        ("space.occupancy / 0 > 1", "division by zero"),
        ("space.occupancy % 0 > 1", "modulus by zero"),
        (
            "space.occupancy > 9223372036854775807 + 1",
            "integer overflow",
        ),
    ] {
        let dir = copy();
        replace(
            dir.path(),
            "policies.yaml",
            "\"space.los in ['E', 'F']\"",
            &format!("\"{cond}\""),
        );
        let w = warnings(dir.path());
        let d = w
            .iter()
            .find(|d| d.message.contains("always fails at run time"))
            .unwrap_or_else(|| panic!("{cond}: {}", baton_spec::lines(&w)));
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!((d.file.as_str(), d.line), ("policies.yaml", 58), "{d}");
        assert!(d.field.ends_with("].condition"), "{d}");
        assert!(d.message.contains(error), "{d}");
    }
}

#[test]
fn a_condition_past_the_size_limits_is_an_error_naming_the_field() {
    let dir = copy();
    let long = vec!["space.occupancy"; 10_000].join(" + ");
    replace(
        dir.path(),
        "policies.yaml",
        "\"space.los in ['E', 'F']\"",
        &format!("\"{long} > 0\""),
    );
    let e = errors(dir.path());
    let d = e
        .iter()
        .find(|d| d.message.contains("limit"))
        .unwrap_or_else(|| panic!("{}", baton_spec::lines(&e)));
    assert_eq!((d.file.as_str(), d.line), ("policies.yaml", 58), "{d}");
    assert!(d.field.ends_with("].condition"), "{d}");
    assert!(d.message.contains("4096 bytes"), "{d}");
}

#[test]
fn action_parameters_pass_the_same_guard() {
    let dir = copy();
    let text = std::fs::read_to_string(dir.path().join("policies.yaml")).expect("read");
    let (at, _) = text
        .match_indices("params:")
        .next()
        .expect("a policy with params");
    let line = text[..at].matches('\n').count() as u64 + 1;
    let nested = format!("{}1{}", "(".repeat(40), ")".repeat(40));
    let patched = format!(
        "{}params:\n          zz: \"{nested}\"{}",
        &text[..at],
        &text[at + "params:".len()..]
    );
    std::fs::write(dir.path().join("policies.yaml"), patched).expect("write");
    let e = errors(dir.path());
    let d = e
        .iter()
        .find(|d| d.message.contains("nesting limit"))
        .unwrap_or_else(|| panic!("{}", baton_spec::lines(&e)));
    assert_eq!(d.line, line + 1, "{d}");
    assert!(d.field.contains(".params.zz"), "{d}");
}

#[test]
fn a_spec_file_must_be_a_regular_file_under_the_cap() {
    // A directory.
    let dir = copy();
    std::fs::remove_file(dir.path().join("staff.yaml")).expect("rm");
    std::fs::create_dir(dir.path().join("staff.yaml")).expect("mkdir");
    let e = errors(dir.path());
    assert!(
        e.iter()
            .any(|d| d.file == "staff.yaml" && d.message.contains("not a regular file")),
        "{}",
        baton_spec::lines(&e)
    );
    // A symlink to a device: refused before anything is read.
    #[cfg(unix)]
    {
        let dir = copy();
        std::fs::remove_file(dir.path().join("venue.yaml")).expect("rm");
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("venue.yaml")).expect("ln");
        let e = errors(dir.path());
        assert!(
            e.iter()
                .any(|d| d.file == "venue.yaml" && d.message.contains("not a regular file")),
            "{}",
            baton_spec::lines(&e)
        );
    }
    // Too large: only the cap is read.
    let dir = copy();
    let big = format!(
        "# {}\n",
        "x".repeat(baton_spec::MAX_FILE_BYTES as usize + 10)
    );
    std::fs::write(dir.path().join("signs.yaml"), big).expect("write");
    let e = errors(dir.path());
    assert!(
        e.iter().any(|d| d.file == "signs.yaml"
            && d.message
                .contains(&format!("{} bytes", baton_spec::MAX_FILE_BYTES))),
        "{}",
        baton_spec::lines(&e)
    );
}

#[test]
fn non_utf8_names_the_line_and_column_of_the_first_bad_byte() {
    let dir = copy();
    let path = dir.path().join("staff.yaml");
    let mut bytes = b"staff:\n  - id: a\n    name: \"J\xc3\xa9\xff\"\n".to_vec();
    bytes.extend_from_slice(b"    zone: entry\n");
    std::fs::write(&path, bytes).expect("write");
    let e = errors(dir.path());
    let d = e
        .iter()
        .find(|d| d.file == "staff.yaml")
        .unwrap_or_else(|| panic!("{}", baton_spec::lines(&e)));
    assert!(d.message.contains("UTF-8"), "{d}");
    // `    name: "Jé` is 13 characters: the bad byte is the 14th.
    assert_eq!((d.line, d.column), (3, 14), "{d}");
}

#[test]
fn an_outline_needs_three_finite_points() {
    let dir = copy();
    replace(
        dir.path(),
        "venue.yaml",
        "outline: [[91.1, 85.5], [128.9, 85.5], [128.9, 114.5], [91.1, 114.5]]",
        "outline: [[91.1, 85.5], [128.9, 85.5]]",
    );
    let e = errors(dir.path());
    let d = e
        .iter()
        .find(|d| d.field.ends_with(".outline"))
        .unwrap_or_else(|| panic!("{}", baton_spec::lines(&e)));
    assert_eq!(d.file, "venue.yaml");
    assert!(d.message.contains("3 to 1000"), "{d}");
    assert!(d.field.starts_with("spaces["), "{d}");
}
