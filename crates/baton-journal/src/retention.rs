//! Retention: pruning the oldest entries once they are archived.
//!
//! An entry may be deleted only when all of these hold:
//! - it is older than the retention (its journal time is before `now - retain`);
//! - a recorded export holds it, and that archive is still where it was
//!   written, with its recorded size (and, when asked, its checksum);
//! - a snapshot remains at the cut, so a restore (snapshot plus tail) and
//!   every kept position still work.
//!
//! Entries go in chunks, one transaction each, so a caller that shares the
//! database with a live writer can interleave them with its own work.

use crate::archive::{self, Exported};
use crate::{Journal, Result, SqliteJournal};
use baton_model::Spec;

pub const DAY: i64 = 86_400_000;

/// The retention when none is given: the event's days (from its first
/// session's start to its last session's end, at least one) plus 30 days.
pub fn default_retention(spec: &Spec) -> i64 {
    let start = spec.sessions.iter().map(|s| s.start).min();
    let end = spec.sessions.iter().map(|s| s.end).max();
    let days = match (start, end) {
        (Some(a), Some(b)) if b > a => (b - a).div_euclid(DAY) + 1,
        _ => 1,
    };
    (days + 30) * DAY
}

/// How far archives are checked before the entries they hold are deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// The file exists with its recorded size (cheap; the live server).
    Size,
    /// Also its SHA-256 (reads every archive; `baton journal prune`).
    Checksum,
}

/// What a prune would do, and why it stops where it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The first entry kept now; `None` when the journal is empty.
    pub first: Option<u64>,
    /// The last entry older than the retention.
    pub older_upto: Option<u64>,
    /// Entries `first..=held_upto` are all in verified archives.
    pub held_upto: Option<u64>,
    /// Delete entries up to and including this one (a snapshot is there).
    pub cut: Option<u64>,
    /// Exports not relied on because their archive failed the check.
    pub skipped: Vec<String>,
    /// Why nothing (more) can be deleted, when `cut` stops short.
    pub why: String,
}

/// Decides the cut for journal time `now`, without deleting anything.
pub fn plan(j: &SqliteJournal, now: i64, retain: i64, verify: Verify) -> Result<Plan> {
    let mut p = Plan {
        first: j.first_seq()?,
        older_upto: None,
        held_upto: None,
        cut: None,
        skipped: Vec::new(),
        why: String::new(),
    };
    let Some(first) = p.first else {
        p.why = "the journal is empty".into();
        return Ok(p);
    };
    p.older_upto = j.last_before(now.saturating_sub(retain.max(0)))?;
    // The exports that still hold entries, checked; then how far they cover
    // the kept journal from its first entry without a gap.
    let mut covered = first - 1;
    for e in archive::exports(j)? {
        if e.to < first || e.from > covered + 1 {
            continue;
        }
        match check(&e, verify) {
            Ok(()) => covered = covered.max(e.to),
            Err(why) => p.skipped.push(why),
        }
    }
    p.held_upto = (covered >= first).then_some(covered);
    let Some(older) = p.older_upto else {
        p.why = format!("entry {first} is not older than the retention");
        return Ok(p);
    };
    let Some(held) = p.held_upto else {
        p.why = format!("entry {first} is not in any recorded export (baton journal export)");
        return Ok(p);
    };
    let limit = older.min(held);
    let cut: Option<i64> = j.conn.query_row(
        "SELECT MAX(seq) FROM snapshots WHERE seq >= ?1 AND seq <= ?2",
        [first as i64, limit as i64],
        |r| r.get(0),
    )?;
    p.cut = cut.map(|c| c as u64);
    let binding = if older < held {
        format!("entries after {older} are within the retention")
    } else {
        format!("entries after {held} are not in any recorded export")
    };
    p.why = match p.cut {
        None => format!("{binding}, and no snapshot between entries {first} and {limit} to cut at"),
        Some(c) if c == limit => binding,
        Some(c) => format!("{binding}; the last snapshot before entry {limit} is at {c}"),
    };
    Ok(p)
}

fn check(e: &Exported, verify: Verify) -> std::result::Result<(), String> {
    let name = format!("export {}..={} ({})", e.from, e.to, e.path.display());
    let len = std::fs::metadata(&e.path)
        .map_err(|err| format!("{name}: {err}"))?
        .len();
    if len != e.bytes {
        return Err(format!("{name}: {len} bytes, {} when written", e.bytes));
    }
    if verify == Verify::Checksum {
        let (sum, _) = archive::checksum(&e.path).map_err(|err| format!("{name}: {err}"))?;
        if sum != e.sha256 {
            return Err(format!("{name}: checksum differs from the one recorded"));
        }
    }
    Ok(())
}

/// Deletes at most `chunk` entries up to `cut` in one transaction; returns
/// how many. At the end (nothing left to delete) it drops the snapshots
/// before the cut, which no kept entry needs.
pub fn prune_chunk(j: &mut SqliteJournal, cut: u64, chunk: u64) -> Result<u64> {
    let Some(first) = j.first_seq()? else {
        return Ok(0);
    };
    if first > cut {
        j.conn
            .execute("DELETE FROM snapshots WHERE seq < ?1", [cut as i64])?;
        return Ok(0);
    }
    let upto = cut.min(first.saturating_add(chunk.max(1) - 1));
    let n = j
        .conn
        .execute("DELETE FROM entries WHERE seq <= ?1", [upto as i64])?;
    Ok(n as u64)
}

/// What [`prune`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Pruned {
    pub plan: Plan,
    pub deleted: u64,
    pub chunks: u64,
    /// The longest chunk's transaction, in microseconds (wall time).
    pub longest_chunk_us: u64,
}

/// Plans and prunes all the way, chunk by chunk (for tools; the server
/// interleaves [`prune_chunk`] with its own batches).
pub fn prune(
    j: &mut SqliteJournal,
    now: i64,
    retain: i64,
    verify: Verify,
    chunk: u64,
) -> Result<Pruned> {
    let plan = plan(j, now, retain, verify)?;
    let mut done = Pruned {
        plan,
        deleted: 0,
        chunks: 0,
        longest_chunk_us: 0,
    };
    if let Some(cut) = done.plan.cut {
        loop {
            let started = std::time::Instant::now();
            let n = prune_chunk(j, cut, chunk)?;
            if n == 0 {
                break;
            }
            done.chunks += 1;
            done.deleted += n;
            done.longest_chunk_us = done
                .longest_chunk_us
                .max(started.elapsed().as_micros() as u64);
        }
    }
    Ok(done)
}
