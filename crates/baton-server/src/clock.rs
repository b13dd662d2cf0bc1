//! The shell's clock: the only place that reads wall time. The core sees
//! only the journal times the core thread stamps from it.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct Clock {
    speed: f64,
    origin: i64,
    started: Instant,
}

impl Clock {
    /// `speed` 1 with no start is the wall clock; the demo runs faster from
    /// a chosen moment of the event day.
    pub fn new(speed: f64, start_at: Option<i64>) -> Clock {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Clock {
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            origin: start_at.unwrap_or(wall),
            started: Instant::now(),
        }
    }

    pub fn now_ms(&self) -> i64 {
        let real = self.started.elapsed().as_secs_f64() * 1000.0;
        self.origin + (real * self.speed) as i64
    }

    /// Wall milliseconds until journal time advances by `ms`.
    pub fn wall_ms(&self, ms: i64) -> u64 {
        ((ms as f64) / self.speed).max(1.0) as u64
    }
}
