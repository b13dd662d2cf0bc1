//! The operator console in a real browser: headless Chromium (Debian's
//! `chromium` and `chromium-driver`) driven over WebDriver with
//! fantoccini, against a server started in-process on an ephemeral port.
//!
//! The server runs on the **manual clock**: journal time moves only when
//! the test advances it through the admin call, so nothing here waits on
//! wall-clock time. Every wait is a bounded number of polls of the page's
//! state; none asserts how long anything took.
//!
//! Without `/usr/bin/chromedriver` (or `BATON_CHROMEDRIVER`) the tests skip
//! with a printed reason, unless `BATON_REQUIRE_SERVICES=1` (as `.ci/run`
//! sets), when they fail. Screenshots go to `BATON_SCREENSHOTS`, or
//! `console-screenshots/` in Cargo's test scratch directory.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use baton_server::auth::{Role, Tokens};
use baton_server::clock::ClockMode;
use baton_server::{Config, Running};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/console-event");
/// 2026-06-12T09:00:00Z: the fixture's keynote is on.
const START_AT: i64 = 1_781_254_800_000;
/// Polls of the page before a wait gives up; a guard against a hung test,
/// not a timing assertion.
const POLLS: u32 = 600;
const POLL: Duration = Duration::from_millis(50);

// ------------------------------------------------------------------ harness

/// One browser test at a time: each starts a Chromium, and the machine
/// running the suite may have two cores.
fn serial() -> &'static tokio::sync::Mutex<()> {
    static M: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    M.get_or_init(|| tokio::sync::Mutex::new(()))
}

fn chromedriver_path() -> Option<PathBuf> {
    let p = std::env::var_os("BATON_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    p.is_file().then_some(p)
}

/// Chromedriver in its own process group, so that dropping it also ends
/// the Chromium it started, even when a test fails half-way.
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("--")
            .arg(format!("-{}", self.child.id()))
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Browser {
    client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// Starts chromedriver and a headless Chromium; `None` (after saying why)
/// when there is no chromedriver and services are not required.
async fn browser() -> Option<Browser> {
    let Some(driver) = chromedriver_path() else {
        let why = "no chromedriver at /usr/bin/chromedriver (apt-get install chromium chromium-driver, or set BATON_CHROMEDRIVER)";
        if std::env::var("BATON_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("BATON_REQUIRE_SERVICES=1 but {why}");
        }
        eprintln!("skipping the console browser test: {why}");
        return None;
    };
    let port = free_port();
    use std::os::unix::process::CommandExt;
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display()));
    let driver = Driver { child };
    let profile = tempfile::tempdir().expect("a browser profile directory");
    let binary = std::env::var("BATON_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": binary,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run", "--disable-quic", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut last = String::new();
    for _ in 0..POLLS {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Some(Browser {
                    client,
                    _driver: driver,
                    _profile: profile,
                });
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(POLL).await;
    }
    panic!("chromedriver on port {port} never started a session: {last}");
}

struct Tok {
    admin: String,
    operator: String,
    viewer: String,
    ingest: String,
}

struct Server {
    running: Option<Running>,
    base: String,
    tok: Tok,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(event: &Path) -> Server {
        let dir = tempfile::tempdir().expect("a data directory");
        let data = dir.path().join("data");
        let t = Tokens::open(&data).expect("the token store");
        let tok = Tok {
            admin: t.create(Role::Admin, "ada").expect("token"),
            operator: t.create(Role::Operator, "otto").expect("token"),
            viewer: t.create(Role::Viewer, "vera").expect("token"),
            ingest: t.create(Role::Ingest, "counter-gw").expect("token"),
        };
        drop(t);
        let mut cfg = Config::new(event.to_path_buf(), data);
        cfg.listen = "127.0.0.1:0".parse().expect("an address");
        cfg.start_at = Some(START_AT);
        cfg.clock = ClockMode::Manual;
        let running = baton_server::start(cfg).await.expect("the server starts");
        Server {
            base: format!("http://{}", running.addr),
            running: Some(running),
            tok,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rq = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            rq = rq.json(&b);
        }
        let r = rq.send().await.expect("the server answers");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn signal(&self, body: Value) {
        let r = self
            .http
            .post(format!("{}/v1/signals", self.base))
            .bearer_auth(&self.tok.ingest)
            .header("content-type", "application/cloudevents+json")
            .body(body.to_string())
            .send()
            .await
            .expect("ingest answers");
        assert_eq!(
            r.status().as_u16(),
            202,
            "signal refused: {}",
            r.text().await.unwrap_or_default()
        );
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.shutdown.send(());
            let _ = tokio::time::timeout(Duration::from_secs(10), r.done).await;
        }
    }

    /// Stops the server gracefully (the core drains and snapshots) and
    /// starts a new one on the same event and data directory, as
    /// `a_restart_keeps_the_journal_state` in `api.rs` does: the journal
    /// restores, the tokens stay, console sessions (held in memory) do not.
    async fn restart(mut self, event: &Path) -> Server {
        let r = self.running.take().expect("a running server");
        let _ = r.shutdown.send(());
        tokio::time::timeout(Duration::from_secs(10), r.done)
            .await
            .expect("the server stops")
            .expect("the server task")
            .expect("the server ends cleanly");
        let mut cfg = Config::new(event.to_path_buf(), self._dir.path().join("data"));
        cfg.listen = "127.0.0.1:0".parse().expect("an address");
        cfg.start_at = Some(START_AT);
        cfg.clock = ClockMode::Manual;
        let running = baton_server::start(cfg)
            .await
            .expect("the server starts again");
        Server {
            base: format!("http://{}", running.addr),
            running: Some(running),
            tok: self.tok,
            http: reqwest::Client::new(),
            _dir: self._dir,
        }
    }
}

/// A TCP relay between the browser and the server: the page's origin is
/// the relay's address, which stays put while the link is cut (every open
/// connection dropped, new ones closed at once, as a dead network would),
/// restored, or pointed at a restarted server.
struct Relay {
    addr: std::net::SocketAddr,
    up: tokio::sync::watch::Sender<bool>,
    upstream: std::sync::Arc<std::sync::Mutex<String>>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(upstream: &str) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the relay's port");
        let addr = listener.local_addr().expect("the relay's address");
        let (up, _) = tokio::sync::watch::channel(true);
        let upstream = std::sync::Arc::new(std::sync::Mutex::new(
            upstream.trim_start_matches("http://").to_string(),
        ));
        let (tx, target) = (up.clone(), upstream.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut rx = tx.subscribe();
                if !*rx.borrow_and_update() {
                    drop(inbound);
                    continue;
                }
                let to = target.lock().expect("the upstream address").clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&to).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = rx.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Relay {
            addr,
            up,
            upstream,
            task,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }

    fn point_at(&self, base: &str) {
        *self.upstream.lock().expect("the upstream address") =
            base.trim_start_matches("http://").to_string();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.up.send_replace(false);
        self.task.abort();
    }
}

use common::occupancy;

fn incident(id: &str, space: &str) -> Value {
    common::incident(id, space, "high", "spill")
}

/// Polls a JavaScript expression until it is truthy; returns its value.
async fn until(c: &Client, expr: &str, what: &str) -> Value {
    until_n(c, expr, what, POLLS).await
}

/// [`until`] with its own number of polls, for work that is long by nature.
async fn until_n(c: &Client, expr: &str, what: &str, polls: u32) -> Value {
    let script = format!("try {{ return ({expr}); }} catch (e) {{ return null; }}");
    let mut last = Value::Null;
    for _ in 0..polls {
        match c.execute(&script, vec![]).await {
            Ok(v) if truthy(&v) => return v,
            Ok(v) => last = v,
            Err(e) => last = Value::String(e.to_string()),
        }
        tokio::time::sleep(POLL).await;
    }
    panic!("{what}: `{expr}` never held (last value {last})");
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        _ => true,
    }
}

