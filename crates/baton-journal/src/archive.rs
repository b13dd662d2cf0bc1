//! Archives: a range of the journal in a file of its own, replayable alone.
//!
//! # Archive format
//!
//! An archive is a journal database in the same format as `journal.db`
//! (`meta`, `entries`, `snapshots`, an empty `exports`), so the same reader
//! code reads it ([`SqliteJournal::open_archive`], read-only). It differs in:
//!
//! - `meta`: `kind` = `archive`, `from` and `to` (the journal positions it
//!   holds, inclusive), `source` (the data directory it came from).
//! - `entries`: exactly `from..=to`, byte for byte as in the live journal.
//! - `snapshots`: one, the state after entry `from - 1`, so the range replays
//!   on its own with the spec and policy set that were in force.
//! - rollback journal mode (`DELETE`), not WAL: one self-contained file.
//!
//! Writing goes to `FILE.partial`, which is synced and renamed, so a file at
//! the final path is always complete. Its SHA-256 and size are then recorded
//! in the live journal's `exports` table, beside a snapshot at `to` (where a
//! later prune may cut).

use crate::{JournalError, Result, SqliteJournal, create_tables};
use baton_core::{Engine, Output};
use baton_model::Stamped;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A recorded export.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub from: u64,
    pub to: u64,
    /// Absolute path of the archive when it was written.
    pub path: PathBuf,
    /// SHA-256 of the archive file, lower-case hex.
    pub sha256: String,
    pub bytes: u64,
    /// When it was written, ms since the epoch.
    pub at: i64,
}

/// Writes entries `from..=to` of `live` to a new archive at `out` and records
/// it. `start` is the engine at position 0 (built from the event files),
/// needed only when no snapshot lies at or before `from - 1` and the journal
/// still starts at entry 1. `now` is recorded as the export's time.
pub fn export(
    live: &mut SqliteJournal,
    from: u64,
    to: u64,
    out: &Path,
    start: Option<Engine>,
    now: i64,
) -> Result<Exported> {
    use crate::Journal;
    let refuse = |reason: String| JournalError::Export { from, to, reason };
    if from == 0 || from > to {
        return Err(refuse("FROM must be at least 1 and at most TO".into()));
    }
    let last = live.last_seq()?;
    if to > last {
        return Err(refuse(format!("the journal ends at entry {last}")));
    }
    let first = live.first_seq()?.unwrap_or(last + 1);
    if from < first {
        return Err(refuse(format!(
            "entries before {first} were pruned{}",
            held_by(live, from)?
                .map(|e| format!("; entry {from} is in {}", e.path.display()))
                .unwrap_or_default()
        )));
    }
    if out.exists() {
        return Err(refuse(format!("{} exists already", out.display())));
    }
    let mut engine = match live.snapshot_at_or_before(from - 1)? {
        Some(s) if s.state.last_seq + 1 >= first => {
            let seq = s.state.last_seq;
            Engine::from_snapshot(s).map_err(|e| JournalError::Restore {
                seq,
                reason: e.to_string(),
            })?
        }
        _ if first == 1 => {
            let mut e = start.ok_or_else(|| {
                refuse(format!(
                    "no snapshot at or before entry {}: give the event directory to replay from the start",
                    from - 1
                ))
            })?;
            // The event files do not know the journal's dedup key; without
            // it the archive's snapshot would fingerprint unlike the live run.
            e.set_dedup_secret(live.dedup_secret()?);
            e
        }
        _ => {
            return Err(refuse(format!(
                "no snapshot between entry {} and entry {} to replay from",
                first - 1,
                from - 1
            )));
        }
    };
    let partial = out.with_extension(match out.extension() {
        Some(e) => format!("{}.partial", e.to_string_lossy()),
        None => "partial".into(),
    });
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| JournalError::File { path, error }
    };
    if partial.exists() {
        std::fs::remove_file(&partial).map_err(io(&partial))?;
    }
    let mut db = Connection::open(&partial)?;
    db.pragma_update(None, "journal_mode", "DELETE")?;
    create_tables(&db)?;
    let tx = db.transaction()?;
    for (k, v) in [
        ("format", crate::FORMAT.to_string()),
        ("kind", "archive".to_string()),
        ("from", from.to_string()),
        ("to", to.to_string()),
        ("source", live.conn.path().unwrap_or_default().to_string()),
    ] {
        tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)",
            params![k, v],
        )?;
    }
    {
        let mut insert = tx.prepare("INSERT INTO entries(seq, time, body) VALUES (?1, ?2, ?3)")?;
        let mut read = live.conn.prepare(
            "SELECT seq, time, body FROM entries WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
        )?;
        let mut rows = read.query(params![engine.position() as i64, to as i64])?;
        let mut outputs: Vec<Output> = Vec::new();
        let mut expect = engine.position() + 1;
        if expect == from {
            save(&tx, &engine)?;
        }
        while let Some(row) = rows.next()? {
            let seq = row.get::<_, i64>(0)? as u64;
            if seq != expect {
                return Err(refuse(format!(
                    "entry {expect} is missing (pruned meanwhile?)"
                )));
            }
            let body = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
            let e: Stamped =
                postcard::from_bytes(body).map_err(|error| JournalError::Decode { seq, error })?;
            outputs.clear();
            engine.apply(&e, &mut outputs);
            if seq >= from {
                insert.execute(params![seq as i64, row.get::<_, i64>(1)?, body])?;
            }
            if seq + 1 == from {
                save(&tx, &engine)?;
            }
            expect = seq + 1;
        }
        if expect != to + 1 {
            return Err(refuse(format!(
                "entry {expect} is missing (pruned meanwhile?)"
            )));
        }
    }
    tx.commit()?;
    db.close().map_err(|(_, e)| JournalError::Sqlite(e))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(io(&partial))?;
    std::fs::rename(&partial, out).map_err(io(out))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename is durable only once the directory is synced.
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(io(dir))?;
    }
    let path = std::fs::canonicalize(out).map_err(io(out))?;
    let (sha256, bytes) = checksum(&path)?;
    let record = Exported {
        from,
        to,
        path,
        sha256,
        bytes,
        at: now,
    };
    let snap = crate::encode_snapshot(&engine)?;
    let tx = live.conn.transaction()?;
    // The state at `to` is where a prune may cut once the range is old.
    tx.execute(
        "INSERT OR IGNORE INTO snapshots(seq, body) VALUES (?1, ?2)",
        params![to as i64, snap],
    )?;
    tx.execute(
        "INSERT INTO exports(from_seq, to_seq, path, sha256, bytes, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            from as i64,
            to as i64,
            record.path.to_string_lossy(),
            record.sha256,
            record.bytes as i64,
            now
        ],
    )?;
    tx.commit()?;
    Ok(record)
}

