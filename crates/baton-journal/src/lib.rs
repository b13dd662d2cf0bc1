//! The journal: the ordered, durable log that is Baton's only source of truth.
//!
//! # On-disk format (embedded default, SQLite)
//!
//! One database file, `journal.db`, in the data directory:
//!
//! - `PRAGMA journal_mode=WAL`, `PRAGMA synchronous=FULL`: a committed batch
//!   survives power loss, not just a process kill. `wal_autocheckpoint` is off;
//!   the writer runs a `PASSIVE` checkpoint itself every
//!   [`Options::checkpoint_every`] appended entries (it never waits for
//!   readers, so the live core is not stalled), and `journal_size_limit`
//!   ([`Options::wal_limit`]) cuts the WAL file back to that size whenever it
//!   restarts after a complete checkpoint. A long audit read can hold the WAL
//!   open and make it grow meanwhile; the next checkpoint after it ends brings
//!   it back under the limit.
//! - `meta(key TEXT PRIMARY KEY, value TEXT)`: `format` = `2` (format 1 predates
//!   spaces' `standing_limit` and is refused, not misread); an archive also
//!   has `kind` = `archive`, `from` and `to` (see [`archive`]).
//! - `entries(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, body BLOB NOT NULL)`:
//!   `seq` is the journal sequence (1, 2, …, gap-free), `time` the journal time in
//!   ms since the epoch, `body` the [`Stamped`] entry encoded with postcard
//!   (compact varints; the encoding is self-consistent, not self-describing).
//!   Pruning ([`retention`]) deletes a prefix, so the entries kept are always
//!   `first..=last` without gaps.
//! - `meta`: also `dedup_secret` = 32 hex digits, the key of the dedup
//!   window's keyed hash, made at random once per journal, so that a restore
//!   and a replay of this journal fingerprint `(source, id)` as the live
//!   engine did.
//! - `snapshots(seq INTEGER PRIMARY KEY, body BLOB NOT NULL)`: the bytes
//!   `BSN2` (snapshot format 2) followed by a postcard-encoded [`Snapshot`] of
//!   core state after applying entry `seq`. Kept: the two newest, the *base*
//!   (the newest one before the first entry kept, from which every kept
//!   position can be rebuilt), and one at the end of each recorded export
//!   (the points a prune may cut at). A snapshot without the prefix was
//!   written by an older build (format 1, whose state this build cannot
//!   decode): it is ignored, and a restore replays the journal from its first
//!   entry instead (refused, with the reason, when retention has dropped
//!   entries that replay would need). Snapshots are written from the
//!   engine's state by reference ([`encode_snapshot`]), never from a clone.
//! - `exports(from_seq INTEGER, to_seq INTEGER, path TEXT, sha256 TEXT,
//!   bytes INTEGER, at INTEGER)`: one row per archive written by
//!   [`archive::export`]: its range, absolute path, SHA-256 and size, and when
//!   (ms since the epoch). Pruning deletes only entries these rows hold.
//!
//! # Archives
//!
//! `baton journal export` writes a range `from..=to` to a file of its own in
//! this same format, so the same reader code reads it (opened read-only by
//! [`SqliteJournal::open_archive`]): `meta` adds `kind` = `archive`, `from`,
//! `to` and `source`; `entries` holds exactly the range, byte for byte;
//! `snapshots` holds one, the state after `from - 1`, so the range replays on
//! its own with the spec and policy set in force; `exports` is empty; the
//! file is in rollback (`DELETE`) journal mode, one self-contained file.
//! Details in [`archive`].
//!
//! Appends are group commits: one transaction per batch handed to
//! [`Journal::append`]; the caller decides the batch (every N entries or every
//! few milliseconds).

pub mod archive;
pub mod retention;

use baton_core::{Engine, Output, Snapshot};
use baton_model::Stamped;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum JournalError {
    #[error("journal database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("journal entry {seq}: cannot decode: {error}")]
    Decode { seq: u64, error: postcard::Error },
    #[error("journal encoding: {0}")]
    Encode(postcard::Error),
    #[error(
        "journal: entry {got} does not follow {last}: sequence numbers must be gap-free and increasing"
    )]
    OutOfOrder { last: u64, got: u64 },
    #[error("journal: cannot create {path}: {error}")]
    Dir {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("journal: snapshot at {seq} cannot be restored: {reason}")]
    Restore { seq: u64, reason: String },
    #[error("journal: format {0} is not supported by this build")]
    Format(String),
    #[error("journal: cannot export {from}..={to}: {reason}")]
    Export { from: u64, to: u64, reason: String },
    #[error("archive {path}: {reason}")]
    Archive { path: PathBuf, reason: String },
    #[error("journal: {path}: {error}")]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, JournalError>;

