//! Uncertainty beyond seeds: the paired comparison of a policy set with
//! current practice at every point of a grid over the twin's assumptions.
//!
//! Seeds only vary the draws; the inputs that move results most (how many
//! come, how readily people follow advice, how unequal talks are, how many
//! run an app that pushes the feed, how fast volunteers sign a full room)
//! are assumptions. A claim **holds** when its paired 95% interval is
//! favourable at every point of the grid (full factorial).

use crate::kpi::{Better, KPIS};
use crate::run::RunError;
use crate::stats::Estimate;
use crate::study::{self, Case, Comparison, StudyOptions};
use crate::twin::Twin;
use crate::world::World;
use serde::Serialize;

/// One assumption the grid varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// Attendees as a share of the twin's number (1 = as configured).
    Attendance,
    /// The notification compliance: the chance a notice (Baton's or an
    /// app's push) about a talk is followed when the alternative adds no walk.
    Acceptance,
    /// σ of each talk's log-normal pull.
    Sigma,
    /// Share of app users whose app pushes the room-status feed.
    Push,
    /// Minutes volunteers take to sign a full room.
    Lag,
    /// Share of attendees who bookmark talks (their plans reach Baton).
    Bookmarks,
    /// Share of session rooms with a door counter (`all`, `half`, `none`
    /// or a number).
    Counters,
    /// Utility of staying in a room for its next talk.
    Turnover,
    /// Seconds door staff take to see a room at its limit.
    DoorLag,
}

impl Dim {
    pub const ALL: [(&'static str, Dim); 9] = [
        ("attendance", Dim::Attendance),
        ("acceptance", Dim::Acceptance),
        ("sigma", Dim::Sigma),
        ("push", Dim::Push),
        ("lag", Dim::Lag),
        ("bookmarks", Dim::Bookmarks),
        ("counters", Dim::Counters),
        ("turnover", Dim::Turnover),
        ("door_lag", Dim::DoorLag),
    ];

    pub fn name(self) -> &'static str {
        Dim::ALL
            .iter()
            .find(|(_, d)| *d == self)
            .map_or("?", |(n, _)| n)
    }

    fn check(self, v: f64) -> Result<(), String> {
        let ok = match self {
            Dim::Attendance => v > 0.0 && v <= 10.0,
            Dim::Acceptance | Dim::Push | Dim::Bookmarks | Dim::Counters => {
                (0.0..=1.0).contains(&v)
            }
            Dim::Turnover => (-5.0..=5.0).contains(&v),
            Dim::DoorLag => (0.0..=600.0).contains(&v),
            Dim::Sigma => (0.0..=3.0).contains(&v),
            Dim::Lag => (0.0..=240.0).contains(&v),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{}={v} is out of range", self.name()))
        }
    }

    fn apply(self, v: f64, twin: &mut Twin) {
        match self {
            Dim::Attendance => twin.attendees = (f64::from(twin.attendees) * v).round() as u32,
            Dim::Acceptance => twin.compliance_notification = v,
            Dim::Sigma => twin.popularity_sigma = v,
            Dim::Push => twin.practice_push = v,
            Dim::Lag => twin.practice_lag = (v * 60_000.0).round() as i64,
            Dim::Bookmarks => {
                twin.bookmark_share = v;
                twin.app_share = twin.app_share.max(v);
            }
            Dim::Counters => twin.counters = v,
            Dim::Turnover => twin.shape.stay = v,
            Dim::DoorLag => twin.door_lag = (v * 1000.0).round() as i64,
        }
    }
}

/// The grid: each dimension with its values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Grid {
    pub dims: Vec<(Dim, Vec<f64>)>,
}

/// Most points a grid may have (each point runs every seed three times).
pub const MAX_POINTS: usize = 1_000;

impl Grid {
    /// Reads `key=v1,v2,…` items, e.g. `attendance=0.8,1,1.2 sigma=0.5,1.5`.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Grid, String> {
        let mut grid = Grid::default();
        for item in items {
            let item = item.as_ref();
            let (key, values) = item
                .split_once('=')
                .ok_or_else(|| format!("grid item {item:?} is not key=v1,v2,…"))?;
            let dim = Dim::ALL
                .iter()
                .find(|(n, _)| *n == key)
                .map(|(_, d)| *d)
                .ok_or_else(|| {
                    let known: Vec<&str> = Dim::ALL.iter().map(|(n, _)| *n).collect();
                    format!("grid dimension {key:?} is not one of {}", known.join(", "))
                })?;
            if grid.dims.iter().any(|(d, _)| *d == dim) {
                return Err(format!("grid dimension {key} is given twice"));
            }
            let mut vs = Vec::new();
            for v in values.split(',') {
                let x: f64 = match (dim, v.trim()) {
                    (Dim::Counters, "all") => 1.0,
                    (Dim::Counters, "half") => 0.5,
                    (Dim::Counters, "none") => 0.0,
                    (_, v) => v
                        .parse()
                        .map_err(|_| format!("grid value {key}={v:?} is not a number"))?,
                };
                dim.check(x)?;
                vs.push(x);
            }
            grid.dims.push((dim, vs));
        }
        if grid.dims.is_empty() {
            return Err("the grid names no dimension".into());
        }
        let points = grid
            .dims
            .iter()
            .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()));
        match points {
            Some(n) if n <= MAX_POINTS => Ok(grid),
            _ => Err(format!("the grid has more than {MAX_POINTS} points")),
        }
    }

    /// Every combination, the last dimension varying fastest.
    pub fn points(&self) -> Vec<Vec<(Dim, f64)>> {
        let mut out: Vec<Vec<(Dim, f64)>> = vec![Vec::new()];
        for (dim, values) in &self.dims {
            out = out
                .into_iter()
                .flat_map(|p| {
                    values.iter().map(move |&v| {
                        let mut q = p.clone();
                        q.push((*dim, v));
                        q
                    })
                })
                .collect();
        }
        out
    }
}