fn save(tx: &rusqlite::Transaction<'_>, engine: &Engine) -> Result<()> {
    let body = crate::encode_snapshot(engine)?;
    tx.execute(
        "INSERT INTO snapshots(seq, body) VALUES (?1, ?2)",
        params![engine.position() as i64, body],
    )?;
    Ok(())
}

/// SHA-256 (hex) and size of a file.
pub fn checksum(path: &Path) -> Result<(String, u64)> {
    let io = |error| JournalError::File {
        path: path.to_path_buf(),
        error,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(io)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    let hex = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, n))
}

/// Every recorded export, oldest range first.
pub fn exports(j: &SqliteJournal) -> Result<Vec<Exported>> {
    let mut stmt = j.conn.prepare(
        "SELECT from_seq, to_seq, path, sha256, bytes, at FROM exports ORDER BY from_seq, to_seq",
    )?;
    let rows = stmt.query_map([], exported)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn exported(r: &rusqlite::Row<'_>) -> rusqlite::Result<Exported> {
    Ok(Exported {
        from: r.get::<_, i64>(0)? as u64,
        to: r.get::<_, i64>(1)? as u64,
        path: PathBuf::from(r.get::<_, String>(2)?),
        sha256: r.get(3)?,
        bytes: r.get::<_, i64>(4)? as u64,
        at: r.get(5)?,
    })
}

/// The most recent export that holds entry `seq`, if any.
pub fn held_by(j: &SqliteJournal, seq: u64) -> Result<Option<Exported>> {
    let p = seq.min(i64::MAX as u64) as i64;
    let row = j
        .conn
        .query_row(
            "SELECT from_seq, to_seq, path, sha256, bytes, at FROM exports
             WHERE from_seq <= ?1 AND to_seq >= ?1 ORDER BY at DESC LIMIT 1",
            [p],
            exported,
        )
        .optional()?;
    Ok(row)
}

/// The range an archive holds, from its `meta`.
pub fn range(archive: &SqliteJournal) -> Result<(u64, u64)> {
    let get = |k: &str| -> Result<u64> {
        let v: String =
            archive
                .conn
                .query_row("SELECT value FROM meta WHERE key=?1", [k], |r| r.get(0))?;
        v.parse().map_err(|_| JournalError::Archive {
            path: PathBuf::from(archive.conn.path().unwrap_or_default()),
            reason: format!("meta {k} = {v:?} is not a position"),
        })
    };
    Ok((get("from")?, get("to")?))
}