async fn click(c: &Client, css: &str) {
    let mut last = String::new();
    for _ in 0..POLLS {
        match c.find(Locator::Css(css)).await {
            Ok(e) => match e.click().await {
                Ok(()) => return,
                Err(err) => last = err.to_string(),
            },
            Err(err) => last = err.to_string(),
        }
        tokio::time::sleep(POLL).await;
    }
    panic!("could not click {css}: {last}");
}

/// Presses one key, as a person at the keyboard would: the key goes to
/// whatever has the focus.
async fn press(c: &Client, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.expect("pressing a key");
}

async fn sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/"))
        .await
        .expect("the console loads");
    sign_in_here(c, token).await;
}

/// Waits until the page has drawn two more frames: the map lays out once a
/// frame, however many events arrived.
async fn next_frame(c: &Client) {
    c.execute_async(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )
    .await
    .expect("two animation frames");
}

/// Signs in on the page as it is (no navigation) and waits for the stream.
async fn sign_in_here(c: &Client, token: &str) {
    submit_token(c, token).await;
    until(
        c,
        "document.getElementById('conn').textContent === 'live'",
        "the live stream",
    )
    .await;
}

/// Fills in the sign-in form and waits for the console to open.
async fn submit_token(c: &Client, token: &str) {
    until(
        c,
        "!document.getElementById('signin').hidden",
        "the sign-in form",
    )
    .await;
    let input = c.find(Locator::Id("token")).await.expect("the token field");
    input.send_keys(token).await.expect("typing the token");
    click(c, "#signin-form button[type=submit]").await;
    until(
        c,
        "!document.getElementById('app').hidden",
        "the console after sign-in",
    )
    .await;
}

async fn go(c: &Client, view: &str) {
    click(c, &format!("nav.tabs a[href='#{view}']")).await;
    until(
        c,
        &format!("!document.getElementById('view-{view}').hidden"),
        view,
    )
    .await;
}

/// Clicks the confirmation dialog's confirm button and waits for it to close.
async fn confirm(c: &Client) {
    until(
        c,
        "document.getElementById('confirm').open",
        "the confirmation dialog",
    )
    .await;
    click(c, "#confirm-ok").await;
    until(
        c,
        "!document.getElementById('confirm').open",
        "the dialog closing (an error shows in it otherwise)",
    )
    .await;
}

fn shots_dir() -> PathBuf {
    std::env::var_os("BATON_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots"))
}

async fn screenshot(c: &Client, name: &str) {
    let dir = shots_dir();
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    let png = c.screenshot().await.expect("a screenshot");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).expect("writing the screenshot");
    eprintln!("screenshot: {}", path.display());
}

// ------------------------------------------------------------------ 1. the operator's loop

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_sees_a_space_fill_approves_and_reads_the_result() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    until(
        c,
        "document.querySelector('tr[data-space=\"hall-a\"]')",
        "Hall A's row",
    )
    .await;

    s.signal(occupancy("c-1", "hall-a", 40)).await;
    until(
        c,
        "document.querySelector('tr[data-space=\"hall-a\"] .occ-text').textContent === '40 / 100'",
        "Hall A at 40",
    )
    .await;
    s.signal(occupancy("c-2", "hall-a", 95)).await;
    until(
        c,
        "document.querySelector('tr[data-space=\"hall-a\"] .occ-text').textContent === '95 / 100'",
        "Hall A at 95",
    )
    .await;
    // Over the threshold, and hot spots come first.
    until(
        c,
        "document.querySelector('#board tbody tr[data-space]').dataset.space === 'hall-a'",
        "Hall A sorted to the top",
    )
    .await;
    screenshot(c, "board").await;
    // "Only D–F" leaves no empty zone heading behind: the south zone has
    // no hot space (Overflow 1 is nearly empty and reporting), so its
    // header goes with its rows.
    s.signal(occupancy("c-3", "overflow-1", 5)).await;
    until(
        c,
        "document.querySelector('tr[data-space=\"overflow-1\"] .occ-text').textContent === '5 / 80'",
        "Overflow 1 at 5",
    )
    .await;
    click(c, "#board-hot").await;
    until(
        c,
        "document.querySelector('tbody[data-zone=\"south\"]').hidden === true && document.querySelector('tbody[data-zone=\"north\"]').hidden === false",
        "the south zone hidden whole under the hot filter",
    )
    .await;
    click(c, "#board-hot").await;
    until(
        c,
        "document.querySelector('tbody[data-zone=\"south\"]').hidden === false",
        "the south zone back",
    )
    .await;
    // Over capacity, the fill reads whole ("104%", not "10…").
    s.signal(occupancy("c-4", "hall-a", 104)).await;
    until(
        c,
        "(() => { const td = document.querySelector('tr[data-space=\"hall-a\"] td:nth-of-type(3)'); return td.textContent === '104%' && td.scrollWidth <= td.clientWidth; })()",
        "Hall A's fill shown whole at 104%",
    )
    .await;

    go(c, "queue").await;
    let id = until(
        c,
        "document.querySelector('#pending li[data-decision]')?.dataset.decision",
        "the decision in the queue",
    )
    .await;
    let id = id.as_str().expect("a decision id").to_string();
    let detail = until(
        c,
        "document.getElementById('decision-detail').textContent",
        "the explanation",
    )
    .await;
    let detail = detail.as_str().unwrap_or_default();
    // "What needs me now" lists Hall A, with the decision waiting on it.
    until(
        c,
        "document.querySelector('#situations li[data-space=\"hall-a\"]')?.textContent.includes('hall-full waits for approval')",
        "Hall A in what needs me now",
    )
    .await;
    // The reason comes first, as a sentence, with the value rounded and
    // its unit; then how long the actions can take effect.
    let first = until(
        c,
        "document.querySelector('#decision-detail .explain .reason')?.textContent",
        "the summary sentence",
    )
    .await;
    assert_eq!(
        first.as_str().unwrap_or_default(),
        "Hall A: A hall at 90% or more; put a notice on its door sign once an operator approves. Now: fill 95%."
    );
    let item = until(
        c,
        "document.querySelector('#pending li[data-decision] .age')?.textContent",
        "when it was raised",
    )
    .await;
    assert!(
        item.as_str().unwrap_or_default().starts_with(" raised "),
        "{item}"
    );
    for want in [
        "hall-full",
        "space.fill >= 0.9",
        "Approval expires at",
        "Its actions can take effect until",
        "sign-hall-a",
        "(valid until",
        "Alternatives considered",
    ] {
        assert!(
            detail.contains(want),
            "the decision detail lacks {want:?}: {detail}"
        );
    }
    screenshot(c, "queue").await;
    click(c, "#decision-detail button.approve").await;
    confirm(c).await;
    until(
        c,
        "document.querySelectorAll('#pending li').length === 0",
        "the queue emptied",
    )
    .await;
    let (_, d) = s
        .call(
            reqwest::Method::GET,
            &format!("/v1/decisions/{id}"),
            &s.tok.viewer,
            None,
        )
        .await;
    assert_eq!(d["status"], "approved", "{d}");

    go(c, "timeline").await;
    until(
        c,
        &format!(
            "[...document.querySelectorAll('#timeline li')].some(li => li.textContent.includes('decision {id} action 0 succeeded'))"
        ),
        "the action's result in the timeline",
    )
    .await;
    // The decision opens to its explanation and the fate of each action.
    click(
        c,
        &format!("#timeline details[data-decision='{id}'] summary"),
    )
    .await;
    until(
        c,
        &format!("document.querySelector(\"#timeline details[data-decision='{id}'] .fates\")?.textContent.includes('succeeded via log')"),
        "the action's fate in the opened decision",
    )
    .await;
    screenshot(c, "timeline").await;
    let _ = b.client.clone().close().await;
    s.stop().await;
}

