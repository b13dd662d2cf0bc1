//! The one rule for journal time and ticks, shared by `baton replay`, the
//! server's core thread and the twin, so the same day gives the same
//! entries whichever of them sequenced it.
//!
//! - Journal time never runs backwards: an entry stamped earlier than the
//!   last one takes the last one's time.
//! - A `Tick` falls on every multiple of the event's `tick` (boundaries of
//!   journal time, not of when a run started), once, before any entry
//!   stamped at or after it. An entry that lands exactly on a boundary
//!   comes after that boundary's tick.

use baton_model::{Entry, Millis, Stamped};

/// The tick times due when journal time moves from `last` to `t`: every
/// boundary after `last` and at or before `t`.
pub fn due_ticks(last: Millis, t: Millis, tick: Millis) -> impl Iterator<Item = Millis> {
    let tick = tick.max(1);
    let first = (last.div_euclid(tick) + 1).saturating_mul(tick);
    (0..)
        .map(move |k: i64| first.saturating_add(k.saturating_mul(tick)))
        .take_while(move |&b| b <= t)
}

/// Stamps entries with sequence numbers and monotone journal time,
/// emitting the ticks due before each.
#[derive(Debug, Clone)]
pub struct Sequencer {
    seq: u64,
    time: Option<Millis>,
    tick: Millis,
}

impl Sequencer {
    pub fn new(tick: Millis) -> Self {
        Sequencer {
            seq: 0,
            time: None,
            tick: tick.max(1),
        }
    }

    /// The last sequence number handed out.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The journal time of the last entry, if any.
    pub fn time(&self) -> Option<Millis> {
        self.time
    }

    /// Stamps `entry` at `at` (or the last time), first emitting the ticks
    /// due before it. The first entry sets the clock and has none before it.
    pub fn stamp(&mut self, at: Option<Millis>, entry: Entry, mut sink: impl FnMut(Stamped)) {
        let t = match (self.time, at) {
            (None, Some(a)) => a,
            (None, None) => 0,
            (Some(prev), Some(a)) => a.max(prev),
            (Some(prev), None) => prev,
        };
        self.advance(t, &mut sink);
        self.time = Some(t);
        self.seq += 1;
        sink(Stamped {
            seq: self.seq,
            time: t,
            entry,
        });
    }

    /// Moves journal time to `t` (never back), emitting the ticks due.
    pub fn advance(&mut self, t: Millis, mut sink: impl FnMut(Stamped)) {
        let Some(prev) = self.time else {
            return;
        };
        if t <= prev {
            return;
        }
        for b in due_ticks(prev, t, self.tick) {
            self.seq += 1;
            self.time = Some(b);
            sink(Stamped {
                seq: self.seq,
                time: b,
                entry: Entry::Tick,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(tick: Millis, times: &[Millis]) -> Vec<Millis> {
        let mut s = Sequencer::new(tick);
        let mut out = Vec::new();
        for &t in times {
            s.stamp(Some(t), Entry::Tick, |e| out.push((e.seq, e.time)));
        }
        for (i, (seq, _)) in out.iter().enumerate() {
            assert_eq!(*seq, i as u64 + 1, "sequence numbers without gaps");
        }
        out.into_iter().map(|x| x.1).collect()
    }

    #[test]
    fn ticks_fall_on_boundaries_and_an_entry_on_a_boundary_comes_after_its_tick() {
        assert_eq!(
            due_ticks(0, 2_500, 1_000).collect::<Vec<_>>(),
            [1_000, 2_000]
        );
        assert_eq!(
            due_ticks(1_000, 3_000, 1_000).collect::<Vec<_>>(),
            [2_000, 3_000]
        );
        assert_eq!(due_ticks(1_500, 1_900, 1_000).count(), 0);
        assert_eq!(due_ticks(-1_500, 0, 1_000).collect::<Vec<_>>(), [-1_000, 0]);
        // 500 (first), 1000 tick, 2000 tick, 2000 entry, then 2500.
        assert_eq!(
            run(1_000, &[500, 2_000, 2_500]),
            [500, 1_000, 2_000, 2_000, 2_500]
        );
    }

    #[test]
    fn time_never_runs_backwards() {
        let mut s = Sequencer::new(1_000);
        let mut out = Vec::new();
        s.stamp(Some(5_000), Entry::Tick, |e| out.push(e.time));
        s.stamp(Some(3_000), Entry::Tick, |e| out.push(e.time));
        s.advance(4_000, |e| out.push(e.time));
        assert_eq!(out, [5_000, 5_000]);
        assert_eq!(s.time(), Some(5_000));
    }
}
