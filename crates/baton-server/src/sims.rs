//! What-if runs from the server: the twin compares two policy sets on the
//! running event, in the background, one run at a time.
//!
//! A run uses one thread of its own, never the core thread or the async
//! runtime, so a what-if cannot slow ingest or decisions by more than a core.

use baton_model::{PolicySet, Spec};
use baton_sim::study::{self, Case, StudyOptions};
use baton_sim::{Twin, World};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Finished runs kept for `GET`; older ones are dropped.
const KEEP: usize = 10;
pub const MAX_SEEDS: u32 = 50;

#[derive(Debug)]
pub struct Job {
    pub id: String,
    pub total: usize,
    pub done: AtomicUsize,
    pub started_by: String,
    result: Mutex<JobResult>,
}

#[derive(Debug, Clone, Default)]
struct JobResult {
    state: &'static str,
    error: Option<String>,
    table: Value,
    charts: Value,
    summary: Value,
}

/// The server's what-if runs.
#[derive(Debug, Default)]
pub struct Simulations {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    jobs: BTreeMap<u64, Arc<Job>>,
    running: bool,
}

/// One side of a comparison, as the caller named it.
pub enum Side {
    Live,
    None,
    Yaml(String),
}

impl Side {
    pub fn parse(v: Option<&str>) -> Side {
        match v.map(str::trim) {
            None | Some("live") => Side::Live,
            Some("none") => Side::None,
            Some(text) => Side::Yaml(text.to_string()),
        }
    }

    fn label(&self, which: &str) -> String {
        match self {
            Side::Live => "live policies".into(),
            Side::None => "no orchestration".into(),
            Side::Yaml(_) => format!("policy set {which}"),
        }
    }

    /// Resolves to a policy set, or an error naming the field.
    pub fn resolve(&self, field: &str, spec: &Spec, live: &PolicySet) -> Result<PolicySet, String> {
        match self {
            Side::Live => Ok(live.clone()),
            Side::None => Ok(study::no_orchestration(live)),
            Side::Yaml(text) => {
                baton_spec::policies_from_yaml(field, text, spec).map_err(|d| baton_spec::lines(&d))
            }
        }
    }
}

pub struct Request {
    pub event_dir: PathBuf,
    /// The running configuration: its spec is the one simulated.
    pub config: Arc<baton_core::Compiled>,
    pub a: (String, PolicySet),
    pub b: (String, PolicySet),
    pub seeds: u32,
    pub actor: String,
    /// Journal time now: the what-if simulates the event day it falls on.
    pub now: i64,
}

/// Which programme day (from 1) holds local time `now`; day 1 before the
/// event and the last day after it.
pub fn day_of(spec: &Spec, now: i64) -> u32 {
    let off = i64::from(spec.event.utc_offset_s) * 1000;
    let mut days: Vec<i64> = spec
        .sessions
        .iter()
        .map(|s| (s.start + off).div_euclid(86_400_000))
        .collect();
    days.sort_unstable();
    days.dedup();
    let today = (now + off).div_euclid(86_400_000);
    match days.binary_search(&today) {
        Ok(i) => i as u32 + 1,
        Err(0) => 1,
        Err(i) => i as u32,
    }
}

