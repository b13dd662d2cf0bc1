//! `baton explain POSITION`: one decision's full explanation, for a person.
//!
//! The core's outputs are a pure function of the journal, so a decision is
//! explained by reconstructing it: restore the newest snapshot at or before
//! the position (or start from the event files) and apply entries up to it.
//! What happened to the decision afterwards (approval, tasks, delivery) is
//! read on from the same run.

use anyhow::{Context, Result, bail};
use baton_core::{Decision, Engine, Output};
use baton_model::{DecisionId, Millis, ParamValue, Stamped};
use std::fmt::Write as _;

/// A journal position (`16201`) or a decision id (`16201.0`).
#[derive(Debug, Clone, Copy)]
pub struct Position {
    pub seq: u64,
    pub index: Option<u32>,
}

impl std::str::FromStr for Position {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a journal position (12345) or a decision id (12345.0)");
        match s.split_once('.') {
            Some((a, b)) => Ok(Position {
                seq: a.parse().map_err(|_| bad())?,
                index: Some(b.parse().map_err(|_| bad())?),
            }),
            None => Ok(Position {
                seq: s.parse().map_err(|_| bad())?,
                index: None,
            }),
        }
    }
}

/// Collects the decisions at the position and everything later that refers to them.
#[derive(Default)]
pub struct Collector {
    pub decisions: Vec<Decision>,
    pub later: Vec<String>,
    pub entry: Option<String>,
}

impl Collector {
    pub fn observe(&mut self, pos: Position, e: &Stamped, outputs: &[Output], offset_s: i32) {
        if e.seq == pos.seq {
            self.entry = Some(describe_entry(e));
            for o in outputs {
                if let Output::Decision(d) = o
                    && pos.index.is_none_or(|i| d.id.index == i)
                {
                    self.decisions.push((**d).clone());
                }
            }
        }
        if e.seq < pos.seq || self.decisions.is_empty() {
            return;
        }
        let ids: Vec<DecisionId> = self.decisions.iter().map(|d| d.id).collect();
        let tasks: Vec<String> = self
            .decisions
            .iter()
            .flat_map(|d| d.actions.iter())
            .filter_map(|a| match a.params.get("task") {
                Some(ParamValue::String(t)) => Some(t.clone()),
                _ => None,
            })
            .collect();
        for o in outputs {
            let line = match o {
                Output::DecisionUpdate {
                    decision,
                    status,
                    at,
                    actor,
                    reason,
                } if ids.contains(decision) => format!(
                    "{} {decision} {} by {actor}{}",
                    clock(*at, offset_s),
                    serde_json::to_string(status)
                        .unwrap_or_default()
                        .trim_matches('"'),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                ),
                Output::Execute {
                    decision,
                    at,
                    actions,
                } if ids.contains(decision) => format!(
                    "{} {decision} sent {} action(s)",
                    clock(*at, offset_s),
                    actions.len()
                ),
                Output::Task {
                    task,
                    staff,
                    state,
                    at,
                    reason,
                    ..
                } if tasks.contains(task) => format!(
                    "{} task {task}: {state}{}{}",
                    clock(*at, offset_s),
                    staff
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default(),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                ),
                Output::Move {
                    decision,
                    session,
                    from,
                    to,
                    event,
                    at,
                    reason,
                } if ids.contains(decision) => format!(
                    "{} move of {session} from {from} to {to}: {}{}",
                    clock(*at, offset_s),
                    serde_json::to_string(event)
                        .unwrap_or_default()
                        .trim_matches('"'),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(" ({reason})")
                    }
                ),
                Output::ActionOutcome {
                    decision,
                    action,
                    outcome,
                    connector,
                } if ids.contains(decision) => format!(
                    "action {decision}/{action} via {connector}: {}",
                    serde_json::to_string(outcome)
                        .unwrap_or_default()
                        .trim_matches('"')
                ),
                _ => continue,
            };
            if self.later.len() < 200 {
                self.later.push(line);
            }
        }
    }
}