// ------------------------------------------------------------------ 2. viewers

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_the_queue_and_cannot_approve() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    s.signal(occupancy("v-1", "hall-a", 97)).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.viewer).await;
    until(
        c,
        "!document.getElementById('viewer-why').hidden",
        "the viewer note",
    )
    .await;
    go(c, "queue").await;
    let id = until(
        c,
        "document.querySelector('#pending li[data-decision]')?.dataset.decision",
        "the decision in the queue",
    )
    .await;
    let id = id.as_str().expect("a decision id").to_string();
    let btn = until(
        c,
        "(() => { const b = document.querySelector('#decision-detail button.approve'); return b && {disabled: b.disabled, title: b.title, described: b.getAttribute('aria-describedby')}; })()",
        "the approve button",
    )
    .await;
    assert_eq!(btn["disabled"], true, "{btn}");
    assert_eq!(btn["title"], "viewers cannot approve", "{btn}");
    assert_eq!(btn["described"], "viewer-why", "{btn}");
    let pause = until(
        c,
        "document.getElementById('btn-pause').title",
        "the pause button's reason",
    )
    .await;
    assert_eq!(pause, "viewers cannot pause automation");
    // And the API refuses a viewer whatever the page does.
    let (status, _) = s
        .call(
            reqwest::Method::POST,
            &format!("/v1/decisions/{id}/approve"),
            &s.tok.viewer,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 403);
    let _ = b.client.clone().close().await;
    s.stop().await;
}

/// The public view shows the feed as the public reads it, and an
/// operator's FULL at the door wins over the sensors there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_view_shows_the_feed_and_a_door_full_wins() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    s.signal(occupancy("p-1", "hall-a", 12)).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    go(c, "public").await;
    let state = until(
        c,
        "document.querySelector('#public-rows tr[data-room=\"hall-a\"]')?.dataset.state",
        "hall-a in the public view",
    )
    .await;
    assert_eq!(state, "open");
    click(c, "#public-rows tr[data-room=\"hall-a\"] button").await;
    let state = until(
        c,
        "(() => { const r = document.querySelector('#public-rows tr[data-room=\"hall-a\"]'); return r && r.dataset.state === 'full' && r.dataset.state; })()",
        "hall-a marked FULL",
    )
    .await;
    assert_eq!(state, "full");
    // The sensors still say it is nearly empty; the door wins in the feed.
    let r = s
        .http
        .get(format!("{}/v1/public/rooms", s.base))
        .send()
        .await
        .expect("the feed answers");
    let v: Value = r.json().await.expect("JSON");
    let hall = v["items"]
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["id"] == "hall-a")
        .cloned()
        .expect("hall-a");
    assert_eq!(hall["state"], "full", "{hall}");
    assert_eq!(hall["marked_full"], true, "{hall}");
    let _ = b.client.clone().close().await;
    s.stop().await;
}

// ------------------------------------------------------------------ 3. pause

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_stops_execution_and_resume_restores_it() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    click(c, "#btn-pause").await;
    confirm(c).await;
    until(
        c,
        "!document.getElementById('banner-paused').hidden",
        "the paused banner",
    )
    .await;
    until(
        c,
        "document.getElementById('btn-pause').textContent === 'Resume automation'",
        "the resume control",
    )
    .await;

    s.signal(incident("p-1", "foyer")).await;
    go(c, "timeline").await;
    until(
        c,
        "document.getElementById('timeline').textContent.includes('foyer-notice → paused')",
        "the decision shown as paused",
    )
    .await;
    let (_, list) = s
        .call(
            reqwest::Method::GET,
            "/v1/decisions?policy=foyer-notice",
            &s.tok.viewer,
            None,
        )
        .await;
    let paused = list["items"][0].clone();
    assert_eq!(paused["status"], "paused", "{list}");
    let pid = paused["id"].as_str().expect("an id").to_string();
    let (_, audit) = s
        .call(
            reqwest::Method::GET,
            &format!("/v1/audit?decision={pid}"),
            &s.tok.viewer,
            None,
        )
        .await;
    let executed = audit["items"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|i| i["output"]["kind"] == "execute");
    assert!(
        !executed,
        "a decision made while paused was carried out: {audit}"
    );

    click(c, "#btn-pause").await;
    confirm(c).await;
    until(
        c,
        "document.getElementById('banner-paused').hidden",
        "the banner gone",
    )
    .await;
    s.signal(incident("p-2", "foyer")).await;
    until(
        c,
        "document.getElementById('timeline').textContent.includes('foyer-notice → executed')",
        "the next decision executed",
    )
    .await;
    until(
        c,
        "[...document.querySelectorAll('#timeline li')].some(li => /action 0 succeeded via log/.test(li.textContent))",
        "its action delivered",
    )
    .await;
    let _ = b.client.clone().close().await;
    s.stop().await;
}

