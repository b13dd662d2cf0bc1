//! Streaming per-space state: occupancy fusion, bucketed flow windows, data
//! quality and a Holt linear-trend forecast. Every update is O(1).

use baton_model::Millis;
use serde::{Deserialize, Serialize};

/// Width of one flow bucket.
pub const BUCKET_MS: Millis = 10_000;
/// Buckets in the 5-minute window; the 1-minute window is the newest 6.
pub const BUCKETS: usize = 30;
const BUCKETS_1M: usize = 6;

/// A ring of counts per 10-second bucket over the last five minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowWindow {
    buckets: Vec<u32>,
    /// Index (time / BUCKET_MS) of the newest bucket.
    head: i64,
    total_5m: u64,
}

impl FlowWindow {
    fn advance(&mut self, now: Millis) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; BUCKETS];
            self.head = now.div_euclid(BUCKET_MS);
            return;
        }
        let idx = now.div_euclid(BUCKET_MS);
        if idx <= self.head {
            return;
        }
        let steps = (idx - self.head).min(BUCKETS as i64);
        for k in 1..=steps {
            let slot = (self.head + k).rem_euclid(BUCKETS as i64) as usize;
            self.total_5m -= u64::from(self.buckets[slot]);
            self.buckets[slot] = 0;
        }
        self.head = idx;
    }

    pub fn add(&mut self, now: Millis, n: u32) {
        self.advance(now);
        let slot = self.head.rem_euclid(BUCKETS as i64) as usize;
        self.buckets[slot] = self.buckets[slot].saturating_add(n);
        self.total_5m += u64::from(n);
    }

    /// Count over the last `buckets` buckets as of `now`, without mutating.
    fn sum(&self, now: Millis, buckets: usize) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let idx = now.div_euclid(BUCKET_MS);
        let age = idx - self.head;
        if age >= buckets as i64 {
            return 0;
        }
        if age <= 0 && buckets == BUCKETS {
            return self.total_5m;
        }
        let keep = buckets as i64 - age.max(0);
        (0..keep)
            .map(|k| self.buckets[(self.head - k).rem_euclid(BUCKETS as i64) as usize] as u64)
            .sum()
    }

    pub fn last_1m(&self, now: Millis) -> u64 {
        self.sum(now, BUCKETS_1M)
    }

    pub fn last_5m(&self, now: Millis) -> u64 {
        self.sum(now, BUCKETS)
    }
}

/// Holt's linear trend, sampled once per minute of journal time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Holt {
    pub level: f64,
    /// Persons per minute.
    pub trend: f64,
    pub samples: u32,
}

/// Smoothing for the level. These values were fitted on the example scenario's
/// per-minute series (10-minute horizon, MAE); see docs/POLICIES.md.
pub const HOLT_ALPHA: f64 = 1.0;
/// Smoothing for the trend.
pub const HOLT_BETA: f64 = 0.05;
/// Damping of the trend per minute ahead, so a surge is not extrapolated forever.
pub const HOLT_PHI: f64 = 0.5;

impl Holt {
    pub fn observe(&mut self, y: f64) {
        if self.samples == 0 {
            self.level = y;
            self.trend = 0.0;
        } else {
            let prev = self.level;
            self.level = HOLT_ALPHA * y + (1.0 - HOLT_ALPHA) * (prev + HOLT_PHI * self.trend);
            self.trend =
                HOLT_BETA * (self.level - prev) + (1.0 - HOLT_BETA) * HOLT_PHI * self.trend;
        }
        self.samples = self.samples.saturating_add(1);
    }

    /// Forecast `h` minutes ahead with a damped trend, never below zero.
    pub fn forecast(&self, h: u32) -> f64 {
        let mut damp = 0.0;
        let mut p = 1.0;
        for _ in 0..h {
            p *= HOLT_PHI;
            damp += p;
        }
        (self.level + damp * self.trend).max(0.0)
    }
}

/// Live state of one space.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpaceState {
    /// Fused estimate of people inside.
    pub occupancy: u32,
    /// Confidence at the last absolute count (1.0 unless the counter said otherwise).
    pub anchor_confidence: f64,
    /// Journal time of the last absolute count.
    pub anchored_at: Option<Millis>,
    /// Journal time of the last signal of any kind about this space.
    pub last_seen: Option<Millis>,
    pub inflow: FlowWindow,
    pub outflow: FlowWindow,
    /// Density from a density sensor, and when it arrived.
    pub sensed_density: Option<(f64, Millis)>,
    /// When occupancy last changed, to decide whether the sensor density is fresher.
    pub occupancy_at: Millis,
    pub queue_length: u32,
    pub queue_wait_s: f64,
    pub closed: bool,
    /// Since when a door volunteer's FULL (`space.full`) hangs: it wins
    /// over the sensors in the public room status until cleared.
    pub door_full: Option<Millis>,
    pub turned_away: u64,
    pub holt: Holt,
    /// Times a delta would have driven occupancy below zero.
    pub clamps: u64,
    /// Minutes spent at level E or F (sampled per minute).
    pub critical_minutes: u32,
}

