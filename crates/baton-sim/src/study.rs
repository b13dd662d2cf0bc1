//! Many runs: policy sets × seeds, spread over threads, summarised as KPI
//! estimates and paired comparisons.

use crate::kpi::{Better, KPIS, RunResult};
use crate::run::{RunError, RunOptions, run};
use crate::stats::{Estimate, estimate, paired};
use crate::twin::Twin;
use crate::world::World;
use baton_model::PolicySet;
use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A named policy set to simulate.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub policies: PolicySet,
    /// Current practice runs alongside (FULL signs, the room-status feed).
    pub practice: bool,
    /// The perfect-foresight room plan replaces the published one.
    pub oracle: bool,
    /// App users consult Baton's recommendations (`run/consult.rs`).
    pub recommendations: bool,
}

/// The same policies with every one switched off: "no orchestration".
pub fn no_orchestration(p: &PolicySet) -> PolicySet {
    let mut off = p.clone();
    for pol in &mut off.policies {
        pol.mode = baton_model::Mode::Off;
    }
    off
}

#[derive(Debug, Clone, Copy)]
pub struct StudyOptions {
    pub seeds: u32,
    pub first_seed: u64,
    pub threads: usize,
    pub compliance: Option<f64>,
}

/// One case's runs, in seed order.
#[derive(Debug)]
pub struct CaseRuns {
    pub name: String,
    pub runs: Vec<RunResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KpiEstimate {
    pub kpi: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    #[serde(flatten)]
    pub estimate: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct KpiDiff {
    pub kpi: &'static str,
    pub label: &'static str,
    /// Mean of per-seed `a - b`, with its 95% interval.
    pub diff: Estimate,
    pub significant: bool,
    /// Which side the significant difference favours, if the KPI has a better direction.
    pub favours: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub kpis: Vec<KpiDiff>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub name: String,
    pub kpis: Vec<KpiEstimate>,
    pub decisions_mean: f64,
    pub signals_mean: f64,
}

/// What `baton sim --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub event: String,
    pub seeds: Vec<u64>,
    pub attendees: u32,
    pub compliance_notification: f64,
    pub compliance_sign: f64,
    pub cases: Vec<CaseSummary>,
    pub comparisons: Vec<Comparison>,
}

/// Runs every case on the same seeds. `progress` is called after each run.
pub fn run_study(
    world: &World,
    twin: &Twin,
    cases: &[Case],
    opts: StudyOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<CaseRuns>, RunError> {
    let seeds: Vec<u64> = (0..u64::from(opts.seeds))
        .map(|i| opts.first_seed.wrapping_add(i))
        .collect();
    let jobs: Vec<(usize, usize)> = (0..seeds.len())
        .flat_map(|s| (0..cases.len()).map(move |c| (c, s)))
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<RunResult, RunError>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    let threads = opts.threads.clamp(1, jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(c, s)) = jobs.get(i) else { break };
                    let r = run(
                        world,
                        twin,
                        &cases[c].policies,
                        RunOptions {
                            seed: seeds[s],
                            compliance: opts.compliance,
                            series: s == 0,
                            practice: cases[c].practice,
                            oracle: cases[c].oracle,
                            recommendations: cases[c].recommendations,
                        },
                    );
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(r);
                    }
                    progress();
                }
            });
        }
    });
    let all = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut out: Vec<CaseRuns> = cases
        .iter()
        .map(|c| CaseRuns {
            name: c.name.clone(),
            runs: Vec::new(),
        })
        .collect();
    for (i, r) in all.into_iter().enumerate() {
        let (c, _) = jobs[i];
        match r {
            Some(Ok(r)) => out[c].runs.push(r),
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
    Ok(out)
}

fn column(runs: &[RunResult], k: usize) -> Vec<f64> {
    runs.iter().map(|r| r.kpis.values()[k]).collect()
}

pub fn summarise(case: &CaseRuns) -> CaseSummary {
    let n = case.runs.len().max(1) as f64;
    CaseSummary {
        name: case.name.clone(),
        kpis: KPIS
            .iter()
            .enumerate()
            .map(|(k, d)| KpiEstimate {
                kpi: d.key,
                label: d.label,
                unit: d.unit,
                estimate: estimate(&column(&case.runs, k)),
            })
            .collect(),
        decisions_mean: case.runs.iter().map(|r| r.decisions as f64).sum::<f64>() / n,
        signals_mean: case.runs.iter().map(|r| r.signals as f64).sum::<f64>() / n,
    }
}

pub fn compare(a: &CaseRuns, b: &CaseRuns) -> Comparison {
    Comparison {
        a: a.name.clone(),
        b: b.name.clone(),
        kpis: KPIS
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let diff = paired(&column(&a.runs, k), &column(&b.runs, k));
                let significant = diff.significant();
                let favours = match (significant, d.better) {
                    (false, _) | (_, Better::Neither) => None,
                    (true, Better::Lower) => Some(if diff.mean < 0.0 { &a.name } else { &b.name }),
                    (true, Better::Higher) => Some(if diff.mean > 0.0 { &a.name } else { &b.name }),
                }
                .cloned();
                KpiDiff {
                    kpi: d.key,
                    label: d.label,
                    diff,
                    significant,
                    favours,
                }
            })
            .collect(),
    }
}