/// What a journal must do; SQLite now, NATS JetStream later.
pub trait Journal {
    /// Appends a batch durably, in one commit. Returns once it is durable.
    fn append(&mut self, entries: &[Stamped]) -> Result<()>;
    /// Calls `f` for every entry with `seq > after`, in order.
    fn read_after(&self, after: u64, f: &mut dyn FnMut(Stamped) -> Result<()>) -> Result<()>;
    fn last_seq(&self) -> Result<u64>;
    fn save_snapshot(&mut self, snap: &Snapshot) -> Result<()>;
    /// Saves the engine's state as a snapshot without copying it first.
    fn save_engine_snapshot(&mut self, engine: &Engine) -> Result<()>;
    fn latest_snapshot(&self) -> Result<Option<Snapshot>>;
    /// The newest snapshot at or before `seq`, for reconstructing a past position.
    fn snapshot_at_or_before(&self, seq: u64) -> Result<Option<Snapshot>>;
    /// The first entry still kept (retention drops older ones); `None` when empty.
    fn first_seq(&self) -> Result<Option<u64>>;
    /// The oldest snapshot kept: restoring from it replays a longer tail, which
    /// rebuilds read models with more history.
    fn earliest_snapshot(&self) -> Result<Option<Snapshot>>;
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Run a `PASSIVE` WAL checkpoint after this many appended entries.
    pub checkpoint_every: u64,
    /// `journal_size_limit` in bytes: the WAL file is cut back to this size
    /// when it restarts after a complete checkpoint.
    pub wal_limit: i64,
}

/// Appended entries between checkpoints by default: a few MB of WAL under
/// batched ingest (scripts/wal_under_load.sh), well under [`WAL_LIMIT`].
pub const CHECKPOINT_EVERY: u64 = 10_000;
/// The WAL size limit by default, in bytes.
pub const WAL_LIMIT: i64 = 16 << 20;

impl Default for Options {
    fn default() -> Self {
        Options {
            checkpoint_every: CHECKPOINT_EVERY,
            wal_limit: WAL_LIMIT,
        }
    }
}

pub struct SqliteJournal {
    pub(crate) conn: Connection,
    last: u64,
    since_checkpoint: u64,
    opts: Options,
    buf: Vec<u8>,
}

/// Format 2: spaces in the spec (inside `SpecChange` entries and
/// snapshots) carry `standing_limit`, which changes their postcard encoding;
/// format 3 adds room `features`, session `needs` and the governance of room
/// moves. An older journal is refused with [`JournalError::Format`] rather
/// than misread.
const FORMAT: &str = "4";

/// The first bytes of a snapshot row of format 2.
const SNAPSHOT_MAGIC: &[u8; 4] = b"BSN2";

/// The snapshot as written, borrowing from the engine: serialises to the
/// same bytes as an owned [`Snapshot`] (same fields, same order).
#[derive(serde::Serialize)]
struct SnapshotRef<'a> {
    spec: &'a baton_model::Spec,
    policy_set: &'a baton_model::PolicySet,
    state: &'a baton_core::State,
}

/// A snapshot row's body for `engine`, encoded from its state in place.
pub fn encode_snapshot(engine: &Engine) -> Result<Vec<u8>> {
    let cfg = engine.config();
    let r = SnapshotRef {
        spec: &cfg.spec,
        policy_set: &cfg.policy_set,
        state: engine.state(),
    };
    postcard::to_extend(&r, SNAPSHOT_MAGIC.to_vec()).map_err(JournalError::Encode)
}

/// A snapshot row's body for an owned snapshot (tests, tools).
pub fn encode_owned_snapshot(snap: &Snapshot) -> Result<Vec<u8>> {
    postcard::to_extend(snap, SNAPSHOT_MAGIC.to_vec()).map_err(JournalError::Encode)
}

/// Decodes a snapshot row; `None` for a row of an older format.
fn decode_snapshot(seq: u64, body: &[u8]) -> Result<Option<Snapshot>> {
    match body.strip_prefix(SNAPSHOT_MAGIC.as_slice()) {
        Some(rest) => postcard::from_bytes(rest)
            .map(Some)
            .map_err(|error| JournalError::Decode { seq, error }),
        None => Ok(None),
    }
}

