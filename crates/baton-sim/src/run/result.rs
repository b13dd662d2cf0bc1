//! The run's result, gathered when the day ends.

use super::*;

impl Sim<'_> {
    pub(super) fn finish(mut self, start: Millis) -> RunResult {
        for sp in 0..self.w.spaces.len() as u16 {
            self.touch(sp);
        }
        let circulation: Vec<bool> = self.w.spaces.iter().map(|s| !s.holds_sessions).collect();
        let kpis = self.tally.kpis(&self.agents, &circulation);
        let notified: Vec<u16> = self.agents.iter().map(|a| a.notified).collect();
        RunResult {
            kpis,
            minute0: start,
            series: self.tally.series.take().unwrap_or_default(),
            present: std::mem::take(&mut self.tally.present),
            los_minutes: self
                .tally
                .los_ms
                .iter()
                .map(|l| l.map(|ms| ms / 60_000.0))
                .collect(),
            notifications: notified,
            above_by_space: self
                .tally
                .above_by_space
                .iter()
                .map(|ms| ms / 60_000.0)
                .collect(),
            decisions: self.tally.decisions,
            signals: self.sig_n,
            entries: self.seq,
            events: self.events,
            rooms_moved: 0,
            moves: self.tally.moves,
            moved_walk_on: self.tally.moved_walk_on,
            consulted: self.consult.asked,
            consult_followed: self.consult.followed,
            backtest: self.backtest_rows(),
            sign_followed: self.tally.sign_followed,
            attendees: self.agents.len() as u32,
            left: self
                .agents
                .iter()
                .filter(|a| a.phase == Phase::Gone)
                .count() as u32,
        }
    }
}
