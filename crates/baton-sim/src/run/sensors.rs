//! The twin's sensors: what the engine is told about the crowd, with the
//! twin file's noise and dropouts (the engine never sees the truth).

use super::*;

impl Sim<'_> {
    pub(super) fn sensors(&mut self) {
        for sp in 0..self.w.spaces.len() as u16 {
            // Draws happen whatever the outcome, so every policy set sees
            // the same sensor randomness.
            let lost = self.sensor_rng.random::<f64>() < self.t.sensor_dropout;
            let z = normal(&mut self.sensor_rng);
            if lost || self.dark(sp) {
                continue;
            }
            let o = f64::from(self.occ[sp as usize]);
            let count = (o * (1.0 + self.t.sensor_noise * z)).round().max(0.0) as u32;
            self.signal(
                "twin-sensor",
                SignalType::SpaceOccupancy,
                self.w.spaces[sp as usize].id.clone(),
                SignalData::Occupancy {
                    count,
                    confidence: None,
                },
            );
            if Some(sp) == self.w.registration {
                let length = self.desk.queue.len() as u32;
                let wait = f64::from(length) * self.t.service as f64
                    / 1000.0
                    / f64::from(self.desk.desks.max(1));
                self.signal(
                    "twin-sensor",
                    SignalType::QueueLength,
                    self.w.spaces[sp as usize].id.clone(),
                    SignalData::QueueLength {
                        length,
                        wait_s: Some(wait),
                    },
                );
            }
        }
    }
}
