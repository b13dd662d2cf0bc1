//! `baton`: one binary, one subcommand per job.

mod demo;
mod explain;
mod journal;
mod load;
mod plan;
mod replay;
mod sim;

/// Replay parses on one thread and frees on another; mimalloc's per-thread
/// heaps keep those cross-thread frees cheap, where glibc's arenas contend.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use baton_core::Engine;
use baton_journal::Journal;
use baton_model::Entry;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "baton",
    version,
    about = "Real-time orchestration for live events"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create a token; it is printed once, as the last word of the output.
    Create {
        /// The server's data directory (as given to `baton serve --data`);
        /// tokens live in DATA/auth.sqlite.
        #[arg(long)]
        data: PathBuf,
        /// admin, operator, viewer, app (the attendee app backend: recommendations
        /// and the public feed), public (the public feed), staff or ingest.
        #[arg(long)]
        role: String,
        /// Who or what holds it, for the audit trail. For a staff token,
        /// the person's staff id in the event (staff.yaml): they see and
        /// update their own tasks.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate an event directory; errors name file, line and field.
    Check { event: PathBuf },
    /// Print the JSON Schema of the spec files and the typed CEL context.
    Schema,
    /// Feed a recorded signal file through the engine; decisions go to stdout as JSON lines.
    ///
    /// `baton replay --archive FILE` replays an archive (`baton journal export`)
    /// from its own snapshot instead.
    Replay {
        #[arg(required_unless_present = "archive")]
        event: Option<PathBuf>,
        #[arg(required_unless_present = "archive")]
        signals: Option<PathBuf>,
        /// Replay this archive instead of EVENT SIGNALS.
        #[arg(long, conflicts_with_all = ["event", "signals", "data"])]
        archive: Option<PathBuf>,
        /// Write outputs here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also journal every entry into this data directory (SQLite).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Generate the scripted scenario's signals from EVENT/scenario.yaml.
    Scenario {
        event: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Serve the bundled example event, with the digital twin as its crowd:
    /// signals through the HTTP ingest, actions back from the SSE stream, at 20x.
    Demo(demo::DemoArgs),
    /// Open a data directory: restore the latest snapshot, replay the tail,
    /// report. (`baton serve` starts from the oldest snapshot kept instead,
    /// to rebuild its read model over that stretch; both end in the same state.)
    Restore { data: PathBuf },
    /// Simulate the event day with the digital twin over many seeds: KPI
    /// table with 95% intervals, paired comparisons, a report folder with charts.
    Sim(sim::SimArgs),
    /// Run the live service: HTTP API, journal, execution.
    Serve(ServeArgs),
    /// Archive and prune the journal of a data directory.
    Journal {
        #[command(subcommand)]
        cmd: journal::JournalCmd,
    },
    /// Load a running server: post signals at a rate and concurrency, singly
    /// or batched; report the accepted rate, errors and latency percentiles.
    Load(load::Load),
    /// Turn a published schedule (pretalx/c3voc JSON, frab/pentabarf XML,
    /// gzipped or not) into an event directory that passes `baton check`.
    ///
    /// `baton import [pretalx|c3voc|frab|pentabarf] SCHEDULE --out DIR` writes an event
    /// directory; `baton import attendees people.csv --out DIR` adds a real
    /// attendee list (`attendees.csv`) to an event directory for the twin;
    /// `baton import c3nav MAP.json --out DIR` writes a venue-only event from
    /// a c3nav map package, which `--venue-map` gives a schedule import.
    Import {
        /// What and from where: `[KIND] FILE`; KIND is pretalx, c3voc, frab,
        /// pentabarf, attendees or c3nav (default: the schedule format is detected).
        #[arg(num_args = 1..=2, required = true, value_name = "[KIND] FILE")]
        what: Vec<String>,
        /// The event directory to write.
        #[arg(long)]
        out: PathBuf,
        /// auto, json (pretalx, c3voc) or xml (frab, pentabarf).
        #[arg(long, default_value = "auto")]
        format: String,
        /// Room capacities: a CSV (room, seats or area_m2, optional zone) or a JSON room list.
        #[arg(long)]
        capacities: Option<PathBuf>,
        /// Square metres per person when a capacity comes from a floor area.
        #[arg(long, default_value_t = 1.2)]
        m2_per_person: f64,
        /// Seats assumed for a room with no capacity anywhere (warned).
        #[arg(long, default_value_t = 100)]
        default_capacity: u32,
        /// IANA time zone, overriding the file's.
        #[arg(long)]
        timezone: Option<String>,
        /// Replace files already in the output directory.
        #[arg(long)]
        force: bool,
        /// Add one corridor per zone (size assumed, warned) linking its rooms,
        /// so the twin has hallways where crowds wait at doors.
        #[arg(long)]
        hallways: bool,
        /// A c3nav map package of the venue (bundled JSON): its rooms,
        /// corridors and doors replace the assumed links; rooms are joined by name.
        #[arg(long, value_name = "FILE")]
        venue_map: Option<PathBuf>,
    },
    /// Plan before the doors open: `baton plan rooms EVENT --bookmarks FILE`.
    Plan {
        #[command(subcommand)]
        cmd: plan::PlanCmd,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Explain one decision: policy and version, trigger and values,
    /// constraints, conflicts, alternatives with costs, and what followed.
    ///
    /// Over a data directory (`--data DIR`), or over a replay (`EVENT SIGNALS`).
    Explain {
        /// A journal position (16201) or a decision id (16201.0).
        position: explain::Position,
        /// The event directory (for a replay, or a data directory without an early snapshot).
        event: Option<PathBuf>,
        /// The recorded signal file to replay.
        signals: Option<PathBuf>,
        /// Read the journal in this data directory instead of replaying.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Read this archive (`baton journal export`) instead.
        #[arg(long, conflicts_with_all = ["event", "signals", "data"])]
        archive: Option<PathBuf>,
    },
}

/// `baton serve`: the live service.
#[derive(clap::Args)]
struct ServeArgs {
    /// The event directory.
    #[arg(long)]
    pub event: PathBuf,
    /// Where the journal, snapshots and tokens live.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Where actions go and which broker topics carry signals in (connectors.yaml).
    #[arg(long)]
    pub connectors: Option<PathBuf>,
    /// Journal entries between snapshots.
    #[arg(long, default_value_t = baton_server::core::SNAPSHOT_EVERY)]
    pub snapshot_every: u64,
    /// `wall`, or `manual`: journal time moves only through the admin
    /// call `POST /v1/clock/advance` (rehearsals, tests).
    #[arg(long, default_value = "wall", value_parser = ["wall", "manual"])]
    pub clock: String,
    /// Journal time to start a manual clock at (RFC 3339), for a rehearsal
    /// of a given hour of the event; default: now.
    #[arg(long, requires = "clock")]
    pub start_at: Option<String>,
    /// Open connections at most; more wait to be accepted.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a client has to send a request head; also the idle time
    /// allowed between keep-alive requests.
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a client has to send a request body.
    #[arg(long, default_value_t = 30)]
    pub body_timeout: u64,
    /// Request body bytes held at once across all requests (MiB); over it, 429.
    #[arg(long, default_value_t = 64)]
    pub inflight_mib: usize,
    /// Prune exported journal entries older than this (`45d`, `36h`);
    /// default: the event's days plus 30 days.
    #[arg(long, value_parser = journal::parse_retain)]
    pub retain: Option<i64>,
    /// The public room-status feed: `open` (no token) or `token` (a
    /// public, app or reader token).
    #[arg(long, default_value = "open", value_parser = ["open", "token"])]
    pub public_feed: String,
    /// Requests a second to the public feed across all readers; beyond, 429.
    #[arg(long, default_value_t = 2000.0)]
    pub public_rate: f64,
    /// Also serve the public feed alone on this address, with its own
    /// connection cap (`--public-connections`).
    #[arg(long)]
    pub public_listen: Option<std::net::SocketAddr>,
    #[arg(long, default_value_t = 256)]
    pub public_connections: usize,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Check { event } => check(&event),
        Cmd::Schema => schema(),
        Cmd::Replay {
            archive: Some(a),
            out,
            ..
        } => journal::replay_archive(&a, out.as_deref()),
        Cmd::Replay {
            event: Some(event),
            signals: Some(signals),
            out,
            data,
            ..
        } => run_replay(&event, &signals, out.as_deref(), data.as_deref()).map(|_| ()),
        Cmd::Replay { .. } => Err(anyhow::anyhow!("give EVENT SIGNALS, or --archive FILE")),
        Cmd::Journal { cmd } => journal::run(cmd),
        Cmd::Plan { cmd } => plan::run(cmd),
        Cmd::Scenario { event, out } => scenario(&event, out.as_deref()),
        Cmd::Demo(args) => demo::run(args),
        Cmd::Serve(args) => serve(args),
        Cmd::Token {
            cmd: TokenCmd::Create { data, role, name },
        } => token_create(&data, &role, &name),
        Cmd::Import {
            what,
            out,
            format,
            capacities,
            m2_per_person,
            default_capacity,
            timezone,
            force,
            hallways,
            venue_map,
        } => import(
            &what,
            &out,
            &format,
            baton_import::ImportOptions {
                capacities,
                m2_per_person,
                default_capacity,
                timezone,
                hallways,
                venue_map,
                ..Default::default()
            },
            force,
        ),
        Cmd::Load(args) => {
            runtime().and_then(|rt| rt.block_on(load::run(args)).map(|s| print!("{s}")))
        }
        Cmd::Restore { data } => restore(&data),
        Cmd::Sim(args) => sim::run(args),
        Cmd::Explain {
            position,
            event,
            signals,
            data,
            archive,
        } => match archive {
            Some(a) => explain::from_archive(&a, position).and_then(|(c, offset)| {
                print!("{}", explain::render(&c, position, offset)?);
                Ok(())
            }),
            None => explain_cmd(
                position,
                event.as_deref(),
                signals.as_deref(),
                data.as_deref(),
            ),
        },
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn load(event: &Path) -> Result<baton_spec::Loaded> {
    match baton_spec::load(event) {
        Ok(l) => Ok(l),
        Err(diags) => {
            for d in &diags {
                eprintln!("{}", prefix_dir(event, &d.to_string()));
            }
            let n = diags
                .iter()
                .filter(|d| d.severity == baton_spec::Severity::Error)
                .count();
            bail!("{} has {n} error(s)", event.display())
        }
    }
}

fn prefix_dir(dir: &Path, line: &str) -> String {
    let d = dir.display().to_string();
    match line.split_once(": ") {
        // A diagnostic about the directory itself already names it.
        Some((_, rest)) if rest.starts_with(&d) => line.to_string(),
        Some((sev, rest)) => format!("{sev}: {d}/{rest}"),
        None => line.to_string(),
    }
}

fn check(event: &Path) -> Result<()> {
    let l = load(event)?;
    for w in &l.warnings {
        eprintln!("{}", prefix_dir(event, &w.to_string()));
    }
    println!(
        "{}: ok — {} spaces, {} links, {} sessions, {} staff, {} signs, {} policies (set {}), {} warning(s)",
        event.display(),
        l.spec.spaces.len(),
        l.spec.links.len(),
        l.spec.sessions.len(),
        l.spec.staff.len(),
        l.spec.signs.len(),
        l.policies.policies.len(),
        l.policies.hash,
        l.warnings.len()
    );
    Ok(())
}

fn schema() -> Result<()> {
    let v = serde_json::json!({
        "spec_files": baton_spec::json_schema(),
        "cel_context": baton_policy::schema::schema_json(),
    });
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

fn scenario(event: &Path, out: Option<&Path>) -> Result<()> {
    let l = load(event)?;
    let path = event.join("scenario.yaml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let sc = baton_scenario::Scenario::parse(&text)?;
    let lines = baton_scenario::generate(&l.spec, &sc)?;
    let mut w: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    for line in lines {
        writeln!(w, "{line}")?;
    }
    w.flush()?;
    Ok(())
}

/// Replays `signals` and returns the summary text.
fn run_replay(
    event: &Path,
    signals: &Path,
    out: Option<&Path>,
    data: Option<&Path>,
) -> Result<String> {
    let l = load(event)?;
    let mut journal = match data {
        Some(d) => Some(
            baton_journal::SqliteJournal::open(d, &baton_journal::Options::default())
                .with_context(|| format!("opening journal in {}", d.display()))?,
        ),
        None => None,
    };
    if let Some(j) = journal.as_mut() {
        // A signal file replays with the all-zero dedup key: say so in the
        // journal, so its restores fingerprint the same way.
        j.keep_dedup_secret([0, 0])?;
        // A snapshot before the first entry, as the server takes one: the
        // journal then explains any of its positions on its own, without
        // the event files (`baton explain POS --data DIR`).
        if j.last_seq()? == 0 {
            let start = Engine::new(l.spec.clone(), l.policies.clone())?;
            j.save_engine_snapshot(&start)?;
        }
    }
    let mut w: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::io::stdout().lock(),
        )),
    };
    let mut buf = Vec::with_capacity(1 << 16);
    let mut pending: Vec<baton_model::Stamped> = Vec::new();
    let (engine, tally) = replay_file(&l, signals, true, |stamped, outputs| {
        replay::write_outputs(outputs, &mut buf);
        if let Some(j) = journal.as_mut() {
            pending.push(stamped.clone());
            if pending.len() >= 1000 {
                j.append(&pending)?;
                pending.clear();
            }
        }
        if buf.len() > 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
        Ok(())
    })?;
    w.write_all(&buf)?;
    w.flush()?;
    if let Some(j) = journal.as_mut() {
        j.append(&pending)?;
        j.save_engine_snapshot(&engine)?;
    }
    let s = replay::summary(&engine, &tally);
    eprint!("{s}");
    Ok(s)
}

/// Lines per batch handed from the parser thread to the core.
const BATCH: usize = 1024;

/// Feeds a signal file through a fresh engine, handing every stamped entry
/// and its outputs to `sink`; the sink's first error stops the replay.
fn replay_file(
    l: &baton_spec::Loaded,
    signals: &Path,
    progress: bool,
    mut sink: impl FnMut(&baton_model::Stamped, &[baton_core::Output]) -> Result<()>,
) -> Result<(Engine, replay::Tally)> {
    let mut engine = Engine::new(l.spec.clone(), l.policies.clone())?;
    let file =
        std::fs::File::open(signals).with_context(|| format!("opening {}", signals.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let target = if progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(size), target);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Parsing runs on its own thread, a bounded channel ahead of the core:
    // the two overlap on two cores, and memory stays bounded.
    type Batch = Vec<(u64, Result<replay::Line, String>)>;
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<(Batch, u64)>>(8);
    let reader = BufReader::with_capacity(1 << 20, file);
    let parser = std::thread::spawn(move || {
        let mut batch: Batch = Vec::with_capacity(BATCH);
        let mut bytes = 0u64;
        let mut reader = reader;
        let mut line = String::with_capacity(512);
        let mut i = 0u64;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => break,
                Ok(n) => bytes += n as u64,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
            i += 1;
            let text = line.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            batch.push((i, replay::parse_line(text)));
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if tx.send(Ok((full, std::mem::take(&mut bytes)))).is_err() {
                    return;
                }
            }
        }
        let _ = tx.send(Ok((batch, bytes)));
    });
    let mut seqr = replay::Sequencer::new(l.spec.event.tick);
    let mut tally = replay::Tally::default();
    let mut outputs = Vec::new();
    let mut failed: Option<anyhow::Error> = None;
    for msg in rx {
        let (batch, bytes) = msg.with_context(|| format!("reading {}", signals.display()))?;
        bar.inc(bytes);
        for (line_no, parsed) in batch {
            tally.lines += 1;
            let (at, entry) = match parsed {
                Ok(replay::Line::Signal(s)) => (s.time, Entry::Signal(s)),
                Ok(replay::Line::Command { time, command }) => {
                    (Some(time), Entry::Command(command))
                }
                Err(reason) => {
                    tally.reject(line_no, &reason);
                    continue;
                }
            };
            seqr.stamp(at, entry, |stamped| {
                if failed.is_some() {
                    return;
                }
                outputs.clear();
                engine.apply(&stamped, &mut outputs);
                tally.outputs += outputs.len() as u64;
                if let Err(e) = sink(&stamped, &outputs) {
                    failed = Some(e);
                }
            });
            if let Some(e) = failed.take() {
                return Err(e);
            }
        }
    }
    if parser.join().is_err() {
        bail!("the parser thread for {} failed", signals.display());
    }
    bar.finish_and_clear();
    Ok((engine, tally))
}

fn example_dir() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from("examples/rustconf-lisbon"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon"),
    ];
    candidates
        .into_iter()
        .find(|p| p.join("event.yaml").is_file())
        .context(
            "the bundled example (examples/rustconf-lisbon) was not found; run from the repository",
        )
}

fn explain_cmd(
    pos: explain::Position,
    event: Option<&Path>,
    signals: Option<&Path>,
    data: Option<&Path>,
) -> Result<()> {
    let loaded = event.map(load).transpose()?;
    let (c, offset) = match (data, &loaded, signals) {
        (Some(d), _, None) => explain::from_data(d, loaded.as_ref(), pos)?,
        (None, Some(l), Some(sig)) => {
            let offset = l.spec.event.utc_offset_s;
            let mut c = explain::Collector::default();
            replay_file(l, sig, false, |e, outputs| {
                c.observe(pos, e, outputs, offset);
                Ok(())
            })?;
            (c, offset)
        }
        _ => bail!("give either --data DATA_DIR [EVENT], or EVENT SIGNALS to replay"),
    };
    print!("{}", explain::render(&c, pos, offset)?);
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn serve(a: ServeArgs) -> Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a redirected log stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let mut cfg = baton_server::Config::new(a.event, a.data);
    cfg.listen = a.listen;
    cfg.connectors = a.connectors;
    cfg.snapshot_every = a.snapshot_every;
    cfg.limits = baton_server::listen::Limits {
        max_connections: a.max_connections,
        header_timeout: std::time::Duration::from_secs(a.header_timeout.max(1)),
        body_timeout: std::time::Duration::from_secs(a.body_timeout.max(1)),
        inflight_bytes: a.inflight_mib.saturating_mul(1 << 20),
    };
    cfg.retain = a.retain;
    cfg.public = baton_server::api::PublicAccess {
        open: a.public_feed == "open",
        rate: a.public_rate.max(1.0),
    };
    cfg.public_listen = a.public_listen;
    cfg.public_connections = a.public_connections.max(1);
    let clock = a.clock;
    cfg.clock = baton_server::clock::ClockMode::parse(&clock)
        .with_context(|| format!("--clock {clock:?}: use wall or manual"))?;
    if let Some(t) = &a.start_at {
        if cfg.clock != baton_server::clock::ClockMode::Manual {
            bail!("--start-at needs --clock manual");
        }
        cfg.start_at = Some(
            baton_model::signal::parse_rfc3339(t)
                .with_context(|| format!("--start-at {t:?}: not an RFC 3339 time"))?,
        );
    }
    runtime()?.block_on(async move {
        let running = baton_server::start(cfg).await?;
        eprintln!("baton serve: listening on http://{}", running.addr);
        eprintln!("  console http://{}/ (sign in with a token)", running.addr);
        if let Some(p) = running.public {
            eprintln!("  public room status http://{p}/v1/public/rooms");
        }
        let why = baton_server::stop_signal()
            .await
            .context("waiting for Ctrl-C or SIGTERM")?;
        eprintln!("baton serve: {why}: stopping (a final snapshot is written)");
        let _ = running.shutdown.send(());
        running.done.await.context("joining the server")?
    })
}

fn import(
    what: &[String],
    out: &Path,
    format: &str,
    opts: baton_import::ImportOptions,
    force: bool,
) -> Result<()> {
    let (kind, schedule) = match what {
        [file] => (None, Path::new(file)),
        [kind, file] => (Some(kind.as_str()), Path::new(file)),
        _ => bail!("give `[KIND] FILE`"),
    };
    let format = match kind {
        None => format,
        Some("pretalx" | "c3voc" | "json") => "json",
        Some("frab" | "pentabarf" | "xml") => "xml",
        Some("auto") => "auto",
        Some("attendees") => return import_attendees(schedule, out, force),
        Some("c3nav") => "c3nav",
        Some(k) => bail!(
            "unknown kind {k:?}: use pretalx, c3voc, frab, pentabarf, attendees or c3nav (or give only the file)"
        ),
    };
    let imported = if format == "c3nav" {
        baton_import::import_c3nav(schedule, &opts)?
    } else {
        let format: baton_import::Format = format
            .parse()
            .map_err(|e| anyhow::anyhow!("--format: {e}"))?;
        baton_import::import_schedule(schedule, format, &opts)?
    };
    let written = if force {
        baton_import::write_dir_replacing(&imported, out)
    } else {
        baton_import::write_dir(&imported, out)
    };
    written.with_context(|| format!("writing {}", out.display()))?;
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    println!("{}", imported.summary);
    // The result must pass the same check as a hand-written event.
    let l = load(out)?;
    println!(
        "{}: ok — {} spaces, {} sessions, {} policies",
        out.display(),
        l.spec.spaces.len(),
        l.spec.sessions.len(),
        l.policies.policies.len()
    );
    Ok(())
}

/// Checks an attendee list against the event in `out` and stores it there
/// as `attendees.csv`, which the twin then simulates instead of a generated crowd.
fn import_attendees(file: &Path, out: &Path, force: bool) -> Result<()> {
    let l = load(out).with_context(|| {
        format!(
            "{} must be an event directory (import the schedule first)",
            out.display()
        )
    })?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let world = baton_sim::World::new(&l.spec, 1)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let roster = baton_sim::roster::parse(&text, &name, &world)?;
    let dest = out.join("attendees.csv");
    if dest.exists() && !force {
        bail!("{} exists; --force replaces it", dest.display());
    }
    std::fs::write(&dest, &text).with_context(|| format!("writing {}", dest.display()))?;
    for w in &roster.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{}: {} attendees ({} with interests, {} with bookmarks); {} warning(s)",
        dest.display(),
        roster.people.len(),
        roster
            .people
            .iter()
            .filter(|p| !p.interests.is_empty())
            .count(),
        roster
            .people
            .iter()
            .filter(|p| !p.sessions.is_empty())
            .count(),
        roster.warnings.len()
    );
    Ok(())
}

fn token_create(data: &Path, role: &str, name: &str) -> Result<()> {
    let Some(r) = baton_server::auth::Role::parse(role) else {
        bail!("unknown role {role:?}: use admin, operator, viewer, app, public, staff or ingest");
    };
    if r == baton_server::auth::Role::Staff && name == "cli" {
        bail!("a staff token is for one person: give their staff id with --name STAFF-ID");
    }
    let tokens = baton_server::auth::Tokens::open(data)?;
    let t = tokens.create(r, name)?;
    let article = if role.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    println!("created {article} {role} token for {name:?} (shown once, keep it safe): {t}");
    Ok(())
}

fn restore(data: &Path) -> Result<()> {
    let j = baton_journal::SqliteJournal::open(data, &baton_journal::Options::default())?;
    let started = std::time::Instant::now();
    let (engine, tail) = baton_journal::restore(&j)?
        .context("the data directory has no snapshot to restore from")?;
    println!(
        "restored position {} ({} tail entries replayed) in {:.1} ms; {} pending approvals, {} overrides",
        engine.position(),
        tail,
        started.elapsed().as_secs_f64() * 1000.0,
        engine.state().pending.len(),
        engine.state().overrides.len()
    );
    Ok(())
}