impl SpaceState {
    pub fn seen(&mut self, now: Millis) {
        self.last_seen = Some(now);
    }

    pub fn absolute(&mut self, now: Millis, count: u32, confidence: Option<f64>) {
        self.occupancy = count;
        self.anchor_confidence = confidence.unwrap_or(1.0);
        self.anchored_at = Some(now);
        self.occupancy_at = now;
    }

    pub fn entered(&mut self, now: Millis, n: u32) {
        self.inflow.add(now, n);
        self.occupancy = self.occupancy.saturating_add(n);
        self.occupancy_at = now;
    }

    /// Returns true when the exit count exceeded the estimate and was clamped.
    pub fn exited(&mut self, now: Millis, n: u32) -> bool {
        self.outflow.add(now, n);
        self.occupancy_at = now;
        if n > self.occupancy {
            self.occupancy = 0;
            self.clamps += 1;
            true
        } else {
            self.occupancy -= n;
            false
        }
    }

    pub fn stale(&self, now: Millis, stale_after: Millis) -> bool {
        match self.last_seen {
            None => true,
            Some(t) => now - t > stale_after,
        }
    }

    /// Confidence halves every `half_life` since the last absolute count; with no
    /// absolute count at all, an estimate built from deltas alone starts at 0.5.
    pub fn confidence(&self, now: Millis, half_life: Millis) -> f64 {
        let (base, since) = match self.anchored_at {
            Some(t) => (self.anchor_confidence, now - t),
            None => (0.5, self.last_seen.map(|_| 0).unwrap_or(0)),
        };
        if self.last_seen.is_none() {
            return 0.0;
        }
        if half_life <= 0 {
            return base;
        }
        base * 0.5f64.powf(since.max(0) as f64 / half_life as f64)
    }

    pub fn density(&self, area_m2: f64) -> f64 {
        match self.sensed_density {
            Some((d, at)) if at >= self.occupancy_at => d,
            _ if area_m2 > 0.0 => f64::from(self.occupancy) / area_m2,
            _ => 0.0,
        }
    }

    /// Minutes until full at the faster of the net door flow over five minutes
    /// and the smoothed trend; -1.0 when the space is not filling.
    pub fn minutes_to_capacity(&self, capacity: u32, now: Millis) -> f64 {
        let occ = f64::from(self.occupancy);
        let cap = f64::from(capacity);
        let net = (self.inflow.last_5m(now) as f64 - self.outflow.last_5m(now) as f64) / 5.0;
        let trend = if self.holt.samples >= 2 {
            self.holt.trend
        } else {
            0.0
        };
        let rate = net.max(trend);
        if occ >= cap {
            0.0
        } else if rate > 0.05 {
            (cap - occ) / rate
        } else {
            -1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_slide_and_expire() {
        let mut w = FlowWindow::default();
        w.add(0, 5);
        w.add(30_000, 3);
        assert_eq!(w.last_1m(30_000), 8);
        assert_eq!(w.last_1m(65_000), 3);
        assert_eq!(w.last_5m(65_000), 8);
        assert_eq!(w.last_5m(300_000), 3);
        assert_eq!(w.last_5m(330_000), 0);
        w.add(1_000_000, 2);
        assert_eq!(w.last_5m(1_000_000), 2);
    }

    #[test]
    fn exits_beyond_estimate_clamp_and_count() {
        let mut s = SpaceState::default();
        s.entered(0, 3);
        assert!(s.exited(1, 5));
        assert_eq!(s.occupancy, 0);
        assert_eq!(s.clamps, 1);
    }

    #[test]
    fn holt_follows_a_ramp() {
        let mut h = Holt::default();
        for i in 0..20 {
            h.observe(10.0 * i as f64);
        }
        assert!(h.trend > 0.5, "{h:?}");
        assert!(
            h.forecast(10) > 190.0,
            "a ramp forecasts above its last value"
        );
        let flat = Holt {
            level: 50.0,
            trend: 0.0,
            samples: 3,
        };
        assert_eq!(flat.forecast(10), 50.0);
    }
}
