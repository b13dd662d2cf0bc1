//! The execution layer against real systems: a local webhook receiver that
//! fails, hangs and succeeds on a schedule, the machine's Mosquitto and NATS
//! JetStream. With `BATON_REQUIRE_SERVICES=1` a missing broker fails the
//! test; without it the broker tests skip.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use baton_server::auth::{Role, Tokens};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "test-secret";

use common::{example, require_services};

/// What the receiver does with each request, in order; then `then` forever.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    Fail,
    Hang,
    Ok,
}

#[derive(Default)]
struct Received {
    /// (idempotency key, signature valid, body) per raw delivery.
    calls: Vec<(String, bool, Value)>,
    oks: Vec<String>,
    /// `x-baton-timestamp` per raw delivery.
    stamps: Vec<i64>,
}

struct Receiver {
    addr: std::net::SocketAddr,
    log: Arc<Mutex<Received>>,
    script: Arc<Mutex<(Vec<Step>, Step)>>,
}

type Script = Arc<Mutex<(Vec<Step>, Step)>>;

async fn receive(
    State((log, script)): State<(Arc<Mutex<Received>>, Script)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let ts: i64 = headers
        .get("x-baton-timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let sig = headers
        .get("x-baton-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = String::from_utf8_lossy(&body).to_string();
    let valid = sig == baton_server::exec::connectors::sign(SECRET, ts, &text);
    let step = {
        let mut s = script.lock().expect("script");
        if s.0.is_empty() { s.1 } else { s.0.remove(0) }
    };
    {
        let mut l = log.lock().expect("log");
        l.calls.push((
            key.clone(),
            valid,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        ));
        l.stamps.push(ts);
    }
    match step {
        Step::Fail => StatusCode::INTERNAL_SERVER_ERROR,
        Step::Hang => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            StatusCode::OK
        }
        Step::Ok => {
            log.lock().expect("log").oks.push(key);
            StatusCode::OK
        }
    }
}

async fn receiver(script: Vec<Step>, then: Step) -> Receiver {
    let log = Arc::new(Mutex::new(Received::default()));
    let script = Arc::new(Mutex::new((script, then)));
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state((log.clone(), script.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { addr, log, script }
}

struct Server {
    base: String,
    token: String,
    running: baton_server::Running,
}

async fn server(data: &Path, connectors: &str) -> Server {
    let file = data.join("connectors.yaml");
    std::fs::create_dir_all(data).expect("data dir");
    std::fs::write(&file, connectors).expect("write connectors.yaml");
    let token = Tokens::open(data)
        .expect("tokens")
        .create(Role::Operator, "test")
        .expect("token");
    let mut cfg = baton_server::Config::new(example(), data.to_path_buf());
    cfg.listen = "127.0.0.1:0".parse().expect("addr");
    cfg.connectors = Some(file);
    let running = baton_server::start(cfg).await.expect("server starts");
    Server {
        base: format!("http://{}", running.addr),
        token,
        running,
    }
}

async fn stop(s: Server) {
    let _ = s.running.shutdown.send(());
    let _ = s.running.done.await;
}

/// A manual action, sent as an operator: it executes at once.
async fn manual(s: &Server, kind: &str, id: &str, valid_for_ms: i64) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/actions", s.base))
        .bearer_auth(&s.token)
        .json(&json!({
            "kind": kind,
            "target": {"ids": [id]},
            "params": {"content": "TEST CONTENT", "message": "hello"},
            "valid_for": valid_for_ms,
        }))
        .send()
        .await
        .expect("post action");
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    r.json().await.expect("json")
}

async fn get(s: &Server, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", s.base))
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

/// Polls `f` until it holds; the deadline only guards against hanging.
async fn until<F: FnMut() -> bool>(what: &str, mut f: F) {
    for _ in 0..300 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}");
}

fn webhook_yaml(r: &Receiver, extra: &str) -> String {
    format!(
        "webhooks:\n  - name: app\n    url: http://{}/hook\n    secret: {SECRET}\n    kinds: [notify]\npolicy:\n  timeout_ms: 400\n  backoff_ms: 20\n  backoff_max_ms: 100\n  breaker_after: 3\n  breaker_cooldown_ms: 200\n{extra}",
        r.addr
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_retries_through_failures_and_a_hang_with_one_key_and_the_breaker_recovers() {
    let r = receiver(
        vec![Step::Fail, Step::Fail, Step::Hang, Step::Fail],
        Step::Ok,
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    // The hang (3 s) outlasts the late window: no answer, so a retry.
    let s = server(dir.path(), &webhook_yaml(&r, "  late_ms: 1000\n")).await;
    let out = manual(&s, "notify", "attendees:session:k-opening", 600_000).await;
    let decision = out["outputs"][0]["id"]
        .as_str()
        .expect("decision id")
        .to_string();
    let key = format!("{decision}.0");
    until("a successful delivery", || {
        !r.log.lock().expect("log").oks.is_empty()
    })
    .await;
    {
        let log = r.log.lock().expect("log");
        assert_eq!(log.oks, vec![key.clone()]);
        assert!(log.calls.len() >= 5, "{} raw deliveries", log.calls.len());
        for (k, valid, body) in &log.calls {
            assert_eq!(k, &key, "every delivery of one action carries the same key");
            assert!(valid, "the HMAC signature over timestamp and body verifies");
            assert_eq!(body["kind"], "notify");
            assert_eq!(body["key"], key.as_str());
        }
    }
    // Four failures in a row (one a hang past the timeout) opened the breaker;
    // the success after the cooldown closed it again.
    let c = get(&s, "/v1/connectors").await;
    let app = c["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|x| x["name"] == "app")
        .expect("app connector")
        .clone();
    assert!(app["failed_attempts"].as_u64() >= Some(4), "{app}");
    assert_eq!(app["breaker"], "closed", "{app}");
    assert_eq!(app["delivered"], 1);
    assert!(
        app["recent_failures"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x
                .as_str()
                .is_some_and(|s| s.contains("no answer") || s.contains("error sending request")))),
        "{app}"
    );
    // The outcome came back into the journal as an ActionResult.
    let mut seen = false;
    for _ in 0..100 {
        let a = get(&s, &format!("/v1/audit?decision={decision}")).await;
        seen = a["items"].as_array().is_some_and(|i| {
            i.iter().any(|x| {
                x["output"]["kind"] == "action_outcome" && x["output"]["outcome"] == "succeeded"
            })
        });
        if seen {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "action_outcome succeeded is in the audit timeline");
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_past_valid_until_expires_instead_of_arriving_late() {
    let r = receiver(vec![], Step::Fail).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = server(dir.path(), &webhook_yaml(&r, "")).await;
    manual(&s, "notify", "attendees:session:k-opening", 600).await;
    until("a first failed attempt", || {
        !r.log.lock().expect("log").calls.is_empty()
    })
    .await;
    // The receiver recovers only after the action's validity is over.
    tokio::time::sleep(Duration::from_millis(900)).await;
    r.script.lock().expect("script").1 = Step::Ok;
    let mut expired = false;
    for _ in 0..100 {
        let c = get(&s, "/v1/connectors").await;
        expired = c["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["name"] == "app" && x["expired"] == 1));
        if expired {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(expired, "the delivery ended as expired");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        r.log.lock().expect("log").oks.is_empty(),
        "nothing arrived after valid_until"
    );
    stop(s).await;
}

/// The outcomes journaled for `decision`, from the audit timeline.
async fn outcomes(s: &Server, decision: &str) -> Vec<Value> {
    let a = get(s, &format!("/v1/audit?decision={decision}")).await;
    a["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter(|x| x["output"]["kind"] == "action_outcome")
                .map(|x| x["output"].clone())
                .collect()
        })
        .unwrap_or_default()
}

async fn until_outcome(s: &Server, decision: &str) -> Value {
    for _ in 0..300 {
        if let Some(o) = outcomes(s, decision).await.into_iter().next() {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no outcome for {decision}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_the_timeout_is_recorded_as_delivered_late_without_a_retry() {
    // The receiver answers 200 after 3 s; the timeout is 400 ms and the
    // late window 8 s (room to spare on a busy machine).
    let r = receiver(vec![Step::Hang], Step::Ok).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = server(dir.path(), &webhook_yaml(&r, "  late_ms: 8000\n")).await;
    let out = manual(&s, "notify", "attendees:session:k-opening", 600_000).await;
    let decision = out["outputs"][0]["id"].as_str().expect("id").to_string();
    let o = until_outcome(&s, &decision).await;
    assert_eq!(o["outcome"], "late", "{o}");
    let d = get(&s, &format!("/v1/decisions/{decision}")).await;
    let row = &d["deliveries"][0];
    assert_eq!(row["state"], "late", "{d}");
    assert!(
        row["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("delivered late")),
        "{row}"
    );
    assert_eq!(
        r.log.lock().expect("log").calls.len(),
        1,
        "no retry overlapped the slow attempt"
    );
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_leaves_the_outcome_unknown_not_expired() {
    let r = receiver(vec![], Step::Hang).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = server(dir.path(), &webhook_yaml(&r, "  late_ms: 500\n")).await;
    let out = manual(&s, "notify", "attendees:session:k-opening", 1_500).await;
    let decision = out["outputs"][0]["id"].as_str().expect("id").to_string();
    let o = until_outcome(&s, &decision).await;
    assert_eq!(o["outcome"], "unknown", "{o}");
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_a_webhook_url_never_show_in_errors() {
    // Port 9 (discard) is closed here: every attempt fails to connect.
    let yaml = format!(
        "webhooks:\n  - name: app\n    url: http://ops:hunter2@127.0.0.1:9/hook?api_key=s3cr3t\n    secret: {SECRET}\n    kinds: [notify]\npolicy:\n  timeout_ms: 400\n  backoff_ms: 20\n  backoff_max_ms: 50\n  max_attempts: 2\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let s = server(dir.path(), &yaml).await;
    let out = manual(&s, "notify", "attendees:session:k-opening", 600_000).await;
    let decision = out["outputs"][0]["id"].as_str().expect("id").to_string();
    let o = until_outcome(&s, &decision).await;
    assert_eq!(o["outcome"], "dead", "{o}");
    let seen = format!(
        "{} {} {}",
        get(&s, "/v1/connectors").await,
        get(&s, "/v1/deadletters").await,
        o
    );
    assert!(seen.contains("127.0.0.1:9"), "the errors are there: {seen}");
    assert!(
        !seen.contains("hunter2") && !seen.contains("s3cr3t"),
        "credentials leaked: {seen}"
    );
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_past_valid_until_is_not_retried_and_an_unknown_key_is_404() {
    let r = receiver(vec![], Step::Fail).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = server(dir.path(), &webhook_yaml(&r, "  max_attempts: 1\n")).await;
    let out = manual(&s, "notify", "attendees:session:k-opening", 1_000).await;
    let decision = out["outputs"][0]["id"].as_str().expect("id").to_string();
    let key = format!("{decision}.0");
    assert_eq!(until_outcome(&s, &decision).await["outcome"], "dead");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let http = reqwest::Client::new();
    let retry = |k: String| {
        http.post(format!("{}/v1/deadletters/{k}/retry", s.base))
            .bearer_auth(&s.token)
            .send()
    };
    let r1 = retry(key.clone()).await.expect("retry");
    assert_eq!(r1.status(), 409);
    let text = r1.text().await.expect("text");
    assert!(
        text.contains("valid until") && text.contains("answered 500"),
        "{text}"
    );
    let d = get(&s, "/v1/deadletters").await;
    let row = d["items"]
        .as_array()
        .and_then(|i| i.iter().find(|x| x["key"] == key.as_str()).cloned())
        .expect("still a dead letter");
    assert!(
        row["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("answered 500")),
        "the original error is kept: {row}"
    );
    assert_eq!(retry("9999.0.0".into()).await.expect("retry").status(), 404);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_signatures_are_stamped_with_wall_time_under_a_manual_clock() {
    let r = receiver(vec![], Step::Ok).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let file = data.join("connectors.yaml");
    std::fs::create_dir_all(data).expect("data dir");
    std::fs::write(&file, webhook_yaml(&r, "")).expect("write");
    let token = Tokens::open(data)
        .expect("tokens")
        .create(Role::Operator, "test")
        .expect("token");
    let mut cfg = baton_server::Config::new(example(), data.to_path_buf());
    cfg.listen = "127.0.0.1:0".parse().expect("addr");
    cfg.connectors = Some(file);
    cfg.clock = baton_server::clock::ClockMode::Manual;
    // Journal time: the event day in June 2026, far from today's wall clock.
    cfg.start_at = Some(1_781_247_600_000);
    let running = baton_server::start(cfg).await.expect("server starts");
    let s = Server {
        base: format!("http://{}", running.addr),
        token,
        running,
    };
    manual(&s, "notify", "attendees:session:k-opening", 600_000).await;
    until("a delivery", || !r.log.lock().expect("log").oks.is_empty()).await;
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let (ts, valid, body) = {
        let log = r.log.lock().expect("log");
        (log.stamps[0], log.calls[0].1, log.calls[0].2.clone())
    };
    assert!((wall - ts).abs() < 60_000, "stamped {ts}, wall {wall}");
    assert!(valid, "the signature verifies");
    assert_eq!(
        body["at"].as_i64().map(|a| a < wall - 86_400_000),
        Some(true),
        "the body keeps journal time: {body}"
    );
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_delivery_with_the_same_idempotency_key() {
    let r = receiver(vec![], Step::Fail).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = server(dir.path(), &webhook_yaml(&r, "")).await;
    let out = manual(&s, "notify", "attendees:session:k-opening", 600_000).await;
    let key = format!("{}.0", out["outputs"][0]["id"].as_str().expect("id"));
    until("a failed attempt", || {
        !r.log.lock().expect("log").calls.is_empty()
    })
    .await;
    stop(s).await;
    r.script.lock().expect("script").1 = Step::Ok;
    let s = server(dir.path(), &webhook_yaml(&r, "")).await;
    until("delivery after the restart", || {
        !r.log.lock().expect("log").oks.is_empty()
    })
    .await;
    {
        let log = r.log.lock().expect("log");
        assert_eq!(log.oks, vec![key.clone()]);
        assert!(
            log.calls.iter().all(|c| c.0 == key),
            "one key across the restart"
        );
    }
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signs_are_published_retained_to_mosquitto() {
    let addr = std::env::var("BATON_MQTT_ADDR").unwrap_or_else(|_| "127.0.0.1:1883".into());
    if tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(!require_services(), "Mosquitto is not reachable at {addr}");
        eprintln!("skipping: no MQTT broker at {addr}");
        return;
    }
    let prefix = format!("baton-test-{}", std::process::id());
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = format!(
        "mqtt:\n  address: {addr}\n  client_id: baton-test-{}\n  topic_prefix: {prefix}/signs\n  kinds: [sign]\n",
        std::process::id()
    );
    let s = server(dir.path(), &yaml).await;
    manual(&s, "sign", "sign:sign-hall-a-door", 600_000).await;
    // A fresh subscriber still gets the content: it is retained.
    let mut found = None;
    for _ in 0..60 {
        let c = get(&s, "/v1/connectors").await;
        if c["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["name"] == "mqtt" && x["delivered"] == 1))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    let mut opts =
        rumqttc::MqttOptions::new(format!("{prefix}-sub"), host, port.parse().expect("port"));
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut ev) = rumqttc::AsyncClient::new(opts, 16);
    client
        .subscribe(format!("{prefix}/signs/#"), rumqttc::QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(1), ev.poll()).await {
            Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)))) => {
                found = Some((
                    p.topic.clone(),
                    p.retain,
                    String::from_utf8_lossy(&p.payload).to_string(),
                ));
                break;
            }
            Ok(Err(e)) => panic!("mqtt: {e}"),
            _ => {}
        }
    }
    let (topic, retained, payload) = found.expect("a retained sign message");
    assert_eq!(topic, format!("{prefix}/signs/sign-hall-a-door"));
    assert!(retained);
    let v: Value = serde_json::from_str(&payload).expect("json payload");
    assert_eq!(v["params"]["content"], "TEST CONTENT");
    // Clear the retained message so the broker is left as it was.
    let _ = client
        .publish(topic, rumqttc::QoS::AtLeastOnce, true, Vec::<u8>::new())
        .await;
    let _ = tokio::time::timeout(Duration::from_millis(300), ev.poll()).await;
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn space_actions_reach_nats_jetstream_with_the_message_id() {
    let url = std::env::var("BATON_NATS_URL").unwrap_or_else(|_| "127.0.0.1:4222".into());
    let nc = match async_nats::connect(&url).await {
        Ok(c) => c,
        Err(e) => {
            assert!(!require_services(), "NATS is not reachable at {url}: {e}");
            eprintln!("skipping: no NATS at {url}");
            return;
        }
    };
    let prefix = format!("batontest{}", std::process::id());
    let mut sub = nc
        .subscribe(format!("{prefix}.>"))
        .await
        .expect("subscribe");
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = format!(
        "nats:\n  url: {url}\n  subject_prefix: {prefix}\n  jetstream: true\n  kinds: [open_space]\n"
    );
    let s = server(dir.path(), &yaml).await;
    let out = manual(&s, "open_space", "space:overflow-1", 600_000).await;
    let key = format!("{}.0", out["outputs"][0]["id"].as_str().expect("id"));
    use futures_util::StreamExt;
    let msg = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("a message within the guard time")
        .expect("subscription open");
    assert_eq!(msg.subject.as_str(), format!("{prefix}.open_space"));
    let id = msg
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Msg-Id"))
        .map(|v| v.to_string());
    assert_eq!(id.as_deref(), Some(key.as_str()));
    let v: Value = serde_json::from_slice(&msg.payload).expect("json");
    assert_eq!(v["resource"], "space:overflow-1");
    // Clean up the test's stream so the server is left as it was.
    let js = async_nats::jetstream::new(nc.clone());
    let _ = js.delete_stream("BATON_ACTIONS").await;
    stop(s).await;
}

async fn occupancy(s: &Server, space: &str) -> i64 {
    get(s, &format!("/v1/spaces/{space}")).await["occupancy"]
        .as_i64()
        .unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_sensor_payloads_are_ingested_and_acked_after_journaling() {
    let addr = std::env::var("BATON_MQTT_ADDR").unwrap_or_else(|_| "127.0.0.1:1883".into());
    if tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(!require_services(), "Mosquitto is not reachable at {addr}");
        eprintln!("skipping: no MQTT broker at {addr}");
        return;
    }
    let pid = std::process::id();
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = format!(
        "ingest:\n  mqtt:\n    address: {addr}\n    client_id: baton-ingest-test-{pid}\n    topics:\n      - {{filter: \"bt{pid}/sensors/+/occupancy\", type: space.occupancy, subject_level: 2}}\n"
    );
    let s = server(dir.path(), &yaml).await;
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    let mut opts =
        rumqttc::MqttOptions::new(format!("bt{pid}-pub"), host, port.parse().expect("port"));
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut ev) = rumqttc::AsyncClient::new(opts, 16);
    tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    // The server subscribes on its ConnAck; publish until the reading lands.
    let mut seen = -1;
    for i in 0..100 {
        if i % 10 == 0 {
            client
                .publish(
                    format!("bt{pid}/sensors/room-3/occupancy"),
                    rumqttc::QoS::AtLeastOnce,
                    false,
                    br#"{"count": 41}"#.to_vec(),
                )
                .await
                .expect("publish");
        }
        seen = occupancy(&s, "room-3").await;
        if seen == 41 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen, 41,
        "the MQTT reading reached live state through the journal"
    );
    // A sensor configured with a room the event does not have: no reply
    // channel, so it is acknowledged and counted against its source.
    client
        .publish(
            format!("bt{pid}/sensors/room-99/occupancy"),
            rumqttc::QoS::AtLeastOnce,
            false,
            br#"{"count": 7}"#.to_vec(),
        )
        .await
        .expect("publish");
    let source = format!("broker:bt{pid}");
    let mut refused = Value::Null;
    for _ in 0..200 {
        refused = get(&s, "/v1/connectors").await["ingest_refused"][&source].clone();
        if refused["count"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(refused["count"], 1, "{refused}");
    assert!(
        refused["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("subject") && e.contains("room-99")),
        "{refused}"
    );
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_sensor_payloads_and_cloudevents_are_ingested() {
    let url = std::env::var("BATON_NATS_URL").unwrap_or_else(|_| "127.0.0.1:4222".into());
    let nc = match async_nats::connect(&url).await {
        Ok(c) => c,
        Err(e) => {
            assert!(!require_services(), "NATS is not reachable at {url}: {e}");
            eprintln!("skipping: no NATS at {url}");
            return;
        }
    };
    let pid = std::process::id();
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = format!(
        "ingest:\n  nats:\n    url: {url}\n    subjects:\n      - {{filter: \"bt{pid}.sensors.*.occupancy\", type: space.occupancy, subject_level: 2}}\n      - {{filter: \"bt{pid}.events\", type: space.occupancy}}\n"
    );
    let s = server(dir.path(), &yaml).await;
    let mut seen = -1;
    for i in 0..100 {
        if i % 10 == 0 {
            nc.publish(
                format!("bt{pid}.sensors.room-5.occupancy"),
                r#"{"count": 33}"#.into(),
            )
            .await
            .expect("publish");
            let _ = nc.flush().await;
        }
        seen = occupancy(&s, "room-5").await;
        if seen == 33 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, 33, "a plain NATS payload reached live state");
    let ce = json!({"specversion": "1.0", "id": format!("nats-{pid}"), "source": "cam", "type": "space.occupancy",
                    "subject": "room-4", "data": {"count": 17}});
    let mut seen = -1;
    for i in 0..100 {
        if i % 10 == 0 {
            nc.publish(format!("bt{pid}.events"), ce.to_string().into())
                .await
                .expect("publish");
            let _ = nc.flush().await;
        }
        seen = occupancy(&s, "room-4").await;
        if seen == 17 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, 17, "a CloudEvent over NATS reached live state");
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalated_approval_reaches_the_duty_managers_webhook() {
    let r = receiver(vec![], Step::Ok).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let file = data.join("connectors.yaml");
    std::fs::create_dir_all(data).expect("data dir");
    // Escalations, whatever their kind, go to the messenger; other alerts
    // stay on the console.
    std::fs::write(
        &file,
        format!(
            "webhooks:\n  - name: duty\n    url: http://{}/hook\n    secret: {SECRET}\n    kinds: []\n    resources: [\"operators:escalation\"]\n",
            r.addr
        ),
    )
    .expect("write");
    let tokens = Tokens::open(data).expect("tokens");
    let admin = tokens.create(Role::Admin, "test").expect("token");
    let mut cfg = baton_server::Config::new(example(), data.to_path_buf());
    cfg.listen = "127.0.0.1:0".parse().expect("addr");
    cfg.connectors = Some(file);
    cfg.clock = baton_server::clock::ClockMode::Manual;
    let running = baton_server::start(cfg).await.expect("server starts");
    let s = Server {
        base: format!("http://{}", running.addr),
        token: admin,
        running,
    };
    let http = reqwest::Client::new();
    let incident = json!({
        "specversion": "1.0", "id": "esc-1", "source": "ops-radio",
        "type": "incident.reported", "subject": "hall-b",
        "data": {"severity": "critical", "kind": "medical"},
    });
    let posted = http
        .post(format!("{}/v1/signals", s.base))
        .bearer_auth(&s.token)
        .json(&incident)
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 202);
    // The example's incident-response escalates after two minutes.
    let adv = http
        .post(format!("{}/v1/clock/advance", s.base))
        .bearer_auth(&s.token)
        .json(&json!({"seconds": 150}))
        .send()
        .await
        .expect("advance");
    assert_eq!(adv.status(), 200, "{:?}", adv.text().await);
    until("the escalation at the duty webhook", || {
        !r.log.lock().expect("log").oks.is_empty()
    })
    .await;
    let (valid, body) = {
        let log = r.log.lock().expect("log");
        (log.calls[0].1, log.calls[0].2.clone())
    };
    assert!(valid, "signed");
    assert_eq!(body["kind"], "alert", "{body}");
    assert_eq!(body["resource"], "operators:escalation", "{body}");
    assert!(
        body["params"]["message"]
            .to_string()
            .contains("waited 2 min for approval"),
        "{body}"
    );
    stop(s).await;
}

/// Issue 12: a sign action replaced by a newer one before it went out is
/// `superseded`, live and after a restart alike (it was journaled as
/// expired, so a restore read it back as expired).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superseded_delivery_stays_superseded_across_a_restart() {
    let r = receiver(vec![], Step::Fail).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = webhook_yaml(&r, "").replace("kinds: [notify]", "kinds: [sign]");
    let s = server(dir.path(), &yaml).await;
    let first = manual(&s, "sign", "sign:sign-hall-a-door", 600_000).await;
    let first = first["outputs"][0]["id"].as_str().expect("id").to_string();
    until("a failed attempt", || {
        !r.log.lock().expect("log").calls.is_empty()
    })
    .await;
    let second = manual(&s, "sign", "sign:sign-hall-a-door", 600_000).await;
    let second = second["outputs"][0]["id"].as_str().expect("id").to_string();
    let o = until_outcome(&s, &first).await;
    assert_eq!(o["outcome"], "superseded", "{o}");
    r.script.lock().expect("script").1 = Step::Ok;
    let o = until_outcome(&s, &second).await;
    assert_eq!(o["outcome"], "succeeded", "{o}");
    let before = get(&s, &format!("/v1/decisions/{first}")).await;
    assert_eq!(before["deliveries"][0]["state"], "superseded", "{before}");
    stop(s).await;
    let s = server(dir.path(), &yaml).await;
    let after = get(&s, &format!("/v1/decisions/{first}")).await;
    assert_eq!(
        after["deliveries"][0]["state"], "superseded",
        "the same after a restart: {after}"
    );
    let o = outcomes(&s, &first).await;
    assert_eq!(o[0]["outcome"], "superseded", "{o:?}");
    stop(s).await;
}
