//! `baton replay`: a recorded signal file through the engine, as the live server would.
//!
//! Journal time comes from each signal's recorded `time`, made monotone; ticks are
//! made at the event's cadence between signals, by the same rule the server uses,
//! so timers fire in a recording that has none.

use baton_core::{Engine, Output};
use baton_model::{Command, CommandKind, Millis, Signal};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A line of a replay file that carries an operator command instead of a signal:
/// `{"command": "approve", "decision": "12.0", "actor": "ops", "time": "…"}`.
#[derive(Deserialize)]
struct CommandLine {
    time: String,
    actor: String,
    command: String,
    #[serde(flatten)]
    args: serde_json::Map<String, serde_json::Value>,
}

fn command_kind(c: &CommandLine) -> Result<CommandKind, serde_json::Error> {
    let v = if c.args.is_empty() {
        serde_json::Value::String(c.command.clone())
    } else {
        let mut m = serde_json::Map::new();
        m.insert(c.command.clone(), serde_json::Value::Object(c.args.clone()));
        serde_json::Value::Object(m)
    };
    serde_json::from_value(v)
}

/// One parsed input line.
pub enum Line {
    Signal(Signal),
    Command { time: Millis, command: Command },
}

/// Parses a replay line: a CloudEvent, or a command object with `command`, `actor` and `time`.
pub fn parse_line(text: &str) -> Result<Line, String> {
    match Signal::parse_json(text) {
        Ok(s) => Ok(Line::Signal(s)),
        Err(e) if text.contains("\"command\"") && !text.contains("\"specversion\"") => {
            let c: CommandLine = serde_json::from_str(text)
                .map_err(|ce| format!("command: {ce} (as a signal: {e})"))?;
            let time = baton_model::signal::parse_rfc3339(&c.time)
                .ok_or_else(|| format!("field `time`: {:?} is not RFC 3339", c.time))?;
            let kind = command_kind(&c).map_err(|ce| format!("command {:?}: {ce}", c.command))?;
            Ok(Line::Command {
                time,
                command: Command {
                    actor: c.actor,
                    kind,
                },
            })
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Sequences entries the way a journal would: the one rule in
/// `baton_core::sequence`, shared with the server and the twin.
pub use baton_core::sequence::Sequencer;

/// What a replay counted, for the summary.
#[derive(Default)]
pub struct Tally {
    pub lines: u64,
    pub ingest_rejected: BTreeMap<String, u64>,
    pub first_rejections: Vec<String>,
    pub outputs: u64,
}

impl Tally {
    pub fn reject(&mut self, line_no: u64, reason: &str) {
        let key = reason.split(':').next().unwrap_or(reason).to_string();
        *self.ingest_rejected.entry(key).or_default() += 1;
        if self.first_rejections.len() < 10 {
            self.first_rejections
                .push(format!("line {line_no}: {reason}"));
        }
    }
}

/// Renders the end-of-replay summary.
pub fn summary(engine: &Engine, tally: &Tally) -> String {
    let st = &engine.state().stats;
    let mut s = String::new();
    use std::fmt::Write;
    let _ = writeln!(s, "replay summary");
    let _ = writeln!(
        s,
        "  lines read: {}   journal entries: {}   ticks: {}   outputs: {}",
        tally.lines, st.entries, st.ticks, tally.outputs
    );
    let _ = writeln!(s, "  signals by type:");
    for (k, v) in &st.signals_by_type() {
        let _ = writeln!(s, "    {k:<22} {v}");
    }
    let _ = writeln!(s, "  decisions by policy:");
    if st.decisions_by_policy.is_empty() {
        let _ = writeln!(s, "    (none)");
    }
    for (k, v) in &st.decisions_by_policy {
        let _ = writeln!(s, "    {k:<28} {v}");
    }
    let _ = writeln!(
        s,
        "  rejected at ingest (malformed): {}",
        tally.ingest_rejected.values().sum::<u64>()
    );
    for r in &tally.first_rejections {
        let _ = writeln!(s, "    {r}");
    }
    let _ = writeln!(
        s,
        "  rejected by the engine: {}",
        st.rejected.values().sum::<u64>()
    );
    for (k, v) in &st.rejected {
        let _ = writeln!(s, "    {k:<28} {v}");
    }
    let _ = writeln!(
        s,
        "  duplicates dropped: {}   skewed times: {}   clamped values: {}",
        st.duplicates, st.skewed, st.clamped
    );
    if !st.suppressed.is_empty() {
        let _ = writeln!(
            s,
            "  held back: {}",
            st.suppressed
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !st.eval_errors.is_empty() {
        let _ = writeln!(
            s,
            "  condition errors: {}",
            st.eval_errors
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !st.commands.is_empty() {
        let _ = writeln!(
            s,
            "  commands: {}",
            st.commands
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

/// Serialises outputs as JSON lines into `buf`.
pub fn write_outputs(outputs: &[Output], buf: &mut Vec<u8>) {
    for o in outputs {
        if serde_json::to_writer(&mut *buf, o).is_ok() {
            buf.push(b'\n');
        }
    }
}