// ------------------------------------------------------------------ 4. overrides expire

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_shows_its_lock_and_expires_on_the_manual_clock() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    go(c, "actions").await;
    let form = "#f-override";
    c.find(Locator::Css(&format!("{form} input[name=resource]")))
        .await
        .expect("the resource field")
        .send_keys("sign:sign-foyer")
        .await
        .expect("typing");
    c.find(Locator::Css(&format!("{form} input[name=value]")))
        .await
        .expect("the value field")
        .send_keys("CLOSED")
        .await
        .expect("typing");
    let minutes = c
        .find(Locator::Css(&format!("{form} input[name=minutes]")))
        .await
        .expect("the minutes field");
    minutes.clear().await.expect("clearing");
    minutes.send_keys("5").await.expect("typing");
    click(c, &format!("{form} button")).await;
    confirm(c).await;
    let lock = until(
        c,
        "document.querySelector('#overrides li[data-resource=\"sign:sign-foyer\"]')?.textContent",
        "the override's lock",
    )
    .await;
    let lock = lock.as_str().unwrap_or_default();
    assert!(lock.contains("Locked until 09:05"), "{lock}");
    assert!(lock.contains("CLOSED"), "{lock}");
    screenshot(c, "override").await;

    // Four minutes on, still locked; past five, released by the engine.
    let (st, _) = s
        .call(
            reqwest::Method::POST,
            "/v1/clock/advance",
            &s.tok.operator,
            Some(json!({"seconds": 60})),
        )
        .await;
    assert_eq!(st, 403, "only an admin moves the clock");
    let (st, v) = s
        .call(
            reqwest::Method::POST,
            "/v1/clock/advance",
            &s.tok.admin,
            Some(json!({"seconds": 240})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    until(
        c,
        "document.getElementById('clock').textContent.startsWith('Fri 12 Jun 2026 09:04')",
        "the clock at 09:04 on the event day, with its date",
    )
    .await;
    assert!(truthy(
        &c.execute(
            "return !!document.querySelector('#overrides li[data-resource=\"sign:sign-foyer\"]')",
            vec![]
        )
        .await
        .expect("script")
    ));
    let (st, v) = s
        .call(
            reqwest::Method::POST,
            "/v1/clock/advance",
            &s.tok.admin,
            Some(json!({"seconds": 120})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    until(
        c,
        "!document.querySelector('#overrides li[data-resource=\"sign:sign-foyer\"]') && !document.getElementById('overrides-empty').hidden",
        "the override gone",
    )
    .await;
    go(c, "timeline").await;
    until(
        c,
        "document.getElementById('timeline').textContent.includes('override on sign:sign-foyer ended')",
        "the expiry in the timeline",
    )
    .await;
    let _ = b.client.clone().close().await;
    s.stop().await;
}

// ------------------------------------------------------------------ 5. what-if simulation

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/rustconf-lisbon"
);
/// Polls of the page while a what-if runs: simulated days in a debug build
/// on a shared machine can take minutes. A guard, not a timing assertion.
const SIM_POLLS: u32 = 12_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_runs_a_what_if_and_a_viewer_reads_it() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    // The bundled example has a twin.yaml, so the twin is the documented one.
    let s = Server::start(Path::new(EXAMPLE)).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    go(c, "simulation").await;
    let run = until(
        c,
        "(() => { const b = document.getElementById('btn-sim'); return b && !b.disabled && {why: document.getElementById('sim-why').hidden}; })()",
        "an enabled run button",
    )
    .await;
    assert_eq!(run["why"], true, "an operator sees no viewer reason: {run}");
    // Live policies against none (the form's defaults, set explicitly), 2 seeds.
    c.execute(
        "const f = document.getElementById('f-sim'); f.elements.a.value = 'live'; f.elements.b.value = 'none';",
        vec![],
    )
    .await
    .expect("choosing the sides");
    let seeds = c
        .find(Locator::Css("#f-sim input[name=seeds]"))
        .await
        .expect("the seeds field");
    seeds.clear().await.expect("clearing the seeds");
    seeds.send_keys("2").await.expect("typing the seeds");
    click(c, "#btn-sim").await;
    // While it runs the button is disabled and the status counts runs of 4.
    until(
        c,
        "document.getElementById('btn-sim').disabled || document.querySelector('#sim-table')",
        "the run starting",
    )
    .await;
    until_n(
        c,
        &format!(
            "document.querySelectorAll('#sim-table tbody tr').length === {}",
            baton_sim::KPIS.len()
        ),
        "the KPI table of the finished what-if",
        SIM_POLLS,
    )
    .await;
    let table = until(
        c,
        "(() => { const t = document.getElementById('sim-table'); return t && {
            heads: [...t.querySelectorAll('thead th')].map(h => h.textContent),
            rowHeads: t.querySelectorAll('tbody th[scope=row]').length,
            caption: t.caption && t.caption.textContent,
            text: t.tBodies[0].textContent,
            status: document.getElementById('sim-status').textContent,
            enabled: !document.getElementById('btn-sim').disabled,
            bar: document.getElementById('sim-progress').hidden,
        }; })()",
        "the table's contents",
    )
    .await;
    let heads: Vec<&str> = table["heads"]
        .as_array()
        .expect("headers")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        heads,
        [
            "KPI",
            "Unit",
            "A: live policies",
            "B: no orchestration",
            "A − B",
            "Significant"
        ],
        "{table}"
    );
    assert_eq!(table["rowHeads"], baton_sim::KPIS.len(), "{table}");
    let text = table["text"].as_str().unwrap_or_default();
    assert!(
        !text.contains("null") && !text.contains("NaN") && !text.contains("undefined"),
        "an undefined mean shows as n/a: {table}"
    );
    assert!(
        table["status"]
            .as_str()
            .is_some_and(|x| x.starts_with("Done") && x.contains("4 runs")),
        "{table}"
    );
    assert_eq!(table["enabled"], true, "the button comes back: {table}");
    assert_eq!(table["bar"], true, "the progress bar goes: {table}");
    // Charts are images of data: URLs with their titles, and they decode.
    let charts = until(
        c,
        "(() => { const imgs = [...document.querySelectorAll('#sim-result figure.chart img')];
            return imgs.length > 0 && imgs.every(i => i.complete) && imgs.map(i => ({
                data: i.getAttribute('src').startsWith('data:image/svg+xml'),
                alt: i.alt, width: i.naturalWidth,
                caption: i.closest('figure').querySelector('figcaption').textContent,
            })); })()",
        "the chart images",
    )
    .await;
    let charts = charts.as_array().expect("charts");
    assert!(!charts.is_empty());
    for ch in charts {
        assert_eq!(ch["data"], true, "{ch}");
        assert!(
            ch["width"].as_u64().is_some_and(|w| w > 0),
            "the SVG decodes: {ch}"
        );
        let caption = ch["caption"].as_str().unwrap_or_default();
        assert!(!caption.is_empty(), "{ch}");
        assert_eq!(ch["alt"], format!("Chart: {caption}"), "{ch}");
    }
    assert_eq!(
        c.execute(
            "return document.querySelectorAll('#sim-result script, #sim-result svg').length;",
            vec![]
        )
        .await
        .expect("script"),
        0,
        "no inline SVG or script in the page"
    );
    c.execute(
        "document.getElementById('sim-table').scrollIntoView();",
        vec![],
    )
    .await
    .expect("scrolling");
    screenshot(c, "simulation").await;

    // A viewer reads the same run, and cannot start one.
    click(c, "#btn-signout").await;
    sign_in(c, &s.base, &s.tok.viewer).await;
    go(c, "simulation").await;
    let btn = until(
        c,
        "(() => { const b = document.getElementById('btn-sim'); const w = document.getElementById('sim-why');
            return b && !w.hidden && {disabled: b.disabled, title: b.title, why: w.textContent}; })()",
        "the viewer's disabled run button",
    )
    .await;
    assert_eq!(btn["disabled"], true, "{btn}");
    assert_eq!(btn["title"], "viewers cannot run simulations", "{btn}");
    assert!(
        btn["why"]
            .as_str()
            .is_some_and(|w| w.contains("viewers cannot run simulations")),
        "{btn}"
    );
    until(
        c,
        &format!(
            "document.querySelectorAll('#sim-table tbody tr').length === {}",
            baton_sim::KPIS.len()
        ),
        "the latest run, shown to the viewer",
    )
    .await;
    let _ = b.client.clone().close().await;
    s.stop().await;
}

// ------------------------------------------------------------------ 6. a network drop

const HALL_A: &str = "document.querySelector('tr[data-space=\"hall-a\"] .occ-text')?.textContent";

/// The page's marker and the stream's resync count: a reload would lose
/// the marker; a resync (re-reading every list) would count.
async fn marks(c: &Client) -> Value {
    c.execute(
        "return {marker: window.__marker ?? null, resyncs: Baton.streamStats().resyncs, rows: document.querySelectorAll('#board tr[data-space]').length};",
        vec![],
    )
    .await
    .expect("reading the page's marks")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_resumes_after_a_network_drop_without_a_reload() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let event = Path::new(FIXTURE);
    let s = Server::start(event).await;
    let relay = Relay::start(&s.base).await;
    let c = &b.client;
    sign_in(c, &relay.base(), &s.tok.operator).await;
    s.signal(occupancy("d-1", "hall-a", 30)).await;
    until(c, &format!("{HALL_A} === '30 / 100'"), "Hall A at 30").await;
    c.execute("window.__marker = 1; return true;", vec![])
        .await
        .expect("marking the page");
    let before = marks(c).await;

    // The network goes: the open stream is cut and reconnects fail.
    relay.cut();
    until(
        c,
        "document.getElementById('conn').textContent !== 'live'",
        "the console showing the drop",
    )
    .await;
    s.signal(occupancy("d-2", "hall-a", 60)).await;
    s.signal(occupancy("d-3", "overflow-1", 12)).await;
    let during = c
        .execute(&format!("return {HALL_A};"), vec![])
        .await
        .expect("reading the board");
    assert_eq!(during, "30 / 100", "nothing reaches the page while cut");
    screenshot(c, "drop-offline").await;

    // It comes back: the stream resumes from its last event id and brings
    // what happened meanwhile, in the same page.
    relay.restore();
    until(
        c,
        &format!(
            "{HALL_A} === '60 / 100' && document.querySelector('tr[data-space=\"overflow-1\"] .occ-text').textContent === '12 / 80'"
        ),
        "the readings posted during the drop",
    )
    .await;
    until(
        c,
        "document.getElementById('conn').textContent === 'live'",
        "the stream live again",
    )
    .await;
    let after = marks(c).await;
    assert_eq!(after["marker"], 1, "the page did not reload: {after}");
    assert_eq!(
        after["resyncs"], before["resyncs"],
        "resumed from its position, not re-read: {before} {after}"
    );
    // And it keeps streaming.
    s.signal(occupancy("d-4", "hall-a", 65)).await;
    until(
        c,
        &format!("{HALL_A} === '65 / 100'"),
        "Hall A at 65 after the drop",
    )
    .await;

    // A server restart behind the same address: the journal restores, and
    // so does the console session (kept hashed in auth.sqlite): the page
    // carries on without a reload or a new sign-in, and shows what happened
    // while the server was down.
    relay.cut();
    until(
        c,
        "document.getElementById('conn').textContent !== 'live'",
        "the console showing the drop",
    )
    .await;
    let s = s.restart(event).await;
    relay.point_at(&s.base);
    s.signal(occupancy("d-5", "hall-a", 80)).await;
    relay.restore();
    until(
        c,
        &format!("{HALL_A} === '80 / 100'"),
        "Hall A at 80 after the restart",
    )
    .await;
    let signin_hidden = c
        .execute("return document.getElementById('signin').hidden", vec![])
        .await
        .expect("read the sign-in form");
    assert_eq!(signin_hidden, json!(true), "no new sign-in after a restart");
    let again = marks(c).await;
    assert_eq!(again["marker"], 1, "the page did not reload: {again}");
    assert_eq!(again["rows"], 3, "one row per space, not two: {again}");
    s.signal(occupancy("d-6", "hall-a", 85)).await;
    until(
        c,
        &format!("{HALL_A} === '85 / 100'"),
        "Hall A at 85, live after the restart",
    )
    .await;
    screenshot(c, "drop-restored").await;
    let _ = b.client.clone().close().await;
    drop(relay);
    s.stop().await;
}

