//! The journal: the ordered, durable log that is Baton's only source of truth.
//!
//! # On-disk format (embedded default, SQLite)
//!
//! One database file, `journal.db`, in the data directory:
//!
//! - `PRAGMA journal_mode=WAL`, `PRAGMA synchronous=FULL`: a committed batch
//!   survives power loss, not just a process kill. `wal_autocheckpoint` is off;
//!   the journal checkpoints (`TRUNCATE`) itself every [`Options::checkpoint_every`]
//!   appended entries, so long audit reads cannot make the WAL grow without bound.
//! - `meta(key TEXT PRIMARY KEY, value TEXT)`: `format` = `1`.
//! - `entries(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, body BLOB NOT NULL)`:
//!   `seq` is the journal sequence (1, 2, …, gap-free), `time` the journal time in
//!   ms since the epoch, `body` the [`Stamped`] entry encoded with postcard
//!   (compact varints; the encoding is self-consistent, not self-describing).
//! - `meta`: also `dedup_secret` = 32 hex digits, the key of the dedup
//!   window's keyed hash, made at random once per journal, so that a restore
//!   and a replay of this journal fingerprint `(source, id)` as the live
//!   engine did.
//! - `snapshots(seq INTEGER PRIMARY KEY, body BLOB NOT NULL)`: the bytes
//!   `BSN2` (snapshot format 2) followed by a postcard-encoded [`Snapshot`] of
//!   core state after applying entry `seq`. Two are kept. A snapshot without
//!   the prefix was written by an older build (format 1, whose state this
//!   build cannot decode): it is ignored, and a restore replays the journal
//!   from its first entry instead (refused, with the reason, when retention
//!   has dropped entries that replay would need). Snapshots are written from
//!   the engine's state by reference ([`encode_snapshot`]), never from a
//!   clone of it.
//!
//! Appends are group commits: one transaction per batch handed to
//! [`Journal::append`]; the caller decides the batch (every N entries or every
//! few milliseconds). Retention deletes entries older than
//! [`Options::retain_entries`] behind the latest snapshot, never entries a
//! restore would need.

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
    /// Checkpoint the WAL after this many appended entries.
    pub checkpoint_every: u64,
    /// Keep this many entries behind the latest snapshot; `None` keeps everything.
    pub retain_entries: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            checkpoint_every: 200_000,
            retain_entries: None,
        }
    }
}

pub struct SqliteJournal {
    conn: Connection,
    last: u64,
    since_checkpoint: u64,
    opts: Options,
    buf: Vec<u8>,
}

const FORMAT: &str = "1";

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
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS entries(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, body BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS snapshots(seq INTEGER PRIMARY KEY, body BLOB NOT NULL);",
        )?;
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
        tx.execute("DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT 2)", [])?;
        tx.commit()?;
        self.apply_retention(seq)
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

    /// Runs a WAL checkpoint that truncates the WAL file.
    pub fn checkpoint(&mut self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.since_checkpoint = 0;
        Ok(())
    }

    fn apply_retention(&mut self, snapshot_seq: u64) -> Result<()> {
        if let Some(keep) = self.opts.retain_entries {
            let below = snapshot_seq.saturating_sub(keep);
            self.conn
                .execute("DELETE FROM entries WHERE seq <= ?1", [below as i64])?;
        }
        Ok(())
    }
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
            self.checkpoint()?;
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
        let seq: Option<i64> = self
            .conn
            .query_row("SELECT MIN(seq) FROM snapshots", [], |r| r.get(0))?;
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

/// Restores an engine from the latest snapshot plus the journal tail after it.
/// Returns the engine and how many tail entries were replayed; `None` without a snapshot.
pub fn restore(j: &dyn Journal) -> Result<Option<(Engine, u64)>> {
    let Some(snap) = j.latest_snapshot()? else {
        return Ok(None);
    };
    let seq = snap.state.last_seq;
    let mut engine = Engine::from_snapshot(snap).map_err(|e| JournalError::Restore {
        seq,
        reason: e.to_string(),
    })?;
    let mut n = 0;
    let mut outputs: Vec<Output> = Vec::new();
    j.read_after(seq, &mut |e| {
        outputs.clear();
        engine.apply(&e, &mut outputs);
        n += 1;
        Ok(())
    })?;
    Ok(Some((engine, n)))
}

/// A second engine that follows the committed journal and takes snapshots, so
/// the live core never stalls to serialise its state.
pub struct SnapshotFollower {
    engine: Engine,
    outputs: Vec<Output>,
}

impl SnapshotFollower {
    pub fn new(engine: Engine) -> Self {
        SnapshotFollower {
            engine,
            outputs: Vec::new(),
        }
    }

    /// Applies committed entries it has not seen yet; returns how many.
    pub fn catch_up(&mut self, j: &dyn Journal) -> Result<u64> {
        let mut n = 0;
        let engine = &mut self.engine;
        let outputs = &mut self.outputs;
        j.read_after(engine.position(), &mut |e| {
            outputs.clear();
            engine.apply(&e, outputs);
            n += 1;
            Ok(())
        })?;
        Ok(n)
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
