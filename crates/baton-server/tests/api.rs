//! End-to-end tests of the HTTP API: a real server on an ephemeral port,
//! driven over HTTP with `reqwest`, against the RustConf Lisbon example.
//!
//! The journal clock runs at a crawl (`SPEED`) from 08:00 local time on the
//! event day, so no `Tick` entries are journaled while a test runs: journal
//! positions only move when a request journals something, and the tests can
//! assert that a refused request leaves the position exactly where it was.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use baton_server::auth::{Role, Tokens};
use baton_server::{Config, Running};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const EVENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/rustconf-lisbon"
);
/// 2026-06-12T08:00:00+01:00 (WEST), in milliseconds.
const START_AT: i64 = 1_781_247_600_000;
/// One journal second per ~17 wall minutes: the clock stays put during a test.
const SPEED: f64 = 0.001;
/// Only a guard against a hung test, never an assertion on timing.
const GUARD: Duration = Duration::from_secs(10);

const INCIDENT_CONDITION: &str = "signal.severity in ['high', 'critical']";

// ------------------------------------------------------------------ harness

struct Tok {
    admin: String,
    operator: String,
    viewer: String,
    ingest: String,
}

impl Tok {
    fn create(data: &Path) -> Tok {
        let t = Tokens::open(data).expect("opening the token store");
        Tok {
            admin: t.create(Role::Admin, "ada").unwrap(),
            operator: t.create(Role::Operator, "otto").unwrap(),
            viewer: t.create(Role::Viewer, "vera").unwrap(),
            ingest: t.create(Role::Ingest, "counter-gw").unwrap(),
        }
    }
}

struct Reply {
    status: u16,
    ctype: String,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text))
    }

    /// Asserts a problem+json answer with this status; returns the problem.
    fn problem(&self, status: u16, what: &str) -> Value {
        assert_eq!(self.status, status, "{what}: {}", self.text);
        assert!(
            self.ctype.starts_with("application/problem+json"),
            "{what}: content-type {:?}",
            self.ctype
        );
        let p = self.json();
        assert_eq!(p["status"], json!(status), "{what}: {p}");
        assert!(
            p["title"].is_string() && p["detail"].is_string(),
            "{what}: {p}"
        );
        p
    }

    fn ok(&self, what: &str) -> Value {
        assert_eq!(self.status, 200, "{what}: {}", self.text);
        self.json()
    }
}

struct Server {
    addr: std::net::SocketAddr,
    running: Option<Running>,
    data: PathBuf,
    tok: Tok,
    http: reqwest::Client,
}

fn config(data: &Path) -> Config {
    let mut cfg = Config::new(PathBuf::from(EVENT), data.to_path_buf());
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.speed = SPEED;
    cfg.start_at = Some(START_AT);
    cfg
}

impl Server {
    /// A server on a fresh data directory, with one token of each role.
    async fn start(dir: &tempfile::TempDir) -> Server {
        let data = dir.path().join("data");
        let tok = Tok::create(&data);
        Server::start_with(data, tok).await
    }

    async fn start_with(data: PathBuf, tok: Tok) -> Server {
        Server::start_cfg(config(&data), tok).await
    }

    /// A server on a fresh data directory with these connection limits.
    async fn start_limited(
        dir: &tempfile::TempDir,
        limits: baton_server::listen::Limits,
    ) -> Server {
        let data = dir.path().join("data");
        let tok = Tok::create(&data);
        let mut cfg = config(&data);
        cfg.limits = limits;
        Server::start_cfg(cfg, tok).await
    }

    async fn start_cfg(cfg: Config, tok: Tok) -> Server {
        let data = cfg.data.clone();
        let running = baton_server::start(cfg).await.expect("server starts");
        let s = Server {
            addr: running.addr,
            running: Some(running),
            data,
            tok,
            http: reqwest::Client::new(),
        };
        // A new journal's first request is followed by one `Tick` that brings
        // the engine to the clock; after that the position moves only when a
        // request journals something.
        s.position().await;
        s
    }