/// Snapshots kept after saving one: the two newest, the base (the newest
/// before the first kept entry, so every kept position can be rebuilt) and
/// those at the end of a recorded export (where a prune may cut).
const KEEP_SNAPSHOTS: &str = "DELETE FROM snapshots
    WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT 2)
      AND seq NOT IN (SELECT to_seq FROM exports)
      AND seq IS NOT (SELECT MAX(seq) FROM snapshots
                      WHERE seq < IFNULL((SELECT MIN(seq) FROM entries), 9223372036854775807))";

impl SqliteJournal {
    pub fn open(dir: &Path, opts: &Options) -> Result<SqliteJournal> {
        std::fs::create_dir_all(dir).map_err(|error| JournalError::Dir {
            path: dir.to_path_buf(),
            error,
        })?;
        let conn = Connection::open(dir.join("journal.db"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "journal_size_limit", opts.wal_limit)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        create_tables(&conn)?;
        let format: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key='format'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match format.as_deref() {
            None => {
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('format', ?1)",
                    [FORMAT],
                )?;
            }
            Some(FORMAT) => {}
            Some(other) => return Err(JournalError::Format(other.to_string())),
        }
        Self::wrap(conn, opts)
    }

    /// Opens an archive written by [`archive::export`], read-only: the same
    /// reader code (snapshots, [`Journal::read_after`], [`restore`]) works on it.
    pub fn open_archive(path: &Path) -> Result<SqliteJournal> {
        let bad = |reason: String| JournalError::Archive {
            path: path.to_path_buf(),
            reason,
        };
        if !path.is_file() {
            return Err(bad("no such file".into()));
        }
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let meta = |key: &str| -> Result<Option<String>> {
            conn.query_row("SELECT value FROM meta WHERE key=?1", [key], |r| r.get(0))
                .optional()
                .map_err(|e| bad(format!("not a Baton archive ({e})")))
        };
        match meta("format")?.as_deref() {
            Some(FORMAT) => {}
            Some(other) => return Err(JournalError::Format(other.to_string())),
            None => return Err(bad("not a Baton archive (no format)".into())),
        }
        if meta("kind")?.as_deref() != Some("archive") {
            return Err(bad(
                "a journal, not an archive (give its data directory with --data)".into(),
            ));
        }
        Self::wrap(conn, &Options::default())
    }

    fn wrap(conn: Connection, opts: &Options) -> Result<SqliteJournal> {
        let last: Option<i64> = conn.query_row("SELECT MAX(seq) FROM entries", [], |r| r.get(0))?;
        Ok(SqliteJournal {
            conn,
            last: last.unwrap_or(0) as u64,
            since_checkpoint: 0,
            opts: opts.clone(),
            buf: Vec::with_capacity(4096),
        })
    }