// ------------------------------------------------------------------ 7. the keyboard

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_works_the_queue_by_keyboard() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    // Two pending decisions: Hall A full (priority 50) and, with the foyer
    // policy switched to approve, an incident in the foyer (priority 10).
    let (st, v) = s
        .call(
            reqwest::Method::POST,
            "/v1/policies/foyer-notice/mode",
            &s.tok.operator,
            Some(json!({"mode": "approve"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    s.signal(occupancy("k-1", "hall-a", 95)).await;
    s.signal(incident("k-2", "foyer")).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    until(
        c,
        "document.querySelectorAll('#pending li[data-decision]').length === 2",
        "two pending decisions",
    )
    .await;
    let selected = "(() => { const li = document.querySelector('#pending li[aria-selected=\"true\"]'); return li && li.querySelector('.pol').textContent; })()";
    let focused = "document.activeElement?.dataset?.decision === document.querySelector('#pending li[aria-selected=\"true\"]')?.dataset.decision";

    // j moves down (and opens the queue), k back up, j down again.
    press(c, 'j').await;
    until(
        c,
        "!document.getElementById('view-queue').hidden",
        "the queue opened by j",
    )
    .await;
    until(
        c,
        &format!("{selected} === 'foyer-notice'"),
        "j: the second decision",
    )
    .await;
    until(c, focused, "the selected decision has the focus").await;
    press(c, 'k').await;
    until(
        c,
        &format!("{selected} === 'hall-full'"),
        "k: the first decision",
    )
    .await;
    until(
        c,
        "document.querySelector('#decision-detail h3')?.textContent.includes('hall-full')",
        "its detail",
    )
    .await;
    press(c, 'j').await;
    until(
        c,
        &format!("{selected} === 'foyer-notice'"),
        "j: the second again",
    )
    .await;
    let id = until(
        c,
        "document.querySelector('#pending li[aria-selected=\"true\"]').dataset.decision",
        "the selected decision's id",
    )
    .await;
    let id = id.as_str().expect("an id").to_string();
    until(
        c,
        &format!("document.querySelector('#decision-detail h3')?.textContent.includes('{id}')"),
        "the detail of the selected decision",
    )
    .await;

    // a asks once; Enter confirms.
    press(c, 'a').await;
    let dialog = until(
        c,
        "document.getElementById('confirm').open && {title: document.getElementById('confirm-title').textContent, focus: document.activeElement.id}",
        "the approval's confirmation",
    )
    .await;
    assert_eq!(dialog["title"], "Approve foyer-notice?", "{dialog}");
    assert_eq!(dialog["focus"], "confirm-ok", "Enter confirms: {dialog}");
    screenshot(c, "keyboard-confirm").await;
    press(c, fantoccini::key::Key::Enter.into()).await;
    until(
        c,
        "!document.getElementById('confirm').open",
        "the confirmation closing (an error shows in it otherwise)",
    )
    .await;
    until(
        c,
        &format!(
            "document.querySelectorAll('#pending li[data-decision]').length === 1 && !document.querySelector('#pending li[data-decision=\"{id}\"]') && {selected} === 'hall-full'"
        ),
        "the approved decision gone from the queue, the other selected",
    )
    .await;
    until(
        c,
        focused,
        "the keyboard still in the queue after it re-rendered",
    )
    .await;
    let (_, d) = s
        .call(
            reqwest::Method::GET,
            &format!("/v1/decisions/{id}"),
            &s.tok.viewer,
            None,
        )
        .await;
    assert_eq!(d["status"], "approved", "{d}");
    assert_eq!(d["policy"], "foyer-notice", "{d}");
    let (_, hall) = s
        .call(
            reqwest::Method::GET,
            "/v1/decisions?policy=hall-full",
            &s.tok.viewer,
            None,
        )
        .await;
    assert_eq!(
        hall["items"][0]["status"], "pending",
        "only the selected one: {hall}"
    );
    // The timeline says so too.
    press(c, '6').await;
    until(
        c,
        "!document.getElementById('view-timeline').hidden",
        "the timeline by its number",
    )
    .await;
    until(
        c,
        &format!(
            "[...document.querySelectorAll('#timeline li')].some(li => li.textContent.includes('decision {id} action 0 succeeded'))"
        ),
        "the approved action's result in the timeline",
    )
    .await;

    // ? opens the help, which lists the keys; Escape closes it.
    press(c, '?').await;
    let help = until(
        c,
        "document.getElementById('help').open && [...document.querySelectorAll('#help dt')].map(d => d.textContent)",
        "the keyboard help",
    )
    .await;
    let keys: Vec<&str> = help
        .as_array()
        .expect("the help's keys")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for want in ["j / k", "a", "e", "r", "/", "1–9", "?"] {
        assert!(keys.contains(&want), "the help lacks {want:?}: {keys:?}");
    }
    screenshot(c, "keyboard-help").await;
    press(c, fantoccini::key::Key::Escape.into()).await;
    until(
        c,
        "!document.getElementById('help').open",
        "the help closing",
    )
    .await;
    let _ = b.client.clone().close().await;
    s.stop().await;
}

// ------------------------------------------------------------------ the board at scale (measurement)

/// Writes an event with `n` spaces in ten zones, with coordinates, and no policies.
fn big_event(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).expect("the event directory");
    std::fs::write(
        dir.join("event.yaml"),
        "id: board-scale\nname: Board at scale\ntimezone: UTC\ndate: \"2026-06-12\"\nstale_after: 4m\ndedup_window: 15m\ntick: 1s\n",
    )
    .expect("event.yaml");
    let mut venue = String::from("spaces:\n");
    for i in 0..n {
        let zone = i % 10;
        let (x, y) = ((i % 40) as f64 * 10.0, (i / 40) as f64 * 10.0);
        venue.push_str(&format!(
            "  - {{id: s{i:04}, name: Space {i:04}, kind: room, capacity: 200, area_m2: 150.0, zone: z{zone}, seated: true, position: [{x:.1}, {y:.1}]}}\n"
        ));
    }
    std::fs::write(dir.join("venue.yaml"), venue).expect("venue.yaml");
    std::fs::write(dir.join("policies.yaml"), "policies: []\n").expect("policies.yaml");
    std::fs::write(dir.join("sessions.yaml"), "sessions: []\n").expect("sessions.yaml");
}

/// Measures the board with 1,000 spaces at about 100 (then 1,000) space
/// updates a second: frame intervals from requestAnimationFrame, long
/// tasks from a PerformanceObserver, and the board's own counters. Prints
/// the figures (docs/CONSOLE.md records them); asserts nothing about time.
/// `cargo test -p baton-server --test console -- --ignored --nocapture board_at_scale`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: run it by hand"]
async fn board_at_scale() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let ev = tempfile::tempdir().expect("a directory");
    big_event(ev.path(), 1000);
    let s = Server::start(ev.path()).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    until(
        c,
        "document.querySelectorAll('#board tr[data-space]').length === 1000",
        "1,000 rows",
    )
    .await;
    let seconds: u64 = std::env::var("BATON_BOARD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for rate in [100u64, 1000] {
        c.execute(
            r#"
            window.__perf = {long: [], frames: [], last: performance.now(), stop: false};
            if (!window.__obs) {
              window.__obs = new PerformanceObserver(l => { for (const e of l.getEntries()) window.__perf.long.push(e.duration); });
              window.__obs.observe({type: 'longtask'});
            }
            const f = (t) => { const p = window.__perf; p.frames.push(t - p.last); p.last = t; if (!p.stop) requestAnimationFrame(f); };
            requestAnimationFrame(f);
            Object.assign(Baton.board.stats, {flushes: 0, applied: 0, cells: 0, sorts: 0});
            return true;"#,
            vec![],
        )
        .await
        .expect("installing the probes");
        let started = std::time::Instant::now();
        let mut sent = 0u64;
        let mut k = 0u64;
        // 10 batches a second of rate/10 readings for different spaces.
        let per = (rate / 10).max(1);
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        while started.elapsed() < Duration::from_secs(seconds) {
            tick.tick().await;
            let batch: Vec<Value> = (0..per)
                .map(|_| {
                    k += 1;
                    // 7919 is prime to 1,000: every space in turn, scattered.
                    let space = (k * 7919) % 1000;
                    occupancy(
                        &format!("b-{rate}-{k}"),
                        &format!("s{space:04}"),
                        ((k * 37) % 220) as i64,
                    )
                })
                .collect();
            sent += batch.len() as u64;
            let r = s
                .http
                .post(format!("{}/v1/signals", s.base))
                .bearer_auth(&s.tok.ingest)
                .header("content-type", "application/cloudevents-batch+json")
                .body(Value::Array(batch).to_string())
                .send()
                .await
                .expect("ingest answers");
            assert_eq!(r.status().as_u16(), 202);
        }
        let wall = started.elapsed().as_secs_f64();
        let filter_ms = c
            .execute(
                "const t = performance.now(); Baton.board.setFilter({text: 'Space 09'}); Baton.board.setFilter({text: ''}); return performance.now() - t;",
                vec![],
            )
            .await
            .expect("timing a filter");
        let r = c
            .execute(
                r#"
                const p = window.__perf; p.stop = true;
                const f = p.frames.slice(1).sort((a, b) => a - b);
                const q = (x) => f.length ? f[Math.min(f.length - 1, Math.floor(x * f.length))] : 0;
                const l = p.long;
                return {frames: f.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: f.length ? f[f.length - 1] : 0,
                        over50: f.filter(x => x > 50).length,
                        longtasks: l.length, longtask_ms: l.reduce((a, b) => a + b, 0), longtask_max: l.length ? Math.max(...l) : 0,
                        stats: Baton.board.stats, stream: Baton.streamStats()};"#,
                vec![],
            )
            .await
            .expect("reading the probes");
        println!(
            "board_at_scale: 1000 spaces, {sent} readings in {wall:.1} s ({:.0}/s): frames {} (p50 {:.1} ms, p95 {:.1}, p99 {:.1}, max {:.1}, {} over 50 ms); long tasks {} totalling {:.0} ms (max {:.0}); flushes {}, sorts {}, rows applied {}, cells written {}; stream {}; filter+unfilter {:.1} ms",
            sent as f64 / wall,
            r["frames"],
            r["p50"].as_f64().unwrap_or(0.0),
            r["p95"].as_f64().unwrap_or(0.0),
            r["p99"].as_f64().unwrap_or(0.0),
            r["max"].as_f64().unwrap_or(0.0),
            r["over50"],
            r["longtasks"],
            r["longtask_ms"].as_f64().unwrap_or(0.0),
            r["longtask_max"].as_f64().unwrap_or(0.0),
            r["stats"]["flushes"],
            r["stats"]["sorts"],
            r["stats"]["applied"],
            r["stats"]["cells"],
            r["stream"],
            filter_ms.as_f64().unwrap_or(0.0),
        );
    }
    // The sparklines' redraw (every 20 s) with a full hour for every
    // space: the journal clock does not move here, so the history the
    // server gives is one minute long; draw a synthetic hour instead.
    let spark_ms = c
        .execute(
            "const sp = Baton.state.sparklines, now = Baton.state.control.now || 0;
             const spaces = {};
             for (const id of Baton.board.rows.keys()) spaces[id] = Array.from({length: 61}, (_, i) => 50 + ((i * 7) % 120));
             sp.data = {step_ms: 60000, from: now - 3600000, now, spaces};
             const t = performance.now(); sp.draw(); return performance.now() - t;",
            vec![],
        )
        .await
        .expect("timing the sparklines");
    eprintln!(
        "board_at_scale: sparklines for 1000 spaces, an hour each, drawn in {:.1} ms",
        spark_ms.as_f64().unwrap_or(0.0)
    );
    screenshot(c, "board-1000").await;
    let _ = b.client.clone().close().await;
    s.stop().await;
}

/// The board of the bundled example, fed its scripted day minute by minute
/// on the manual clock up to `BATON_SCREENSHOT_AT` (UTC, default 08:20),
/// then photographed: board, map and queue. `docs/console.png` comes from
/// here. `cargo test -p baton-server --test console -- --ignored example_screenshots`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "makes the documentation's screenshots: run it by hand"]
async fn example_screenshots() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon");
    let text =
        std::fs::read_to_string(example.join("signals.jsonl")).expect("the example's signals");
    let mut feed: Vec<(i64, String)> = text
        .lines()
        .filter_map(|l| {
            let s = baton_model::Signal::parse_json(l).ok()?;
            Some((s.time?, l.to_string()))
        })
        .collect();
    feed.sort_by_key(|x| x.0);
    let at = std::env::var("BATON_SCREENSHOT_AT").unwrap_or_else(|_| "08:20".into());
    let (h, m) = at.split_once(':').expect("HH:MM");
    let day = 1_781_222_400_000i64; // 2026-06-12T00:00:00Z
    let until_ms =
        day + (h.parse::<i64>().expect("hours") * 60 + m.parse::<i64>().expect("minutes")) * 60_000;
    let first = feed.first().map(|x| x.0).expect("signals");
    let dir = tempfile::tempdir().expect("a data directory");
    let data = dir.path().join("data");
    let t = Tokens::open(&data).expect("the token store");
    let (admin, ingest) = (
        t.create(Role::Admin, "ada").expect("token"),
        t.create(Role::Ingest, "feed").expect("token"),
    );
    drop(t);
    let mut cfg = Config::new(example, data);
    cfg.listen = "127.0.0.1:0".parse().expect("an address");
    cfg.start_at = Some(first - first.rem_euclid(60_000));
    cfg.clock = ClockMode::Manual;
    let running = baton_server::start(cfg).await.expect("the server starts");
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let mut i = 0;
    let mut now = first - first.rem_euclid(60_000);
    while now < until_ms {
        let next = now + 60_000;
        let mut batch = Vec::new();
        while i < feed.len() && feed[i].0 < next {
            batch.push(feed[i].1.as_str());
            i += 1;
        }
        let r = http
            .post(format!("{base}/v1/clock/advance"))
            .bearer_auth(&admin)
            .json(&json!({"seconds": 60}))
            .send()
            .await
            .expect("advance");
        assert_eq!(r.status().as_u16(), 200);
        // The example's feed holds a deliberately bad signal or two (an
        // unknown space): a batch is refused whole, so drop what is named.
        while !batch.is_empty() {
            let r = http
                .post(format!("{base}/v1/signals"))
                .bearer_auth(&ingest)
                .header("content-type", "application/cloudevents-batch+json")
                .body(format!("[{}]", batch.join(",")))
                .send()
                .await
                .expect("ingest");
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            if status == 202 {
                break;
            }
            let bad = body["field"]
                .as_str()
                .and_then(|f| f.strip_prefix('['))
                .and_then(|f| f.split(']').next())
                .and_then(|i| i.parse::<usize>().ok());
            match bad {
                Some(i) if status == 422 && i < batch.len() => {
                    batch.remove(i);
                }
                _ => panic!("ingest {status}: {body}"),
            }
        }
        now = next;
    }
    let c = &b.client;
    sign_in(c, &base, &admin).await;
    until(
        c,
        "document.querySelectorAll('#board tr[data-space]').length > 10",
        "the board",
    )
    .await;
    // Let the throttled sort settle: poll until two reads agree.
    let order =
        "[...document.querySelectorAll('#board tr[data-space]')].map(r => r.dataset.space).join()";
    let mut last = Value::Null;
    for _ in 0..POLLS {
        let v = c
            .execute(&format!("return {order};"), vec![])
            .await
            .expect("script");
        if v == last {
            break;
        }
        last = v;
        tokio::time::sleep(Duration::from_millis(2000)).await;
    }
    screenshot(c, "example-board").await;
    go(c, "map").await;
    screenshot(c, "example-map").await;
    go(c, "queue").await;
    screenshot(c, "example-queue").await;
    go(c, "timeline").await;
    until(
        c,
        "document.querySelectorAll('#timeline li').length > 0",
        "the timeline",
    )
    .await;
    screenshot(c, "example-timeline").await;
    let _ = b.client.clone().close().await;
    let _ = running.shutdown.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), running.done).await;
}

