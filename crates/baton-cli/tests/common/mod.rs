//! What the CLI's test files share.
#![allow(dead_code)] // each test binary uses its own part of this module

use serde_json::Value;

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
