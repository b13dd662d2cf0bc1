//! Recommendations and the public room-status feed (issue 15), end to end:
//! a real server on an ephemeral port with a manual clock at 09:50 on the
//! example's day, driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use baton_server::auth::{Role, Tokens};
use baton_server::{Config, Running};
use common::{cloudevent, example, occupancy};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// 2026-06-12T09:50:00+01:00: ten minutes before the 10:00 talks.
const AT_0950: i64 = 1_781_247_600_000 + 110 * 60_000;
const GUARD: Duration = Duration::from_secs(20);

struct Server {
    addr: std::net::SocketAddr,
    running: Option<Running>,
    http: reqwest::Client,
    ingest: String,
    operator: String,
    viewer: String,
    app: String,
    public: String,
    admin: String,
}

struct Reply {
    status: u16,
    text: String,
    etag: Option<String>,
}

impl Reply {
    fn ok(&self, what: &str) -> Value {
        assert_eq!(self.status, 200, "{what}: {}", self.text);
        serde_json::from_str(&self.text).unwrap()
    }
}

impl Server {
    async fn start(dir: &Path, open: bool) -> Server {
        Server::start_at(dir, open, AT_0950).await
    }

    async fn start_at(dir: &Path, open: bool, at: i64) -> Server {
        let data = dir.join("data");
        let t = Tokens::open(&data).unwrap();
        let tokens = (
            t.create(Role::Ingest, "gw").unwrap(),
            t.create(Role::Operator, "otto").unwrap(),
            t.create(Role::Viewer, "vera").unwrap(),
            t.create(Role::App, "app-backend").unwrap(),
            t.create(Role::Public, "screens").unwrap(),
            t.create(Role::Admin, "ada").unwrap(),
        );
        let mut cfg = Config::new(example(), data);
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        cfg.clock = baton_server::clock::ClockMode::Manual;
        cfg.start_at = Some(at);
        cfg.public.open = open;
        let running = baton_server::start(cfg).await.expect("server starts");
        Server {
            addr: running.addr,
            running: Some(running),
            http: reqwest::Client::new(),
            ingest: tokens.0,
            operator: tokens.1,
            viewer: tokens.2,
            app: tokens.3,
            public: tokens.4,
            admin: tokens.5,
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        etag: Option<&str>,
    ) -> Reply {
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut rq = self.http.request(m, format!("http://{}{path}", self.addr));
        if let Some(t) = token {
            rq = rq.header("authorization", format!("Bearer {t}"));
        }
        if let Some(e) = etag {
            rq = rq.header("if-none-match", e);
        }
        if let Some(b) = body {
            rq = rq
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = tokio::time::timeout(GUARD, rq.send())
            .await
            .expect("answer in time")
            .unwrap();
        let status = r.status().as_u16();
        let etag = r
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Reply {
            status,
            text: r.text().await.unwrap(),
            etag,
        }
    }

    async fn ingest(&self, events: Vec<Value>) {
        for chunk in events.chunks(2_000) {
            let r = self
                .http
                .post(format!("http://{}/v1/signals", self.addr))
                .header("authorization", format!("Bearer {}", self.ingest))
                .header("content-type", "application/cloudevents-batch+json")
                .body(Value::Array(chunk.to_vec()).to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 202, "{}", r.text().await.unwrap());
        }
    }

    async fn recs(&self, id: &str) -> Value {
        self.call(
            "get",
            &format!("/v1/attendees/{id}/recommendations?limit=20"),
            Some(&self.app),
            None,
            None,
        )
        .await
        .ok(id)
    }

    /// A door volunteer's FULL (or its clearing), from the console.
    async fn mark_full(&self, space: &str, full: bool) {
        let r = self
            .call(
                "post",
                &format!("/v1/spaces/{space}/full"),
                Some(&self.operator),
                Some(json!({"full": full})),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "full={full} on {space}: {}", r.text);
    }

    async fn rooms(&self) -> Value {
        // The feed is rebuilt at most once a second.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        self.call("get", "/v1/public/rooms", None, None, None)
            .await
            .ok("public rooms")
    }

    async fn stop(mut self) {
        let r = self.running.take().unwrap();
        r.shutdown.send(()).unwrap();
        let _ = tokio::time::timeout(GUARD, r.done).await;
    }
}

fn plan(a: &str, sessions: &[&str]) -> Value {
    cloudevent(
        &format!("plan-{a}"),
        "app",
        "attendee.plan",
        a,
        json!({"sessions": sessions}),
    )
}

fn sessions_of(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["session"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reachable_session_with_seats_ranks_above_a_full_one_of_equal_interest() {
    let dir = tempfile::tempdir().unwrap();
    // 10:05: the 10:00 talks are on.
    let s = Server::start_at(dir.path(), true, AT_0950 + 15 * 60_000).await;
    // A systems bookmark later on: the 10:00 systems talks in hall-a and
    // hall-c interest this person equally.
    s.ingest(vec![plan("att-1", &["t-rust-for-linux"])]).await;
    let before = s.recs("att-1").await;
    let list = sessions_of(&before);
    assert!(list.contains(&"t-lock-free".to_string()), "{before}");
    assert!(list.contains(&"t-polonius".to_string()), "{before}");
    // hall-c's volunteer hangs FULL on the talk under way.
    s.mark_full("hall-c", true).await;
    let after = s.recs("att-1").await;
    let list = sessions_of(&after);
    let pos = |id: &str| list.iter().position(|x| x == id);
    let (Some(open), Some(full)) = (pos("t-polonius"), pos("t-lock-free")) else {
        panic!("both talks listed: {after}");
    };
    assert!(open < full, "the talk with seats first: {after}");
    let item = &after["items"][full];
    assert_eq!(item["p_seat"], json!(0.0), "{item}");
    assert_eq!(
        item["interest"], after["items"][open]["interest"],
        "{after}"
    );
    assert!(
        item["why"].as_str().unwrap().contains("full"),
        "the reason says why: {item}"
    );
    assert!(
        after["items"][open]["why"]
            .as_str()
            .unwrap()
            .contains("same track as your bookmark"),
        "{after}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_interests_are_spread_in_the_solves_proportions_and_stay_put_for_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), true).await;
    // 300 people bookmark the 80-place workshop at 10:00 and nothing else.
    let ids: Vec<String> = (0..300).map(|i| format!("fan-{i:03}")).collect();
    s.ingest(ids.iter().map(|a| plan(a, &["w-no-std-basics"])).collect())
        .await;
    let bulk = |ids: Vec<String>| {
        s.call(
            "post",
            "/v1/recommendations",
            Some(&s.app),
            Some(json!({"attendees": ids, "limit": 3})),
            None,
        )
    };
    let r = bulk(ids.clone()).await;
    let v = r.ok("bulk");
    let flows = v["spread"]["likely_full"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["session"] == "w-no-std-basics")
        .cloned()
        .unwrap_or_else(|| panic!("the workshop is likely full: {}", v["spread"]));
    let planners = flows["planners"].as_f64().unwrap();
    assert_eq!(planners, 300.0);
    let to = flows["to"].as_object().unwrap();
    assert!(to.len() >= 2, "over more than one alternative: {flows}");
    let mut got: BTreeMap<String, f64> = BTreeMap::new();
    for item in v["items"].as_array().unwrap() {
        let first = item["items"][0]["session"].as_str().unwrap();
        *got.entry(first.to_string()).or_default() += 1.0;
    }
    for (alt, n) in to {
        let p = n.as_f64().unwrap() / planners;
        let expected = planners * p;
        let sd = (planners * p * (1.0 - p)).sqrt();
        let seen = got.get(alt).copied().unwrap_or(0.0);
        assert!(
            (seen - expected).abs() <= 4.0 * sd + 2.0,
            "{alt}: {seen} people sent, the solve says {expected:.0} (flows {flows}, got {got:?})"
        );
    }
    // Everyone else keeps the workshop first.
    let sent: f64 = to.values().map(|n| n.as_f64().unwrap()).sum();
    let kept = got.get("w-no-std-basics").copied().unwrap_or(0.0);
    assert!((kept - (planners - sent)).abs() <= 4.0 * (planners * 0.25).sqrt() + 2.0);
    // The same position answers the same.
    let again = bulk(ids.clone()).await.ok("bulk again");
    assert_eq!(again["position"], v["position"]);
    assert_eq!(again["items"], v["items"], "deterministic for a position");
    // One at a time answers what the bulk answered.
    let one = s.recs("fan-007").await;
    assert_eq!(one["position"], v["position"]);
    assert_eq!(
        one["items"][0]["session"], v["items"][7]["items"][0]["session"],
        "one attendee and the bulk agree"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_request_of_ten_thousand_ids_answers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), true).await;
    s.ingest(
        (0..500)
            .map(|i| plan(&format!("p{i}"), &["t-polonius", "t-leptos-ssr"]))
            .collect(),
    )
    .await;
    let ids: Vec<String> = (0..10_000).map(|i| format!("p{i}")).collect();
    let r = s
        .call(
            "post",
            "/v1/recommendations",
            Some(&s.app),
            Some(json!({"attendees": ids})),
            None,
        )
        .await;
    let v = r.ok("bulk of 10,000");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 10_000);
    assert_eq!(items[0]["known"], json!(true));
    assert_eq!(items[9_999]["known"], json!(false));
    assert!(!items[9_999]["items"].as_array().unwrap().is_empty());
    // Too many ids is refused by name.
    let r = s
        .call(
            "post",
            "/v1/recommendations",
            Some(&s.app),
            Some(json!({"attendees": vec!["x"; 20_001]})),
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("attendees"), "{}", r.text);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_role_reads_recommendations_and_the_feed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), true).await;
    let mut refused = 0;
    for (method, path, role, _) in baton_server::api::ROUTES {
        if matches!(*role, "none" | "app" | "public") {
            continue;
        }
        let url = path
            .replace("{id}", "hall-a")
            .replace("{resource}", "sign%3Asign-hall-a-door")
            .replace("{key}", "1.0.0")
            .replace("{name}", "app.js");
        let r = s
            .call(method, &url, Some(&s.app), Some(json!({})), None)
            .await;
        assert_eq!(r.status, 403, "app {method} {path}: {}", r.text);
        refused += 1;
    }
    assert!(refused >= 40, "{refused}");
    s.recs("anyone").await;
    s.call("get", "/v1/public/rooms", Some(&s.app), None, None)
        .await
        .ok("the app reads the feed");
    // Viewers and operators do not read one attendee's recommendations.
    for t in [&s.viewer, &s.operator] {
        let r = s
            .call(
                "get",
                "/v1/attendees/att-1/recommendations",
                Some(t),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_feed_is_anonymous_stale_aware_and_lets_the_door_win() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), true).await;
    s.ingest(vec![
        plan("att-secret-42", &["t-polonius"]),
        cloudevent(
            "in-1",
            "gate",
            "space.entered",
            "hall-a",
            json!({"count": 1, "attendee": "att-secret-42"}),
        ),
    ])
    .await;
    // No sensor has spoken for hall-b: unknown.
    let v = s.rooms().await;
    let room = |v: &Value, id: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(room(&v, "hall-b")["state"], "unknown", "{v}");
    assert_eq!(room(&v, "hall-b")["seats_free"], Value::Null);
    assert_eq!(room(&v, "hall-a")["state"], "open", "{v}");
    assert_eq!(room(&v, "hall-a")["next"]["id"], "t-polonius", "{v}");
    // No personal data anywhere in it.
    let text = v.to_string();
    assert!(!text.contains("att-secret"), "{text}");
    for r in v["items"].as_array().unwrap() {
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "current",
                "id",
                "marked_full",
                "name",
                "next",
                "places",
                "seats_free",
                "state"
            ],
            "{r}"
        );
    }
    // A counter says hall-b is nearly empty; its volunteer says FULL: the door wins.
    s.ingest(vec![occupancy("occ-b-1", "hall-b", 20)]).await;
    assert_eq!(room(&s.rooms().await, "hall-b")["state"], "open");
    s.mark_full("hall-b", true).await;
    s.ingest(vec![occupancy("occ-b-2", "hall-b", 25)]).await;
    let v = s.rooms().await;
    assert_eq!(room(&v, "hall-b")["state"], "full", "{v}");
    assert_eq!(room(&v, "hall-b")["seats_free"], json!(0));
    // The FOSDEM shape: an array of {roomname, state "1"|"0"}.
    let f = s
        .call("get", "/roomstatus/v1/listrooms", None, None, None)
        .await
        .ok("fosdem shape");
    let arr = f.as_array().unwrap();
    assert_eq!(arr.len(), v["items"].as_array().unwrap().len());
    for r in arr {
        let o = r.as_object().unwrap();
        assert_eq!(o.len(), 2, "{r}");
        assert!(o["roomname"].is_string());
        assert!(o["state"] == "0" || o["state"] == "1", "{r}");
    }
    let hall_b = arr
        .iter()
        .find(|r| r["roomname"] == room(&v, "hall-b")["name"])
        .unwrap();
    assert_eq!(hall_b["state"], "1");
    // Cacheable: the same content answers 304 to its ETag.
    let r = s.call("get", "/v1/public/rooms", None, None, None).await;
    let etag = r.etag.clone().expect("an ETag");
    let r = s
        .call("get", "/v1/public/rooms", None, None, Some(&etag))
        .await;
    assert_eq!(r.status, 304);
    // Cleared: the sensors speak again.
    s.mark_full("hall-b", false).await;
    assert_eq!(room(&s.rooms().await, "hall-b")["state"], "open");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_needs_a_public_token_when_configured_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), false).await;
    for path in ["/v1/public/rooms", "/roomstatus/v1/listrooms"] {
        let r = s.call("get", path, None, None, None).await;
        assert_eq!(r.status, 401, "{path}: {}", r.text);
        s.call("get", path, Some(&s.public), None, None)
            .await
            .ok(path);
    }
    // A public token reads the feed and nothing else.
    let r = s
        .call("get", "/v1/spaces", Some(&s.public), None, None)
        .await;
    assert_eq!(r.status, 403);
    let r = s
        .call(
            "get",
            "/v1/attendees/a/recommendations",
            Some(&s.public),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_are_used_only_where_the_attendee_consented() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), true).await;
    let seen = |id: &str, n: u32| {
        cloudevent(
            &format!("in-{id}-{n}"),
            "gate",
            "space.entered",
            "hall-c",
            json!({"count": 1, "attendee": id}),
        )
    };
    s.ingest(vec![
        plan("private", &["t-polonius"]),
        cloudevent(
            "plan-shared",
            "app",
            "attendee.plan",
            "shared",
            json!({"sessions": ["t-polonius"], "share_position": true}),
        ),
        seen("private", 1),
        seen("shared", 1),
    ])
    .await;
    let private = s.recs("private").await;
    let shared = s.recs("shared").await;
    let first = |v: &Value| v["items"][0].clone();
    assert_eq!(first(&private)["session"], "t-polonius");
    assert_eq!(first(&private)["walk_min"], Value::Null, "{private}");
    assert!(
        first(&private)["why"]
            .as_str()
            .unwrap()
            .contains("walk unknown")
    );
    assert!(first(&shared)["walk_min"].is_u64(), "{shared}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_doors_full_is_about_the_talk_on_now_not_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), true).await;
    s.ingest(vec![plan("att-2", &["t-lock-free"])]).await;
    s.mark_full("hall-c", true).await;
    // 09:50: hall-c's FULL is about what is in it now; the 10:00 talk
    // starts after that audience leaves.
    let v = s.recs("att-2").await;
    let item = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["session"] == "t-lock-free")
        .cloned()
        .unwrap_or_else(|| panic!("listed: {v}"));
    assert!(item["p_seat"].as_f64().unwrap() > 0.5, "{item}");
    assert_eq!(v["items"][0]["session"], "t-lock-free", "{v}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_feed_streams_as_server_sent_events() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), true).await;
    let mut r = s
        .http
        .get(format!("http://{}/v1/public/rooms/stream", s.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut got = String::new();
    while !got.contains("\n\n") {
        let chunk = tokio::time::timeout(GUARD, r.chunk())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("the stream stays open");
        got.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(got.contains("event: rooms"), "{got}");
    let data = got
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("a data line");
    let v: Value = serde_json::from_str(data).unwrap();
    assert!(!v["items"].as_array().unwrap().is_empty(), "{v}");
    drop(r);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_listener_serves_the_feed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cfg = Config::new(example(), data);
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.public_listen = Some("127.0.0.1:0".parse().unwrap());
    cfg.clock = baton_server::clock::ClockMode::Manual;
    cfg.start_at = Some(AT_0950);
    let running = baton_server::start(cfg).await.expect("server starts");
    let public = running.public.expect("a public listener");
    let http = reqwest::Client::new();
    for path in ["/v1/public/rooms", "/roomstatus/v1/listrooms"] {
        let r = http
            .get(format!("http://{public}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
    }
    for path in ["/v1/spaces", "/v1/signals", "/"] {
        let r = http
            .get(format!("http://{public}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            404,
            "{path} is not on the public listener"
        );
    }
    running.shutdown.send(()).unwrap();
    let _ = tokio::time::timeout(GUARD, running.done).await;
}

const RECOMMEND_POLICY: &str = r#"
policies:
  - id: recommend-before-full
    description: "Alternatives for the planners of a talk likely to be full."
    on: [minute]
    scope: {kind: session}
    condition: >-
      session.status == 'scheduled' && session.minutes_to_start <= 25.0
      && session.minutes_to_start >= 5.0 && session.p_full >= 0.6
    cooldown: 30m
    priority: 45
    mode: auto
    actions:
      - kind: recommend
        target: session
        params:
          limit: "2"
        valid_for: 20m
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recommend_action_pushes_alternatives_and_the_audit_keeps_only_counts() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), true).await;
    let r = s
        .http
        .put(format!("http://{}/v1/policies", s.addr))
        .header("authorization", format!("Bearer {}", s.admin))
        .header("content-type", "application/yaml")
        .body(RECOMMEND_POLICY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let ids: Vec<String> = (0..300).map(|i| format!("fan-{i:03}")).collect();
    s.ingest(ids.iter().map(|a| plan(a, &["w-no-std-basics"])).collect())
        .await;
    // A minute on: the per-minute policy sees the workshop likely full.
    s.call(
        "post",
        "/v1/clock/advance",
        Some(&s.admin),
        Some(json!({"seconds": 60})),
        None,
    )
    .await
    .ok("advance");
    let v = s
        .call(
            "get",
            "/v1/decisions?policy=recommend-before-full",
            Some(&s.viewer),
            None,
            None,
        )
        .await
        .ok("decisions");
    let d = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["scope"]["session"] == "w-no-std-basics")
        .cloned()
        .unwrap_or_else(|| panic!("a decision for the workshop: {v}"));
    let notices: Vec<&Value> = d["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "notify")
        .collect();
    assert!(!notices.is_empty(), "{d}");
    let mut sent = 0;
    for n in &notices {
        let p = &n["params"];
        let alts = p["alternatives"].as_array().unwrap();
        assert!(!alts.is_empty() && alts.len() <= 2, "{p}");
        assert_eq!(p["to_session"], alts[0], "{p}");
        assert!(alts.iter().all(|a| a != "w-no-std-basics"), "{p}");
        let who = p["recipients"].as_array().unwrap();
        assert_eq!(p["count"], json!(who.len()));
        sent += who.len();
    }
    // The spread sends only its share: the rest keep the workshop.
    assert!(sent > 0 && sent < 300, "{sent} of 300 sent elsewhere");
    let solver = d["explanation"]["solver"].as_str().unwrap_or_default();
    assert!(solver.contains("keep it"), "{solver}");
    // The audit timeline names nobody: recipients are a count there.
    let audit = s
        .call(
            "get",
            "/v1/audit?policy=recommend-before-full",
            Some(&s.viewer),
            None,
            None,
        )
        .await;
    assert_eq!(audit.status, 200);
    assert!(!audit.text.contains("fan-0"), "{}", audit.text);
    assert!(audit.text.contains("\"count\""), "{}", audit.text);
    s.stop().await;
}