// ------------------------------------------------------------------ history, map, staff (issue 18: 6, 7, 8)

impl Server {
    async fn advance(&self, seconds: i64) {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/v1/clock/advance",
                &self.tok.admin,
                Some(json!({ "seconds": seconds })),
            )
            .await;
        assert_eq!(status, 200, "advance: {body}");
    }

    fn staff_token(&self, id: &str) -> String {
        let t = Tokens::open(&self._dir.path().join("data")).expect("the token store");
        t.create(Role::Staff, id).expect("a staff token")
    }
}

/// Defect 6: the board draws each space's last hour beside its count, and a
/// space's own page shows its history against capacity, the forecast,
/// its decisions, its timeline and its sensor health.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_sits_beside_the_live_view() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    // Twenty minutes of Hall A filling, a count every three minutes (the
    // fixture's stale_after is four), a sample a minute.
    for (i, count) in [20, 35, 50, 62, 75, 88, 96].into_iter().enumerate() {
        s.signal(occupancy(&format!("h-{i}"), "hall-a", count))
            .await;
        s.advance(180).await;
    }
    s.signal(occupancy("o-1", "overflow-1", 10)).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    // The sparkline: a line with a point per sample, the capacity line, the
    // forecast, and words for a screen reader.
    let spark = until(
        c,
        "(() => { const g = document.querySelector('tr[data-space=\"hall-a\"] svg.spark');
                  const p = g && g.querySelector('path.ch-line');
                  return p && g.querySelector('line.ch-cap') && {d: p.getAttribute('d'), label: g.getAttribute('aria-label')}; })()",
        "Hall A's sparkline",
    )
    .await;
    let d = spark["d"].as_str().unwrap_or_default();
    assert!(
        d.matches('L').count() >= 5,
        "a line through the samples: {d}"
    );
    let label = spark["label"].as_str().unwrap_or_default();
    assert!(
        label.contains("to 96 of 100"),
        "the label says the range: {label}"
    );
    screenshot(c, "board-sparklines").await;

    // The space's own page, from its name on the board.
    click(c, "tr[data-space='hall-a'] a.name").await;
    until(
        c,
        "!document.getElementById('view-space').hidden && document.getElementById('h-space').textContent === 'Hall A'",
        "Hall A's page",
    )
    .await;
    let page = until(
        c,
        "(() => { const ch = document.getElementById('space-chart');
                  const ok = ch.querySelector('path.ch-line') && document.querySelectorAll('#space-decisions li').length > 0
                             && document.querySelectorAll('#space-timeline li').length > 0;
                  return ok && {now: document.getElementById('space-now').textContent,
                                health: document.getElementById('space-health').textContent,
                                decisions: document.getElementById('space-decisions').textContent,
                                note: document.getElementById('space-chart-note').textContent,
                                forecast: !!ch.querySelector('path.ch-forecast'),
                                ticks: [...ch.querySelectorAll('text.ch-axis')].map(t => t.textContent)}; })()",
        "the chart, decisions and timeline",
    )
    .await;
    assert!(
        page["now"].as_str().unwrap().contains("96 of 100"),
        "{page}"
    );
    assert!(
        page["health"].as_str().unwrap().contains("Last signal"),
        "{page}"
    );
    assert!(
        page["decisions"].as_str().unwrap().contains("hall-full"),
        "the decision about Hall A: {page}"
    );
    assert!(
        page["note"]
            .as_str()
            .unwrap()
            .contains("One sample a minute"),
        "{page}"
    );
    assert_eq!(page["forecast"], json!(true), "{page}");
    assert!(
        page["ticks"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == "100")),
        "the capacity is marked on the axis: {page}"
    );
    // A space whose sensor went quiet shows it: minutes without data are shaded.
    s.advance(600).await;
    c.execute(
        "const s = document.getElementById('space-range'); s.value = '180'; s.dispatchEvent(new Event('change')); return true;",
        vec![],
    )
    .await
    .expect("choosing three hours");
    until(
        c,
        "document.querySelectorAll('#space-chart rect.ch-stale').length > 0 && document.getElementById('space-health').textContent.includes('no data')",
        "the quiet minutes shaded and the health saying so",
    )
    .await;
    screenshot(c, "space-detail").await;
    // Back to the board by the link.
    click(c, "#view-space .back a").await;
    until(
        c,
        "!document.getElementById('view-board').hidden",
        "the board",
    )
    .await;
    let _ = b.client.clone().close().await;
    s.stop().await;
}