/// Why a what-if did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("a simulation is already running; one runs at a time")]
    Busy,
    #[error(transparent)]
    World(#[from] baton_sim::WorldError),
    #[error(transparent)]
    Twin(#[from] baton_sim::twin::TwinError),
    #[error("the simulation could not start: {0}")]
    Internal(String),
}

impl Simulations {
    /// Starts a run, or says why not.
    pub fn start(self: &Arc<Self>, req: Request) -> Result<Arc<Job>, StartError> {
        let world = World::new(&req.config.spec, day_of(&req.config.spec, req.now))?;
        let twin = baton_sim::load_twin(&req.event_dir, &world)?;
        let job = {
            let mut inner = self
                .inner
                .lock()
                .map_err(|_| StartError::Internal("poisoned".into()))?;
            if inner.running {
                return Err(StartError::Busy);
            }
            inner.running = true;
            inner.next += 1;
            let id = inner.next;
            let job = Arc::new(Job {
                id: format!("sim-{id}"),
                total: req.seeds as usize * 2,
                done: AtomicUsize::new(0),
                started_by: req.actor.clone(),
                result: Mutex::new(JobResult {
                    state: "running",
                    ..Default::default()
                }),
            });
            inner.jobs.insert(id, job.clone());
            while inner.jobs.len() > KEEP {
                inner.jobs.pop_first();
            }
            job
        };
        let me = self.clone();
        let j = job.clone();
        let spawned = std::thread::Builder::new()
            .name("baton-sim".into())
            .spawn(move || {
                // A panic in a run must not leave the server refusing every
                // later what-if as "already running".
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run(&world, &twin, req, &j)
                }))
                .unwrap_or_else(|_| JobResult {
                    state: "failed",
                    error: Some("the simulation stopped on an internal error".into()),
                    ..Default::default()
                });
                if let Ok(mut r) = j.result.lock() {
                    *r = result;
                }
                if let Ok(mut inner) = me.inner.lock() {
                    inner.running = false;
                }
            });
        if let Err(e) = spawned {
            if let Ok(mut inner) = self.inner.lock() {
                inner.running = false;
            }
            return Err(StartError::Internal(format!(
                "cannot start the simulation thread: {e}"
            )));
        }
        Ok(job)
    }

    pub fn get(&self, id: &str) -> Option<Value> {
        let n: u64 = id.strip_prefix("sim-")?.parse().ok()?;
        let job = self.inner.lock().ok()?.jobs.get(&n)?.clone();
        Some(job.view())
    }

    pub fn list(&self) -> Value {
        let jobs: Vec<Arc<Job>> = match self.inner.lock() {
            Ok(i) => i.jobs.values().cloned().collect(),
            Err(_) => Vec::new(),
        };
        json!({"items": jobs.iter().rev().map(|j| {
            let mut v = j.view();
            if let Some(o) = v.as_object_mut() {
                o.remove("charts");
            }
            v
        }).collect::<Vec<_>>()})
    }
}

impl Job {
    pub fn view(&self) -> Value {
        let r = self.result.lock().map(|r| r.clone()).unwrap_or_default();
        json!({
            "id": self.id,
            "state": r.state,
            "done": self.done.load(Ordering::Relaxed).min(self.total),
            "total": self.total,
            "started_by": self.started_by,
            "error": r.error,
            "table": r.table,
            "charts": r.charts,
            "summary": r.summary,
        })
    }
}

fn run(world: &World, twin: &Twin, req: Request, job: &Job) -> JobResult {
    let cases = vec![
        // Two policy sets on the bare twin, without current practice's FULL
        // signs and feed pushes: the what-if answers "A or B?"; `baton sim`
        // is where current practice is the baseline.
        Case {
            name: req.a.0,
            policies: req.a.1,
            practice: false,
            oracle: false,
            recommendations: false,
        },
        Case {
            name: req.b.0,
            policies: req.b.1,
            practice: false,
            oracle: false,
            recommendations: false,
        },
    ];
    let opts = StudyOptions {
        seeds: req.seeds,
        first_seed: 1,
        threads: 1,
        compliance: None,
    };
    let tick = || {
        job.done.fetch_add(1, Ordering::Relaxed);
    };
    let runs = match study::run_study(world, twin, &cases, opts, &tick) {
        Ok(r) => r,
        Err(e) => {
            return JobResult {
                state: "failed",
                error: Some(e.to_string()),
                ..Default::default()
            };
        }
    };
    let summary = study::summary(world, twin, &runs, opts);
    let cmp = study::compare(&runs[0], &runs[1]);
    let est = |e: &baton_sim::stats::Estimate| json!({"mean": num(e.mean), "lo": num(e.lo), "hi": num(e.hi)});
    let table: Vec<Value> = baton_sim::KPIS
        .iter()
        .enumerate()
        .map(|(k, d)| {
            json!({
                "kpi": d.label,
                "key": d.key,
                "unit": d.unit,
                "a": est(&summary.cases[0].kpis[k].estimate),
                "b": est(&summary.cases[1].kpis[k].estimate),
                "diff": est(&cmp.kpis[k].diff),
                "significant": cmp.kpis[k].significant,
                "favours": cmp.kpis[k].favours,
            })
        })
        .collect();
    let charts: Vec<Value> = baton_sim::report::charts(world, &runs)
        .into_iter()
        .map(|c| json!({"title": c.title, "svg": c.svg}))
        .collect();
    JobResult {
        state: "done",
        error: None,
        table: Value::Array(table),
        charts: Value::Array(charts),
        summary: serde_json::to_value(&summary).unwrap_or(Value::Null),
    }
}

/// JSON has no NaN: an undefined KPI is null.
fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// Names both sides for the table.
pub fn labels(a: &Side, b: &Side) -> (String, String) {
    let (la, lb) = (a.label("A"), b.label("B"));
    if la == lb {
        (format!("{la} (A)"), format!("{lb} (B)"))
    } else {
        (la, lb)
    }
}