    /// Graceful stop: the core drains, snapshots and exits.
    async fn stop(mut self) -> (PathBuf, Tok) {
        let r = self.running.take().unwrap();
        drop(self.http);
        r.shutdown.send(()).unwrap();
        tokio::time::timeout(GUARD, r.done)
            .await
            .expect("server stops")
            .expect("server task")
            .expect("server ends cleanly");
        (self.data, self.tok)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Reply {
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut rq = self.http.request(m, self.url(path));
        if let Some(t) = token {
            rq = rq.header("authorization", format!("Bearer {t}"));
        }
        if let Some((ctype, b)) = body {
            rq = rq.header("content-type", ctype).body(b);
        }
        let r = tokio::time::timeout(GUARD, rq.send())
            .await
            .expect("answer in time")
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = r.text().await.unwrap();
        Reply {
            status,
            ctype,
            text,
        }
    }

    async fn get(&self, token: &str, path: &str) -> Reply {
        self.call("get", path, Some(token), None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.call(
            "post",
            path,
            Some(token),
            Some(("application/json", body.to_string())),
        )
        .await
    }

    async fn signal(&self, body: Value) -> Reply {
        self.call(
            "post",
            "/v1/signals",
            Some(&self.tok.ingest),
            Some(("application/cloudevents+json", body.to_string())),
        )
        .await
    }

    async fn signal_raw(&self, text: &str) -> Reply {
        self.call(
            "post",
            "/v1/signals",
            Some(&self.tok.ingest),
            Some(("application/cloudevents+json", text.to_string())),
        )
        .await
    }

    async fn batch(&self, items: Vec<Value>) -> Reply {
        self.call(
            "post",
            "/v1/signals",
            Some(&self.tok.ingest),
            Some((
                "application/cloudevents-batch+json",
                Value::Array(items).to_string(),
            )),
        )
        .await
    }

    /// Journal position from `/readyz` ("ready at N"), for a reader.
    async fn position(&self) -> u64 {
        let r = self
            .call("get", "/readyz", Some(&self.tok.viewer), None)
            .await;
        assert_eq!(r.status, 200, "readyz: {}", r.text);
        r.text
            .trim()
            .strip_prefix("ready at ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("readyz says {:?}", r.text))
    }

    async fn occupancy(&self, space: &str) -> Value {
        let v = self
            .get(&self.tok.viewer, &format!("/v1/spaces/{space}"))
            .await
            .ok("space");
        v["occupancy"].clone()
    }

    async fn sign(&self, id: &str) -> Value {
        self.get(&self.tok.viewer, &format!("/v1/signs/{id}"))
            .await
            .ok("sign")
    }

    async fn decision(&self, id: &str) -> Value {
        self.get(&self.tok.viewer, &format!("/v1/decisions/{id}"))
            .await
            .ok("decision")
    }

    async fn decisions(&self, query: &str) -> Vec<Value> {
        let v = self
            .get(&self.tok.viewer, &format!("/v1/decisions{query}"))
            .await
            .ok("decisions");
        assert!(v["position"].is_u64(), "{v}");
        v["items"].as_array().expect("items").clone()
    }

    /// Reports an incident and returns the id of the decision it made.
    async fn incident(&self, id: &str, space: &str, severity: &str) -> String {
        let r = self.signal(incident(id, space, severity)).await;
        assert_eq!(r.status, 202, "incident: {}", r.text);
        let at = r.json()["position"].as_u64().unwrap();
        let made: Vec<Value> = self
            .decisions("?policy=incident-response")
            .await
            .into_iter()
            .filter(|d| d["explanation"]["position"] == json!(at))
            .collect();
        assert_eq!(made.len(), 1, "one decision from position {at}: {made:?}");
        made[0]["id"].as_str().unwrap().to_string()
    }
}

/// The time the signals here carry.
const T0: &str = "2026-06-12T07:00:00Z";

fn occupancy(id: &str, space: &str, count: i64) -> Value {
    common::at(common::occupancy(id, space, count), T0)
}

fn incident(id: &str, space: &str, severity: &str) -> Value {
    let mut e = common::at(common::incident(id, space, severity, "medical"), T0);
    e["data"]["note"] = json!("attendee fainted");
    e
}

fn manual_sign(content: &str) -> Value {
    json!({"kind": "sign", "target": {"ids": ["sign-hall-c-door"]},
           "params": {"content": content}, "valid_for": 600_000})
}

/// A body that passes each mutating route's validation, so that only the
/// token decides the answer.
fn valid_body(method: &str, path: &str) -> Option<(&'static str, String)> {
    let b = match (method, path) {
        ("post", "/v1/signals") => occupancy("auth-probe", "hall-a", 5),
        ("post", "/v1/policies/{id}/mode") => json!({"mode": "off"}),
        ("post", "/v1/control/emergency") => json!({"on": true}),
        ("post", "/v1/actions") => manual_sign("probe"),
        ("post", "/v1/overrides") => {
            json!({"resource": "sign:sign-hall-a-door", "value": "CLOSED", "minutes": 10})
        }
        ("post", "/v1/decisions/{id}/reject") => json!({"comment": "no"}),
        ("post", "/v1/simulations") => json!({"a": "live", "b": "none", "seeds": 1}),
        ("post", "/v1/tasks/{id}/reassign") => json!({}),
        ("post", "/v1/me/tasks/{id}") => json!({"state": "acknowledged"}),
        ("post", "/v1/spaces/{id}/full") => json!({"full": true}),
        ("post", "/v1/recommendations") => json!({"attendees": ["att-1"]}),
        ("put", "/v1/policies") => {
            let text = std::fs::read_to_string(format!("{EVENT}/policies.yaml")).unwrap();
            return Some(("application/yaml", text));
        }
        _ => return None,
    };
    Some(("application/json", b.to_string()))
}

fn concrete(path: &str) -> String {
    path.replace(
        "{id}",
        match path {
            p if p.starts_with("/v1/decisions/") => "1.0",
            p if p.starts_with("/v1/policies/") => "stale-counter",
            p if p.starts_with("/v1/alerts/") => "hall-b",
            p if p.starts_with("/v1/signs/") => "sign-hall-a-door",
            p if p.starts_with("/v1/staff/") => "st-carla",
            p if p.starts_with("/v1/sessions/") => "k-opening",
            p if p.starts_with("/v1/simulations/") => "sim-1",
            _ => "hall-a",
        },
    )
    .replace("{resource}", "sign%3Asign-hall-a-door")
}

/// Reads SSE frames until one satisfies `want`; panics after `GUARD`.
async fn next_frame(
    resp: &mut reqwest::Response,
    buf: &mut String,
    want: impl Fn(&Frame) -> bool,
) -> Frame {
    let deadline = tokio::time::Instant::now() + GUARD;
    loop {
        while let Some(end) = buf.find("\n\n") {
            let raw: String = buf.drain(..end + 2).collect();
            let f = Frame::parse(&raw);
            if want(&f) {
                return f;
            }
        }
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("no matching SSE frame; have {buf:?}"))
            .expect("stream read")
            .expect("stream still open");
        buf.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
    }
}

#[derive(Debug, Default)]
struct Frame {
    event: String,
    id: Option<u64>,
    data: String,
}

impl Frame {
    fn parse(raw: &str) -> Frame {
        let mut f = Frame::default();
        for line in raw.lines() {
            let (k, v) = line.split_once(':').unwrap_or((line, ""));
            let v = v.strip_prefix(' ').unwrap_or(v);
            match k {
                "event" => f.event = v.to_string(),
                // Ids are `SEQ.SUB`: the journal position, then the index within it.
                "id" => f.id = v.split('.').next().and_then(|p| p.parse().ok()),
                "data" => f.data.push_str(v),
                _ => {}
            }
        }
        f
    }
}

// ------------------------------------------------------------------ 1. auth

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_protected_route_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let before = s.position().await;
    let mut protected = 0;
    for (method, path, role, _) in baton_server::api::ROUTES {
        let url = concrete(path);
        // The public feed is open by default (tests/public.rs covers it
        // with a token required).
        if *role == "none" || *role == "public" {
            continue;
        }
        protected += 1;
        let body = || valid_body(method, path);
        let what = format!("{method} {path} without a token");
        s.call(method, &url, None, body()).await.problem(401, &what);
        let what = format!("{method} {path} with an unknown token");
        s.call(method, &url, Some("bt_0000not-a-real-token"), body())
            .await
            .problem(401, &what);
        // Not a bearer token at all.
        let mut rq = s.http.request(
            reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
            s.url(&url),
        );
        rq = rq.header("authorization", format!("Basic {}", s.tok.admin));
        if let Some((ct, b)) = body() {
            rq = rq.header("content-type", ct).body(b);
        }
        let r = rq.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{method} {path} with Basic auth");
    }
    assert!(protected >= 25, "ROUTES lists {protected} protected routes");
    // Every /v1 route but the OpenAPI document and the session exchange is protected.
    for (_, path, role, _) in baton_server::api::ROUTES {
        if path.starts_with("/v1/") && *path != "/v1/openapi.json" && *path != "/v1/session" {
            assert_ne!(*role, "none", "{path} is public");
        }
    }
    assert_eq!(
        s.position().await,
        before,
        "refused calls journaled something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_routes_answer_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let r = s.call("get", "/healthz", None, None).await;
    assert_eq!((r.status, r.text.as_str()), (200, "ok"));
    // Anonymous: ready or not, but not the journal position.
    let r = s.call("get", "/readyz", None, None).await;
    assert_eq!((r.status, r.text.as_str()), (200, "ready"));
    let r = s.call("get", "/readyz", Some(&s.tok.viewer), None).await;
    assert!(r.text.starts_with("ready at "), "{}", r.text);
    let r = s.call("get", "/v1/openapi.json", None, None).await;
    let doc = r.ok("openapi");
    assert_eq!(doc["openapi"], "3.1.0");
    // The document lists exactly the ROUTES table, with each route's role.
    for (method, path, role, _) in baton_server::api::ROUTES {
        let op = &doc["paths"][*path][*method];
        assert_eq!(op["x-baton-role"], json!(role), "{method} {path}: {op}");
    }
    // And every route in it is served: nothing answers 404/405.
    for (method, path, _, _) in baton_server::api::ROUTES {
        if *path == "/v1/stream" || *path == "/v1/public/rooms/stream" {
            continue; // would stay open; the stream tests cover them
        }
        let r = s
            .call(
                method,
                &concrete(path),
                Some(&s.tok.viewer),
                valid_body(method, path),
            )
            .await;
        assert!(
            r.status != 405 && !(r.status == 404 && r.text.is_empty()),
            "{method} {path} is not routed: {}",
            r.status
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_limit_what_a_token_may_do() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let before = s.position().await;

    // A viewer may not change anything an operator or admin controls.
    let mut mutating = 0;
    for (method, path, role, _) in baton_server::api::ROUTES {
        if !matches!(*role, "operator" | "admin" | "ingest") {
            continue;
        }
        mutating += 1;
        let r = s
            .call(
                method,
                &concrete(path),
                Some(&s.tok.viewer),
                valid_body(method, path),
            )
            .await;
        r.problem(403, &format!("viewer {method} {path}"));
    }
    assert!(mutating >= 13, "{mutating} mutating routes");
    assert_eq!(s.position().await, before, "a viewer's call was journaled");

    // The viewer can read.
    s.get(&s.tok.viewer, "/v1/spaces").await.ok("viewer reads");

    // An ingest token posts signals and nothing else.
    let r = s.signal(occupancy("ing-1", "hall-a", 12)).await;
    assert_eq!(r.status, 202, "ingest posts: {}", r.text);
    for path in ["/v1/spaces", "/v1/decisions", "/v1/policies", "/metrics"] {
        s.get(&s.tok.ingest, path)
            .await
            .problem(403, &format!("ingest GET {path}"));
    }
    s.post(&s.tok.ingest, "/v1/control/pause", json!({}))
        .await
        .problem(403, "ingest pauses");

    // A staff token reaches its own tasks and nothing else.
    let staff = Tokens::open(&s.data)
        .unwrap()
        .create(Role::Staff, "st-lucia")
        .unwrap();
    let mut refused = 0;
    for (method, path, role, _) in baton_server::api::ROUTES {
        if matches!(*role, "none" | "staff" | "public") || *path == "/v1/stream" {
            continue;
        }
        refused += 1;
        s.call(
            method,
            &concrete(path),
            Some(&staff),
            valid_body(method, path),
        )
        .await
        .problem(403, &format!("staff {method} {path}"));
    }
    assert!(refused >= 40, "{refused} routes refused to staff");
    s.get(&staff, "/v1/me/tasks")
        .await
        .ok("staff reads its tasks");
    assert_eq!(
        s.position().await,
        before + 1,
        "only the ingest above was journaled"
    );

    // An operator may not replace the policy set (admin only).
    let (ct, yaml) = valid_body("put", "/v1/policies").unwrap();
    s.call(
        "put",
        "/v1/policies",
        Some(&s.tok.operator),
        Some((ct, yaml)),
    )
    .await
    .problem(403, "operator PUT /v1/policies");
}

/// Authentication comes before input validation: an anonymous caller learns
/// nothing about what a route accepts, and gets 401 whatever it sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_is_checked_before_the_body_or_path() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let junk = || Some(("application/json", "{not json".to_string()));
    let cases: &[(&str, &str)] = &[
        ("post", "/v1/decisions/not-an-id/approve"),
        ("post", "/v1/decisions/not-an-id/reject"),
        ("post", "/v1/decisions/1.0/approve"),
        ("post", "/v1/policies/stale-counter/mode"),
        ("post", "/v1/control/emergency"),
        ("post", "/v1/actions"),
        ("post", "/v1/overrides"),
        ("get", "/v1/decisions/not-an-id"),
    ];
    let mut wrong = Vec::new();
    for (method, path) in cases {
        let anon = s.call(method, path, None, junk()).await;
        let viewer = s.call(method, path, Some(&s.tok.viewer), junk()).await;
        if anon.status != 401 || (viewer.status != 403 && !method.eq_ignore_ascii_case("get")) {
            wrong.push(format!(
                "{method} {path} with a malformed body: anonymous {} (want 401), viewer {} (want 403)",
                anon.status, viewer.status
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

// ------------------------------------------------------------------ 2. ingest

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_journals_a_signal_and_the_space_reflects_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let r = s.signal(occupancy("occ-1", "hall-a", 321)).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let v = r.json();
    let p = v["position"].as_u64().expect("position");
    assert_eq!(v["accepted"], 1, "{v}");
    assert!(p >= 1);

    let space = s.get(&s.tok.viewer, "/v1/spaces/hall-a").await.ok("space");
    assert_eq!(space["occupancy"], 321, "{space}");
    assert_eq!(space["id"], "hall-a", "{space}");
    assert!(space["position"].as_u64().unwrap() >= p, "{space}");
    // The list shows it too.
    let all = s
        .get(&s.tok.viewer, "/v1/spaces?zone=north")
        .await
        .ok("spaces");
    let hall = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "hall-a")
        .cloned()
        .expect("hall-a in the north zone");
    assert_eq!(hall["occupancy"], 321);
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["zone"] == "north"),
        "zone filter"
    );
    assert!(all["position"].as_u64().unwrap() >= p);

    // The same source and id again: a duplicate, nothing journaled.
    let r = s.signal(occupancy("occ-1", "hall-a", 999)).await;
    assert_eq!(r.status, 200, "duplicate: {}", r.text);
    assert_eq!(r.json()["duplicate"], true, "{}", r.text);
    assert_eq!(s.position().await, p, "a duplicate advanced the journal");
    assert_eq!(s.occupancy("hall-a").await, 321, "a duplicate was applied");

    // The same id from another source is a different signal.
    let mut other = occupancy("occ-1", "hall-a", 400);
    other["source"] = json!("camera-hall-a");
    let r = s.signal(other).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(r.json()["position"].as_u64().unwrap() > p);
    assert_eq!(s.occupancy("hall-a").await, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_reserved_signals_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    assert_eq!(
        s.signal(occupancy("seed", "hall-a", 50)).await.status,
        202,
        "seed"
    );
    let before = s.position().await;

    let mut cases: Vec<(Value, &str)> = Vec::new();
    cases.push((occupancy("neg", "hall-a", -4), "data.count"));
    let mut no_id = occupancy("x", "hall-a", 5);
    no_id.as_object_mut().unwrap().remove("id");
    cases.push((no_id, "id"));
    let mut unknown = occupancy("unk", "hall-a", 5);
    unknown["type"] = json!("space.teleported");
    cases.push((unknown, "type"));
    for reserved in [
        "clock.tick",
        "action.result",
        "command.approve",
        "baton.internal",
    ] {
        let mut r = occupancy("res", "hall-a", 5);
        r["type"] = json!(reserved);
        cases.push((r, "type"));
    }
    let mut bad_time = occupancy("time", "hall-a", 5);
    bad_time["time"] = json!("yesterday");
    cases.push((bad_time, "time"));
    let mut bad_spec = occupancy("spec", "hall-a", 5);
    bad_spec["specversion"] = json!("0.3");
    cases.push((bad_spec, "specversion"));
    let mut bad_sev = incident("sev", "hall-b", "apocalyptic");
    bad_sev["data"]["kind"] = json!("medical");
    cases.push((bad_sev, "data.severity"));

    for (body, field) in cases {
        let what = format!("{body}");
        let p = s.signal(body).await.problem(400, &what);
        assert_eq!(p["field"], field, "{what}: {p}");
        assert!(!p["detail"].as_str().unwrap().is_empty());
    }
    // Not JSON at all.
    s.signal_raw("{\"specversion\": ")
        .await
        .problem(400, "truncated JSON");

    assert_eq!(s.position().await, before, "a refused signal was journaled");
    assert_eq!(
        s.occupancy("hall-a").await,
        50,
        "a refused signal was applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_accepted_or_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let before = s.position().await;

    let bad = vec![
        occupancy("b-1", "hall-a", 10),
        occupancy("b-2", "hall-b", 20),
        occupancy("b-3", "hall-c", -1),
    ];
    let p = s.batch(bad).await.problem(400, "batch with a bad element");
    assert_eq!(p["field"], "[2].data.count", "{p}");
    assert_eq!(
        s.position().await,
        before,
        "part of a refused batch journaled"
    );
    assert_eq!(
        s.occupancy("hall-a").await,
        0,
        "hall-a from a refused batch"
    );

    let mut no_id = occupancy("x", "hall-a", 5);
    no_id.as_object_mut().unwrap().remove("id");
    let p = s
        .batch(vec![no_id, occupancy("b-5", "hall-a", 5)])
        .await
        .problem(400, "batch, first element without id");
    assert_eq!(p["field"], "[0].id", "{p}");

    // Not an array.
    let r = s
        .call(
            "post",
            "/v1/signals",
            Some(&s.tok.ingest),
            Some((
                "application/cloudevents-batch+json",
                occupancy("solo", "hall-a", 1).to_string(),
            )),
        )
        .await;
    r.problem(400, "batch that is not an array");
    assert_eq!(s.position().await, before);

    let good = vec![
        occupancy("g-1", "hall-a", 100),
        occupancy("g-2", "hall-b", 200),
        occupancy("g-3", "hall-c", 150),
        occupancy("g-1", "hall-a", 999), // duplicate within the batch
    ];
    let r = s.batch(good).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let v = r.json();
    assert_eq!(v["accepted"], 3, "{v}");
    assert_eq!(v["duplicates"], 1, "{v}");
    assert_eq!(v["received"], 4, "{v}");
    let p = v["position"].as_u64().unwrap();
    assert_eq!(p, before + 3, "three entries journaled: {v}");
    assert_eq!(s.position().await, p);
    assert_eq!(s.occupancy("hall-a").await, 100);
    assert_eq!(s.occupancy("hall-b").await, 200);
    assert_eq!(s.occupancy("hall-c").await, 150);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let before = s.position().await;
    // A syntactically plausible batch just over the limit.
    let one = occupancy("big", "hall-a", 1).to_string();
    let mut body = String::from("[");
    while body.len() <= baton_server::api::MAX_BODY {
        body.push_str(&one);
        body.push(',');
    }
    body.push_str(&one);
    body.push(']');
    assert!(body.len() > baton_server::api::MAX_BODY);
    let r = s
        .call(
            "post",
            "/v1/signals",
            Some(&s.tok.ingest),
            Some(("application/cloudevents-batch+json", body)),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(s.position().await, before);
}

// ------------------------------------------------------------------ 3. decisions

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_wait_for_an_operator_to_approve_or_reject() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    assert!(s.decisions("?status=pending").await.is_empty());

    let first = s.incident("inc-1", "hall-b", "high").await;
    let pending = s.decisions("?status=pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    let d = &pending[0];
    assert_eq!(d["id"], json!(first));
    assert_eq!(d["policy"], "incident-response");
    assert_eq!(d["mode"], "approve");
    assert_eq!(d["scope"]["space"], "hall-b");
    assert_eq!(d["explanation"]["condition"], INCIDENT_CONDITION, "{d}");
    assert!(d["explanation"]["trigger"].is_object(), "{d}");
    // A high alert, and security and medics dispatched to hall-b.
    let actions = d["actions"].as_array().unwrap();
    assert!(
        actions
            .iter()
            .any(|a| a["kind"] == "alert" && a["params"]["severity"] == "high"),
        "{d}"
    );
    for role in ["security", "medic"] {
        assert!(
            actions.iter().any(|a| a["kind"] == "dispatch"
                && a["params"]["role"] == role
                && a["params"]["space"] == "hall-b"),
            "{role} dispatched: {d}"
        );
    }
    assert_eq!(d["explanation"]["trigger"]["signal_id"], "inc-1", "{d}");

    // One decision by id.
    let one = s.decision(&first).await;
    assert_eq!(one["status"], "pending");
    assert_eq!(one["id"], json!(first));
    assert!(one["position"].is_u64());

    // Approve: 200, then approved.
    let r = s
        .call(
            "post",
            &format!("/v1/decisions/{first}/approve"),
            Some(&s.tok.operator),
            None,
        )
        .await;
    let v = r.ok("approve");
    assert!(v["position"].is_u64(), "{v}");
    let after = s.decision(&first).await;
    assert_eq!(after["status"], "approved", "{after}");
    assert!(
        after["history"].to_string().contains("operator:otto"),
        "the approver is recorded: {after}"
    );
    assert!(s.decisions("?status=pending").await.is_empty());
    let approved = s.decisions("?status=approved").await;
    assert_eq!(approved.len(), 1);

    // Approving again is a conflict, and changes nothing.
    let r = s
        .post(
            &s.tok.operator,
            &format!("/v1/decisions/{first}/approve"),
            json!({}),
        )
        .await;
    let p = r.problem(409, "second approval");
    assert!(p["detail"].as_str().unwrap().contains("not pending"), "{p}");
    assert_eq!(s.decision(&first).await["status"], "approved");

    // A second incident, rejected with a comment.
    let second = s.incident("inc-2", "hall-b", "critical").await;
    assert_ne!(first, second);
    let r = s
        .post(
            &s.tok.operator,
            &format!("/v1/decisions/{second}/reject"),
            json!({"comment": "false alarm: a rehearsal"}),
        )
        .await;
    r.ok("reject");
    let d = s.decision(&second).await;
    assert_eq!(d["status"], "rejected", "{d}");
    assert!(
        d["history"]
            .to_string()
            .contains("false alarm: a rehearsal"),
        "the comment is kept: {d}"
    );
    s.post(
        &s.tok.operator,
        &format!("/v1/decisions/{second}/approve"),
        json!({}),
    )
    .await
    .problem(409, "approving a rejected decision");

    // A low-severity report does not meet the condition.
    let r = s.signal(incident("inc-3", "hall-b", "low")).await;
    assert_eq!(r.status, 202);
    assert_eq!(s.decisions("?policy=incident-response").await.len(), 2);

    // Unknown and malformed ids.
    s.get(&s.tok.viewer, "/v1/decisions/999999.0")
        .await
        .problem(404, "unknown decision");
    let p = s
        .get(&s.tok.viewer, "/v1/decisions/abc")
        .await
        .problem(400, "malformed decision id");
    assert_eq!(p["field"], "id");
    s.post(&s.tok.operator, "/v1/decisions/999999.0/approve", json!({}))
        .await
        .problem(409, "approving an unknown decision");
    let p = s
        .post(&s.tok.operator, "/v1/decisions/12/approve", json!({}))
        .await
        .problem(400, "approving a malformed id");
    assert_eq!(p["field"], "id");
}

// ------------------------------------------------------------------ 4. control and overrides

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_holds_automation_and_resume_reconciles_signs() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    s.post(&s.tok.operator, "/v1/control/pause", json!({}))
        .await
        .ok("pause");

    // session-delayed-notice is an auto policy: while paused it is shown only.
    let r = s
        .signal(json!({
            "specversion": "1.0", "id": "late-1", "source": "stage-manager",
            "type": "session.delayed", "subject": "t-polonius",
            "time": "2026-06-12T07:00:00Z", "data": {"minutes": 15},
        }))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let made = s.decisions("?policy=session-delayed-notice").await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["status"], "paused", "{}", made[0]);
    assert_eq!(made[0]["explanation"]["paused"], true);
    assert_eq!(s.decisions("?status=paused").await.len(), 1);
    let sign = s.sign("sign-hall-a-door").await;
    assert_eq!(sign["showing"], "Hall A", "paused: not carried out: {sign}");
    assert!(
        sign["desired"]
            .as_str()
            .unwrap_or("")
            .contains("15 min late"),
        "the wish is kept: {sign}"
    );

    s.post(&s.tok.operator, "/v1/control/resume", json!({}))
        .await
        .ok("resume");
    let sign = s.sign("sign-hall-a-door").await;
    assert!(
        sign["showing"].as_str().unwrap().contains("15 min late"),
        "resume reconciles signs: {sign}"
    );

    // After resuming, the same policy executes.
    let r = s
        .signal(json!({
            "specversion": "1.0", "id": "late-2", "source": "stage-manager",
            "type": "session.delayed", "subject": "t-rust-for-linux",
            "time": "2026-06-12T07:00:00Z", "data": {"minutes": 20},
        }))
        .await;
    assert_eq!(r.status, 202);
    let made = s.decisions("?policy=session-delayed-notice").await;
    assert_eq!(made.len(), 2, "{made:?}");
    assert_eq!(made[1]["status"], "executed", "{}", made[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_puts_every_sign_on_its_emergency_text_until_lifted() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let r = s
        .call("post", "/v1/control/emergency", Some(&s.tok.operator), None)
        .await;
    r.ok("emergency on (empty body)");
    let signs = s.get(&s.tok.viewer, "/v1/signs").await.ok("signs");
    let items = signs["items"].as_array().unwrap();
    assert_eq!(items.len(), 13, "{signs}");
    let find = |id: &str| items.iter().find(|x| x["id"] == id).unwrap().clone();
    assert_eq!(
        find("sign-entrance")["showing"],
        "EXIT HERE - Leave calmly through the main doors to the street"
    );
    assert_eq!(
        find("sign-courtyard")["showing"],
        "Assembly point: stay in the courtyard and follow staff instructions"
    );
    assert_eq!(
        find("sign-hall-a-door")["showing"],
        "Leave calmly via the nearest exit"
    );
    assert!(
        items.iter().all(|x| x["showing"] != x["default"]),
        "{signs}"
    );

    s.post(
        &s.tok.operator,
        "/v1/control/emergency",
        json!({"on": false}),
    )
    .await
    .ok("emergency off");
    let signs = s.get(&s.tok.viewer, "/v1/signs").await.ok("signs");
    for x in signs["items"].as_array().unwrap() {
        assert_eq!(x["showing"], x["default"], "lifted: {x}");
    }
    let p = s
        .post(
            &s.tok.operator,
            "/v1/control/emergency",
            json!({"on": "yes"}),
        )
        .await
        .problem(400, "emergency with a non-boolean");
    assert_eq!(p["field"], "on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_take_a_sign_and_release_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let body = json!({"resource": "sign:sign-hall-a-door", "value": "CLOSED", "minutes": 10});
    s.post(&s.tok.operator, "/v1/overrides", body.clone())
        .await
        .ok("override");
    let list = s.get(&s.tok.viewer, "/v1/overrides").await.ok("overrides");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["resource"], "sign:sign-hall-a-door");
    assert_eq!(items[0]["value"], "CLOSED");
    assert_eq!(items[0]["actor"], "operator:otto");
    // `minutes` counts from the journal clock, which has crept a few
    // milliseconds past START_AT at this test's speed.
    let until = items[0]["until"].as_i64().unwrap();
    assert!(
        (START_AT + 10 * 60_000..START_AT + 10 * 60_000 + 1_000).contains(&until),
        "`minutes` counts from journal time: {list}"
    );
    let sign = s.sign("sign-hall-a-door").await;
    assert_eq!(sign["showing"], "CLOSED", "{sign}");
    assert_eq!(sign["override"]["value"], "CLOSED", "{sign}");

    // Release, percent-encoded ':'.
    s.call(
        "delete",
        "/v1/overrides/sign%3Asign-hall-a-door",
        Some(&s.tok.operator),
        None,
    )
    .await
    .ok("release (%3A)");
    let list = s.get(&s.tok.viewer, "/v1/overrides").await.ok("overrides");
    assert_eq!(list["items"], json!([]), "{list}");
    let sign = s.sign("sign-hall-a-door").await;
    assert_eq!(sign["showing"], "Hall A", "released: {sign}");
    assert!(sign["override"].is_null());
    s.call(
        "delete",
        "/v1/overrides/sign%3Asign-hall-a-door",
        Some(&s.tok.operator),
        None,
    )
    .await
    .problem(409, "releasing twice");

    // Again, with a raw ':' in the path.
    s.post(&s.tok.operator, "/v1/overrides", body)
        .await
        .ok("override again");
    s.call(
        "delete",
        "/v1/overrides/sign:sign-hall-a-door",
        Some(&s.tok.operator),
        None,
    )
    .await
    .ok("release (raw ':')");
    assert_eq!(s.sign("sign-hall-a-door").await["showing"], "Hall A");

    // An override needs an end.
    let p = s
        .post(
            &s.tok.operator,
            "/v1/overrides",
            json!({"resource": "sign:sign-hall-a-door", "value": "X"}),
        )
        .await
        .problem(400, "override without an end");
    assert_eq!(p["field"], "until");
    // Or one in the past is refused by the core.
    s.post(
        &s.tok.operator,
        "/v1/overrides",
        json!({"resource": "sign:sign-hall-a-door", "value": "X", "until": START_AT - 1}),
    )
    .await
    .problem(409, "override ending in the past");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_action_is_recorded_and_carried_out() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let v = s
        .post(
            &s.tok.operator,
            "/v1/actions",
            manual_sign("Hall C: doors at 10:05"),
        )
        .await
        .ok("manual action");
    assert!(
        v["outputs"].to_string().contains("Hall C: doors at 10:05"),
        "{v}"
    );
    let made = s.decisions("?status=manual").await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(
        made[0]["policy"].as_str().unwrap().contains("otto"),
        "{}",
        made[0]
    );
    assert_eq!(
        s.sign("sign-hall-c-door").await["showing"],
        "Hall C: doors at 10:05"
    );
    let p = s
        .post(&s.tok.operator, "/v1/actions", json!({"kind": "sign"}))
        .await
        .problem(400, "manual action without a target");
    assert_eq!(p["field"], "(action)");
}

// ------------------------------------------------------------------ 5. policies

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_are_replaced_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let get = || async {
        s.get(&s.tok.viewer, "/v1/policies")
            .await
            .ok("GET /v1/policies")
    };
    let v0 = get().await;
    let old = v0["version"].as_str().expect("version").to_string();
    assert!(!old.is_empty());
    let items = v0["items"].as_array().unwrap();
    assert_eq!(items.len(), 9, "{v0}");
    let rfr = items
        .iter()
        .find(|p| p["id"] == "room-full-redirect")
        .unwrap();
    assert_eq!(rfr["priority"], 50);
    assert_eq!(rfr["mode"], "auto");

    let text = std::fs::read_to_string(format!("{EVENT}/policies.yaml")).unwrap();
    let put = |body: String, token: String| {
        let s = &s;
        async move {
            s.call(
                "put",
                "/v1/policies",
                Some(&token),
                Some(("application/yaml", body)),
            )
            .await
        }
    };

    // Not YAML.
    let p = put("policies: [ {id: x".into(), s.tok.admin.clone())
        .await
        .problem(400, "invalid YAML");
    assert_eq!(p["title"], "policy set refused", "{p}");
    // A CEL condition that does not compile.
    let bad_cel = text.replacen(
        INCIDENT_CONDITION,
        "signal.severity in ['high', 'critical'",
        1,
    );
    assert_ne!(bad_cel, text);
    let p = put(bad_cel, s.tok.admin.clone())
        .await
        .problem(400, "invalid CEL");
    assert!(
        p["field"].as_str().unwrap().contains("condition"),
        "the field is named: {p}"
    );
    // A field CEL does not know.
    let bad_field = text.replacen("space.fill >= 0.95", "space.fullness >= 0.95", 1);
    let p = put(bad_field, s.tok.admin.clone())
        .await
        .problem(400, "unknown field");
    assert!(p["detail"].as_str().unwrap().contains("fullness"), "{p}");
    assert_eq!(
        get().await["version"],
        json!(old),
        "refused sets changed it"
    );

    // An operator may not.
    let changed = text.replacen("priority: 50", "priority: 55", 1);
    assert_ne!(changed, text);
    put(changed.clone(), s.tok.operator.clone())
        .await
        .problem(403, "operator PUT");
    assert_eq!(get().await["version"], json!(old));

    // An admin may.
    let v = put(changed, s.tok.admin.clone()).await.ok("admin PUT");
    let new = v["version"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let v1 = get().await;
    assert_eq!(v1["version"], json!(new), "{v1}");
    let rfr = v1["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "room-full-redirect")
        .unwrap()
        .clone();
    assert_eq!(rfr["priority"], 55, "{rfr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_mode_can_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let mode_of = |v: &Value, id: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["mode"].clone())
            .unwrap()
    };
    s.post(
        &s.tok.operator,
        "/v1/policies/incident-response/mode",
        json!({"mode": "off"}),
    )
    .await
    .ok("mode off");
    let v = s.get(&s.tok.viewer, "/v1/policies").await.ok("policies");
    assert_eq!(mode_of(&v, "incident-response"), "off", "{v}");
    assert_eq!(mode_of(&v, "stale-counter"), "suggest");

    // An off policy makes no decisions.
    assert_eq!(
        s.signal(incident("off-1", "hall-b", "high")).await.status,
        202
    );
    assert!(s.decisions("?policy=incident-response").await.is_empty());

    // Back to approve: it proposes again.
    s.post(
        &s.tok.operator,
        "/v1/policies/incident-response/mode",
        json!({"mode": "approve"}),
    )
    .await
    .ok("mode approve");
    s.incident("on-1", "hall-b", "high").await;

    let p = s
        .post(
            &s.tok.operator,
            "/v1/policies/incident-response/mode",
            json!({"mode": "sometimes"}),
        )
        .await
        .problem(400, "unknown mode");
    assert_eq!(p["field"], "mode");
    s.post(
        &s.tok.operator,
        "/v1/policies/no-such-policy/mode",
        json!({"mode": "off"}),
    )
    .await
    .problem(409, "unknown policy");
}

// ------------------------------------------------------------------ 6. stream

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_decisions_and_replays_after_last_event_id() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    // A misspelt topic is refused by name, not answered with silence.
    let p = s
        .get(&s.tok.viewer, "/v1/stream?topics=decision")
        .await
        .problem(400, "an unknown topic");
    assert!(
        p["detail"].as_str().unwrap().contains("\"decision\""),
        "{p}"
    );
    let open = |last: Option<u64>| {
        let mut rq = s
            .http
            .get(s.url("/v1/stream?topics=decisions"))
            .bearer_auth(&s.tok.viewer);
        if let Some(l) = last {
            rq = rq.header("last-event-id", l.to_string());
        }
        async move {
            let r = tokio::time::timeout(GUARD, rq.send())
                .await
                .expect("stream opens in time")
                .expect("stream opens");
            assert_eq!(r.status().as_u16(), 200);
            let ct = r.headers()["content-type"].to_str().unwrap().to_string();
            assert!(ct.starts_with("text/event-stream"), "{ct}");
            r
        }
    };

    let mut live = open(None).await;
    let mut buf = String::new();
    // A space update (not subscribed) and then an incident.
    let r = s.signal(occupancy("st-0", "hall-a", 10)).await;
    assert_eq!(r.status, 202);
    let p0 = r.json()["position"].as_u64().unwrap();
    let first = s.incident("st-1", "hall-b", "high").await;
    let f = next_frame(&mut live, &mut buf, |f| !f.event.is_empty()).await;
    assert_eq!(f.event, "decisions", "only subscribed topics: {f:?}");
    let id1 = f.id.expect("an id: line");
    let d: Value = serde_json::from_str(&f.data).unwrap();
    assert_eq!(d["kind"], "decision", "{d}");
    assert_eq!(d["id"], json!(first), "{d}");
    assert_eq!(id1, d["explanation"]["position"].as_u64().unwrap());

    // Approving shows up as a decision update on the same stream.
    s.post(
        &s.tok.operator,
        &format!("/v1/decisions/{first}/approve"),
        json!({}),
    )
    .await
    .ok("approve");
    let f = next_frame(&mut live, &mut buf, |f| f.event == "decisions").await;
    let u: Value = serde_json::from_str(&f.data).unwrap();
    assert_eq!(u["kind"], "decision_update", "{u}");
    assert_eq!(u["status"], "approved", "{u}");
    assert!(f.id.unwrap() > id1);
    drop(live);

    // A second incident, then resume from just after the first one.
    let second = s.incident("st-2", "hall-b", "critical").await;
    let after_update = f.id.unwrap();
    let mut resumed = open(Some(after_update)).await;
    let mut buf = String::new();
    let f = next_frame(&mut resumed, &mut buf, |f| !f.event.is_empty()).await;
    assert_eq!(f.event, "decisions", "{f:?}");
    assert!(
        f.id.unwrap() > after_update,
        "replays only later events: {f:?}"
    );
    let d: Value = serde_json::from_str(&f.data).unwrap();
    assert_eq!(d["id"], json!(second), "the backlog starts with it: {d}");

    // From an earlier position: both decisions come back, in journal order.
    // (The backlog is coalesced per decision: the first one arrives as its
    // latest state, the approval.)
    let mut replay = open(Some(p0)).await;
    let mut buf = String::new();
    let about = |f: &Frame| {
        let d: Value = serde_json::from_str(&f.data).unwrap();
        d.get("decision").unwrap_or(&d["id"]).clone()
    };
    let f = next_frame(&mut replay, &mut buf, |f| !f.event.is_empty()).await;
    assert_eq!(f.event, "decisions", "{f:?}");
    assert!(f.id.unwrap() > p0, "{f:?}");
    assert_eq!(about(&f), json!(first), "{f:?}");
    let f = next_frame(&mut replay, &mut buf, |f| !f.event.is_empty()).await;
    assert_eq!(about(&f), json!(second), "{f:?}");
}

/// A client resuming from before the first event, on a journal whose every
/// event is still in the resume buffer, has lost nothing: it should get the
/// backlog, not a `resync`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_from_the_start_replays_rather_than_resyncs() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let first = s.incident("z-1", "hall-b", "high").await;
    let r = s
        .http
        .get(s.url("/v1/stream?topics=decisions"))
        .bearer_auth(&s.tok.viewer)
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    let mut r = r;
    let mut buf = String::new();
    let f = next_frame(&mut r, &mut buf, |f| !f.event.is_empty()).await;
    assert_eq!(
        f.event, "decisions",
        "Last-Event-ID: 0 with nothing evicted: {f:?}"
    );
    let d: Value = serde_json::from_str(&f.data).unwrap();
    assert_eq!(d["id"], json!(first));
}

// ------------------------------------------------------------------ 7. restart

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_journal_state() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    assert_eq!(s.signal(occupancy("r-1", "hall-a", 432)).await.status, 202);
    let pending = s.incident("r-2", "hall-b", "high").await;
    s.post(&s.tok.operator, "/v1/control/pause", json!({}))
        .await
        .ok("pause");
    let position = s.position().await;
    let addr = s.addr;

    let (data, tok) = s.stop().await;
    assert!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err(),
        "the old listener is closed"
    );
    let s = Server::start_with(data, tok).await;
    assert_eq!(s.position().await, position, "position after restart");
    assert_eq!(s.occupancy("hall-a").await, 432, "occupancy after restart");
    // The duplicate window survives too.
    let r = s.signal(occupancy("r-1", "hall-a", 1)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["duplicate"], true, "{}", r.text);
    assert_eq!(s.position().await, position);
    // Still paused: an auto policy's decision is shown only.
    let r = s
        .signal(json!({
            "specversion": "1.0", "id": "late-r", "source": "stage-manager",
            "type": "session.delayed", "subject": "t-polonius",
            "time": "2026-06-12T07:00:00Z", "data": {"minutes": 15},
        }))
        .await;
    assert_eq!(r.status, 202);
    let made = s.decisions("?policy=session-delayed-notice").await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["status"], "paused", "still paused after restart");
    // The engine still holds the pending decision: it can be approved once.
    s.post(
        &s.tok.operator,
        &format!("/v1/decisions/{pending}/approve"),
        json!({}),
    )
    .await
    .ok("approve after restart");
    s.post(
        &s.tok.operator,
        &format!("/v1/decisions/{pending}/approve"),
        json!({}),
    )
    .await
    .problem(409, "second approval after restart");
}

/// What the API shows about decisions made before a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_decisions_the_api_shows() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let pending = s.incident("rd-1", "hall-b", "high").await;
    let rejected = s.incident("rd-2", "hall-b", "high").await;
    s.post(
        &s.tok.operator,
        &format!("/v1/decisions/{rejected}/reject"),
        json!({"comment": "dup"}),
    )
    .await
    .ok("reject");
    let audit_before = s.get(&s.tok.viewer, "/v1/audit").await.ok("audit")["items"]
        .as_array()
        .unwrap()
        .len();
    let (data, tok) = s.stop().await;
    let s = Server::start_with(data, tok).await;

    let mut wrong = Vec::new();
    let ids: Vec<Value> = s
        .decisions("?status=pending")
        .await
        .into_iter()
        .map(|d| d["id"].clone())
        .collect();
    if ids != vec![json!(pending)] {
        wrong.push(format!(
            "GET /v1/decisions?status=pending lists {ids:?}, want [{pending:?}]"
        ));
    }
    for (id, want) in [(&pending, "pending"), (&rejected, "rejected")] {
        let r = s.get(&s.tok.viewer, &format!("/v1/decisions/{id}")).await;
        if r.status != 200 || r.json()["status"] != want {
            wrong.push(format!(
                "GET /v1/decisions/{id} answers {} {}, want 200 with status {want:?}",
                r.status, r.text
            ));
        }
    }
    let audit_after = s.get(&s.tok.viewer, "/v1/audit").await.ok("audit")["items"]
        .as_array()
        .unwrap()
        .len();
    if audit_after < audit_before {
        wrong.push(format!(
            "GET /v1/audit lists {audit_after} items after the restart, {audit_before} before"
        ));
    }
    assert!(wrong.is_empty(), "after a restart:\n{}", wrong.join("\n"));
}

// ------------------------------------------------------------------ 8. metrics

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_for_a_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    assert_eq!(s.signal(occupancy("m-1", "hall-a", 7)).await.status, 202);
    let r = s.get(&s.tok.viewer, "/metrics").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.ctype.starts_with("text/plain"), "{}", r.ctype);
    for name in [
        "baton_journal_entries_total",
        "baton_ingest_signals_total",
        "baton_journal_position",
    ] {
        assert!(
            r.text.lines().any(|l| l.starts_with(name)),
            "{name} missing from:\n{}",
            r.text
        );
    }
    let sample = r
        .text
        .lines()
        .find(|l| l.starts_with("baton_ingest_signals_total"))
        .unwrap();
    let n: f64 = sample.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 1.0, "{sample}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_session_cookie_reads_and_needs_csrf_to_change_things() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let http = reqwest::Client::new();
    // A wrong token gets no session.
    let r = http
        .post(s.url("/v1/session"))
        .json(&json!({"token": "bt_nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = http
        .post(s.url("/v1/session"))
        .json(&json!({"token": s.tok.operator}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Beside the HttpOnly session, a marker the page can read, so that a
    // first visit does not ask GET /v1/session (and log a 401).
    let cookies: Vec<&str> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("baton_signed_in=1;") && !c.contains("HttpOnly")),
        "{cookies:?}"
    );
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let sid = cookie.split(';').next().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    let csrf = body["csrf"].as_str().unwrap().to_string();
    assert_eq!(body["role"], "operator");
    // Reads work with the cookie alone.
    let r = http
        .get(s.url("/v1/spaces"))
        .header("cookie", &sid)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // A change without the CSRF token is refused, and journals nothing.
    let before = s.position().await;
    let r = http
        .post(s.url("/v1/control/pause"))
        .header("cookie", &sid)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(s.position().await, before);
    let r = http
        .post(s.url("/v1/control/pause"))
        .header("cookie", &sid)
        .header("x-csrf-token", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // With it, the change goes through.
    let r = http
        .post(s.url("/v1/control/pause"))
        .header("cookie", &sid)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Closing the session ends it.
    let r = http
        .delete(s.url("/v1/session"))
        .header("cookie", &sid)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = http
        .get(s.url("/v1/spaces"))
        .header("cookie", &sid)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_can_edit_a_proposal_while_approving_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let id = s.incident("inc-edit", "hall-b", "high").await;
    let d = s.decision(&id).await;
    let actions = d["actions"].as_array().unwrap().clone();
    let alert = actions.iter().find(|a| a["kind"] == "alert").unwrap();
    let medic = actions
        .iter()
        .find(|a| a["kind"] == "dispatch" && a["params"]["role"] == "medic")
        .unwrap();
    // An edit naming an action the decision does not have is refused whole.
    let r = s
        .post(
            &s.tok.operator,
            &format!("/v1/decisions/{id}/approve"),
            json!({"actions": [{"index": 99, "drop": true}]}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(s.decision(&id).await["status"], "pending");
    // New alert text, and one medic left out.
    let r = s
        .post(
            &s.tok.operator,
            &format!("/v1/decisions/{id}/approve"),
            json!({"actions": [
                {"index": alert["index"], "params": {"message": "Edited by the desk"}},
                {"index": medic["index"], "drop": true},
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let outputs = r.json()["outputs"].as_array().unwrap().clone();
    let update = outputs
        .iter()
        .find(|o| o["kind"] == "decision_update")
        .unwrap();
    assert_eq!(update["status"], "approved");
    assert_eq!(update["reason"], "approved with 2 edit(s)");
    let sent = outputs.iter().find(|o| o["kind"] == "execute").unwrap()["actions"]
        .as_array()
        .unwrap()
        .clone();
    let sent_alert = sent.iter().find(|a| a["kind"] == "alert").unwrap();
    assert_eq!(sent_alert["params"]["message"], "Edited by the desk");
    assert!(
        !sent.iter().any(|a| a["index"] == medic["index"]),
        "the dropped action is not sent: {sent:?}"
    );
    s.stop().await;
}

// ------------------------------------------------------------------ the console's routes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_with_types_stamps_and_a_strict_policy() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let http = reqwest::Client::new();
    let r = http.get(s.url("/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["cache-control"], "no-cache");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    let at = html
        .find("/assets/app.js?v=")
        .expect("the index loads app.js");
    let url = html[at..].split('"').next().unwrap().to_string();
    let r = http.get(s.url(&url)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"),
        "a stamped asset is cached for good"
    );
    let etag = r.headers()["etag"].clone();
    // Unstamped: revalidated by ETag.
    let r = http
        .get(s.url("/assets/app.css"))
        .header(
            "if-none-match",
            etag.to_str().unwrap().replace("app.js", "app.css"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 304);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = http.get(s.url("/assets/nope.js")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_learns_its_role_and_the_control_state() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let me = s.get(&s.tok.viewer, "/v1/session").await.ok("whoami");
    assert_eq!(me, json!({"role": "viewer", "name": "vera", "csrf": null}));
    // With the cookie, the CSRF token comes back (a reloaded page needs it).
    let http = reqwest::Client::new();
    let r = http
        .post(s.url("/v1/session"))
        .json(&json!({"token": s.tok.operator}))
        .send()
        .await
        .unwrap();
    let sid = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = r.json::<Value>().await.unwrap()["csrf"].clone();
    let me: Value = http
        .get(s.url("/v1/session"))
        .header("cookie", &sid)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "operator");
    assert_eq!(me["csrf"], csrf);

    let c = s.get(&s.tok.viewer, "/v1/control").await.ok("control");
    assert_eq!(c["paused"], false);
    assert_eq!(c["clock"], "wall");
    let r = s
        .post(&s.tok.operator, "/v1/control/pause", json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = s.get(&s.tok.viewer, "/v1/control").await.ok("control");
    assert_eq!(c["paused"], true);
    let v = s.get(&s.tok.viewer, "/v1/venue").await.ok("venue");
    assert_eq!(v["event"]["id"], "rustconf-lisbon");
    assert!(
        v["spaces"]
            .as_array()
            .unwrap()
            .iter()
            .all(|sp| sp["position"].is_array()),
        "the example venue has coordinates"
    );
    // The manual clock's call: admin only, and only on a manual clock.
    let before = s.position().await;
    s.post(&s.tok.operator, "/v1/clock/advance", json!({"seconds": 60}))
        .await
        .problem(403, "an operator advancing the clock");
    s.post(&s.tok.admin, "/v1/clock/advance", json!({"seconds": 60}))
        .await
        .problem(409, "advancing a wall clock");
    assert_eq!(s.position().await, before);
    s.stop().await;
}

// ------------------------------------------------------------------ what-if

/// The twin runs a what-if in the background: operators start one, at most
/// one runs at a time, and anyone who can read sees its progress and result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_what_if_runs_in_the_background_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    s.post(&s.tok.viewer, "/v1/simulations", json!({"seeds": 1}))
        .await
        .problem(403, "viewer starts a simulation");
    let p = s
        .post(&s.tok.operator, "/v1/simulations", json!({"seeds": 0}))
        .await
        .problem(400, "zero seeds");
    assert_eq!(p["field"], "seeds");
    let p = s
        .post(
            &s.tok.operator,
            "/v1/simulations",
            json!({"a": "policies:\n  - id: x\n    on: [nothing]\n", "seeds": 1}),
        )
        .await
        .problem(400, "a broken policy set");
    assert_eq!(p["field"], "a");
    s.get(&s.tok.viewer, "/v1/simulations/sim-9")
        .await
        .problem(404, "unknown simulation");

    let r = s
        .post(
            &s.tok.operator,
            "/v1/simulations",
            json!({"a": "live", "b": "none", "seeds": 2}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let started = r.json();
    assert_eq!(started["id"], "sim-1");
    assert_eq!(started["total"], 4);
    // Four simulated days take far longer than one request: still running.
    s.post(&s.tok.admin, "/v1/simulations", json!({"seeds": 1}))
        .await
        .problem(409, "a second simulation while one runs");

    let mut done = Value::Null;
    for _ in 0..1500 {
        let v = s
            .get(&s.tok.viewer, "/v1/simulations/sim-1")
            .await
            .ok("progress");
        assert!(v["done"].as_u64().unwrap() <= 4, "{v}");
        if v["state"] != "running" {
            done = v;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["done"], 4);
    assert_eq!(done["started_by"], "otto");
    let table = done["table"].as_array().unwrap();
    assert_eq!(table.len(), baton_sim::KPIS.len(), "{done}");
    let notif = table
        .iter()
        .find(|r| r["key"] == "notifications_mean")
        .unwrap();
    assert!(notif["a"]["mean"].as_f64().unwrap() > 0.0, "{notif}");
    assert_eq!(notif["b"]["mean"].as_f64().unwrap(), 0.0, "{notif}");
    assert_eq!(done["summary"]["cases"][0]["name"], "live policies");
    assert_eq!(done["summary"]["cases"][1]["name"], "no orchestration");
    let charts = done["charts"].as_array().unwrap();
    assert!(!charts.is_empty());
    assert!(
        charts
            .iter()
            .all(|c| c["svg"].as_str().unwrap().starts_with("<svg"))
    );
    let list = s.get(&s.tok.viewer, "/v1/simulations").await.ok("list");
    assert_eq!(list["items"][0]["id"], "sim-1");
    assert!(list["items"][0].get("charts").is_none());
    // Finished: another may start.
    let r = s
        .post(&s.tok.operator, "/v1/simulations", json!({"seeds": 1}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    s.stop().await;
}

// ------------------------------------------------------------------ hardening

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_about_unknown_things_are_422_naming_the_field_and_journal_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let before = s.position().await;
    let p = s
        .signal(occupancy("u1", "no-such-room", 5))
        .await
        .problem(422, "unknown space");
    assert_eq!(p["field"], "subject", "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("no-such-room"),
        "{p}"
    );
    let p = s
        .batch(vec![
            occupancy("u2", "hall-a", 5),
            occupancy("u3", "nowhere", 5),
        ])
        .await
        .problem(422, "unknown space in a batch");
    assert_eq!(p["field"], "[1].subject", "{p}");
    let moved = json!({
        "specversion": "1.0", "id": "u4", "source": "sched", "type": "staff.location",
        "subject": "no-such-person", "data": {"space": "hall-a"},
    });
    assert_eq!(
        s.signal(moved).await.problem(422, "unknown staff")["field"],
        "subject"
    );
    assert_eq!(s.position().await, before, "nothing was journaled");
    // The same signal about a known space goes through.
    assert_eq!(s.signal(occupancy("u5", "hall-a", 5)).await.status, 202);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_takes_binary_mode_and_refuses_other_media_types() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let before = s.position().await;
    let text = occupancy("t1", "hall-a", 5).to_string();
    let r = s
        .call(
            "post",
            "/v1/signals",
            Some(&s.tok.ingest),
            Some(("text/plain", text)),
        )
        .await;
    assert_eq!(r.problem(415, "text/plain")["field"], "content-type");
    assert_eq!(s.position().await, before);
    let binary = |id: Option<&str>| {
        let mut rq = s
            .http
            .post(s.url("/v1/signals"))
            .bearer_auth(&s.tok.ingest)
            .header("content-type", "application/json")
            .header("ce-specversion", "1.0")
            .header("ce-source", "counter-gw")
            .header("ce-type", "space.occupancy")
            .header("ce-subject", "hall-a")
            .body(r#"{"count": 17}"#);
        if let Some(id) = id {
            rq = rq.header("ce-id", id);
        }
        rq.send()
    };
    let r = binary(Some("b1")).await.unwrap();
    assert_eq!(r.status(), 202, "{:?}", r.text().await);
    assert_eq!(s.occupancy("hall-a").await, json!(17));
    let r = binary(None).await.unwrap();
    assert_eq!(r.status(), 400);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["field"], "ce-id", "{p}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_interface_rules_hold() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    // The bearer scheme is case-insensitive (RFC 7235).
    let r = s
        .http
        .get(s.url("/v1/spaces"))
        .header("authorization", format!("bearer {}", s.tok.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // An override on a sign the event does not have is refused.
    let p = s
        .post(
            &s.tok.operator,
            "/v1/overrides",
            json!({"resource": "sign:no-such-sign", "value": "X", "minutes": 5}),
        )
        .await
        .problem(409, "override of an unknown sign");
    assert!(
        p["detail"].as_str().unwrap().contains("no-such-sign"),
        "{p}"
    );
    // A body over the limit gets problem+json on every route.
    let big = "#".repeat(baton_server::api::MAX_BODY + 10);
    let r = s
        .call(
            "put",
            "/v1/policies",
            Some(&s.tok.admin),
            Some(("application/yaml", big)),
        )
        .await;
    r.problem(413, "PUT /v1/policies too large");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bytes_in_flight_are_bounded_by_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let limits = baton_server::listen::Limits {
        inflight_bytes: 64 * 1024,
        ..Default::default()
    };
    let s = Server::start_limited(&dir, limits).await;
    let before = s.position().await;
    let items: Vec<Value> = (0..1_000)
        .map(|i| occupancy(&format!("big-{i}"), "hall-a", 5))
        .collect();
    let r = s.batch(items).await;
    let p = r.problem(429, "over the budget");
    assert!(
        p["detail"].as_str().unwrap().contains("request bytes"),
        "{p}"
    );
    assert_eq!(s.position().await, before);
    // A chunked body (no Content-Length) is metered as it arrives.
    let chunks: Vec<Result<String, std::io::Error>> = (0..1_000)
        .map(|i| {
            Ok(format!(
                "{}{}",
                if i == 0 { "[" } else { "," },
                occupancy(&format!("c{i}"), "hall-a", 1)
            ))
        })
        .collect();
    let r = s
        .http
        .post(s.url("/v1/signals"))
        .bearer_auth(&s.tok.ingest)
        .header("content-type", "application/cloudevents-batch+json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    // The server answers 429 and closes without reading the rest; the
    // client may see the closed connection while still writing, before it
    // reads the answer. Either way nothing was journaled.
    match r {
        Ok(r) => assert_eq!(r.status(), 429),
        Err(e) => assert!(
            e.is_request() && !e.is_timeout(),
            "refused mid-body, not another failure: {e}"
        ),
    }
    assert_eq!(
        s.position().await,
        before,
        "a refused chunked body journals nothing"
    );
    // Within the budget, all is well, and the budget came back.
    assert_eq!(s.signal(occupancy("small", "hall-a", 6)).await.status, 202);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_over_the_limit_do_not_lock_out_a_real_client() {
    let dir = tempfile::tempdir().unwrap();
    let limits = baton_server::listen::Limits {
        max_connections: 4,
        header_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let s = Server::start_limited(&dir, limits).await;
    // Twelve clients connect and send nothing (one sends half a head).
    let mut idle = Vec::new();
    for i in 0..12 {
        let mut c = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        if i == 0 {
            use tokio::io::AsyncWriteExt;
            c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
        }
        idle.push(c);
    }
    // A real client still gets its answer: idle ones are closed after the
    // header timeout, and the ones waiting in the backlog are taken in turn.
    let r = s.call("get", "/healthz", None, None).await;
    assert_eq!((r.status, r.text.as_str()), (200, "ok"));
    // The idle connections were closed by the server.
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(GUARD, idle[1].read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "closed without an answer");
    drop(idle);
    s.stop().await;
}

/// A condition the type checker would once recurse through until the
/// worker's stack overflowed, aborting the server.
fn long_condition(terms: usize) -> String {
    let sum = vec!["space.occupancy"; terms].join(" + ");
    format!("{sum} > 0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_and_long_conditions_are_refused_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let text = std::fs::read_to_string(format!("{EVENT}/policies.yaml")).unwrap();
    let cases = [
        long_condition(2_000),
        long_condition(10_000),
        format!("{}space.fill > 0.5{}", "(".repeat(5_000), ")".repeat(5_000)),
        // A syntax error past column 65,535.
        format!("{} &&", "space.fill > 0.5 && ".repeat(4_000)),
    ];
    for (i, cond) in cases.iter().enumerate() {
        let yaml = text.replacen("space.los in ['E', 'F']", cond, 1);
        assert_ne!(yaml, text);
        let p = s
            .call(
                "put",
                "/v1/policies",
                Some(&s.tok.admin),
                Some(("application/yaml", yaml.clone())),
            )
            .await
            .problem(400, &format!("PUT /v1/policies, case {i}"));
        assert!(
            p["field"].as_str().unwrap_or("").contains("condition"),
            "{p}"
        );
        // The what-if reads a policy set the same way.
        let p = s
            .post(
                &s.tok.operator,
                "/v1/simulations",
                json!({"a": yaml, "b": "none", "seeds": 1}),
            )
            .await
            .problem(400, &format!("what-if, case {i}"));
        assert_eq!(p["field"], "a", "{p}");
    }
    // Still serving.
    let r = s.call("get", "/healthz", None, None).await;
    assert_eq!(r.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_that_could_no_longer_take_effect_leaves_the_queue_and_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tok = Tok::create(&data);
    let mut cfg = config(&data);
    cfg.clock = baton_server::clock::ClockMode::Manual;
    let s = Server::start_cfg(cfg, tok).await;
    let id = s.incident("late-1", "hall-b", "critical").await;
    assert_eq!(s.decision(&id).await["status"], "pending");
    // The example escalates after 2 min; its dispatches are valid 10 min,
    // its alert 30 min.
    let advance = |secs: i64| s.post(&s.tok.admin, "/v1/clock/advance", json!({"seconds": secs}));
    advance(180).await.ok("advance 3 min");
    assert_eq!(s.decision(&id).await["status"], "escalated");
    advance(480).await.ok("advance 8 min more");
    assert_eq!(
        s.decision(&id).await["status"],
        "escalated",
        "the alert can still go out"
    );
    advance(1_200).await.ok("advance 20 min more");
    let d = s.decision(&id).await;
    assert_eq!(
        d["status"], "expired",
        "out of the queue once no action can take effect: {d}"
    );
    let pending = s.decisions("?status=pending").await;
    assert!(pending.iter().all(|x| x["id"] != json!(id)), "{pending:?}");
    let p = s
        .post(
            &s.tok.operator,
            &format!("/v1/decisions/{id}/approve"),
            json!({}),
        )
        .await
        .problem(409, "approving an expired decision");
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("expired") && detail.contains("valid"),
        "{p}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditions_failing_at_run_time_are_counted_per_policy() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let text = std::fs::read_to_string(format!("{EVENT}/policies.yaml")).unwrap();
    let failing = text.replacen(
        "space.fill >= 0.95 && space.has_session && space.id != 'overflow-1'",
        "space.occupancy / (space.capacity - space.capacity) > 1",
        1,
    );
    assert_ne!(failing, text);
    let r = s
        .call(
            "put",
            "/v1/policies",
            Some(&s.tok.admin),
            Some(("application/yaml", failing)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.signal(occupancy("e1", "hall-a", 700)).await.status, 202);
    let v = s.get(&s.tok.viewer, "/v1/policies").await.ok("policies");
    let rfr = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "room-full-redirect")
        .unwrap()
        .clone();
    assert_eq!(rfr["eval_errors"], 1, "{rfr}");
    let m = s.get(&s.tok.viewer, "/metrics").await;
    assert!(
        m.text
            .contains(r#"baton_policy_eval_errors{policy="room-full-redirect"} 1"#),
        "{}",
        m.text
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn situations_list_what_needs_a_person_grouped_per_space() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let sit = |q: &'static str| {
        let s = &s;
        async move {
            s.get(&s.tok.viewer, &format!("/v1/situations{q}"))
                .await
                .ok("situations")
        }
    };
    assert_eq!(
        sit("").await["items"],
        json!([]),
        "a quiet event needs nobody"
    );
    // Hall A over capacity: a situation before any decision exists about it.
    assert_eq!(s.signal(occupancy("s1", "hall-a", 900)).await.status, 202);
    // A medical incident in Hall B: its decision waits for an operator.
    let id = s.incident("s2", "hall-b", "critical").await;
    let v = sit("").await;
    let groups = v["items"].as_array().unwrap();
    let group = |space: &str| {
        groups
            .iter()
            .find(|g| g["space"] == space)
            .unwrap_or_else(|| panic!("no {space} group: {v}"))
    };
    let a = group("hall-a");
    assert_eq!(a["level"], "high", "{a}");
    let crowd = &a["items"][0];
    assert_eq!(crowd["kind"], "crowding", "{a}");
    assert_eq!(crowd["decided"], false, "{a}");
    assert_eq!(crowd["occupancy"], 900);
    let b = group("hall-b");
    assert!(
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "decision" && i["decision"] == json!(id)),
        "{b}"
    );
    // Back under: Hall A's situation ends; the pending decision stays.
    assert_eq!(s.signal(occupancy("s3", "hall-a", 300)).await.status, 202);
    let v = sit("").await;
    let groups = v["items"].as_array().unwrap();
    assert!(groups.iter().all(|g| g["space"] != "hall-a"), "{v}");
    assert!(groups.iter().any(|g| g["space"] == "hall-b"), "{v}");
    // Rejected, it is settled.
    s.post(
        &s.tok.operator,
        &format!("/v1/decisions/{id}/reject"),
        json!({"comment": "handled"}),
    )
    .await
    .ok("reject");
    let v = sit("").await;
    assert!(
        v["items"].as_array().unwrap().iter().all(|g| g["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["kind"] != "decision")),
        "{v}"
    );
    s.get(&s.tok.viewer, "/v1/situations?min=urgent")
        .await
        .problem(400, "a bad level");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_timeline_pages_back_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    for i in 0..4 {
        s.incident(&format!("page-{i}"), "hall-b", "critical").await;
    }
    let all = s
        .get(&s.tok.viewer, "/v1/audit?limit=1000")
        .await
        .ok("audit");
    let all = all["items"].as_array().unwrap().clone();
    assert!(all.len() >= 4, "{all:?}");
    let newest = s.get(&s.tok.viewer, "/v1/audit?limit=2").await.ok("page 1");
    let newest = newest["items"].as_array().unwrap().clone();
    // At least the two asked for, and never half of one position's entries.
    assert!(newest.len() >= 2);
    assert_eq!(newest, all[all.len() - newest.len()..].to_vec());
    let oldest = newest[0]["position"].as_u64().unwrap();
    let older = s
        .get(&s.tok.viewer, &format!("/v1/audit?limit=2&before={oldest}"))
        .await
        .ok("page 2");
    let older = older["items"].as_array().unwrap();
    assert!(!older.is_empty());
    assert!(
        older
            .iter()
            .all(|x| x["position"].as_u64().unwrap() < oldest),
        "{older:?}"
    );
    // The pages meet: nothing between them was skipped.
    assert_eq!(older.last(), all.get(all.len() - newest.len() - 1));
    s.stop().await;
}

/// Issue 18, defect 6: a space's history, a sample a journal minute, from
/// the journal: the same after a restart, which rebuilds it by replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn space_history_is_sampled_each_minute_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tok = Tok::create(&data);
    let manual = |data: &Path| {
        let mut cfg = config(data);
        cfg.clock = baton_server::clock::ClockMode::Manual;
        cfg
    };
    let s = Server::start_cfg(manual(&data), tok).await;
    for (i, count) in [100, 250, 400].into_iter().enumerate() {
        let r = s
            .signal(occupancy(&format!("h-{i}"), "hall-a", count))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        s.post(&s.tok.admin, "/v1/clock/advance", json!({"seconds": 60}))
            .await
            .ok("advance a minute");
    }
    let h = s
        .get(&s.tok.viewer, "/v1/spaces/hall-a/history?minutes=30")
        .await
        .ok("history");
    let samples = h["samples"].as_array().expect("samples");
    let seen: Vec<i64> = samples
        .iter()
        .map(|x| x["occupancy"].as_i64().unwrap())
        .collect();
    for count in [100, 250, 400] {
        assert!(seen.contains(&count), "{count} sampled: {seen:?}");
    }
    let ats: Vec<i64> = samples.iter().map(|x| x["at"].as_i64().unwrap()).collect();
    assert!(
        ats.windows(2)
            .all(|w| w[1] - w[0] >= 60_000 && w[1] % 60_000 == 0),
        "one sample a minute, on the minute: {ats:?}"
    );
    assert_eq!(h["live"]["occupancy"], json!(400), "{h}");
    assert!(h["forecast"]["at"].as_i64().unwrap() > h["now"].as_i64().unwrap());
    // Every space on one grid for the board's sparklines.
    let all = s
        .get(&s.tok.viewer, "/v1/history?minutes=30")
        .await
        .ok("all");
    let row = all["spaces"]["hall-a"].as_array().expect("hall-a row");
    assert!(row.contains(&json!(250)), "{row:?}");
    assert!(all["spaces"]["hall-b"].is_array(), "every space: {all}");
    assert!(
        all["spaces"]["hall-b"]
            .as_array()
            .is_some_and(|r| r.iter().all(Value::is_null)),
        "a space without sensor data has gaps, not zeros: {all}"
    );
    // Unknown spaces are 404, a viewer's range is clamped, not refused.
    s.get(&s.tok.viewer, "/v1/spaces/nowhere/history")
        .await
        .problem(404, "unknown space");
    s.get(&s.tok.viewer, "/v1/spaces/hall-a/history?minutes=100000")
        .await
        .ok("a long range is clamped to what is kept");
    // Decisions filter by space.
    s.incident("hist-inc", "hall-b", "critical").await;
    let about_b = s.decisions("?space=hall-b").await;
    assert!(!about_b.is_empty(), "a decision about hall-b");
    assert!(
        s.decisions("?space=hall-a")
            .await
            .iter()
            .all(|d| d["scope"]["space"] == json!("hall-a"))
    );

    let (data, tok) = s.stop().await;
    let s = Server::start_cfg(manual(&data), tok).await;
    let again = s
        .get(&s.tok.viewer, "/v1/spaces/hall-a/history?minutes=30")
        .await
        .ok("history after restart");
    assert_eq!(
        again["samples"], h["samples"],
        "rebuilt from the journal on restart"
    );
    s.stop().await;
}

/// Issue 18, defect 8: a staff token sees and updates its own tasks and
/// nothing else; the desk lists every open task and moves one by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_update_their_own_tasks_and_the_desk_reassigns() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir).await;
    let r = s
        .post(
            &s.tok.operator,
            "/v1/actions",
            json!({"kind": "dispatch", "target": {"ids": ["space:hall-b"]},
                   "params": {"role": "medic", "count": 1, "note": "check on an attendee"},
                   "valid_for": 600_000}),
        )
        .await;
    r.ok("manual dispatch");
    let tasks = s.get(&s.tok.viewer, "/v1/tasks").await.ok("tasks")["items"].clone();
    let tasks = tasks.as_array().expect("items");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let task = tasks[0]["id"].as_str().unwrap().to_string();
    let medic = tasks[0]["staff"]
        .as_str()
        .expect("assigned to someone")
        .to_string();
    assert_eq!(tasks[0]["stage"], "assigned");
    assert_eq!(tasks[0]["space"], "hall-b");
    let other_medic = ["st-lucia", "st-catarina", "st-beatriz"]
        .into_iter()
        .find(|m| *m != medic)
        .unwrap();
    let t = Tokens::open(&s.data).unwrap();
    let mine = t.create(Role::Staff, &medic).unwrap();
    let theirs = t.create(Role::Staff, other_medic).unwrap();
    let nobody = t.create(Role::Staff, "not-on-the-list").unwrap();
    drop(t);

    // A staff token reads its own tasks and nothing else.
    let me = s.get(&mine, "/v1/me/tasks").await.ok("my tasks");
    assert_eq!(me["me"]["id"], json!(medic), "{me}");
    assert_eq!(me["items"][0]["id"], json!(task), "{me}");
    let other = s.get(&theirs, "/v1/me/tasks").await.ok("their tasks");
    assert_eq!(other["items"], json!([]), "{other}");
    for path in [
        "/v1/spaces",
        "/v1/decisions",
        "/v1/tasks",
        "/v1/stream",
        "/metrics",
    ] {
        s.get(&mine, path)
            .await
            .problem(403, &format!("staff GET {path}"));
    }
    s.get(&nobody, "/v1/me/tasks")
        .await
        .problem(403, "a staff token whose name is no staff id");
    s.get(&s.tok.operator, "/v1/me/tasks")
        .await
        .problem(403, "an operator has no own task list");
    let before = s.position().await;
    s.post(
        &theirs,
        &format!("/v1/me/tasks/{task}"),
        json!({"state": "acknowledged"}),
    )
    .await
    .problem(404, "someone else's task");
    s.post(
        &mine,
        &format!("/v1/me/tasks/{task}"),
        json!({"state": "on my way"}),
    )
    .await
    .problem(400, "an unknown state");
    assert_eq!(
        s.position().await,
        before,
        "refused updates journal nothing"
    );

    // Acknowledging is journaled once; pressing it again is a duplicate.
    let r = s
        .post(
            &mine,
            &format!("/v1/me/tasks/{task}"),
            json!({"state": "acknowledged"}),
        )
        .await
        .ok("acknowledge");
    assert_eq!(r["duplicate"], false, "{r}");
    let again = s
        .post(
            &mine,
            &format!("/v1/me/tasks/{task}"),
            json!({"state": "acknowledged"}),
        )
        .await
        .ok("acknowledge again");
    assert_eq!(again["duplicate"], true, "{again}");
    let listed = s.get(&s.tok.viewer, "/v1/tasks").await.ok("tasks");
    assert_eq!(listed["items"][0]["stage"], "acknowledged", "{listed}");

    // The desk moves it by hand: a viewer may not, an unknown person is refused.
    s.post(
        &s.tok.viewer,
        &format!("/v1/tasks/{task}/reassign"),
        json!({"to": other_medic}),
    )
    .await
    .problem(403, "viewer reassigns");
    let p = s
        .post(
            &s.tok.operator,
            &format!("/v1/tasks/{task}/reassign"),
            json!({"to": "st-nobody"}),
        )
        .await
        .problem(409, "reassign to nobody");
    assert!(p["detail"].as_str().unwrap().contains("st-nobody"), "{p}");
    s.post(
        &s.tok.operator,
        &format!("/v1/tasks/{task}/reassign"),
        json!({"to": medic}),
    )
    .await
    .problem(409, "reassign to who has it");
    s.post(
        &s.tok.operator,
        &format!("/v1/tasks/{task}/reassign"),
        json!({"to": other_medic}),
    )
    .await
    .ok("reassign");
    let listed = s.get(&s.tok.viewer, "/v1/tasks").await.ok("tasks");
    assert_eq!(listed["items"][0]["staff"], json!(other_medic), "{listed}");
    assert_eq!(listed["items"][0]["stage"], "assigned", "{listed}");
    assert_eq!(
        s.get(&mine, "/v1/me/tasks").await.ok("mine")["items"],
        json!([])
    );
    s.post(
        &mine,
        &format!("/v1/me/tasks/{task}"),
        json!({"state": "done"}),
    )
    .await
    .problem(404, "no longer mine");
    // The audit says who moved it.
    let audit = s.get(&s.tok.viewer, "/v1/audit?limit=50").await.ok("audit");
    let withdrawn = audit["items"].as_array().unwrap().iter().any(|i| {
        i["output"]["state"] == "withdrawn"
            && i["output"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("operator:otto"))
    });
    assert!(withdrawn, "{audit}");

    // The new person finishes it: the task closes.
    for state in ["arrived", "done"] {
        s.post(
            &theirs,
            &format!("/v1/me/tasks/{task}"),
            json!({"state": state}),
        )
        .await
        .ok(state);
    }
    let listed = s.get(&s.tok.viewer, "/v1/tasks").await.ok("tasks");
    assert_eq!(listed["items"], json!([]), "{listed}");
    s.stop().await;
}