/// Defect 7: where spaces have outlines the map is a floor plan that fills
/// the page, with labels a person can read at any zoom; it zooms and pans
/// by buttons, wheel, drag and keys; a space opens its page. A venue
/// without outlines keeps the node graph.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_is_a_floor_plan_that_zooms_and_pans() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    s.signal(occupancy("m-1", "hall-a", 97)).await;
    s.signal(occupancy("m-2", "foyer", 30)).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    go(c, "map").await;
    let drawn = until(
        c,
        "(() => { const m = document.getElementById('map'); const r = m.getBoundingClientRect();
                  return m.querySelectorAll('g.space polygon').length === 2 && {
                    polygons: m.querySelectorAll('g.space polygon').length,
                    markers: m.querySelectorAll('g.space circle.marker').length,
                    hall: m.querySelector('g.space[data-space=\"hall-a\"]').getAttribute('class'),
                    count: m.querySelector('g.space[data-space=\"hall-a\"] .map-count').textContent,
                    width: r.width, height: r.height, page: window.innerWidth }; })()",
        "the floor plan",
    )
    .await;
    assert_eq!(
        drawn["markers"],
        json!(1),
        "Overflow 1 has only a position: {drawn}"
    );
    // Seated: the level follows the fill ratio (97% is E).
    assert!(drawn["hall"].as_str().unwrap().contains("los-E"), "{drawn}");
    assert_eq!(drawn["count"], json!("97/100 · E"), "{drawn}");
    assert!(
        drawn["width"].as_f64().unwrap() > 0.9 * drawn["page"].as_f64().unwrap() - 60.0
            && drawn["height"].as_f64().unwrap() >= 320.0,
        "the plan fills the page: {drawn}"
    );
    // Labels are a readable size on screen, and stay so when zoomed.
    let label_px = "document.querySelector('g.space[data-space=\"hall-a\"] .map-name').getBoundingClientRect().height";
    let before = until(c, label_px, "Hall A's label").await;
    let before = before.as_f64().unwrap();
    assert!((10.0..=24.0).contains(&before), "label height {before}px");
    let box_w = "document.querySelector('g.space[data-space=\"hall-a\"] polygon').getBoundingClientRect().width";
    let w0 = until(c, box_w, "Hall A's outline").await.as_f64().unwrap();
    let vb = "document.getElementById('map').getAttribute('viewBox')";
    let home = until(c, vb, "viewBox").await;
    click(c, "#map-in").await;
    click(c, "#map-in").await;
    next_frame(c).await;
    let w1 = until(c, box_w, "Hall A's outline").await.as_f64().unwrap();
    assert!(w1 > 1.4 * w0, "zoomed in: {w0} -> {w1}");
    let after = until(c, label_px, "Hall A's label").await.as_f64().unwrap();
    assert!(
        (after - before).abs() < 3.0,
        "label size kept on zoom: {before} -> {after}"
    );
    // The wheel zooms out, a drag pans, 0 fits.
    c.execute(
        "const m = document.getElementById('map'); const r = m.getBoundingClientRect();
         m.dispatchEvent(new WheelEvent('wheel', {deltaY: 120, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true}));
         return true;",
        vec![],
    )
    .await
    .expect("a wheel turn");
    next_frame(c).await;
    let w2 = until(c, box_w, "Hall A's outline").await.as_f64().unwrap();
    assert!(w2 < w1, "the wheel zoomed out: {w1} -> {w2}");
    let v1 = until(c, vb, "viewBox").await;
    c.execute(
        "const m = document.getElementById('map'); const r = m.getBoundingClientRect();
         const at = (type, x) => m.dispatchEvent(new PointerEvent(type, {pointerId: 1, clientX: r.left + x, clientY: r.top + 100, bubbles: true}));
         at('pointerdown', 300); at('pointermove', 340); at('pointermove', 400); at('pointerup', 400);
         return true;",
        vec![],
    )
    .await
    .expect("a drag");
    next_frame(c).await;
    let v2 = until(c, vb, "viewBox").await;
    let x = |v: &Value| -> f64 {
        v.as_str()
            .and_then(|s| s.split(' ').next())
            .and_then(|x| x.parse().ok())
            .unwrap_or(f64::NAN)
    };
    assert!(
        x(&v2) < x(&v1),
        "dragging right moves the view left: {v1} -> {v2}"
    );
    c.find(Locator::Id("map"))
        .await
        .expect("the map")
        .send_keys("0")
        .await
        .expect("0 fits");
    until(
        c,
        &format!(
            "{vb} === {home}",
            home = serde_json::to_string(&home).unwrap()
        ),
        "fit restores the first view",
    )
    .await;
    screenshot(c, "map").await;
    // A space on the plan opens its page.
    c.execute(
        "document.querySelector('g.space[data-space=\"foyer\"]').dispatchEvent(new MouseEvent('click', {bubbles: true})); return true;",
        vec![],
    )
    .await
    .expect("a click on the foyer");
    until(
        c,
        "!document.getElementById('view-space').hidden && document.getElementById('h-space').textContent === 'Foyer'",
        "the foyer's page",
    )
    .await;
    let _ = b.client.clone().close().await;
    s.stop().await;

    // Without outlines: the node graph, as before.
    let Some(b) = browser().await else { return };
    let ev = tempfile::tempdir().expect("a directory");
    big_event(ev.path(), 12);
    let s = Server::start(ev.path()).await;
    let c = &b.client;
    sign_in(c, &s.base, &s.tok.operator).await;
    go(c, "map").await;
    until(
        c,
        "document.querySelectorAll('#map g.node circle').length === 12 && document.getElementById('map-note').textContent.includes('no outlines')",
        "the node graph for a venue without outlines",
    )
    .await;
    let _ = b.client.clone().close().await;
    s.stop().await;
}

