//! Per-space history for the board's sparklines and the space detail view:
//! one sample a journal minute, the last three hours, taken on the core
//! thread from the engine's state as entries apply. A restart replays the
//! journal from the oldest kept snapshot (as it does for the read model), so
//! the history is rebuilt from the journal: there is no second store.

use baton_core::Engine;
use baton_core::context::Ctx;
use baton_policy::{Field, Fields};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// One sample a journal minute.
pub const STEP_MS: i64 = 60_000;
/// Three hours of minutes: the detail view's longest range.
pub const KEEP: usize = 180;

/// A space as it stood at the first entry of a journal minute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// The minute's start (journal time, ms).
    pub at: i64,
    pub occupancy: i64,
    pub capacity: i64,
    pub forecast_10m: f64,
    /// 0..1, decays since the last absolute count.
    pub confidence: f64,
    /// No signal for longer than the event's `stale_after`.
    pub stale: bool,
    pub los: char,
}

/// Samples per space id, oldest first, at most [`KEEP`] each.
#[derive(Debug, Default)]
pub struct History {
    last_minute: Option<i64>,
    spaces: BTreeMap<Box<str>, VecDeque<Sample>>,
}

impl History {
    /// Samples every space when journal time has entered a new minute since
    /// the last sample; otherwise does nothing (one comparison).
    pub fn record(&mut self, engine: &Engine) {
        let now = engine.state().now;
        let minute = now.div_euclid(STEP_MS);
        if self.last_minute.is_some_and(|m| m >= minute) {
            return;
        }
        self.last_minute = Some(minute);
        let cfg = engine.config();
        let st = engine.state();
        let spaces = &cfg.spec.spaces;
        if self.spaces.len() != spaces.len() {
            // The spec changed: forget spaces it no longer has.
            self.spaces
                .retain(|id, _| spaces.iter().any(|s| *s.id == **id));
        }
        for (sp, space) in spaces.iter().enumerate() {
            let ctx = Ctx {
                cfg,
                st,
                space: Some(sp as u32),
                session: None,
                signal: Default::default(),
            };
            let sample = Sample {
                at: minute * STEP_MS,
                occupancy: ctx.int(Field::SpaceOccupancy),
                capacity: ctx.int(Field::SpaceCapacity),
                forecast_10m: ctx.double(Field::SpaceForecast10m),
                confidence: ctx.double(Field::SpaceConfidence),
                stale: ctx.boolean(Field::SpaceStale),
                los: ctx.string(Field::SpaceLos).chars().next().unwrap_or('?'),
            };
            let ring = match self.spaces.get_mut(space.id.as_str()) {
                Some(r) => r,
                None => self.spaces.entry(Box::from(space.id.as_str())).or_default(),
            };
            if ring.len() == KEEP {
                ring.pop_front();
            }
            ring.push_back(sample);
        }
    }

    /// A space's samples at or after `since` (journal ms), oldest first;
    /// `None` for a space it has never sampled.
    pub fn space(&self, id: &str, since: i64) -> Option<Vec<Sample>> {
        let ring = self.spaces.get(id)?;
        Some(ring.iter().filter(|s| s.at >= since).copied().collect())
    }

    /// Every space's occupancy on one minute grid from `since`: `None`
    /// where a minute has no sample (nothing was journaled in it) or the
    /// space had no sensor data then (a stale count is not a reading).
    pub fn grid(&self, since: i64) -> (i64, BTreeMap<&str, Vec<Option<i64>>>) {
        let from = since.div_euclid(STEP_MS) * STEP_MS;
        let to = self.last_minute.map_or(from, |m| m * STEP_MS);
        let len = if to >= from {
            ((to - from) / STEP_MS) as usize + 1
        } else {
            0
        };
        let mut out = BTreeMap::new();
        for (id, ring) in &self.spaces {
            let mut row = vec![None; len];
            for s in ring.iter().filter(|s| s.at >= from) {
                if let Some(slot) = row.get_mut(((s.at - from) / STEP_MS) as usize) {
                    *slot = (!s.stale).then_some(s.occupancy);
                }
            }
            out.insert(&**id, row);
        }
        (from, out)
    }

    /// The newest sample's minute, journal ms.
    pub fn last(&self) -> Option<i64> {
        self.last_minute.map(|m| m * STEP_MS)
    }
}
