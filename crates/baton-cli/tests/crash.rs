//! Crash safety of `baton serve`, through the real binary.
//!
//! A loader feeds the bundled example's signals over HTTP in seeded random
//! batches while an operator reports incidents, approves and rejects the
//! proposals, and sends manual actions. At seeded random points mid-load the
//! server is SIGKILLed (and once stopped cleanly, so a snapshot lands in the
//! middle of the journal) and restarted on the same data directory. Then:
//!
//! - every signal acknowledged with 202 is in the journal, once;
//! - the journal is gap-free from 1, every stored snapshot equals a clean
//!   replay at its position, and snapshot + tail restores the same state as
//!   replaying the whole journal into a fresh engine;
//! - every `Execute` action in the journal has a delivery row, and after a
//!   final restart every row reaches a final state.
//!
//! `BATON_CRASH_SEED` picks another seed (the seed in use is printed);
//! `BATON_CRASH_KEEP=1` keeps the data directory and the server logs.
//! Deadlines below only guard against hangs; nothing asserts on timing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
#![cfg(unix)]

use baton_core::{Engine, Output, State};
use baton_journal::{Journal, SqliteJournal};
use baton_model::Entry;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// SIGKILLs mid-load.
const KILLS: usize = 4;
/// Concurrent ingest clients, so a kill usually lands with batches in flight.
const WORKERS: usize = 3;
const DEFAULT_SEED: u64 = 0xBA70_C4A5_4ED5_EED5;
/// Failure guards only.
const READY_GUARD: Duration = Duration::from_secs(120);
const LOAD_GUARD: Duration = Duration::from_secs(300);
const SETTLE_GUARD: Duration = Duration::from_secs(60);
const FINAL_STATES: [&str; 4] = ["succeeded", "expired", "dead", "superseded"];

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon")
}

fn baton() -> Command {
    Command::new(env!("CARGO_BIN_EXE_baton"))
}

/// SplitMix64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