    /// The dedup window's hash key for this journal, made at random and
    /// kept in `meta` the first time it is asked for.
    pub fn dedup_secret(&self) -> Result<[u64; 2]> {
        let stored: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key='dedup_secret'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(s) = stored
            && s.len() == 32
            && let (Ok(a), Ok(b)) = (
                u64::from_str_radix(&s[..16], 16),
                u64::from_str_radix(&s[16..], 16),
            )
        {
            return Ok([a, b]);
        }
        let key: [u64; 2] = [rand::random(), rand::random()];
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('dedup_secret', ?1)",
            [format!("{:016x}{:016x}", key[0], key[1])],
        )?;
        Ok(key)
    }

    fn save_snapshot_body(&mut self, seq: u64, body: Vec<u8>) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO snapshots(seq, body) VALUES (?1, ?2)",
            params![seq as i64, body],
        )?;
        tx.execute(KEEP_SNAPSHOTS, [])?;
        tx.commit()?;
        Ok(())
    }

    /// Records the key a replay of a signal file used (all zeros), so that
    /// a restore of the journal it wrote fingerprints as that replay did.
    pub fn keep_dedup_secret(&self, key: [u64; 2]) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('dedup_secret', ?1)",
            [format!("{:016x}{:016x}", key[0], key[1])],
        )?;
        Ok(())
    }

    /// A pragma's current value, for durability checks.
    pub fn pragma(&self, name: &str) -> Result<String> {
        let v: rusqlite::types::Value =
            self.conn
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?;
        Ok(match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
    }

    /// Runs a WAL checkpoint that waits for readers and truncates the WAL
    /// file (for tools, not the live core). True when it completed.
    pub fn checkpoint(&mut self) -> Result<bool> {
        self.since_checkpoint = 0;
        self.checkpoint_mode("TRUNCATE")
    }

    /// A checkpoint that never waits: it copies what no reader still needs.
    /// True when the whole WAL was copied (the next write restarts it).
    fn checkpoint_mode(&self, mode: &str) -> Result<bool> {
        let busy: i64 =
            self.conn
                .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    /// The time of entry `seq`, if it is kept.
    pub fn entry_time(&self, seq: u64) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT time FROM entries WHERE seq = ?1",
                [seq.min(i64::MAX as u64) as i64],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The last kept entry whose journal time is before `t` (journal time
    /// is monotone in `seq`, so a binary search over point lookups finds it
    /// without an index on `time`).
    pub fn last_before(&self, t: i64) -> Result<Option<u64>> {
        let Some(first) = self.first_seq()? else {
            return Ok(None);
        };
        let (mut lo, mut hi) = (first, self.last);
        if self.entry_time(lo)?.is_none_or(|x| x >= t) {
            return Ok(None);
        }
        // Invariant: time(lo) < t; the answer is in lo..=hi.
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            match self.entry_time(mid)? {
                Some(x) if x < t => lo = mid,
                _ => hi = mid - 1,
            }
        }
        Ok(Some(lo))
    }

    /// The first kept entry whose journal time is at or after `t`.
    pub fn first_at_or_after(&self, t: i64) -> Result<Option<u64>> {
        let next = match self.last_before(t)? {
            Some(s) => s + 1,
            None => match self.first_seq()? {
                Some(f) => f,
                None => return Ok(None),
            },
        };
        Ok((next <= self.last).then_some(next))
    }
}

fn create_tables(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS entries(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, body BLOB NOT NULL);
         CREATE TABLE IF NOT EXISTS snapshots(seq INTEGER PRIMARY KEY, body BLOB NOT NULL);
         CREATE TABLE IF NOT EXISTS exports(from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL,
             path TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, at INTEGER NOT NULL);",
    )?;
    Ok(())
}

impl Journal for SqliteJournal {
    fn append(&mut self, entries: &[Stamped]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO entries(seq, time, body) VALUES (?1, ?2, ?3)")?;
            let mut last = self.last;
            for e in entries {
                if e.seq != last + 1 {
                    return Err(JournalError::OutOfOrder { last, got: e.seq });
                }
                self.buf.clear();
                let body = postcard::to_extend(e, std::mem::take(&mut self.buf))
                    .map_err(JournalError::Encode)?;
                stmt.execute(params![e.seq as i64, e.time, &body])?;
                self.buf = body;
                last = e.seq;
            }
        }
        tx.commit()?;
        self.last = entries[entries.len() - 1].seq;
        self.since_checkpoint += entries.len() as u64;
        if self.since_checkpoint >= self.opts.checkpoint_every {
            self.since_checkpoint = 0;
            self.checkpoint_mode("PASSIVE")?;
        }
        Ok(())
    }

    fn read_after(&self, after: u64, f: &mut dyn FnMut(Stamped) -> Result<()>) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, body FROM entries WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = stmt.query([after as i64])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let body = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            let e: Stamped = postcard::from_bytes(body).map_err(|error| JournalError::Decode {
                seq: seq as u64,
                error,
            })?;
            f(e)?;
        }
        Ok(())
    }

    fn last_seq(&self) -> Result<u64> {
        Ok(self.last)
    }

    fn save_snapshot(&mut self, snap: &Snapshot) -> Result<()> {
        let body = encode_owned_snapshot(snap)?;
        self.save_snapshot_body(snap.state.last_seq, body)
    }

    fn save_engine_snapshot(&mut self, engine: &Engine) -> Result<()> {
        let body = encode_snapshot(engine)?;
        self.save_snapshot_body(engine.position(), body)
    }

    fn latest_snapshot(&self) -> Result<Option<Snapshot>> {
        self.snapshot_at_or_before(i64::MAX as u64)
    }

    fn earliest_snapshot(&self) -> Result<Option<Snapshot>> {
        // The older of the two newest: the base and export snapshots kept
        // for retention can lie far back, and a restart should not replay
        // the whole retained journal.
        let seq: Option<i64> = self.conn.query_row(
            "SELECT MIN(seq) FROM (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT 2)",
            [],
            |r| r.get(0),
        )?;
        match seq {
            Some(s) => self.snapshot_at_or_before(s as u64),
            None => Ok(None),
        }
    }

    fn first_seq(&self) -> Result<Option<u64>> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT MIN(seq) FROM entries", [], |r| r.get(0))?;
        Ok(v.map(|v| v as u64))
    }

    fn snapshot_at_or_before(&self, seq: u64) -> Result<Option<Snapshot>> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT seq, body FROM snapshots WHERE seq <= ?1 ORDER BY seq DESC LIMIT 1",
                params![seq.min(i64::MAX as u64) as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => Ok(None),
            Some((seq, body)) => decode_snapshot(seq as u64, &body),
        }
    }
}

