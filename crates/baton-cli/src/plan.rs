//! `baton plan rooms`: a room plan for the programme before the doors
//! open, from bookmarks, written as a file an organiser reviews and applies.

use anyhow::{Context, Result, bail};
use baton_core::Engine;
use baton_core::planner::day::{DayPlan, plan_day};
use baton_model::{Entry, PolicySet, Signal, SignalType, Stamped};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Subcommand)]
pub enum PlanCmd {
    /// Propose a room for every session from bookmark counts and the
    /// forecast model: the moves, their expected effect and the solver's gap.
    Rooms(RoomsArgs),
}

#[derive(clap::Args)]
pub struct RoomsArgs {
    /// The event directory.
    pub event: PathBuf,
    /// Bookmarks: a JSON-lines file of `attendee.plan` CloudEvents, as the
    /// app sends them (other lines are skipped).
    #[arg(long)]
    pub bookmarks: Option<PathBuf>,
    /// Expected attendance (the bookmarking share is bookmarkers / this);
    /// default: `attendees` in the event's twin.yaml.
    #[arg(long)]
    pub attendees: Option<u32>,
    /// Sessions starting within this many minutes of each other are placed together.
    #[arg(long, default_value_t = 60)]
    pub window: u32,
    /// People's worth of one move (a move disturbs the speaker and the programme).
    #[arg(long, default_value_t = 15.0)]
    pub move_cost: f64,
    /// Where the plan goes.
    #[arg(long, default_value = "room-plan.yaml")]
    pub out: PathBuf,
}

pub fn run(cmd: PlanCmd) -> Result<()> {
    let PlanCmd::Rooms(args) = cmd;
    let l = crate::load(&args.event)?;
    if !(args.move_cost.is_finite() && args.move_cost >= 0.0) {
        bail!("--move-cost {} is not a number of people", args.move_cost);
    }
    let attendees = match args.attendees {
        Some(n) => Some(n),
        None => baton_sim::World::new(&l.spec, 1)
            .ok()
            .and_then(|w| baton_sim::load_twin(&args.event, &w).ok())
            .map(|t| t.attendees),
    };
    let started = Instant::now();
    let empty = PolicySet {
        hash: String::new(),
        policies: Vec::new(),
    };
    let mut engine = Engine::new(l.spec.clone(), empty)?;
    let mut read = 0u64;
    if let Some(path) = &args.bookmarks {
        read = feed(&mut engine, path)?;
    }
    let plan = plan_day(
        &engine,
        attendees,
        i64::from(args.window) * 60_000,
        args.move_cost,
    );
    let secs = started.elapsed().as_secs_f64();
    let text = render(&l, &plan, attendees, read, args.move_cost);
    std::fs::write(&args.out, &text).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}: {} move(s); people expected to be turned away {:.0} -> {:.0} ({} sessions with a forecast from {} bookmarks of {} people); optimality gap {:.1}%; {:.2} s; plan in {}",
        args.event.display(),
        plan.moves.len(),
        plan.denied_before,
        plan.denied_after,
        plan.forecast_sessions,
        plan.bookmarks,
        plan.planners,
        plan.gap * 100.0,
        secs,
        args.out.display()
    );
    Ok(())
}

/// Applies every `attendee.plan` line of `path`; returns how many.
fn feed(engine: &mut Engine, path: &Path) -> Result<u64> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut outputs = Vec::new();
    let mut n = 0u64;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let s = Signal::parse_json(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
        if s.kind != SignalType::AttendeePlan {
            continue;
        }
        n += 1;
        outputs.clear();
        let time = engine.state().now;
        engine.apply(
            &Stamped {
                seq: n,
                time,
                entry: Entry::Signal(s),
            },
            &mut outputs,
        );
    }
    Ok(n)
}

fn render(
    l: &baton_spec::Loaded,
    plan: &DayPlan,
    attendees: Option<u32>,
    read: u64,
    move_cost: f64,
) -> String {
    let off = i64::from(l.spec.event.utc_offset_s) * 1000;
    let clock = |t: i64| {
        let s = (t + off).div_euclid(1000).rem_euclid(86_400);
        format!("{:02}:{:02}", s / 3600, s / 60 % 60)
    };
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Room plan for {} from `baton plan rooms`: review, then apply each move\n\
         # by setting the session's `space:` in sessions.yaml to `to`.\n\
         # Forecast: {} attendee.plan lines, {} people with bookmarks, {} expected\n\
         # attendees (bookmarking share {}); {} people's worth per move.\n",
        l.spec.event.name,
        read,
        plan.planners,
        attendees.map_or("unknown".to_string(), |n| n.to_string()),
        plan.share
            .map_or("unknown".to_string(), |s| format!("{:.0}%", s * 100.0)),
        move_cost
    );
    let _ = writeln!(
        y,
        "expected_turned_away:\n  published_rooms: {:.1}\n  planned_rooms: {:.1}\noptimality_gap: {:.4}\nmoves:",
        plan.denied_before, plan.denied_after, plan.gap
    );
    if plan.moves.is_empty() {
        y.push_str("  []\n");
    }
    for m in &plan.moves {
        let _ = writeln!(
            y,
            "  - session: {}\n    title: {}\n    starts: \"{}\"\n    from: {}\n    to: {}\n    expected: {:.0}\n    p_full: {{from: {:.2}, to: {:.2}}}",
            m.session,
            serde_json::to_string(&m.title).unwrap_or_default(),
            clock(m.start),
            m.from,
            m.to,
            m.expected,
            m.p_full_before,
            m.p_full_after
        );
    }
    y.push_str("windows:\n");
    for w in &plan.windows {
        let _ = writeln!(
            y,
            "  - {{from: \"{}\", sessions: {}, method: {}, objective: {:.1}, bound: {:.1}, gap: {:.4}}}",
            clock(w.from),
            w.sessions,
            serde_json::to_string(w.method).unwrap_or_default(),
            w.objective,
            w.bound,
            w.gap
        );
    }
    y
}
