//! The outcome KPIs of DESIGN.md, per run, and their summaries over seeds.

use baton_model::Millis;
use serde::Serialize;

/// One run's outcomes. A KPI with nothing to measure (no redirect was
/// sent, nobody was dispatched) is NaN and left out of means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Kpis {
    /// The headline: people denied at least one talk they meant to attend.
    pub denied_people: f64,
    /// Share of the talks people wanted before the doors opened that they
    /// got a seat in (summed over people, then divided).
    pub wanted_attended_share: f64,
    /// People who sat in a talk they had not planned (sent or fallen back
    /// there after a refusal, a notice or a sign).
    pub displaced_people: f64,
    /// Talks people meant to attend and were denied, summed over people:
    /// the headline's count, which keeps discriminating when nearly
    /// everyone is denied something (a large event with small rooms).
    pub talks_denied: f64,
    pub above_capacity_min: f64,
    /// Attendee-minutes in session rooms above seats plus the declared
    /// standing limit (door staff let people in before they saw it reached).
    pub above_limit_min: f64,
    pub turned_away: f64,
    pub los_ef_min: f64,
    pub notifications_mean: f64,
    pub notifications_max: f64,
    pub notifications_p95: f64,
    pub wasted_trips: f64,
    pub queue_min: f64,
    pub redirect_acceptance: f64,
    pub staff_response_min: f64,
    pub actions_failed: f64,
}

/// Which way is better, for flagging improvements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
    Neither,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct KpiDef {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub better: Better,
}

pub const KPIS: [KpiDef; 16] = [
    KpiDef {
        key: "denied_people",
        label: "people denied a talk they meant to attend",
        unit: "people",
        better: Better::Lower,
    },
    KpiDef {
        key: "talks_denied",
        label: "talks denied (summed over people)",
        unit: "talks",
        better: Better::Lower,
    },
    KpiDef {
        key: "wanted_attended_share",
        label: "share of wanted talks attended",
        unit: "share",
        better: Better::Higher,
    },
    KpiDef {
        key: "displaced_people",
        label: "people displaced to a talk they had not planned",
        unit: "people",
        better: Better::Neither,
    },
    KpiDef {
        key: "above_capacity_min",
        label: "attendee-minutes above capacity",
        unit: "min",
        better: Better::Lower,
    },
    KpiDef {
        key: "above_limit_min",
        label: "attendee-minutes above seats plus standing limit",
        unit: "min",
        better: Better::Lower,
    },
    KpiDef {
        key: "turned_away",
        label: "refusals at a full door",
        unit: "refusals",
        better: Better::Lower,
    },
    KpiDef {
        key: "los_ef_min",
        label: "circulation space-minutes at Fruin E or F",
        unit: "min",
        better: Better::Lower,
    },
    KpiDef {
        key: "notifications_mean",
        label: "notifications per attendee, mean",
        unit: "",
        better: Better::Neither,
    },
    KpiDef {
        key: "notifications_max",
        label: "notifications per attendee, max",
        unit: "",
        better: Better::Neither,
    },
    KpiDef {
        key: "notifications_p95",
        label: "notifications per attendee, 95th percentile",
        unit: "",
        better: Better::Neither,
    },
    KpiDef {
        key: "wasted_trips",
        label: "wasted trips (walked to a room, did not get in)",
        unit: "trips",
        better: Better::Lower,
    },
    KpiDef {
        key: "queue_min",
        label: "attendee-minutes waiting at doors",
        unit: "min",
        better: Better::Lower,
    },
    KpiDef {
        key: "redirect_acceptance",
        label: "redirect acceptance",
        unit: "share",
        better: Better::Higher,
    },
    KpiDef {
        key: "staff_response_min",
        label: "staff response, dispatch to arrival",
        unit: "min",
        better: Better::Lower,
    },
    KpiDef {
        key: "actions_failed",
        label: "actions failed, expired or dead-lettered",
        unit: "actions",
        better: Better::Lower,
    },
];

impl Kpis {
    pub fn values(&self) -> [f64; 16] {
        [
            self.denied_people,
            self.talks_denied,
            self.wanted_attended_share,
            self.displaced_people,
            self.above_capacity_min,
            self.above_limit_min,
            self.turned_away,
            self.los_ef_min,
            self.notifications_mean,
            self.notifications_max,
            self.notifications_p95,
            self.wasted_trips,
            self.queue_min,
            self.redirect_acceptance,
            self.staff_response_min,
            self.actions_failed,
        ]
    }
}

/// Everything one run hands back: KPIs and the raw series for charts.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub kpis: Kpis,
    /// Journal time of the first occupancy sample.
    pub minute0: Millis,
    /// Occupancy of every space, minute by minute (minute-major), if asked for.
    pub series: Vec<u32>,
    /// People on site, minute by minute from `minute0`, if asked for.
    pub present: Vec<u32>,
    /// Minutes each space spent at levels A to F.
    pub los_minutes: Vec<[f64; 6]>,
    /// Attendee-minutes above capacity, per space.
    pub above_by_space: Vec<f64>,
    /// Notifications each attendee received.
    pub notifications: Vec<u16>,
    pub decisions: u64,
    pub signals: u64,
    pub entries: u64,
    pub events: u64,
    pub sign_followed: u64,
    pub attendees: u32,
    /// Attendees who had left the venue when the day ended.
    pub left: u32,
    /// Sessions the oracle's room plan moved (0 for every other case).
    pub rooms_moved: u32,
    /// Room moves the engine published and the twin carried out.
    pub moves: u64,
    /// People who found a moved session's old door and walked on.
    pub moved_walk_on: u64,
    /// App users who opened their recommendations for a likely-full
    /// bookmark, and those who went where the top item said instead.
    pub consulted: u64,
    pub consult_followed: u64,
    /// The forecast's backtest, per horizon (empty without the engine).
    pub backtest: Vec<ForecastErrors>,
}

/// How far the engine's session forecast, and two naive ones, were from
/// the people who came, at one horizon before the start.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ForecastErrors {
    pub minutes_before: u32,
    pub sessions: u32,
    /// Mean people who came per session.
    pub mean_demand: f64,
    pub mae_forecast: f64,
    /// Mean signed error of the forecast (positive: too high).
    pub bias_forecast: f64,
    /// The room's count at that moment, taken as the forecast.
    pub mae_fill: f64,
    /// Bookmarks x a fixed 2.0.
    pub mae_bookmarks: f64,
    /// Share of sessions whose count fell in the forecast's 80% interval.
    pub coverage80: f64,
}
