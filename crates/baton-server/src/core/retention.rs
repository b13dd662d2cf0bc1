//! Retention on the core thread: old entries that an export holds are
//! pruned in chunks between batches (`serve --retain`).

use super::Worker;
use std::time::Duration;

/// How often the core looks for entries to prune (wall time).
const PRUNE_CHECK: Duration = Duration::from_secs(60);
/// Entries deleted per prune transaction, and the pause between two: each
/// chunk holds the write lock for a few milliseconds between batches.
const PRUNE_CHUNK: u64 = 5_000;
const PRUNE_PAUSE: Duration = Duration::from_millis(100);

/// Retention on the core thread, which owns the journal's write
/// connection: pruning there never contends for SQLite's write lock (a
/// second connection would, and its busy waits would stall appends for
/// longer than the delete itself), and it runs only between batches.
pub(super) struct Prune {
    pub(super) retain: i64,
    pub(super) next: std::time::Instant,
    /// Deleting up to here, one chunk per pause.
    pub(super) cut: Option<u64>,
}

impl Worker {
    /// One step of retention: plan a cut every minute; while one is set,
    /// delete a chunk per pause. Errors are logged and retried later.
    pub(super) fn prune_step(&mut self) {
        use baton_journal::retention;
        let now = std::time::Instant::now();
        if now < self.prune.next {
            return;
        }
        self.prune.next = now + PRUNE_CHECK;
        let Some(cut) = self.prune.cut else {
            let now_ms = self.clock.now_ms();
            match retention::plan(
                &self.journal,
                now_ms,
                self.prune.retain,
                retention::Verify::Size,
            ) {
                Ok(p) => {
                    for s in &p.skipped {
                        tracing::warn!("retention: {s}");
                    }
                    if p.cut.is_some() {
                        self.prune.cut = p.cut;
                        self.prune.next = now + PRUNE_PAUSE;
                    }
                }
                Err(e) => tracing::warn!("retention: {e}"),
            }
            return;
        };
        match retention::prune_chunk(&mut self.journal, cut, PRUNE_CHUNK) {
            Ok(0) => {
                tracing::info!("retention: pruned the journal up to entry {cut}");
                self.prune.cut = None;
            }
            Ok(n) => {
                metrics::counter!("baton_journal_pruned_total").increment(n);
                self.prune.next = now + PRUNE_PAUSE;
            }
            Err(e) => {
                tracing::warn!("retention: {e}");
                self.prune.cut = None;
            }
        }
    }
}