fn token(data: &Path, role: &str) -> String {
    let out = baton()
        .args(["token", "create", "--data"])
        .arg(data)
        .args(["--role", role, "--name", &format!("crash-{role}")])
        .output()
        .expect("run baton token create");
    assert!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()
        .expect("a token")
        .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

/// Starts `baton serve` on a free port and waits for `/readyz`.
async fn start(data: &Path, logs: &Path, starts: &mut usize) -> Server {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    for _ in 0..5 {
        *starts += 1;
        let port = free_port();
        let log = logs.join(format!("server-{starts}.log"));
        let file = std::fs::File::create(&log).expect("server log");
        let mut child = baton()
            .arg("serve")
            .arg("--event")
            .arg(example())
            .arg("--data")
            .arg(data)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn baton serve");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + READY_GUARD;
        loop {
            if let Some(status) = child.try_wait().expect("poll the server") {
                let text = tail(&log);
                if text.contains("listening on") && text.contains("in use") {
                    break; // the port was taken meanwhile: another one
                }
                panic!("baton serve exited ({status}) before it was ready:\n{text}");
            }
            if let Ok(r) = http.get(format!("{base}/readyz")).send().await
                && r.status() == 200
            {
                return Server { child, base, log };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("guard: baton serve not ready in time:\n{}", tail(&log));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    panic!("baton serve could not find a free port");
}

/// A failing test must not leave a server behind.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn sigkill(s: &mut Server) {
    s.child.kill().expect("SIGKILL the server");
    s.child.wait().expect("reap the server");
}

/// SIGINT or SIGTERM (`signal` is "INT" or "TERM"): the server drains,
/// snapshots and exits.
async fn stop_cleanly(s: &mut Server, signal: &str) {
    // `baton serve` prints this just before it installs its Ctrl-C handler;
    // readiness alone could in principle come first.
    let deadline = Instant::now() + READY_GUARD;
    while !std::fs::read_to_string(&s.log)
        .unwrap_or_default()
        .contains("listening on")
    {
        assert!(
            Instant::now() < deadline,
            "guard: baton serve never said it was listening:\n{}",
            tail(&s.log)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &s.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
    let deadline = Instant::now() + READY_GUARD;
    loop {
        if let Some(status) = s.child.try_wait().expect("poll the server") {
            assert!(
                status.success(),
                "baton serve did not exit cleanly on SIG{signal} ({status}):\n{}",
                tail(&s.log)
            );
            return;
        }
        if Instant::now() > deadline {
            sigkill(s);
            panic!(
                "guard: baton serve did not stop on SIG{signal}:\n{}",
                tail(&s.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

struct Batch {
    body: String,
    ids: Vec<(String, String)>,
}

/// What the loader and the operator share with the test.
struct Load {
    base: RwLock<String>,
    batches: Vec<Batch>,
    queue: Mutex<VecDeque<usize>>,
    acked_batches: AtomicUsize,
    /// `(source, id)` of every signal whose request was answered 202.
    acked: Mutex<Vec<(String, String)>>,
    /// Posts that got no 202 (server down, or stopping) and went back in the queue.
    failed_posts: AtomicUsize,
    /// Signals a 202 called duplicates: retransmissions of batches that were
    /// stored before the kill cut their answer off.
    duplicates: AtomicUsize,
    incidents: AtomicUsize,
    manual_actions: AtomicUsize,
    approved: AtomicUsize,
    rejected: AtomicUsize,
    fatal: Mutex<Option<String>>,
    done: AtomicBool,
}

impl Load {
    fn base(&self) -> String {
        self.base.read().expect("base").clone()
    }

    fn fail(&self, msg: String) {
        self.fatal.lock().expect("fatal").get_or_insert(msg);
    }

    fn check(&self) {
        if let Some(msg) = self.fatal.lock().expect("fatal").as_ref() {
            panic!("{msg}");
        }
    }
}

async fn loader(load: Arc<Load>, token: String) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("http client");
    loop {
        let next = load.queue.lock().expect("queue").pop_front();
        let Some(i) = next else {
            if load.acked_batches.load(Ordering::SeqCst) == load.batches.len()
                || load.fatal.lock().expect("fatal").is_some()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let b = &load.batches[i];
        let r = http
            .post(format!("{}/v1/signals", load.base()))
            .bearer_auth(&token)
            .header("content-type", "application/cloudevents-batch+json")
            .body(b.body.clone())
            .send()
            .await;
        match r {
            Ok(resp) if resp.status() == 202 => {
                load.acked
                    .lock()
                    .expect("acked")
                    .extend(b.ids.iter().cloned());
                load.acked_batches.fetch_add(1, Ordering::SeqCst);
                // The 202 is the acknowledgement; the body is only tallied.
                if let Ok(v) = resp.json::<Value>().await {
                    let d = v["duplicates"].as_u64().unwrap_or(0) as usize;
                    load.duplicates.fetch_add(d, Ordering::SeqCst);
                }
            }
            Ok(resp) if resp.status() == 429 || resp.status().is_server_error() => {
                load.failed_posts.fetch_add(1, Ordering::SeqCst);
                load.queue.lock().expect("queue").push_back(i);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                load.fail(format!("batch {i} answered {status}: {text}"));
                return;
            }
            Err(_) => {
                load.failed_posts.fetch_add(1, Ordering::SeqCst);
                load.queue.lock().expect("queue").push_back(i);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

const INCIDENT_SPACES: [&str; 4] = ["hall-b", "hall-a", "room-1", "courtyard"];

/// The operator's side: incidents (approve-mode proposals), approvals and
/// rejections, and manual actions, until the load is done. Requests that
/// fail because the server is down are simply not counted.
async fn operator(load: Arc<Load>, ingest: String, operator: String) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");
    let mut n = 0usize;
    while !load.done.load(Ordering::SeqCst) {
        n += 1;
        let base = load.base();
        let id = format!("crash-incident-{n}");
        let incident = json!({
            "specversion": "1.0",
            "id": id,
            "source": "crash-test-radio",
            "type": "incident.reported",
            "subject": INCIDENT_SPACES[n % INCIDENT_SPACES.len()],
            "time": "2026-06-12T14:10:00Z",
            "data": {"kind": if n.is_multiple_of(2) { "medical" } else { "fight" }, "severity": "high", "note": "crash test"},
        });
        if let Ok(r) = http
            .post(format!("{base}/v1/signals"))
            .bearer_auth(&ingest)
            .header("content-type", "application/cloudevents+json")
            .body(incident.to_string())
            .send()
            .await
            && r.status() == 202
        {
            load.acked
                .lock()
                .expect("acked")
                .push(("crash-test-radio".to_string(), id));
            load.incidents.fetch_add(1, Ordering::SeqCst);
        }
        let actions = [
            json!({"kind": "notify", "target": {"ids": ["attendees:session:k-opening"]},
                   "params": {"message": format!("crash test {n}")}, "valid_for": 600_000}),
            // A desired-state resource: older versions still queued are superseded.
            json!({"kind": "sign", "target": {"ids": ["sign:sign-hall-a-door"]},
                   "params": {"content": format!("CRASH TEST {n}")}, "valid_for": 600_000}),
            // Valid for 1 ms: usually expires before it is delivered.
            json!({"kind": "notify", "target": {"ids": ["attendees:session:k-opening"]},
                   "params": {"message": "too late"}, "valid_for": 1}),
        ];
        for action in &actions {
            if let Ok(r) = http
                .post(format!("{base}/v1/actions"))
                .bearer_auth(&operator)
                .json(action)
                .send()
                .await
                && r.status() == 200
            {
                load.manual_actions.fetch_add(1, Ordering::SeqCst);
            }
        }
        let pending = http
            .get(format!(
                "{base}/v1/decisions?status=pending&policy=incident-response"
            ))
            .bearer_auth(&operator)
            .send()
            .await;
        if let Ok(r) = pending
            && let Ok(v) = r.json::<Value>().await
        {
            for d in v["items"].as_array().cloned().unwrap_or_default() {
                let id = match &d["id"] {
                    Value::String(s) => s.clone(),
                    other => format!("{}.{}", other["seq"], other["index"]),
                };
                // Reject one in four, approve the rest.
                let (verb, counter) = if n.is_multiple_of(4) {
                    ("reject", &load.rejected)
                } else {
                    ("approve", &load.approved)
                };
                if let Ok(r) = http
                    .post(format!("{base}/v1/decisions/{id}/{verb}"))
                    .bearer_auth(&operator)
                    .send()
                    .await
                    && r.status() == 200
                {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn deliveries(data: &Path) -> BTreeMap<String, String> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("deliveries.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open deliveries.sqlite");
    conn.busy_timeout(Duration::from_secs(5)).expect("busy");
    let mut st = conn
        .prepare("SELECT key, state FROM deliveries")
        .expect("query deliveries");
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The `ActionResult`s in the journal, read incrementally (also while the
/// server runs: the journal is SQLite in WAL mode).
struct ActionResults {
    journal: SqliteJournal,
    position: u64,
    /// `DECISION.ACTION`, the delivery key.
    keys: HashSet<String>,
}

impl ActionResults {
    fn new(data: &Path) -> ActionResults {
        ActionResults {
            journal: SqliteJournal::open(data, &baton_journal::Options::default())
                .expect("open the journal"),
            position: 0,
            keys: HashSet::new(),
        }
    }

    /// Delivery keys in a final state whose outcome is not in the journal.
    fn unreported(&mut self, data: &Path) -> HashSet<String> {
        self.catch_up();
        deliveries(data)
            .into_iter()
            .filter(|(k, s)| FINAL_STATES.contains(&s.as_str()) && !self.keys.contains(k))
            .map(|(k, _)| k)
            .collect()
    }

    fn catch_up(&mut self) {
        let (keys, position) = (&mut self.keys, &mut self.position);
        self.journal
            .read_after(*position, &mut |e| {
                if let Entry::ActionResult(r) = &e.entry {
                    keys.insert(format!("{}.{}", r.decision, r.action));
                }
                *position = e.seq;
                Ok(())
            })
            .expect("read the journal");
    }
}

/// Names the fields of two states that differ, with the start of each side.
/// (Serde cannot compare them: dedup keys are u128, beyond JSON numbers.)
fn state_diff(a: &State, b: &State) -> String {
    let mut out = Vec::new();
    let cut = |v: &dyn std::fmt::Debug| format!("{v:?}").chars().take(400).collect::<String>();
    macro_rules! fields {
        ($($($f:ident).+),* $(,)?) => {$(
            if a.$($f).+ != b.$($f).+ {
                out.push(format!(
                    "{}:\n  left  {}\n  right {}",
                    stringify!($($f).+),
                    cut(&a.$($f).+),
                    cut(&b.$($f).+)
                ));
            }
        )*};
    }
    fields!(
        now,
        last_seq,
        minute,
        spaces,
        sessions,
        staff,
        attendees,
        space_instances,
        session_instances,
        timers,
        pending,
        overrides,
        modes,
        paused,
        emergency,
        desired_signs,
        published_signs,
        dedup,
        tasks,
        claims,
        alerts,
        stats,
    );
    if out.is_empty() {
        return "no listed field differs (a field this test does not name yet?)".into();
    }
    out.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_signals_survive_sigkill_and_restore_equals_replay() {
    let started = Instant::now();
    let seed = std::env::var("BATON_CRASH_SEED")
        .ok()
        .and_then(|s| {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => s.parse().ok(),
            }
        })
        .unwrap_or(DEFAULT_SEED);
    eprintln!("crash test: seed {seed:#x} (set BATON_CRASH_SEED to change it)");
    let mut rng = Rng(seed);

    let mut tmp = tempfile::tempdir().expect("tempdir");
    if std::env::var("BATON_CRASH_KEEP").is_ok_and(|v| v == "1") {
        tmp.disable_cleanup(true);
        eprintln!("crash test: keeping {}", tmp.path().display());
    }
    let data = tmp.path().join("data");
    let logs = tmp.path().to_path_buf();
    std::fs::create_dir_all(&data).expect("data dir");
    let ingest = token(&data, "ingest");
    let operator_token = token(&data, "operator");

    // The example's day, in file order, cut into batches of 50 to 200.
    let text = std::fs::read_to_string(example().join("signals.jsonl")).expect("signals");
    // The example carries a few deliberately invalid lines (a negative count,
    // a space the event lacks, ...); a batch is refused whole, so those are
    // left out.
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let loaded = baton_spec::load(&example()).expect("the example loads");
    let cfg = baton_core::Compiled::new(loaded.spec, loaded.policies).expect("compiles");
    let lines: Vec<&str> = all
        .iter()
        .copied()
        .filter(|l| {
            baton_model::Signal::parse_json(l)
                .is_ok_and(|s| baton_core::references::unknown_reference(&cfg, &s).is_none())
        })
        .collect();
    let invalid = all.len() - lines.len();
    let mut batches = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let n = rng.range(50, 200).min(lines.len() - i);
        let chunk = &lines[i..i + n];
        let ids = chunk
            .iter()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("a signal line");
                (
                    v["source"].as_str().expect("source").to_string(),
                    v["id"].as_str().expect("id").to_string(),
                )
            })
            .collect();
        batches.push(Batch {
            body: format!("[{}]", chunk.join(",")),
            ids,
        });
        i += n;
    }
    let total = batches.len();

    // Where to interrupt, in acknowledged batches: KILLS SIGKILLs and, in
    // the middle of them, one clean stop (so a snapshot sits mid-journal).
    let mut points: Vec<usize> = Vec::new();
    while points.len() < KILLS + 1 {
        let p = rng.range(total / 10, total * 9 / 10);
        if !points.contains(&p) {
            points.push(p);
        }
    }
    points.sort_unstable();
    let clean_at = KILLS / 2;

    let mut starts = 0;
    let mut server = start(&data, &logs, &mut starts).await;
    let load = Arc::new(Load {
        base: RwLock::new(server.base.clone()),
        queue: Mutex::new((0..total).collect()),
        batches,
        acked_batches: AtomicUsize::new(0),
        acked: Mutex::new(Vec::new()),
        failed_posts: AtomicUsize::new(0),
        duplicates: AtomicUsize::new(0),
        incidents: AtomicUsize::new(0),
        manual_actions: AtomicUsize::new(0),
        approved: AtomicUsize::new(0),
        rejected: AtomicUsize::new(0),
        fatal: Mutex::new(None),
        done: AtomicBool::new(false),
    });
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        tasks.push(tokio::spawn(loader(load.clone(), ingest.clone())));
    }
    tasks.push(tokio::spawn(operator(
        load.clone(),
        ingest.clone(),
        operator_token.clone(),
    )));

    let wait_for = |target: usize| {
        let load = load.clone();
        async move {
            let deadline = Instant::now() + LOAD_GUARD;
            while load.acked_batches.load(Ordering::SeqCst) < target {
                load.check();
                assert!(
                    Instant::now() < deadline,
                    "guard: the load stalled at {} of {target} batches",
                    load.acked_batches.load(Ordering::SeqCst)
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };

    let mut kills = 0;
    let mut snapshot_seq_at_clean_stop = 0;
    // Outcomes recorded in deliveries.sqlite but not journaled, counted
    // after each interruption (the server is down then).
    let mut results: Option<ActionResults> = None;
    let mut unreported_after: Vec<usize> = Vec::new();
    for (k, &p) in points.iter().enumerate() {
        wait_for(p).await;
        if k == clean_at {
            // SIGTERM, as systemd and container runtimes stop a service.
            stop_cleanly(&mut server, "TERM").await;
            let j = SqliteJournal::open(&data, &baton_journal::Options::default())
                .expect("open the journal");
            let last = j.last_seq().expect("last seq");
            let snap = j
                .latest_snapshot()
                .expect("read the snapshot")
                .expect("a snapshot");
            assert_eq!(
                snap.state.last_seq, last,
                "a clean stop snapshots the position it stopped at"
            );
            snapshot_seq_at_clean_stop = last;
        } else {
            sigkill(&mut server);
            kills += 1;
        }
        let r = results.get_or_insert_with(|| ActionResults::new(&data));
        unreported_after.push(r.unreported(&data).len());
        server = start(&data, &logs, &mut starts).await;
        *load.base.write().expect("base") = server.base.clone();
    }
    wait_for(total).await;
    load.done.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("a load task panicked");
    }
    load.check();

    // Kill once more with deliveries likely in flight. Outcomes not
    // journaled by now never will be (see `lost` below).
    sigkill(&mut server);
    kills += 1;
    let mut results = results.unwrap_or_else(|| ActionResults::new(&data));
    let unreported_at_final_kill = results.unreported(&data);
    unreported_after.push(unreported_at_final_kill.len());
    // Restart and let execution settle: no row pending, and every outcome
    // reached after the restart journaled.
    server = start(&data, &logs, &mut starts).await;
    let deadline = Instant::now() + SETTLE_GUARD;
    loop {
        results.catch_up();
        let rows = deliveries(&data);
        let waiting: Vec<(&String, &String)> = rows
            .iter()
            .filter(|(k, s)| {
                *s == "pending"
                    || (!results.keys.contains(*k) && !unreported_at_final_kill.contains(*k))
            })
            .collect();
        if waiting.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            sigkill(&mut server);
            panic!(
                "guard: {} deliveries still pending, or final without a journaled result, \
                 after the final restart, e.g. {:?}\n{}",
                waiting.len(),
                &waiting[..waiting.len().min(10)],
                tail(&server.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(results);
    // The final stop is a kill too, so the restore below has a tail to replay.
    sigkill(&mut server);

    // (a) Every acknowledged signal is in the journal, exactly once, and the
    // journal is gap-free from 1.
    let journal =
        SqliteJournal::open(&data, &baton_journal::Options::default()).expect("open the journal");
    assert_eq!(journal.first_seq().expect("first seq"), Some(1));
    let mut journaled: HashMap<(String, String), usize> = HashMap::new();
    let mut entries = Vec::new();
    journal
        .read_after(0, &mut |e| {
            if let Entry::Signal(s) = &e.entry {
                *journaled
                    .entry((s.source.clone(), s.id.clone()))
                    .or_default() += 1;
            }
            entries.push(e);
            Ok(())
        })
        .expect("read the journal");
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "the journal has a gap or disorder");
    }
    let acked: Vec<(String, String)> = load.acked.lock().expect("acked").clone();
    let missing: Vec<&(String, String)> = acked
        .iter()
        .filter(|k| !journaled.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged signals are not in the journal, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let twice: Vec<_> = journaled.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "signals journaled more than once (a retransmission inside the dedup window was stored): {:?}",
        &twice[..twice.len().min(10)]
    );

    // (b) Snapshot + tail equals a clean replay of the whole journal, and
    // every stored snapshot equals the replay at its position.
    let loaded = baton_spec::load(&example()).expect("the example loads");
    let latest = journal
        .latest_snapshot()
        .expect("read the snapshot")
        .expect("a snapshot");
    let mut snapshots = vec![latest.clone()];
    if latest.state.last_seq > 0
        && let Some(older) = journal
            .snapshot_at_or_before(latest.state.last_seq - 1)
            .expect("read the older snapshot")
    {
        snapshots.push(older);
    }
    // Each snapshot as a restore sees it: `Engine::from_snapshot` rebuilds
    // the dedup map, which snapshots do not store (`#[serde(skip)]`).
    let mut by_seq: BTreeMap<u64, State> = snapshots
        .into_iter()
        .map(|s| {
            let seq = s.state.last_seq;
            let engine = Engine::from_snapshot(s).expect("the snapshot loads");
            (seq, engine.state().clone())
        })
        .collect();
    let mut fresh =
        Engine::new(loaded.spec.clone(), loaded.policies.clone()).expect("a fresh engine");
    // The dedup window's key is the journal's own, as for the live engine.
    fresh.set_dedup_secret(journal.dedup_secret().expect("the journal's dedup key"));
    let mut compared = Vec::new();
    let mut expected_keys: HashSet<String> = HashSet::new();
    let mut compare_at = |fresh: &Engine, by_seq: &mut BTreeMap<u64, State>| {
        if let Some(snap) = by_seq.remove(&fresh.position()) {
            assert!(
                snap == *fresh.state(),
                "the snapshot at {} differs from a clean replay to there:\n{}",
                fresh.position(),
                state_diff(&snap, fresh.state())
            );
            compared.push(fresh.position());
        }
    };
    compare_at(&fresh, &mut by_seq);
    let mut out = Vec::new();
    for e in &entries {
        out.clear();
        fresh.apply(e, &mut out);
        for o in &out {
            if let Output::Execute {
                decision, actions, ..
            } = o
            {
                for a in actions {
                    expected_keys.insert(format!("{decision}.{}", a.index));
                }
            }
        }
        compare_at(&fresh, &mut by_seq);
    }
    assert!(
        by_seq.is_empty(),
        "snapshots at positions the journal never reached: {:?}",
        by_seq.keys().collect::<Vec<_>>()
    );
    let (restored, tail_len) = baton_journal::restore(&journal)
        .expect("restore")
        .expect("a snapshot to restore from");
    assert!(tail_len > 0, "the final kill leaves a tail to replay");
    assert_eq!(restored.position(), fresh.position());
    assert!(
        restored.state() == fresh.state(),
        "snapshot {} + {tail_len} tail entries differs from a clean replay of {} entries:\n{}",
        latest.state.last_seq,
        entries.len(),
        state_diff(restored.state(), fresh.state())
    );

    // (c) Every action the journal executed has a delivery row, and every
    // row reached a final state.
    let rows = deliveries(&data);
    let no_row: Vec<&String> = expected_keys
        .iter()
        .filter(|k| !rows.contains_key(*k))
        .collect();
    assert!(
        no_row.is_empty(),
        "{} executed actions have no delivery row, e.g. {:?}",
        no_row.len(),
        &no_row[..no_row.len().min(10)]
    );
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for s in rows.values() {
        *by_state.entry(s.as_str()).or_default() += 1;
    }
    let unfinished: Vec<(&String, &String)> = rows
        .iter()
        .filter(|(_, s)| !FINAL_STATES.contains(&s.as_str()))
        .collect();
    assert!(
        unfinished.is_empty(),
        "deliveries not in a final state: {:?}",
        &unfinished[..unfinished.len().min(10)]
    );
    assert!(!rows.is_empty(), "the load made deliveries");
    // Every final delivery outcome is journaled exactly once: the executor
    // journals an outcome (and waits for it to be durable) before it marks
    // the row, a restore settles rows whose outcome the journal holds, and a
    // row is re-read before each attempt so a finished one is never retried.
    let mut reported: HashMap<String, usize> = HashMap::new();
    for e in &entries {
        if let Entry::ActionResult(r) = &e.entry {
            *reported
                .entry(format!("{}.{}", r.decision, r.action))
                .or_default() += 1;
        }
    }
    let lost: Vec<&String> = rows.keys().filter(|k| !reported.contains_key(*k)).collect();
    let twice: Vec<(&String, &usize)> = reported.iter().filter(|(_, n)| **n > 1).collect();
    if !lost.is_empty() || !twice.is_empty() {
        eprintln!(
            "crash test: delivery outcomes in deliveries.sqlite but never journaled: {lost:?} \
             (unreported after each interruption: {unreported_after:?}); \
             outcomes journaled more than once: {twice:?}"
        );
    }
    assert!(
        lost.is_empty(),
        "delivery outcomes lost by an interruption: {lost:?}"
    );
    assert!(
        twice.is_empty(),
        "delivery outcomes journaled more than once: {twice:?}"
    );

    eprintln!(
        "crash test: {invalid} invalid example lines left out; {} batches / {} signals acknowledged ({} incidents), {} failed posts retried, \
         {} duplicates answered, {kills} SIGKILLs + 1 clean stop (snapshot at {snapshot_seq_at_clean_stop}), \
         {starts} starts; {} manual actions, {} approvals, {} rejections; journal {} entries, \
         snapshots compared at {compared:?}, restore tail {tail_len}; deliveries {by_state:?}, {} outcomes never journaled, {} journaled twice; {:.1} s",
        total,
        acked.len(),
        load.incidents.load(Ordering::SeqCst),
        load.failed_posts.load(Ordering::SeqCst),
        load.duplicates.load(Ordering::SeqCst),
        load.manual_actions.load(Ordering::SeqCst),
        load.approved.load(Ordering::SeqCst),
        load.rejected.load(Ordering::SeqCst),
        entries.len(),
        lost.len(),
        twice.len(),
        started.elapsed().as_secs_f64()
    );
}