/// Summaries of every case, and the first case compared with each other one.
pub fn summary(world: &World, twin: &Twin, cases: &[CaseRuns], opts: StudyOptions) -> Summary {
    // The first case (the policy set under study) against each other one.
    let comparisons = cases
        .iter()
        .skip(1)
        .map(|b| compare(&cases[0], b))
        .collect();
    Summary {
        event: world.spec.event.name.clone(),
        seeds: (0..u64::from(opts.seeds))
            .map(|i| opts.first_seed.wrapping_add(i))
            .collect(),
        attendees: cases
            .first()
            .and_then(|c| c.runs.first())
            .map_or(twin.attendees, |r| r.attendees),
        compliance_notification: opts.compliance.unwrap_or(twin.compliance_notification),
        compliance_sign: opts.compliance.unwrap_or(twin.compliance_sign),
        cases: cases.iter().map(summarise).collect(),
        comparisons,
    }
}

/// The share of the gap between `practice` and `bound` on KPI `key` that
/// `policy` closes: `(practice − policy) / (practice − bound)`, from the
/// means over seeds (1 = as good as the bound, 0 = no better than practice,
/// negative = worse). `None` when a case is missing or the gap is empty.
pub fn gap_closed(
    s: &Summary,
    key: &str,
    policy: &str,
    practice: &str,
    bound: &str,
) -> Option<f64> {
    let mean = |case: &str| {
        s.cases
            .iter()
            .find(|c| c.name == case)?
            .kpis
            .iter()
            .find(|k| k.kpi == key)
            .map(|k| k.estimate.mean)
    };
    let (p, x, b) = (mean(practice)?, mean(policy)?, mean(bound)?);
    let gap = p - b;
    (gap.abs() > 1e-9 && gap.is_finite() && x.is_finite()).then(|| (p - x) / gap)
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        "n/a".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn est(e: &Estimate) -> String {
    if !e.mean.is_finite() {
        return "n/a".into();
    }
    format!("{} [{}, {}]", num(e.mean), num(e.lo), num(e.hi))
}

/// The KPI table as Markdown: one column per case, then each comparison.
pub fn table(s: &Summary) -> String {
    let mut out = String::new();
    out.push_str("| KPI |");
    for c in &s.cases {
        out.push_str(&format!(" {} |", c.name));
    }
    for c in &s.comparisons {
        out.push_str(&format!(" {} − {} |", c.a, c.b));
    }
    out.push('\n');
    out.push_str("|---|");
    for _ in 0..s.cases.len() + s.comparisons.len() {
        out.push_str("---|");
    }
    out.push('\n');
    for (k, d) in KPIS.iter().enumerate() {
        out.push_str(&format!("| {} |", d.label));
        for c in &s.cases {
            out.push_str(&format!(" {} |", est(&c.kpis[k].estimate)));
        }
        for c in &s.comparisons {
            let kd = &c.kpis[k];
            let mark = match &kd.favours {
                Some(w) => format!(" **✔ {w}**"),
                None if kd.significant => " *".to_string(),
                None => String::new(),
            };
            out.push_str(&format!(" {}{} |", est(&kd.diff), mark));
        }
        out.push('\n');
    }
    out
}
