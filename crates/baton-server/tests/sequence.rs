//! One tick rule (issue 12): the same recorded morning sequenced by the
//! sequencer `baton replay` uses, ingested by the server on its manual
//! clock, and replayed from the server's journal gives the same journal
//! entries and byte-identical decisions.
//!
//! The recorded day is the example's `signals.jsonl` up to 09:00 local,
//! less what the server refuses before journaling and replay journals
//! anyway (a signal about an unknown space, a duplicate): the two differ
//! there by design, and this test is about time and ticks. Automation is
//! paused first, in both, so no action goes out and no delivery result is
//! journaled (those come back on the executor's own timing).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use baton_core::sequence::Sequencer;
use baton_core::{Engine, Output};
use baton_journal::{Journal, SqliteJournal};
use baton_model::{Command, CommandKind, Entry, Signal, Stamped};
use baton_server::auth::{Role, Tokens};
use baton_server::clock::ClockMode;
use serde_json::json;
use std::collections::HashSet;

use common::example;

/// 2026-06-12T09:00:00+01:00.
const UNTIL: i64 = 1_781_251_200_000;

/// The recorded morning: valid, unique signals about things the event has,
/// in file order, each with its recorded time and its line as recorded.
fn morning(engine: &Engine) -> Vec<(Signal, String)> {
    let text = std::fs::read_to_string(example().join("signals.jsonl")).expect("signals.jsonl");
    let mut seen = HashSet::new();
    text.lines()
        .filter_map(|l| Signal::parse_json(l).ok().map(|s| (s, l.to_string())))
        .filter(|(s, _)| s.time.is_some_and(|t| t < UNTIL))
        .filter(|(s, _)| baton_core::references::unknown_reference(engine.config(), s).is_none())
        .filter(|(s, _)| seen.insert((s.source.clone(), s.id.clone())))
        .collect()
}

fn outputs_json(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .map(|o| serde_json::to_string(o).expect("an output as JSON"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_the_server_and_a_restore_sequence_a_morning_identically() {
    let loaded = baton_spec::load(&example()).expect("the example loads");
    let fresh = || Engine::new(loaded.spec.clone(), loaded.policies.clone()).expect("an engine");
    let signals = morning(&fresh());
    assert!(signals.len() > 1_000, "{} signals", signals.len());
    let t0 = signals[0].0.time.expect("a time");
    let pause = Command {
        actor: "admin:ada".into(),
        kind: CommandKind::Pause,
    };

    // 1. As `baton replay` sequences it.
    let mut seqr = Sequencer::new(loaded.spec.event.tick);
    let mut replayed: Vec<Stamped> = Vec::new();
    seqr.stamp(Some(t0), Entry::Command(pause), |e| replayed.push(e));
    for (s, _) in &signals {
        seqr.stamp(s.time, Entry::Signal(s.clone()), |e| replayed.push(e));
    }
    let mut engine = fresh();
    let mut out = Vec::new();
    let mut by_replay = Vec::new();
    for e in &replayed {
        out.clear();
        engine.apply(e, &mut out);
        by_replay.extend(outputs_json(&out));
    }
    let ticks = replayed
        .iter()
        .filter(|e| matches!(e.entry, Entry::Tick))
        .count();
    assert!(ticks > 1_000, "{ticks} ticks");
    assert!(
        by_replay
            .iter()
            .any(|o| o.contains("\"kind\":\"decision\"")),
        "the morning makes decisions"
    );

    // 2. Through the server: the manual clock moved to each signal's time,
    // the signals of one time posted as one batch.
    let dir = tempfile::tempdir().expect("a data directory");
    let data = dir.path().join("data");
    let admin = Tokens::open(&data)
        .expect("tokens")
        .create(Role::Admin, "ada")
        .expect("a token");
    let mut cfg = baton_server::Config::new(example(), data.clone());
    cfg.listen = "127.0.0.1:0".parse().expect("an address");
    cfg.clock = ClockMode::Manual;
    cfg.start_at = Some(t0);
    let running = baton_server::start(cfg).await.expect("the server starts");
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/v1/control/pause"))
        .bearer_auth(&admin)
        .json(&json!({}))
        .send()
        .await
        .expect("pause");
    assert_eq!(r.status(), 200);
    let mut clock = t0;
    let mut i = 0;
    while i < signals.len() {
        let at = signals[i].0.time.expect("a time").max(clock);
        let mut j = i;
        while j < signals.len() && signals[j].0.time.expect("a time").max(clock) == at {
            j += 1;
        }
        if at > clock {
            let ms = at - clock;
            let r = http
                .post(format!("{base}/v1/clock/advance"))
                .bearer_auth(&admin)
                .json(&json!({"milliseconds": ms}))
                .send()
                .await
                .expect("advance");
            assert_eq!(r.status(), 200, "{:?}", r.text().await);
            clock = at;
        }
        let batch: Vec<&str> = signals[i..j].iter().map(|(_, l)| l.as_str()).collect();
        let r = http
            .post(format!("{base}/v1/signals"))
            .bearer_auth(&admin)
            .header("content-type", "application/cloudevents-batch+json")
            .body(format!("[{}]", batch.join(",")))
            .send()
            .await
            .expect("ingest");
        assert_eq!(r.status(), 202, "{:?}", r.text().await);
        i = j;
    }
    let _ = running.shutdown.send(());
    let _ = running.done.await;

    let journal = SqliteJournal::open(&data, &baton_journal::Options::default()).expect("journal");
    let mut served: Vec<Stamped> = Vec::new();
    journal
        .read_after(0, &mut |e| {
            served.push(e);
            Ok(())
        })
        .expect("reading the journal");
    assert_eq!(served.len(), replayed.len(), "as many entries");
    for (a, b) in replayed.iter().zip(&served) {
        assert_eq!(a, b, "the same entry at the same position and time");
    }

    // 3. The server's journal replayed from its start.
    let mut engine = fresh();
    let mut by_restore = Vec::new();
    baton_journal::replay(&journal, &mut engine, &mut |_, _, out| {
        by_restore.extend(outputs_json(out));
        Ok(())
    })
    .expect("replaying the journal");
    assert_eq!(by_restore.len(), by_replay.len());
    assert!(by_restore == by_replay, "byte-identical outputs");
}
