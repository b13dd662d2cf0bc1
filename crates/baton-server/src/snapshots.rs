//! The snapshot thread: a second engine follows the committed journal and
//! saves snapshots, so the core thread never stalls to serialise its state.

use baton_journal::{Journal, SqliteJournal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The snapshot thread: catch up with the committed journal every second,
/// and save a snapshot every `every` entries.
pub(crate) fn follow(
    mut f: baton_journal::SnapshotFollower,
    dir: &std::path::Path,
    stop: &AtomicBool,
    every: u64,
) {
    let mut journal = match SqliteJournal::open(dir, &baton_journal::Options::default()) {
        Ok(j) => j,
        Err(e) => {
            tracing::error!("snapshot thread: {e}");
            return;
        }
    };
    let mut last = f.position();
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(250));
        if let Err(e) = f.catch_up(&journal) {
            tracing::warn!("snapshot thread: {e}");
            continue;
        }
        if f.position() >= last + every {
            match journal.save_engine_snapshot(f.engine()) {
                Ok(()) => last = f.position(),
                Err(e) => tracing::warn!("snapshot failed: {e}"),
            }
        }
    }
}
