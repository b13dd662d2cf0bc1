//! The core thread: the single writer of the journal and owner of the engine.
//!
//! Requests arrive on a bounded channel. The thread takes everything that is
//! waiting (up to a batch), stamps it with sequence numbers and journal time,
//! appends it to SQLite in one transaction (group commit), applies it to the
//! engine, and only then answers. When nothing arrives for a tick it journals
//! a `Tick`, so timers fire on journal time.

mod retention;

use crate::clock::Clock;
use crate::outbox::Routing;
use crate::outbox::state::DeliveryState;
use crate::outbox::store::{Delivery, Store};
use crate::topic::Topic;
use crate::view::{Event, View};
use anyhow::{Context, Result};
use baton_core::{Engine, Output};
use baton_journal::{Journal, SqliteJournal};
use baton_model::{ActionResult, Command, Entry, PolicySet, Signal, Stamped};
use retention::Prune;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, oneshot};

/// Signals waiting in the core queue at most: the queue is bounded in
/// requests, and a batch can carry thousands of signals, so ingest also
/// counts signals and answers 429 beyond this.
pub const MAX_QUEUED_SIGNALS: usize = 1_000_000;

/// Entries per journal transaction at most.
const MAX_BATCH: usize = 4096;
/// Take a snapshot every this many entries, so restarts replay a short tail.
pub const SNAPSHOT_EVERY: u64 = 100_000;

pub type Query = Box<dyn FnOnce(&Engine, &View) -> Value + Send>;

pub enum Request {
    Ingest {
        signals: Vec<Signal>,
        reply: oneshot::Sender<Result<Ingested, IngestError>>,
    },
    Command {
        command: Command,
        reply: oneshot::Sender<Result<Applied, CoreError>>,
    },
    Policies {
        set: PolicySet,
        reply: oneshot::Sender<Result<Applied, CoreError>>,
    },
    /// From the execution layer; journaled so policies can react. The reply,
    /// when asked for, comes once the result is durable.
    Result(
        ActionResult,
        Option<oneshot::Sender<Result<Applied, CoreError>>>,
    ),
    Query {
        f: Query,
        reply: oneshot::Sender<Value>,
    },
    /// The running configuration (spec and policy set) and journal time.
    Config {
        reply: oneshot::Sender<(Arc<baton_core::Compiled>, i64)>,
    },
    /// Move a manual clock forward by `ms`, journaling the ticks due on the
    /// way (`baton_core::sequence`), so timers and per-minute policies fire
    /// as they would have in real time.
    Advance {
        ms: i64,
        reply: oneshot::Sender<Result<Advanced, CoreError>>,
    },
}

/// Where a manual clock advance left journal time.
#[derive(Debug, Clone)]
pub struct Advanced {
    pub position: u64,
    pub now: i64,
}

/// Why the core thread could not do what it was asked. `Clone`: one
/// failed commit answers every request of its batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CoreError {
    /// The journal could not make the batch durable; it may be retried.
    #[error("the journal could not store the batch: {0}")]
    Journal(String),
    /// A clock advance on a wall clock.
    #[error("the clock is not manual (serve --clock manual)")]
    NotManual,
}

/// Why an ingest request was not journaled.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    /// A signal names something the event does not have; nothing of the
    /// request was journaled.
    #[error("signal {index}: `{field}`: {message}")]
    Unknown {
        index: usize,
        field: &'static str,
        message: String,
    },
    /// The journal could not make the request durable; it may be retried.
    #[error("{0}")]
    Journal(String),
}

#[derive(Debug, Clone)]
pub struct Ingested {
    pub accepted: usize,
    pub duplicates: usize,
    /// Journal position of the last accepted signal (or the current one).
    pub position: u64,
}

#[derive(Debug, Clone)]
pub struct Applied {
    pub position: u64,
    pub outputs: Vec<Output>,
}

/// The handle the HTTP layer holds.
#[derive(Clone)]
pub struct CoreHandle {
    tx: SyncSender<Request>,
    pub events: broadcast::Sender<Event>,
    pub executions: broadcast::Sender<(u64, Output)>,
    thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
    stop: Arc<AtomicBool>,
    position: Arc<AtomicU64>,
    /// The journal clock, for callers that turn "in N minutes" into journal time.
    pub clock: Clock,
    queued: Arc<AtomicUsize>,
}

