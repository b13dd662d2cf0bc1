//! `baton sim`: the twin over many seeds, a KPI table, a report folder.

use anyhow::{Context, Result, bail};
use baton_sim::World;
use baton_sim::study::{self, Case, StudyOptions, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct SimArgs {
    /// The event directory (its `twin.yaml`, if any, scripts the day).
    pub event: PathBuf,
    /// How many seeds (each a whole simulated day per policy set).
    #[arg(long, default_value_t = 20)]
    pub seeds: u32,
    /// The first seed; seeds run first..first+N.
    #[arg(long = "seed", default_value_t = 1)]
    pub first_seed: u64,
    /// Policy set A (default: the event's own policies).
    #[arg(long)]
    pub policies: Option<PathBuf>,
    /// In policy set A's runs, app users consult Baton's recommendations
    /// when their next bookmark is likely full (docs/SIMULATION.md,
    /// "Recommendations"); B and the baselines never do.
    #[arg(long)]
    pub recommendations: bool,
    /// Policy set B, compared with A on the same seeds.
    #[arg(long)]
    pub vs: Option<PathBuf>,
    /// Where the report goes.
    #[arg(long, default_value = "sim-report")]
    pub out: PathBuf,
    /// Print the KPIs as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Override the number of attendees.
    #[arg(long)]
    pub attendees: Option<u32>,
    /// Probability of following a notification or sign (default: twin.yaml, else 0.3 / 0.35).
    #[arg(long)]
    pub compliance: Option<f64>,
    /// Also run A against no orchestration at compliance 0.1, 0.3 and 0.5.
    #[arg(long)]
    pub sensitivity: bool,
    /// Also compare A with current practice at every point of a grid over
    /// the twin's assumptions, e.g. `--grid attendance=0.8,1,1.2
    /// acceptance=0.2,0.4 sigma=0.5,1,1.5 push=0,0.2,0.5 lag=1,5`
    /// (full factorial; each point runs every seed twice).
    #[arg(long, num_args = 1..)]
    pub grid: Vec<String>,
    /// Which day of a multi-day event, counting from 1.
    #[arg(long, default_value_t = 1)]
    pub day: u32,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write the first seed's bookmarks (every app user's `attendee.plan`,
    /// as the app would send them before the doors open) to this file and
    /// stop: the input `baton plan rooms --bookmarks` reads.
    #[arg(long, value_name = "FILE")]
    pub bookmarks_out: Option<PathBuf>,
}

/// Reads a policies file and checks it against the event, naming the file in errors.
pub fn policies_file(path: &Path, spec: &baton_model::Spec) -> Result<baton_model::PolicySet> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.display().to_string();
    baton_spec::policies_from_yaml(&name, &text, spec)
        .map_err(|d| anyhow::anyhow!("{}", baton_spec::lines(&d)))
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} runs, {elapsed} (eta {eta})")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// Peak resident memory of this process, from /proc (Linux), in bytes.
pub fn peak_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The perfect-foresight case's name in tables and JSON.
const ORACLE: &str = "oracle rooms";

