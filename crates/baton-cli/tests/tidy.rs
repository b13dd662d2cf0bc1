//! Tidy rules for the whole workspace, in the style of rust-analyzer's
//! tidy test: cheap checks that keep the codebase the shape
//! `docs/ARCHITECTURE.md` describes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Library and binary sources (not tests, benches or fixtures).
fn sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .filter_map(|e| e.ok().map(|e| e.path().join("src")))
        .filter(|p| p.is_dir())
        .collect();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("a source directory") {
            let p = e.expect("an entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Files allowed over the limit for now, each with the most lines it may
/// have: they may shrink, never grow, and leave the list once under it.
/// Empty since issue 12 split the last three; keep it that way.
const LONG: &[(&str, usize)] = &[];
const MAX_LINES: usize = 800;

#[test]
fn no_source_file_is_over_800_lines_outside_the_shrinking_list() {
    let mut problems = Vec::new();
    for p in sources() {
        let name = rel(&p);
        let lines = std::fs::read_to_string(&p)
            .expect("a source file")
            .lines()
            .count();
        match LONG.iter().find(|(f, _)| *f == name) {
            Some((_, ceiling)) if lines > *ceiling => problems.push(format!(
                "{name}: {lines} lines, over its ceiling of {ceiling}: split it rather than raise the ceiling"
            )),
            Some(_) if lines <= MAX_LINES => problems.push(format!(
                "{name}: {lines} lines, under {MAX_LINES}: take it off the LONG list"
            )),
            Some(_) => {}
            None if lines > MAX_LINES => {
                problems.push(format!("{name}: {lines} lines, over {MAX_LINES}"))
            }
            None => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_placeholders_or_debug_prints_in_sources() {
    let banned = ["todo!(", "unimplemented!(", "dbg!("];
    let mut problems = Vec::new();
    for p in sources() {
        let text = std::fs::read_to_string(&p).expect("a source file");
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for b in banned {
                if line.contains(b) {
                    problems.push(format!("{}:{}: {b}", rel(&p), i + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_crate_is_on_the_architecture_map() {
    let map = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("the map");
    let mut missing = Vec::new();
    for e in std::fs::read_dir(root().join("crates")).expect("crates/") {
        let name = e
            .expect("an entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if !map.contains(&format!("**{name}**")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "crates not described in docs/ARCHITECTURE.md (as **name**): {missing:?}"
    );
}