pub enum SendError {
    Full,
    Stopped,
}

impl CoreHandle {
    /// Like `send`, but hands the request back when the queue is full.
    pub fn send_or_return(&self, r: Request) -> Result<(), Request> {
        self.tx.try_send(r).map_err(|e| match e {
            TrySendError::Full(r) | TrySendError::Disconnected(r) => r,
        })
    }

    /// Reserves room for `n` signals in the queue; false when it is full.
    pub fn reserve(&self, n: usize) -> bool {
        let before = self.queued.fetch_add(n, Ordering::SeqCst);
        if before + n > MAX_QUEUED_SIGNALS {
            self.queued.fetch_sub(n, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Gives back room reserved for signals that never reached the core.
    pub fn release(&self, n: usize) {
        self.queued.fetch_sub(n, Ordering::SeqCst);
    }

    /// True once the core thread was told to stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The last committed journal position, without a trip to the core
    /// (`/readyz` must not take a slot in the ingest queue).
    pub fn position(&self) -> u64 {
        self.position.load(Ordering::SeqCst)
    }

    pub fn send(&self, r: Request) -> Result<(), SendError> {
        self.tx.try_send(r).map_err(|e| match e {
            TrySendError::Full(_) => SendError::Full,
            TrySendError::Disconnected(_) => SendError::Stopped,
        })
    }

    /// Stops the core thread after it drains what is queued, and waits.
    pub fn stop(&self) {
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        // Flag first, then wake the thread with a no-op query so it sees the flag.
        self.stop.store(true, Ordering::SeqCst);
        let (reply, _) = oneshot::channel();
        let _ = self.tx.try_send(Request::Query {
            f: Box::new(|_, _| Value::String("stop".into())),
            reply,
        });
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

pub struct Core;

impl Core {
    /// Opens the journal, restores (or starts) the engine, and runs the thread.
    pub fn start(
        cfg: &crate::Config,
        loaded: baton_spec::Loaded,
        clock: Clock,
        routing: Arc<Routing>,
        wake: Arc<Notify>,
    ) -> Result<CoreHandle> {
        let mut deliveries = Store::open(&cfg.data)?;
        let mut journal = SqliteJournal::open(&cfg.data, &baton_journal::Options::default())
            .with_context(|| format!("opening the journal in {}", cfg.data.display()))?;
        // Restore by hand rather than with `baton_journal::restore`: the tail's
        // `Execute` outputs are re-derived, so deliveries cut off by a crash resume.
        // It starts from the oldest snapshot kept, so the replay also rebuilds
        // the API's read model (decisions, audit) over that stretch.
        let mut rederived: Vec<Delivery> = Vec::new();
        // Outcomes already journaled: their rows are final even if a crash
        // came before the row was marked.
        let mut outcomes: Vec<(String, DeliveryState)> = Vec::new();
        let mut view = View::default();
        // The dedup window's hash key lives in the journal: made once, the
        // same for every restore and replay of it.
        let secret = journal.dedup_secret()?;
        let first_kept = journal.first_seq()?.unwrap_or(1);
        let start_from = match journal.earliest_snapshot()? {
            // Retention may have dropped the entries after the oldest snapshot.
            Some(s) if s.state.last_seq + 1 >= first_kept => Some(s),
            _ => journal.latest_snapshot()?,
        };
        // Where the replay starts: the chosen snapshot, or (a journal written
        // before snapshots could be read, or a new one) the event files.
        let mut notes = Vec::new();
        let from_snapshot = start_from.is_some();
        let mut engine = match start_from {
            Some(snap) => baton_journal::engine_from(snap)?,
            None => {
                let last = journal.last_seq()?;
                if last > 0 && first_kept > 1 {
                    anyhow::bail!(
                        "the journal in {} has no snapshot this build can read (they were written \
                         by an older build), and entries before {first_kept} were pruned, so it \
                         cannot be replayed from its start: restore it with the build that wrote it",
                        cfg.data.display()
                    );
                }
                Engine::new(loaded.spec.clone(), loaded.policies.clone())?
            }
        };
        engine.set_dedup_secret(secret);
        // Replayed from a snapshot, the read model starts after it; from
        // the event files, it holds the whole journal.
        if from_snapshot {
            view.history_from = engine.position() + 1;
        }
        let replayed = baton_journal::replay(&journal, &mut engine, &mut |e, engine, out| {
            for o in out {
                rederived.extend(routing.deliveries(o));
            }
            if let Entry::ActionResult(r) = &e.entry {
                outcomes.push((
                    r.decision.action(r.action).to_string(),
                    DeliveryState::from(r.outcome),
                ));
            }
            view.absorb(e.seq, e.time, out);
            view.history.record(engine);
            Ok(())
        })?;
        if from_snapshot {
            notes.push(format!(
                "restored position {} ({replayed} tail entries replayed)",
                engine.position()
            ));
            if engine.config().spec != loaded.spec {
                notes.push(format!(
                    "{} differs from the journaled spec; the journal wins (apply the change explicitly)",
                    cfg.event.display()
                ));
            }
        } else if replayed > 0 {
            notes.push(format!("replayed {replayed} entries (no snapshot)"));
        } else {
            notes.push("new journal".to_string());
        }
        for n in notes {
            tracing::info!("{n}");
        }
        let resumed = deliveries.insert_new(&rederived)?;
        deliveries.settle(&outcomes)?;
        if !resumed.is_empty() {
            tracing::info!(
                "re-derived {} deliveries from the journal tail",
                resumed.len()
            );
        }
        if journal.latest_snapshot()?.is_none() {
            journal.save_engine_snapshot(&engine)?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        // Snapshots come from a second engine that follows the committed
        // journal on its own thread, so the core never stalls to serialise.
        let follower = baton_journal::SnapshotFollower::new(engine.clone());
        let snap_dir = cfg.data.clone();
        let snap_stop = stop.clone();
        std::thread::Builder::new()
            .name("baton-snapshots".into())
            .spawn({
                let every = cfg.snapshot_every.max(1);
                move || crate::snapshots::follow(follower, &snap_dir, &snap_stop, every)
            })
            .context("starting the snapshot thread")?;
        let retain = cfg
            .retain
            .unwrap_or_else(|| baton_journal::retention::default_retention(&engine.config().spec));
        let (tx, rx) = std::sync::mpsc::sync_channel(cfg.queue.max(1));
        let (events, _) = broadcast::channel(4096);
        let (executions, _) = broadcast::channel(65_536);
        let position = Arc::new(AtomicU64::new(engine.position()));
        let queued = Arc::new(AtomicUsize::new(0));
        let worker_clock = clock.clone();
        let mut worker = Worker {
            queued: queued.clone(),
            position: position.clone(),
            stop: stop.clone(),
            engine,
            journal,
            clock,
            view,
            events: events.clone(),
            executions: executions.clone(),
            last_time: 0,
            dirty: HashSet::new(),
            stale_seen: Vec::new(),
            routing,
            deliveries,
            wake,
            prune: Prune {
                retain,
                next: std::time::Instant::now(),
                cut: None,
            },
        };
        // A new journal starts at the clock, with no ticks before its first
        // entry (as `baton replay` starts at its first signal).
        worker.last_time = if worker.engine.position() == 0 {
            worker.clock.now_ms()
        } else {
            worker.engine.state().now
        };
        worker.stale_seen = worker.stale_flags();
        // Bring journal time up to the clock before anyone can ask.
        worker.tick_if_due();
        let thread = std::thread::Builder::new()
            .name("baton-core".into())
            .spawn(move || worker.run(rx))
            .context("starting the core thread")?;
        Ok(CoreHandle {
            tx,
            events,
            executions,
            thread: Arc::new(Mutex::new(Some(thread))),
            stop,
            position,
            clock: worker_clock,
            queued,
        })
    }
}

struct Worker {
    queued: Arc<AtomicUsize>,
    position: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    engine: Engine,
    journal: SqliteJournal,
    clock: Clock,
    view: View,
    events: broadcast::Sender<Event>,
    executions: broadcast::Sender<(u64, Output)>,
    last_time: i64,
    /// Spaces whose state changed in this batch, for the coalesced stream.
    dirty: HashSet<u32>,
    /// Each space's `stale` flag as last pushed: a space that goes quiet
    /// changes no state through a signal, so the minute refresh compares.
    stale_seen: Vec<bool>,
    routing: Arc<Routing>,
    deliveries: Store,
    wake: Arc<Notify>,
    prune: Prune,
}

/// What each request in a batch becomes, to answer it after the commit.
enum Pending {
    Ingest {
        reply: oneshot::Sender<Result<Ingested, IngestError>>,
        range: (usize, usize),
        duplicates: usize,
    },
    Applied {
        reply: oneshot::Sender<Result<Applied, CoreError>>,
        index: usize,
    },
    Query {
        f: Query,
        reply: oneshot::Sender<Value>,
    },
    Config {
        reply: oneshot::Sender<(Arc<baton_core::Compiled>, i64)>,
    },
    Advance {
        ms: i64,
        reply: oneshot::Sender<Result<Advanced, CoreError>>,
    },
    None,
}

impl Worker {
    fn run(&mut self, rx: Receiver<Request>) {
        let tick = self.engine.config().spec.event.tick.max(1);
        loop {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let wait = Duration::from_millis(self.clock.wall_ms(tick).min(1000));
            let first = match rx.recv_timeout(wait) {
                Ok(r) => r,
                Err(RecvTimeoutError::Timeout) => {
                    self.tick_if_due();
                    self.prune_step();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            self.process(batch);
            self.tick_if_due();
            self.prune_step();
        }
        let _ = self.journal.save_engine_snapshot(&self.engine);
    }

    /// Stamps an entry at the batch's journal time (pinned by
    /// [`Worker::ticks_to`], so no boundary is skipped inside a batch).
    fn stamp(&mut self, entry: Entry) -> Stamped {
        Stamped {
            seq: 0,
            time: self.last_time,
            entry,
        }
    }

    /// Moves journal time to the clock (never back) and pushes the ticks
    /// due on the way, by the rule `baton replay` and the twin use
    /// (`baton_core::sequence`): one on every multiple of the event's tick.
    fn ticks_to(&mut self, entries: &mut Vec<Stamped>) {
        let now = self.clock.now_ms().max(self.last_time);
        let tick = self.engine.config().spec.event.tick;
        for b in baton_core::sequence::due_ticks(self.last_time, now, tick) {
            entries.push(Stamped {
                seq: 0,
                time: b,
                entry: Entry::Tick,
            });
        }
        self.last_time = now;
    }

    fn tick_if_due(&mut self) {
        let mut ticks = Vec::new();
        self.ticks_to(&mut ticks);
        if !ticks.is_empty() {
            let _ = self.commit(ticks, &mut Vec::new());
        }
    }

    fn process(&mut self, batch: Vec<Request>) {
        let mut entries: Vec<Stamped> = Vec::new();
        // The ticks due first, then every entry of the batch at one time.
        self.ticks_to(&mut entries);
        let mut pending = Vec::with_capacity(batch.len());
        // Keys, not cloned strings: this runs for every signal.
        let mut seen_in_batch: HashSet<u128> = HashSet::new();
        for r in batch {
            match r {
                Request::Ingest { signals, reply } => {
                    self.queued.fetch_sub(signals.len(), Ordering::SeqCst);
                    // A request naming anything unknown is refused whole,
                    // before any of it is stamped.
                    let cfg = self.engine.config();
                    if let Some((index, (field, message))) =
                        signals.iter().enumerate().find_map(|(i, s)| {
                            baton_core::references::unknown_reference(cfg, s).map(|u| (i, u))
                        })
                    {
                        let _ = reply.send(Err(IngestError::Unknown {
                            index,
                            field,
                            message,
                        }));
                        continue;
                    }
                    let start = entries.len();
                    let mut duplicates = 0;
                    for s in signals {
                        let key = baton_core::engine::dedup_key(&self.engine, &s.source, &s.id);
                        if self.engine.is_duplicate_key(key) || !seen_in_batch.insert(key) {
                            duplicates += 1;
                            continue;
                        }
                        if s.kind.subject_kind() == baton_model::signal::SubjectKind::Space
                            && let Some(&sp) = self.engine.config().space_idx.get(&s.subject)
                        {
                            self.dirty.insert(sp);
                        }
                        let e = self.stamp(Entry::Signal(s));
                        entries.push(e);
                    }
                    pending.push(Pending::Ingest {
                        reply,
                        range: (start, entries.len()),
                        duplicates,
                    });
                }
                Request::Command { command, reply } => {
                    let e = self.stamp(Entry::Command(command));
                    entries.push(e);
                    pending.push(Pending::Applied {
                        reply,
                        index: entries.len() - 1,
                    });
                }
                Request::Policies { set, reply } => {
                    let e = self.stamp(Entry::PolicySet(set));
                    entries.push(e);
                    pending.push(Pending::Applied {
                        reply,
                        index: entries.len() - 1,
                    });
                }
                Request::Result(r, reply) => {
                    let e = self.stamp(Entry::ActionResult(r));
                    entries.push(e);
                    pending.push(match reply {
                        Some(reply) => Pending::Applied {
                            reply,
                            index: entries.len() - 1,
                        },
                        None => Pending::None,
                    });
                }
                Request::Query { f, reply } => pending.push(Pending::Query { f, reply }),
                Request::Config { reply } => pending.push(Pending::Config { reply }),
                Request::Advance { ms, reply } => pending.push(Pending::Advance { ms, reply }),
            }
        }
        let mut outputs: Vec<Vec<Output>> = Vec::new();
        let committed = if entries.is_empty() {
            Ok(0)
        } else {
            self.commit(entries, &mut outputs)
        };
        let first_seq = match &committed {
            Ok(first) => *first,
            Err(_) => 0,
        };
        for p in pending {
            match p {
                Pending::Ingest {
                    reply,
                    range,
                    duplicates,
                } => {
                    let r = match &committed {
                        Ok(_) => Ok(Ingested {
                            accepted: range.1 - range.0,
                            duplicates,
                            position: if range.1 > range.0 {
                                first_seq + range.1 as u64 - 1
                            } else {
                                self.engine.position()
                            },
                        }),
                        Err(e) => Err(IngestError::Journal(e.to_string())),
                    };
                    let _ = reply.send(r);
                }
                Pending::Applied { reply, index } => {
                    let r = match &committed {
                        Ok(_) => Ok(Applied {
                            position: first_seq + index as u64,
                            outputs: outputs.get(index).cloned().unwrap_or_default(),
                        }),
                        Err(e) => Err(e.clone()),
                    };
                    let _ = reply.send(r);
                }
                Pending::Query { f, reply } => {
                    let _ = reply.send(f(&self.engine, &self.view));
                }
                Pending::Config { reply } => {
                    let _ = reply.send((self.engine.shared_config(), self.engine.state().now));
                }
                Pending::Advance { ms, reply } => {
                    let _ = reply.send(self.advance(ms));
                }
                Pending::None => {}
            }
        }
    }

    /// Advances a manual clock, journaling the ticks due on the way (one on
    /// every multiple of the event's tick, as a live clock would), in
    /// commits of at most 10,000; refused on a wall clock.
    fn advance(&mut self, ms: i64) -> Result<Advanced, CoreError> {
        if self.clock.mode() != crate::clock::ClockMode::Manual {
            return Err(CoreError::NotManual);
        }
        self.clock.advance(ms.max(0));
        let mut ticks = Vec::new();
        self.ticks_to(&mut ticks);
        while !ticks.is_empty() {
            let rest = ticks.split_off(ticks.len().min(10_000));
            self.commit(std::mem::replace(&mut ticks, rest), &mut Vec::new())?;
        }
        Ok(Advanced {
            position: self.engine.position(),
            now: self.engine.state().now,
        })
    }

    fn stale_flags(&self) -> Vec<bool> {
        let st = self.engine.state();
        let after = self.engine.config().spec.event.stale_after;
        st.spaces.iter().map(|s| s.stale(st.now, after)).collect()
    }

    /// Journals, then applies; returns the first sequence number used.
    fn commit(
        &mut self,
        mut entries: Vec<Stamped>,
        outputs: &mut Vec<Vec<Output>>,
    ) -> Result<u64, CoreError> {
        let first = self.engine.position() + 1;
        for (i, e) in entries.iter_mut().enumerate() {
            e.seq = first + i as u64;
        }
        let minute_before = self.engine.state().minute;
        let control = entries
            .iter()
            .any(|e| matches!(e.entry, Entry::Command(_) | Entry::PolicySet(_)));
        let started = std::time::Instant::now();
        if let Err(e) = self.journal.append(&entries) {
            tracing::error!("journal append failed: {e}");
            return Err(CoreError::Journal(e.to_string()));
        }
        metrics::histogram!("baton_journal_commit_seconds").record(started.elapsed().as_secs_f64());
        metrics::counter!("baton_journal_entries_total").increment(entries.len() as u64);
        let signals = entries
            .iter()
            .filter(|e| matches!(e.entry, Entry::Signal(_)))
            .count();
        metrics::counter!("baton_ingest_signals_total").increment(signals as u64);
        let mut rows = Vec::new();
        let mut decisions_changed = false;
        for e in &entries {
            let mut out = Vec::new();
            self.engine.apply(e, &mut out);
            for o in &out {
                decisions_changed |= matches!(
                    o,
                    Output::Decision(_)
                        | Output::DecisionUpdate { .. }
                        | Output::Execute { .. }
                        | Output::Task { .. }
                );
                match o {
                    Output::Execute { .. } => {
                        rows.extend(self.routing.deliveries(o));
                        let _ = self.executions.send((e.seq, o.clone()));
                    }
                    Output::Decision(d) => {
                        metrics::counter!("baton_decisions_total", "policy" => d.policy.clone())
                            .increment(1);
                    }
                    // Both rooms of a move show it on the board at once.
                    Output::Move { from, to, .. } => {
                        for id in [from, to] {
                            if let Some(&sp) = self.engine.config().space_idx.get(id.as_str()) {
                                self.dirty.insert(sp);
                            }
                        }
                    }
                    _ => {}
                }
            }
            for ev in self.view.absorb(e.seq, e.time, &out) {
                let _ = self.events.send(ev);
            }
            self.view.history.record(&self.engine);
            outputs.push(out);
        }
        // Delivery rows are durable before anyone is answered, and before a
        // snapshot could move the restore point past them.
        if !rows.is_empty() {
            // A failed insert is retried; if it keeps failing the rows are
            // re-derived from the journal tail at the next start.
            for attempt in 0..5 {
                match self.deliveries.insert_new(&rows) {
                    Ok(_) => {
                        self.wake.notify_one();
                        break;
                    }
                    Err(e) => {
                        tracing::error!("recording deliveries (attempt {}): {e}", attempt + 1);
                        std::thread::sleep(Duration::from_millis(20 << attempt));
                    }
                }
            }
        }
        let last = self.engine.position();
        let new_minute = self.engine.state().minute != minute_before;
        if new_minute {
            let flags = self.stale_flags();
            for (i, (now, seen)) in flags.iter().zip(&self.stale_seen).enumerate() {
                if now != seen {
                    self.dirty.insert(i as u32);
                }
            }
            self.stale_seen = flags;
        }
        if control || new_minute {
            let v = crate::view::control_json(&self.engine, self.clock.mode());
            let ev = self.view.remember(Event {
                seq: last,
                sub: 0,
                topic: Topic::Control,
                key: "control".into(),
                data: Arc::from(v.to_string()),
            });
            let _ = self.events.send(ev);
        }
        let mut situations_may_change = control || new_minute || decisions_changed;
        for sp in std::mem::take(&mut self.dirty) {
            let v = crate::view::space_json(&self.engine, sp);
            let now_crowded = crate::situations::crowded(&v).is_some();
            if now_crowded != self.view.crowded_since.contains_key(&sp) {
                situations_may_change = true;
                if now_crowded {
                    self.view.crowded_since.insert(sp, self.engine.state().now);
                } else {
                    self.view.crowded_since.remove(&sp);
                }
            }
            let ev = self.view.remember(Event {
                seq: last,
                sub: 0,
                topic: Topic::Spaces,
                key: format!("space:{sp}"),
                data: Arc::from(v.to_string()),
            });
            let _ = self.events.send(ev);
        }
        if situations_may_change {
            // Pushed only when the list changed: one event, the whole list.
            let list =
                crate::situations::list(&self.engine, &self.view, crate::situations::Level::Low)
                    .to_string();
            if list != self.view.situations_pushed {
                self.view.situations_pushed = list.clone();
                let ev = self.view.remember(Event {
                    seq: last,
                    sub: 0,
                    topic: Topic::Situations,
                    key: "situations".into(),
                    data: Arc::from(list),
                });
                let _ = self.events.send(ev);
            }
        }
        metrics::gauge!("baton_journal_position").set(last as f64);
        self.position.store(last, Ordering::SeqCst);
        Ok(first)
    }
}