/// Defect 8: a floor lead works from a phone. At 390×844 the desk's staff
/// page lists open tasks and reassigns one; a steward signed in with their
/// own token sees only their task and walks it through, with nothing
/// wider than the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_floor_lead_works_from_a_phone() {
    let _one = serial().lock().await;
    let Some(b) = browser().await else { return };
    let s = Server::start(Path::new(FIXTURE)).await;
    let c = &b.client;
    c.set_window_size(390, 844)
        .await
        .expect("a phone-sized window");
    let (status, body) = s
        .call(
            reqwest::Method::POST,
            "/v1/actions",
            &s.tok.operator,
            Some(
                json!({"kind": "dispatch", "target": {"ids": ["space:hall-a"]},
                        "params": {"role": "steward", "count": 1, "note": "help at the door"},
                        "valid_for": 1_800_000}),
            ),
        )
        .await;
    assert_eq!(status, 200, "dispatch: {body}");
    let (_, tasks) = s
        .call(reqwest::Method::GET, "/v1/tasks", &s.tok.viewer, None)
        .await;
    let first = tasks["items"][0]["staff"]
        .as_str()
        .expect("a steward has the task")
        .to_string();
    let other = if first == "st-ana" {
        "st-rui"
    } else {
        "st-ana"
    };
    let overflow = "document.documentElement.scrollWidth <= window.innerWidth + 1";

    // The desk, on a phone: the board fits, the staff page reassigns.
    sign_in(c, &s.base, &s.tok.operator).await;
    until(c, overflow, "the board without sideways scrolling").await;
    screenshot(c, "phone-board").await;
    go(c, "staff").await;
    until(
        c,
        "document.querySelectorAll('#task-list li[data-task]').length === 1 && document.querySelectorAll('#staff-rows tr').length === 2",
        "the open task and who is where",
    )
    .await;
    click(c, "#task-list li[data-task] button").await;
    until(
        c,
        "document.getElementById('confirm').open",
        "the reassign dialog",
    )
    .await;
    c.execute(
        &format!("document.getElementById('reassign-to').value = '{other}'; return true;"),
        vec![],
    )
    .await
    .expect("choosing the other steward");
    confirm(c).await;
    until(
        c,
        &format!(
            "document.querySelector('#task-list li[data-task]')?.textContent.includes('{}')",
            if other == "st-ana" {
                "Ana Lopes"
            } else {
                "Rui Costa"
            }
        ),
        "the task with the other steward",
    )
    .await;
    until(c, overflow, "the staff page without sideways scrolling").await;
    click(c, "#btn-signout").await;

    // The steward's own console: their task, one big button at a time.
    let token = s.staff_token(other);
    // A staff member's console has no live stream to wait for.
    submit_token(c, &token).await;
    until(
        c,
        "!document.getElementById('view-staff').hidden && !document.getElementById('my-tasks').hidden && document.getElementById('desk-tasks').hidden",
        "my tasks, and not the desk's",
    )
    .await;
    let card = until(
        c,
        "(() => { const li = document.querySelector('#my-task-list li[data-task]'); const b = li && li.querySelector('button.primary');
                  return b && {text: li.textContent, button: b.textContent, h: b.getBoundingClientRect().height}; })()",
        "my task's card",
    )
    .await;
    assert!(card["text"].as_str().unwrap().contains("Hall A"), "{card}");
    assert!(
        card["text"].as_str().unwrap().contains("help at the door"),
        "{card}"
    );
    assert_eq!(card["button"], json!("Acknowledge"), "{card}");
    assert!(
        card["h"].as_f64().unwrap() >= 44.0,
        "a touch-sized button: {card}"
    );
    until(
        c,
        "[...document.querySelectorAll('nav.tabs a')].filter(a => a.offsetParent !== null).map(a => a.getAttribute('href')).join() === '#staff'",
        "only the staff tab",
    )
    .await;
    until(c, overflow, "my tasks without sideways scrolling").await;
    screenshot(c, "phone-staff").await;
    for (step, next) in [("Acknowledge", "I'm there"), ("I'm there", "Done")] {
        click(c, "#my-task-list li[data-task] button.primary").await;
        until(
            c,
            &format!(
                "document.querySelector('#my-task-list li[data-task] button.primary')?.textContent === \"{next}\""
            ),
            &format!("after {step}, {next}"),
        )
        .await;
    }
    click(c, "#my-task-list li[data-task] button.primary").await;
    until(
        c,
        "!document.getElementById('my-tasks-empty').hidden",
        "no task left once done",
    )
    .await;
    let (_, tasks) = s
        .call(reqwest::Method::GET, "/v1/tasks", &s.tok.viewer, None)
        .await;
    assert_eq!(tasks["items"], json!([]), "the task closed: {tasks}");
    let _ = b.client.clone().close().await;
    s.stop().await;
}