/// What [`replay`] calls after each entry: the entry, the engine after it,
/// and the outputs it made.
pub type Visit<'a> = dyn FnMut(&Stamped, &Engine, &[Output]) -> Result<()> + 'a;

/// The one replay loop: applies every journaled entry after the engine's
/// position, in order, and hands each entry with its outputs to `visit`.
/// Restore, the server's start, the snapshot follower, `baton explain` and
/// archive replay all go through it, so none of them can drift from the
/// others. Returns how many entries were applied.
pub fn replay(j: &dyn Journal, engine: &mut Engine, visit: &mut Visit<'_>) -> Result<u64> {
    let mut n = 0;
    let mut outputs: Vec<Output> = Vec::new();
    j.read_after(engine.position(), &mut |e| {
        outputs.clear();
        engine.apply(&e, &mut outputs);
        n += 1;
        visit(&e, engine, &outputs)
    })?;
    Ok(n)
}

/// An engine from a snapshot, with the journal's error naming the position.
pub fn engine_from(snap: Snapshot) -> Result<Engine> {
    let seq = snap.state.last_seq;
    Engine::from_snapshot(snap).map_err(|e| JournalError::Restore {
        seq,
        reason: e.to_string(),
    })
}

/// Restores an engine from the latest snapshot plus the journal tail after it.
/// Returns the engine and how many tail entries were replayed; `None` without a snapshot.
pub fn restore(j: &dyn Journal) -> Result<Option<(Engine, u64)>> {
    let Some(snap) = j.latest_snapshot()? else {
        return Ok(None);
    };
    let mut engine = engine_from(snap)?;
    let n = replay(j, &mut engine, &mut |_, _, _| Ok(()))?;
    Ok(Some((engine, n)))
}

/// A second engine that follows the committed journal and takes snapshots, so
/// the live core never stalls to serialise its state.
pub struct SnapshotFollower {
    engine: Engine,
}

impl SnapshotFollower {
    pub fn new(engine: Engine) -> Self {
        SnapshotFollower { engine }
    }

    /// Applies committed entries it has not seen yet; returns how many.
    pub fn catch_up(&mut self, j: &dyn Journal) -> Result<u64> {
        replay(j, &mut self.engine, &mut |_, _, _| Ok(()))
    }

    pub fn snapshot(&self) -> Snapshot {
        self.engine.snapshot()
    }

    /// The engine it follows, to snapshot in place ([`Journal::save_engine_snapshot`]).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn position(&self) -> u64 {
        self.engine.position()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_model::{
        Command, CommandKind, DecisionId, Entry, ManualAction, Mode, ParamValue, Target,
    };

    #[test]
    fn every_command_survives_the_binary_encoding() {
        let d = DecisionId { seq: 7, index: 1 };
        let kinds = vec![
            CommandKind::Approve { decision: d },
            CommandKind::Reject {
                decision: d,
                comment: "no".into(),
            },
            CommandKind::Override {
                resource: "sign:a".into(),
                value: Some("X".into()),
                until: 5,
            },
            CommandKind::Release {
                resource: "sign:a".into(),
            },
            CommandKind::Pause,
            CommandKind::Resume,
            CommandKind::Emergency { on: true },
            CommandKind::SetMode {
                policy: "p".into(),
                mode: Mode::Off,
            },
            CommandKind::Manual {
                action: ManualAction {
                    kind: baton_model::ActionKind::Sign,
                    target: Target::Ids(vec!["a".into()]),
                    params: [("content".to_string(), ParamValue::String("Hi".into()))]
                        .into_iter()
                        .collect(),
                    valid_for: 60_000,
                },
            },
        ];
        for kind in kinds {
            let e = Stamped {
                seq: 1,
                time: 2,
                entry: Entry::Command(Command {
                    actor: "ops".into(),
                    kind,
                }),
            };
            let bytes = postcard::to_stdvec(&e).expect("encode");
            let back: Stamped = postcard::from_bytes(&bytes).expect("decode");
            assert_eq!(back, e);
        }
    }
}
