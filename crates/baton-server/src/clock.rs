//! The shell's clock: the only place that reads wall time. The core sees
//! only the journal times the core thread stamps from it.
//!
//! A manual clock never reads the wall: journal time moves only when an
//! admin advances it (`POST /v1/clock/advance`), so tests and rehearsals
//! can fire timers (override expiry, approval timeouts) without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Where journal time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// The wall clock, possibly accelerated (`speed`) from a start moment.
    #[default]
    Wall,
    /// Frozen until advanced by an admin.
    Manual,
}

impl ClockMode {
    pub fn parse(s: &str) -> Option<ClockMode> {
        match s {
            "wall" => Some(ClockMode::Wall),
            "manual" => Some(ClockMode::Manual),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClockMode::Wall => "wall",
            ClockMode::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Clock {
    speed: f64,
    origin: i64,
    started: Instant,
    /// Set for a manual clock: the current journal time, moved only by `advance`.
    manual: Option<Arc<AtomicI64>>,
}

fn wall_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    /// `speed` 1 with no start is the wall clock; the demo runs faster from
    /// a chosen moment of the event day.
    pub fn new(speed: f64, start_at: Option<i64>) -> Clock {
        Clock {
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            origin: start_at.unwrap_or_else(wall_now),
            started: Instant::now(),
            manual: None,
        }
    }

    /// A clock that stands at `start_at` (or now) until advanced.
    pub fn manual(start_at: Option<i64>) -> Clock {
        let origin = start_at.unwrap_or_else(wall_now);
        Clock {
            speed: 1.0,
            origin,
            started: Instant::now(),
            manual: Some(Arc::new(AtomicI64::new(origin))),
        }
    }

    pub fn mode(&self) -> ClockMode {
        if self.manual.is_some() {
            ClockMode::Manual
        } else {
            ClockMode::Wall
        }
    }

    pub fn now_ms(&self) -> i64 {
        if let Some(m) = &self.manual {
            return m.load(Ordering::SeqCst);
        }
        let real = self.started.elapsed().as_secs_f64() * 1000.0;
        self.origin + (real * self.speed) as i64
    }

    /// Moves a manual clock forward by `ms` and returns the new time; a
    /// wall clock cannot be moved (`None`).
    pub fn advance(&self, ms: i64) -> Option<i64> {
        let m = self.manual.as_ref()?;
        let ms = ms.max(0);
        Some(m.fetch_add(ms, Ordering::SeqCst) + ms)
    }

    /// Wall milliseconds until journal time advances by `ms` (a manual
    /// clock never advances by itself: the core waits its longest).
    pub fn wall_ms(&self, ms: i64) -> u64 {
        if self.manual.is_some() {
            return 1000;
        }
        ((ms as f64) / self.speed).max(1.0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let c = Clock::manual(Some(1_000));
        assert_eq!(c.now_ms(), 1_000);
        assert_eq!(c.clone().advance(60_000), Some(61_000));
        assert_eq!(c.now_ms(), 61_000);
        assert_eq!(Clock::new(1.0, None).advance(1), None);
    }
}