fn describe_entry(e: &Stamped) -> String {
    match &e.entry {
        baton_model::Entry::Signal(s) => format!(
            "signal {} {:?} about {} from {}",
            s.kind, s.id, s.subject, s.source
        ),
        other => other.type_name().to_string(),
    }
}

/// Local wall-clock time of a journal time, with the event's offset.
fn clock(t: Millis, offset_s: i32) -> String {
    let local = t + i64::from(offset_s) * 1000;
    let secs = local.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

fn value(v: &ParamValue) -> String {
    match v {
        ParamValue::String(s) => format!("{s:?}"),
        ParamValue::List(l) if l.len() > 6 => format!("[{} items]", l.len()),
        ParamValue::List(l) => format!("[{}]", l.iter().map(value).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// The report a person reads.
pub fn render(c: &Collector, pos: Position, offset_s: i32) -> Result<String> {
    if c.decisions.is_empty() {
        bail!(
            "no decision at journal position {}{} (the entry there: {})",
            pos.seq,
            pos.index.map(|i| format!(".{i}")).unwrap_or_default(),
            c.entry.as_deref().unwrap_or("none")
        );
    }
    let mut s = String::new();
    for d in &c.decisions {
        let e = &d.explanation;
        let status = serde_json::to_string(&d.status)?;
        let _ = writeln!(
            s,
            "Decision {} at {} (local time)",
            d.id,
            clock(d.at, offset_s)
        );
        let _ = writeln!(
            s,
            "  policy      {} (version {}), priority {}, mode {} -> {}",
            d.policy,
            d.policy_version,
            d.priority,
            d.mode,
            status.trim_matches('"')
        );
        let _ = writeln!(
            s,
            "  scope       space {}, session {}, zone {}",
            d.scope.space.as_deref().unwrap_or("-"),
            d.scope.session.as_deref().unwrap_or("-"),
            d.scope.zone.as_deref().unwrap_or("-")
        );
        let _ = writeln!(
            s,
            "  position    journal entry {} (the state it was based on)",
            e.position
        );
        let _ = writeln!(
            s,
            "  trigger     {}{}{}",
            e.trigger.kind,
            e.trigger
                .signal_id
                .as_deref()
                .map(|i| format!(" id {i:?}"))
                .unwrap_or_default(),
            e.trigger
                .subject
                .as_deref()
                .map(|i| format!(" about {i}"))
                .unwrap_or_default()
        );
        if let Some(entry) = &c.entry {
            let _ = writeln!(s, "  entry       {entry}");
        }
        if !e.condition.is_empty() {
            let _ = writeln!(s, "  condition   {}", e.condition);
        }
        if let Some(h) = e.held_since {
            let _ = writeln!(s, "  held since  {}", clock(h, offset_s));
        }
        if let Some(t) = &e.held_from {
            let _ = writeln!(
                s,
                "  held from   {}{}{} (journal entry {})",
                t.kind,
                t.signal_id
                    .as_deref()
                    .map(|i| format!(" id {i:?}"))
                    .unwrap_or_default(),
                t.subject
                    .as_deref()
                    .map(|i| format!(" about {i}"))
                    .unwrap_or_default(),
                t.seq
            );
        }
        if !e.values.is_empty() {
            let _ = writeln!(s, "  values that made it true:");
            for (k, v) in &e.values {
                let _ = writeln!(s, "    {k} = {}", value(v));
            }
        }
        let _ = writeln!(s, "  constraints applied:");
        if e.constraints.is_empty() {
            let _ = writeln!(s, "    none trimmed or refused anything");
        }
        for x in &e.constraints {
            let _ = writeln!(s, "    {x}");
        }
        if !e.conflicts.is_empty() {
            let _ = writeln!(s, "  conflicts with other policies:");
            for x in &e.conflicts {
                let _ = writeln!(s, "    {x}");
            }
        }
        if let Some(solver) = &e.solver {
            let _ = writeln!(s, "  solver      {solver}");
        }
        if !e.alternatives.is_empty() {
            let _ = writeln!(s, "  alternatives considered (cost, chosen):");
            for a in &e.alternatives {
                let _ = writeln!(
                    s,
                    "    {:>6} {:>5}  {}  [{}]",
                    a.cost, a.chosen, a.option, a.detail
                );
            }
        }
        let _ = writeln!(s, "  actions:");
        for a in &d.actions {
            let _ = writeln!(
                s,
                "    #{} {} {} (valid until {})",
                a.index,
                a.kind.as_str(),
                a.resource,
                clock(a.valid_until, offset_s)
            );
            for (k, v) in &a.params {
                let _ = writeln!(s, "        {k}: {}", value(v));
            }
            if let Some(r) = &a.suppressed {
                let _ = writeln!(s, "        NOT SENT: {r}");
            }
        }
        for n in &e.notes {
            let _ = writeln!(s, "  note        {n}");
        }
        if e.paused {
            let _ = writeln!(s, "  automation was paused: shown, not carried out");
        }
    }
    if !c.later.is_empty() {
        let _ = writeln!(s, "Afterwards:");
        for l in &c.later {
            let _ = writeln!(s, "  {l}");
        }
    }
    Ok(s)
}

/// Reconstructs the position from a data directory.
pub fn from_data(
    data: &std::path::Path,
    event: Option<&baton_spec::Loaded>,
    pos: Position,
) -> Result<(Collector, i32)> {
    let j = baton_journal::SqliteJournal::open(data, &baton_journal::Options::default())
        .with_context(|| format!("opening journal in {}", data.display()))?;
    if let Some(first) = baton_journal::Journal::first_seq(&j)?
        && pos.seq < first
        && first > 1
    {
        let held = baton_journal::archive::held_by(&j, pos.seq)?;
        bail!(
            "entry {} was pruned from {} (it keeps {first} on){}",
            pos.seq,
            data.display(),
            held.map(|e| format!(
                "; it is in the archive {} ({}..={}): use --archive",
                e.path.display(),
                e.from,
                e.to
            ))
            .unwrap_or_default()
        );
    }
    from_journal(&j, &data.display().to_string(), event, pos)
}

/// Reconstructs the position from an archive (`baton journal export`).
pub fn from_archive(archive: &std::path::Path, pos: Position) -> Result<(Collector, i32)> {
    let j = baton_journal::SqliteJournal::open_archive(archive)?;
    let (from, to) = baton_journal::archive::range(&j)?;
    if !(from..=to).contains(&pos.seq) {
        bail!(
            "{} holds entries {from}..={to}, not {}",
            archive.display(),
            pos.seq
        );
    }
    from_journal(&j, &archive.display().to_string(), None, pos)
}

fn from_journal(
    j: &baton_journal::SqliteJournal,
    label: &str,
    event: Option<&baton_spec::Loaded>,
    pos: Position,
) -> Result<(Collector, i32)> {
    use baton_journal::Journal;
    let snap = j.snapshot_at_or_before(pos.seq.saturating_sub(1))?;
    let mut engine = match (snap, event) {
        (Some(snap), _) => baton_journal::engine_from(snap)?,
        (None, Some(l)) => {
            if let Some(first) = j.first_seq()?
                && first > 1
            {
                bail!(
                    "the journal starts at entry {first} (older entries were pruned) and has no snapshot before {}",
                    pos.seq
                );
            }
            let mut e = Engine::new(l.spec.clone(), l.policies.clone())?;
            e.set_dedup_secret(j.dedup_secret()?);
            e
        }
        (None, None) => bail!(
            "no snapshot at or before position {} in {label}: also give the EVENT directory, to replay from the start",
            pos.seq,
        ),
    };
    let offset = engine.config().spec.event.utc_offset_s;
    let mut c = Collector::default();
    baton_journal::replay(j, &mut engine, &mut |e, _, outputs| {
        c.observe(pos, e, outputs, offset);
        Ok(())
    })?;
    Ok((c, offset))
}
