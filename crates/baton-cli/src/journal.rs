//! `baton journal export|prune`: archives and retention over a data directory,
//! and `baton replay --archive`.

use anyhow::{Context, Result, bail};
use baton_core::Engine;
use baton_journal::retention::{self, Verify};
use baton_journal::{Journal, Options, SqliteJournal};
use clap::Subcommand;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum JournalCmd {
    /// Write journal entries FROM..=TO (positions, or RFC 3339 times) to an
    /// archive file that replays on its own, and record it in the journal.
    Export {
        #[arg(long)]
        data: PathBuf,
        /// The first entry: a journal position (1234) or a time (2026-06-12T09:00:00Z).
        from: String,
        /// The last entry, included: a position or a time.
        to: String,
        /// The archive file to create (it must not exist).
        #[arg(long)]
        out: PathBuf,
        /// The event directory, needed only when no snapshot lies before FROM.
        #[arg(long)]
        event: Option<PathBuf>,
    },
    /// Delete entries older than the retention that a recorded export holds,
    /// up to a snapshot that remains; archives are checked (size, SHA-256) first.
    Prune {
        #[arg(long)]
        data: PathBuf,
        /// Keep this long: `45d`, `36h`, `90m`; default: the event's days plus 30 days.
        #[arg(long, value_parser = parse_retain)]
        retain: Option<i64>,
        /// Judge age as of this time (RFC 3339) instead of now.
        #[arg(long)]
        as_of: Option<String>,
    },
}

/// A retention: `Nd` (days) or a duration such as `36h`, `90m`, `1h30m`.
pub fn parse_retain(s: &str) -> Result<i64, String> {
    if let Some(days) = s.strip_suffix('d')
        && let Ok(n) = days.parse::<i64>()
    {
        return n
            .checked_mul(retention::DAY)
            .ok_or_else(|| format!("{s:?} is too long"));
    }
    baton_model::parse_duration(s).map_err(|e| format!("{e}; or days, e.g. \"45d\""))
}

fn time_ms(s: &str) -> Result<i64> {
    let t: jiff::Timestamp = s
        .parse()
        .with_context(|| format!("{s:?} is neither a journal position nor an RFC 3339 time"))?;
    Ok(t.as_millisecond())
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

pub fn run(cmd: JournalCmd) -> Result<()> {
    match cmd {
        JournalCmd::Export {
            data,
            from,
            to,
            out,
            event,
        } => export(&data, &from, &to, &out, event.as_deref()),
        JournalCmd::Prune {
            data,
            retain,
            as_of,
        } => prune(&data, retain, as_of.as_deref()),
    }
}

fn open(data: &Path) -> Result<SqliteJournal> {
    if !data.join("journal.db").is_file() {
        bail!("{} holds no journal (journal.db)", data.display());
    }
    SqliteJournal::open(data, &Options::default())
        .with_context(|| format!("opening the journal in {}", data.display()))
}

fn export(data: &Path, from: &str, to: &str, out: &Path, event: Option<&Path>) -> Result<()> {
    let mut j = open(data)?;
    let from_seq = match from.parse::<u64>() {
        Ok(n) => n,
        Err(_) => j
            .first_at_or_after(time_ms(from)?)?
            .with_context(|| format!("FROM {from}: no entry at or after it"))?,
    };
    let to_seq = match to.parse::<u64>() {
        Ok(n) => n,
        Err(_) => j
            .last_before(time_ms(to)?.saturating_add(1))?
            .with_context(|| format!("TO {to}: no entry at or before it"))?,
    };
    let start = match event {
        Some(e) => {
            let l = crate::load(e)?;
            Some(Engine::new(l.spec, l.policies)?)
        }
        None => None,
    };
    let e = baton_journal::archive::export(&mut j, from_seq, to_seq, out, start, now_ms())?;
    println!(
        "exported entries {}..={} to {} ({} bytes, sha256 {})",
        e.from,
        e.to,
        e.path.display(),
        e.bytes,
        e.sha256
    );
    Ok(())
}

fn prune(data: &Path, retain: Option<i64>, as_of: Option<&str>) -> Result<()> {
    let mut j = open(data)?;
    let retain = match retain {
        Some(r) => r,
        None => match j.latest_snapshot()? {
            Some(s) => retention::default_retention(&s.spec),
            None => bail!(
                "{} has no snapshot to read the event from: give --retain",
                data.display()
            ),
        },
    };
    let now = match as_of {
        Some(t) => time_ms(t)?,
        None => now_ms(),
    };
    let p = retention::prune(&mut j, now, retain, Verify::Checksum, 10_000)?;
    for s in &p.plan.skipped {
        eprintln!("warning: not relied on: {s}");
    }
    let first = j.first_seq()?;
    j.checkpoint()?;
    println!(
        "pruned {} entries in {} chunks (longest {:.1} ms); the journal keeps {}; stopped: {}",
        p.deleted,
        p.chunks,
        p.longest_chunk_us as f64 / 1000.0,
        match first {
            Some(f) => format!("entries {f}..={}", j.last_seq()?),
            None => "no entries".into(),
        },
        p.plan.why
    );
    Ok(())
}

/// Replays an archive from its own snapshot; outputs as JSON lines, like
/// `baton replay`.
pub fn replay_archive(archive: &Path, out: Option<&Path>) -> Result<()> {
    let j = SqliteJournal::open_archive(archive)?;
    let (from, to) = baton_journal::archive::range(&j)?;
    let snap = j
        .snapshot_at_or_before(from.saturating_sub(1))?
        .with_context(|| format!("{} has no snapshot before entry {from}", archive.display()))?;
    let mut engine = baton_journal::engine_from(snap)?;
    let mut w: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut buf = Vec::new();
    let mut n = 0u64;
    let mut failed: Option<std::io::Error> = None;
    baton_journal::replay(&j, &mut engine, &mut |_, _, outputs| {
        buf.clear();
        crate::replay::write_outputs(outputs, &mut buf);
        n += outputs.len() as u64;
        if failed.is_none()
            && let Err(e) = w.write_all(&buf)
        {
            failed = Some(e);
        }
        Ok(())
    })?;
    if let Some(e) = failed {
        return Err(e).context("writing the outputs");
    }
    w.flush()?;
    eprintln!(
        "replayed entries {from}..={to} of {}: {n} outputs, position {}",
        archive.display(),
        engine.position()
    );
    Ok(())
}