/// A point's label, e.g. `attendance=0.8 sigma=1.5`.
pub fn label(point: &[(Dim, f64)]) -> String {
    point
        .iter()
        .map(|(d, v)| format!("{}={v}", d.name()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One KPI over the grid: its worst and best point for the policy set
/// (by the paired difference's mean) and whether the claim holds.
#[derive(Debug, Clone, Serialize)]
pub struct KpiRange {
    pub kpi: &'static str,
    pub label: &'static str,
    pub worst: (String, Estimate),
    pub best: (String, Estimate),
    /// Significantly in the policy set's favour at every point.
    pub holds: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct GridReport {
    pub a: String,
    pub b: String,
    pub points: Vec<(String, Comparison)>,
    pub kpis: Vec<KpiRange>,
}

/// Runs `a` against `b` (both as given: policies and practice) at every
/// grid point on the same seeds. `progress` is called after each run.
pub fn run_grid(
    world: &World,
    twin: &Twin,
    grid: &Grid,
    a: &Case,
    b: &Case,
    opts: StudyOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<GridReport, RunError> {
    let cases = [a.clone(), b.clone()];
    let mut points = Vec::new();
    for point in grid.points() {
        let mut t = twin.clone();
        for &(dim, v) in &point {
            dim.apply(v, &mut t);
        }
        let runs = study::run_study(world, &t, &cases, opts, progress)?;
        points.push((label(&point), study::compare(&runs[0], &runs[1])));
    }
    let kpis = KPIS
        .iter()
        .enumerate()
        .filter_map(|(k, def)| {
            let at = |i: usize| &points[i].1.kpis[k];
            let order = |i: usize| match def.better {
                Better::Higher => -at(i).diff.mean,
                Better::Lower | Better::Neither => at(i).diff.mean,
            };
            let idx: Vec<usize> = (0..points.len())
                .filter(|&i| at(i).diff.mean.is_finite())
                .collect();
            let worst = *idx
                .iter()
                .max_by(|&&x, &&y| order(x).total_cmp(&order(y)))?;
            let best = *idx
                .iter()
                .min_by(|&&x, &&y| order(x).total_cmp(&order(y)))?;
            let holds = def.better != Better::Neither
                && idx.len() == points.len()
                && (0..points.len()).all(|i| at(i).favours.as_deref() == Some(a.name.as_str()));
            Some(KpiRange {
                kpi: def.key,
                label: def.label,
                worst: (points[worst].0.clone(), at(worst).diff),
                best: (points[best].0.clone(), at(best).diff),
                holds,
            })
        })
        .collect();
    Ok(GridReport {
        a: a.name.clone(),
        b: b.name.clone(),
        points,
        kpis,
    })
}

/// The report as a Markdown table: per KPI, the worst and best point.
pub fn table(r: &GridReport) -> String {
    let est = |e: &Estimate| format!("{:.1} [{:.1}, {:.1}]", e.mean, e.lo, e.hi);
    let mut out = format!(
        "| KPI ({} − {}) | worst point | difference there | best point | difference there | holds everywhere |\n|---|---|---|---|---|---|\n",
        r.a, r.b
    );
    for k in &r.kpis {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            k.label,
            k.worst.0,
            est(&k.worst.1),
            k.best.0,
            est(&k.best.1),
            if k.holds { "**yes**" } else { "no" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_make_a_full_factorial_and_bad_items_are_named() {
        let g = Grid::parse(&["attendance=0.8,1.2", "sigma=0.5,1,1.5"]).expect("grid");
        let p = g.points();
        assert_eq!(p.len(), 6);
        assert_eq!(label(&p[0]), "attendance=0.8 sigma=0.5");
        assert_eq!(label(&p[5]), "attendance=1.2 sigma=1.5");
        for (bad, says) in [
            ("colour=1", "not one of"),
            ("sigma", "key=v1"),
            ("sigma=x", "not a number"),
            ("push=1.5", "out of range"),
        ] {
            let e = Grid::parse(&[bad]).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert!(
            Grid::parse(&["sigma=1", "sigma=2"])
                .expect_err("twice")
                .contains("twice")
        );
        let wide: Vec<String> = ["attendance", "acceptance", "sigma", "push", "lag"]
            .iter()
            .map(|k| format!("{k}={}", ["0.1"; 5].join(",")))
            .collect();
        assert!(Grid::parse(&wide).expect_err("big").contains("points"));
    }
}
