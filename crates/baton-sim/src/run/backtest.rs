//! The forecast's backtest: at fixed horizons before each session starts,
//! what the engine forecast (it sees only signals) against two naive
//! forecasts, scored afterwards against the twin's own count of the people
//! who came for it (seated, or refused at its door).

use super::*;
use crate::kpi::ForecastErrors;

/// Minutes before the published start at which forecasts are sampled.
pub const HORIZONS: [u32; 5] = [60, 30, 15, 5, 0];
/// The naive forecast's audience per bookmark: the inverse of the share of
/// attendees an organiser would assume bookmark (half).
pub const NAIVE_RATIO: f64 = 2.0;

/// One sample: (forecast, low, high, the room's count now, bookmarks x ratio).
pub(super) type Sample = [f64; 5];

impl Sim<'_> {
    pub(super) fn schedule_backtest(&mut self) {
        if !self.link.in_process() {
            return;
        }
        self.samples = vec![[None; HORIZONS.len()]; self.w.sessions.len()];
        for s in 0..self.w.sessions.len() {
            for (k, h) in HORIZONS.iter().enumerate() {
                let t = self.w.sessions[s].start - i64::from(*h) * 60_000;
                if t >= self.start {
                    self.at(t, Ev::Forecast(s as u32, k as u8));
                }
            }
        }
    }

    pub(super) fn sample_forecast(&mut self, s: u32, k: u8) {
        let Link::InProcess(eng) = &self.link else {
            return;
        };
        let (cfg, st) = (eng.config(), eng.state());
        let id = &self.w.sessions[s as usize].id;
        let Some(&se) = cfg.session_idx.get(id.as_str()) else {
            return;
        };
        let f = baton_core::forecast::session(cfg, st, se);
        let fill = baton_core::context::session_space(cfg, st, se)
            .map_or(0.0, |sp| f64::from(st.spaces[sp as usize].occupancy));
        let naive = f64::from(st.sessions[se as usize].bookmarks) * NAIVE_RATIO;
        if let Some(row) = self.samples.get_mut(s as usize) {
            row[k as usize] = Some([
                f.expected.max(0.0),
                f.low.max(0.0),
                f.high.max(0.0),
                fill,
                naive,
            ]);
        }
    }

    /// Mean absolute error per horizon over the sessions that ran.
    pub(super) fn backtest_rows(&self) -> Vec<ForecastErrors> {
        HORIZONS
            .iter()
            .enumerate()
            .map(|(k, &h)| {
                let mut e = ForecastErrors {
                    minutes_before: h,
                    ..ForecastErrors::default()
                };
                let mut covered = 0u32;
                for (s, row) in self.samples.iter().enumerate() {
                    let (Some(x), true) = (row[k], self.sessions.phase[s] == SessionPhase::Ended)
                    else {
                        continue;
                    };
                    let truth = f64::from(self.sessions.demand[s]);
                    e.sessions += 1;
                    e.mae_forecast += (x[0] - truth).abs();
                    e.bias_forecast += x[0] - truth;
                    e.mae_fill += (x[3] - truth).abs();
                    e.mae_bookmarks += (x[4] - truth).abs();
                    e.mean_demand += truth;
                    if x[1] <= truth && truth <= x[2] {
                        covered += 1;
                    }
                }
                if e.sessions > 0 {
                    let n = f64::from(e.sessions);
                    e.mae_forecast /= n;
                    e.bias_forecast /= n;
                    e.mae_fill /= n;
                    e.mae_bookmarks /= n;
                    e.mean_demand /= n;
                    e.coverage80 = f64::from(covered) / n;
                }
                e
            })
            .collect()
    }
}
