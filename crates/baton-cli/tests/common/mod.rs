//! What the CLI's test files share.
#![allow(dead_code)] // each test binary uses its own part of this module

use serde_json::Value;
use std::ffi::OsStr;
use std::process::Command;

/// Runs the built `baton` with `args`: (success, stdout, stderr).
pub fn baton(args: &[&OsStr]) -> (bool, String, String) {
    let run = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run baton: {e}"));
    (
        run.status.success(),
        String::from_utf8_lossy(&run.stdout).into_owned(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

pub fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Journal time (ms) of a JSON line's `time`, as the engine reads it.
pub fn time_of(line: &str) -> Option<i64> {
    let v: Value = serde_json::from_str(line).ok()?;
    baton_model::signal::parse_rfc3339(v["time"].as_str()?)
}

/// `own` (a signal file's text) with `extra` lines inserted in time order:
/// each before the first line of `own` that is later than it.
pub fn insert_in_time_order<'a>(own: &'a str, extra: impl IntoIterator<Item = &'a str>) -> String {
    let mut extra: Vec<(i64, &str)> = extra
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| (time_of(l).expect("an inserted line carries a time"), l))
        .collect();
    extra.sort_by_key(|(t, _)| *t);
    let mut extra = extra.into_iter().peekable();
    let mut lines: Vec<&str> = Vec::new();
    for line in own.lines() {
        if let Some(t) = time_of(line) {
            while let Some((_, l)) = extra.next_if(|(et, _)| *et < t) {
                lines.push(l);
            }
        }
        lines.push(line);
    }
    lines.extend(extra.map(|(_, l)| l));
    lines.join("\n") + "\n"
}