pub fn run(args: SimArgs) -> Result<()> {
    let loaded = crate::load(&args.event)?;
    let world = World::new(&loaded.spec, args.day)?;
    let mut twin = baton_sim::load_twin(&args.event, &world)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.event.display()))?;
    for w in &twin.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(n) = args.attendees {
        if twin.roster.is_some() {
            bail!(
                "--attendees cannot change a real attendee list ({}/attendees.csv); move the file away to simulate a generated crowd",
                args.event.display()
            );
        }
        twin.attendees = n;
    }
    if let Some(path) = &args.bookmarks_out {
        let lines = baton_sim::bookmarks::plan_signals(
            &world,
            &twin,
            args.first_seed,
            &jiff::Timestamp::from_millisecond(world.first_start - 86_400_000)
                .map(|t| t.to_string())
                .unwrap_or_default(),
        );
        std::fs::write(path, lines.join("\n") + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "{}: {} people's bookmarks (seed {})",
            path.display(),
            lines.len(),
            args.first_seed
        );
        return Ok(());
    }
    if let Some(c) = args.compliance
        && !(0.0..=1.0).contains(&c)
    {
        bail!("--compliance {c} is not between 0 and 1");
    }
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let grid = if args.grid.is_empty() {
        None
    } else {
        let g =
            baton_sim::grid::Grid::parse(&args.grid).map_err(|e| anyhow::anyhow!("--grid: {e}"))?;
        if twin.roster.is_some()
            && g.dims
                .iter()
                .any(|(d, _)| *d == baton_sim::grid::Dim::Attendance)
        {
            bail!(
                "--grid attendance cannot change a real attendee list ({}/attendees.csv)",
                args.event.display()
            );
        }
        Some(g)
    };
    let a = match &args.policies {
        Some(p) => Case {
            name: stem(p),
            policies: policies_file(p, &loaded.spec)?,
            practice: true,
            oracle: false,
            recommendations: args.recommendations,
        },
        None => Case {
            name: "event policies".into(),
            policies: loaded.policies.clone(),
            practice: true,
            oracle: false,
            recommendations: args.recommendations,
        },
    };
    let mut cases = vec![a.clone()];
    if let Some(p) = &args.vs {
        let mut name = stem(p);
        if name == cases[0].name {
            name = format!("{name} (vs)");
        }
        cases.push(Case {
            name,
            policies: policies_file(p, &loaded.spec)?,
            practice: true,
            oracle: false,
            // B is the reference: its app users do not consult.
            recommendations: false,
        });
    }
    // The baselines: what the event does today, and nothing at all.
    cases.push(Case {
        name: "current practice".into(),
        policies: study::no_orchestration(&a.policies),
        practice: true,
        oracle: false,
        recommendations: false,
    });
    cases.push(Case {
        name: "no orchestration".into(),
        policies: study::no_orchestration(&a.policies),
        practice: false,
        oracle: false,
        recommendations: false,
    });
    // The bound: the day's rooms planned with the true demand (no policy
    // can see it), with current practice at the doors.
    cases.push(Case {
        name: ORACLE.into(),
        policies: study::no_orchestration(&a.policies),
        practice: true,
        oracle: true,
        recommendations: false,
    });
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let opts = StudyOptions {
        seeds: args.seeds,
        first_seed: args.first_seed,
        threads,
        compliance: args.compliance,
    };
    let sens_levels = [0.1, 0.3, 0.5];
    let total = u64::from(args.seeds) * cases.len() as u64
        + if args.sensitivity {
            u64::from(args.seeds) * 2 * sens_levels.len() as u64
        } else {
            0
        }
        + grid
            .as_ref()
            .map_or(0, |g| u64::from(args.seeds) * 2 * g.points().len() as u64);
    let pb = bar(total);
    pb.set_message(format!("simulating {}", world.spec.event.name));
    let started = Instant::now();
    let tick = || pb.inc(1);
    let runs = study::run_study(&world, &twin, &cases, opts, &tick)?;
    let main_secs = started.elapsed().as_secs_f64();
    let summary = study::summary(&world, &twin, &runs, opts);
    let mut extra = String::new();
    let gap =
        |key: &str| study::gap_closed(&summary, key, &cases[0].name, "current practice", ORACLE);
    let (gap_people, gap_talks) = (gap("denied_people"), gap("talks_denied"));
    let moved = runs.iter().find(|c| c.name == ORACLE).map_or(0.0, |c| {
        c.runs.iter().map(|r| f64::from(r.rooms_moved)).sum::<f64>() / c.runs.len().max(1) as f64
    });
    let pct = |g: Option<f64>| g.map_or("n/a (no gap)".into(), |g| format!("{:.0}%", g * 100.0));
    extra.push_str(&format!(
        "\n## Headline\n\nShare of the gap between current practice and the oracle's room plan ({moved:.1} sessions moved on average, planned with the true demand) that {} closes: {} on people denied a talk, {} on talks denied (from the means; 100% = as good as the oracle, 0% = no better than current practice).\n",
        cases[0].name,
        pct(gap_people),
        pct(gap_talks),
    ));
    let mut sensitivity = Vec::new();
    if args.sensitivity {
        let none = cases
            .iter()
            .find(|c| c.name == "no orchestration")
            .context("the no-orchestration case")?;
        let pair = [cases[0].clone(), none.clone()];
        extra.push_str("\n## Sensitivity to compliance\n\nThe first policy set against no orchestration, with notifications and signs followed at the same probability. Paired difference, mean [95% interval]; `*` marks a significant one (the interval excludes 0).\n\n| compliance | people denied | above capacity (min) | refusals | circulation E/F minutes | notifications mean | redirect acceptance |\n|---|---|---|---|---|---|---|\n");
        for &c in &sens_levels {
            let o = StudyOptions {
                compliance: Some(c),
                ..opts
            };
            let r = study::run_study(&world, &twin, &pair, o, &tick)?;
            let cmp = study::compare(&r[0], &r[1]);
            let f = |key: &str| {
                let Some(k) = cmp.kpis.iter().find(|k| k.kpi == key) else {
                    return "n/a".to_string();
                };
                let d = &k.diff;
                format!(
                    "{:.1} [{:.1}, {:.1}]{}",
                    d.mean,
                    d.lo,
                    d.hi,
                    if k.significant { " *" } else { "" }
                )
            };
            let s = study::summarise(&r[0]);
            let mean = |key: &str| {
                s.kpis
                    .iter()
                    .find(|k| k.kpi == key)
                    .map_or(f64::NAN, |k| k.estimate.mean)
            };
            extra.push_str(&format!(
                "| {c} | {} | {} | {} | {} | {:.2} | {:.2} |\n",
                f("denied_people"),
                f("above_capacity_min"),
                f("turned_away"),
                f("los_ef_min"),
                mean("notifications_mean"),
                mean("redirect_acceptance")
            ));
            sensitivity
                .push(serde_json::json!({"compliance": c, "comparison": cmp, "policies": s}));
        }
    }
    if let Some(first) = runs.first() {
        extra.push_str(&baton_sim::report::forecast_table(first));
        extra.push_str(&baton_sim::report::presence_table(&world, first));
    }
    let mut grid_report = None;
    if let Some(g) = &grid {
        let practice = cases
            .iter()
            .find(|c| c.name == "current practice")
            .context("the current-practice case")?;
        let r = baton_sim::grid::run_grid(&world, &twin, g, &cases[0], practice, opts, &tick)?;
        extra.push_str(&format!(
            "\n## Over the grid of assumptions\n\n{} points × {} seeds; each cell is the paired difference at the worst or best point for the policy set; a claim holds when it is significantly in its favour at every point.\n\n",
            r.points.len(),
            args.seeds
        ));
        extra.push_str(&baton_sim::grid::table(&r));
        grid_report = Some(r);
    }
    pb.finish_and_clear();
    let charts = baton_sim::report::charts(&world, &runs);
    baton_sim::report::write(&args.out, &summary, &charts, &extra)
        .with_context(|| format!("writing the report to {}", args.out.display()))?;
    // Thread-seconds per simulated day: wall time × busy threads ÷ runs.
    let n_runs = args.seeds as usize * runs.len();
    let per_run = main_secs * threads.clamp(1, n_runs) as f64 / n_runs as f64;
    let stats = run_stats(&runs);
    if args.json {
        let mut v = serde_json::to_value(&summary)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("sensitivity".into(), serde_json::Value::Array(sensitivity));
            o.insert("grid".into(), serde_json::to_value(&grid_report)?);
            o.insert(
                "report".into(),
                serde_json::json!(args.out.display().to_string()),
            );
            o.insert("run_stats".into(), stats.clone());
            if let Some(first) = runs.first() {
                o.insert(
                    "forecast_backtest".into(),
                    serde_json::to_value(baton_sim::report::forecast_rows(first))?,
                );
                let n = first.runs.len().max(1) as f64;
                o.insert(
                    "moves_per_day".into(),
                    serde_json::json!(first.runs.iter().map(|r| r.moves as f64).sum::<f64>() / n),
                );
                let mean = |f: fn(&baton_sim::kpi::RunResult) -> u64| {
                    first.runs.iter().map(|r| f(r) as f64).sum::<f64>() / n
                };
                o.insert(
                    "recommendations_per_day".into(),
                    serde_json::json!({
                        "consulted": mean(|r| r.consulted),
                        "followed": mean(|r| r.consult_followed),
                    }),
                );
            }
            o.insert(
                "headline".into(),
                serde_json::json!({
                    "kpi": "denied_people",
                    "gap_closed": gap_people,
                    "gap_closed_talks_denied": gap_talks,
                    "oracle_sessions_moved": moved,
                }),
            );
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_table(&summary);
        if !extra.is_empty() {
            println!("{extra}");
        }
        println!("Report with charts: {}/index.html", args.out.display());
    }
    eprintln!(
        "{} runs ({} seeds × {} policy sets) in {:.1} s on {} thread(s): {:.2} s of one thread per run; {} attendees; {}; peak RSS {} MB",
        n_runs,
        args.seeds,
        runs.len(),
        main_secs,
        threads,
        per_run,
        summary.attendees,
        stats["per_run"].as_str().unwrap_or(""),
        peak_rss().map_or("?".into(), |b| format!("{:.0}", b as f64 / 1e6)),
    );
    Ok(())
}

fn run_stats(runs: &[baton_sim::CaseRuns]) -> serde_json::Value {
    let all: Vec<&baton_sim::RunResult> = runs.iter().flat_map(|c| c.runs.iter()).collect();
    let n = all.len().max(1) as f64;
    let signals = all.iter().map(|r| r.signals as f64).sum::<f64>() / n;
    let entries = all.iter().map(|r| r.entries as f64).sum::<f64>() / n;
    let events = all.iter().map(|r| r.events as f64).sum::<f64>() / n;
    serde_json::json!({
        "per_run": format!("{signals:.0} signals, {entries:.0} journal entries, {events:.0} twin events per run"),
        "signals": signals, "entries": entries, "events": events,
    })
}

fn print_table(s: &Summary) {
    println!(
        "{}: {} attendees, seeds {}..={}, compliance notifications {} / signs {}\n",
        s.event,
        s.attendees,
        s.seeds.first().copied().unwrap_or(0),
        s.seeds.last().copied().unwrap_or(0),
        s.compliance_notification,
        s.compliance_sign
    );
    println!("{}", study::table(s));
    println!(
        "Each cell: mean [95% interval] over seeds; differences are paired per seed (common random numbers). ✔ X: significant, in favour of X."
    );
}
