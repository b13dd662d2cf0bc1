//! Room moves end to end through `baton replay` (issue 14's golden tests):
//! a talk whose bookmarks exceed its room moves to a larger free room once
//! the crew confirms, with an explanation; unconfirmed, it is dropped and
//! nothing is announced; a published move is never reverted by a timer; a
//! protected session never moves; too little notice is refused with the
//! reason; and two processes replay the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn event() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/moves")
}

fn ce(id: &str, kind: &str, subject: &str, time: &str, data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","source":"test","type":"{kind}","subject":"{subject}","time":"2026-06-12T{time}Z","data":{data}}}"#
    )
}

/// 200 attendees check in; 120 bookmark the popular talk and the keynote
/// (50 seats each); at 11:45 they add a late talk at 12:00.
fn day(extra: &[String]) -> String {
    let mut lines = Vec::new();
    for a in 0..200 {
        lines.push((
            "09:30:00".to_string(),
            ce(
                &format!("in-{a}"),
                "attendee.checked_in",
                &format!("att-{a:03}"),
                "09:30:00",
                r#"{"gate":"foyer"}"#,
            ),
        ));
    }
    for a in 0..120 {
        lines.push((
            "09:31:00".to_string(),
            ce(
                &format!("plan-{a}"),
                "attendee.plan",
                &format!("att-{a:03}"),
                "09:31:00",
                r#"{"sessions":["popular","keynote"]}"#,
            ),
        ));
        lines.push((
            "11:45:00".to_string(),
            ce(
                &format!("plan2-{a}"),
                "attendee.plan",
                &format!("att-{a:03}"),
                "11:45:00",
                r#"{"sessions":["popular","keynote","late"]}"#,
            ),
        ));
    }
    for e in extra {
        let v: Value = serde_json::from_str(e).unwrap();
        let t = v["time"].as_str().unwrap()[11..19].to_string();
        lines.push((t, e.clone()));
    }
    lines.push((
        "15:00:00".to_string(),
        ce(
            "end",
            "space.occupancy",
            "foyer",
            "15:00:00",
            r#"{"count":3}"#,
        ),
    ));
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines
        .into_iter()
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn replay(signals: &str) -> String {
    replay_of(&event(), signals)
}

/// `baton replay EVENT` over `signals`, in its own process.
fn replay_of(event: &Path, signals: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signals.jsonl");
    std::fs::write(&path, signals).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("replay")
        .arg(event)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn outputs(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The `move` outputs about `session`, as (event, from, to, reason).
fn move_events(out: &[Value], session: &str) -> Vec<(String, String, String, String)> {
    out.iter()
        .filter(|o| o["kind"] == "move" && o["session"] == session)
        .map(|o| {
            let s = |k: &str| o[k].as_str().unwrap_or("").to_string();
            (s("event"), s("from"), s("to"), s("reason"))
        })
        .collect()
}

/// Actions that went out (executed) for `kind` naming `resource`.
fn sent<'a>(out: &'a [Value], kind: &str, resource: &str) -> Vec<&'a Value> {
    out.iter()
        .filter(|o| o["kind"] == "execute")
        .flat_map(|o| o["actions"].as_array().unwrap().iter())
        .filter(|a| a["kind"] == kind && a["resource"] == resource)
        .collect()
}

/// The move decision for the popular talk and its confirmation task ids.
fn move_decision(out: &[Value]) -> (&Value, Vec<(String, String)>) {
    let d = out
        .iter()
        .find(|o| {
            o["kind"] == "decision"
                && o["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["kind"] == "move_session" && a["resource"] == "session:popular")
        })
        .expect("a decision moves the popular talk");
    let tasks = d["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "dispatch" && a["params"]["confirms"] == "popular")
        .map(|a| {
            (
                a["resource"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("staff:")
                    .to_string(),
                a["params"]["task"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (d, tasks)
}

/// Every confirmation task of decision `d` reported done a minute after it.
fn confirmations(d: &Value, tasks: &[(String, String)]) -> Vec<String> {
    let at = d["at"].as_i64().unwrap() + 60_000;
    let s = at / 1000 % 86_400;
    let t = format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    tasks
        .iter()
        .map(|(who, task)| done(who, task, &t))
        .collect()
}

fn done(staff: &str, task: &str, time: &str) -> String {
    ce(
        &format!("done-{task}"),
        "staff.task",
        staff,
        time,
        &format!(r#"{{"task":"{task}","state":"done"}}"#),
    )
}

#[test]
fn an_unconfirmed_move_is_dropped_and_nothing_is_announced() {
    let out = outputs(&replay(&day(&[])));
    let (d, tasks) = move_decision(&out);
    let a = d["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "move_session")
        .unwrap();
    assert_eq!(a["params"]["from"], "small");
    assert_eq!(a["params"]["to"], "big", "the lab has no stream: {d}");
    assert_eq!(tasks.len(), 2, "one task per confirming role: {tasks:?}");
    let events = move_events(&out, "popular");
    assert_eq!(events.first().map(|e| e.0.as_str()), Some("tentative"));
    let last = events.last().unwrap();
    assert_eq!(last.0, "dropped", "{events:?}");
    assert!(last.3.contains("nothing was announced"), "{}", last.3);
    // Nothing about the move ever went out: no programme change, no notice.
    assert!(sent(&out, "move_session", "session:popular").is_empty());
    assert!(sent(&out, "notify", "attendees:session:popular").is_empty());
}

#[test]
fn a_confirmed_move_is_published_everywhere_with_its_explanation_and_never_reverted() {
    let first = outputs(&replay(&day(&[])));
    let (d, tasks) = move_decision(&first);
    // The explanation: the forecast, the rooms compared and the solver.
    let ex = &d["explanation"];
    let notes = ex["notes"].to_string();
    assert!(notes.contains("forecast for popular"), "{notes}");
    let options: Vec<&str> = ex["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["option"].as_str().unwrap())
        .collect();
    assert!(options.iter().any(|o| o.starts_with("big")), "{options:?}");
    assert!(
        options.iter().any(|o| o.starts_with("small")),
        "{options:?}"
    );
    assert!(
        !options.iter().any(|o| o.starts_with("lab")),
        "the lab lacks the stream the talk needs: {options:?}"
    );
    assert!(ex["solver"].as_str().unwrap().contains("rooms:"), "{ex}");

    // Both roles confirm a minute after the decision.
    let extra = confirmations(d, &tasks);
    let text = replay(&day(&extra));
    let out = outputs(&text);
    let events = move_events(&out, "popular");
    let kinds: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["tentative", "confirmed", "confirmed", "published"],
        "and nothing after publication, though its deadline passes: {events:?}"
    );
    let programme = sent(&out, "move_session", "session:popular");
    assert_eq!(programme.len(), 1);
    assert_eq!(programme[0]["params"]["to"], "big");
    let notice = sent(&out, "notify", "attendees:session:popular");
    assert_eq!(notice.len(), 1, "one notice to those who bookmarked it");
    assert_eq!(notice[0]["params"]["count"], 120);
    assert_eq!(notice[0]["params"]["class"], "programme");
    // Nothing moves it back.
    assert!(
        !out.iter().any(|o| o["kind"] == "execute"
            && o["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["kind"] == "move_session"
                    && a["resource"] == "session:popular"
                    && a["params"]["to"] == "small")),
        "a published move is never reverted"
    );
    // Two processes, the same bytes.
    assert_eq!(text, replay(&day(&extra)));
    // `baton explain` tells the move's story after the decision.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signals.jsonl");
    std::fs::write(&path, day(&extra)).unwrap();
    let story = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("explain")
        .arg(d["id"].as_str().unwrap())
        .arg(event())
        .arg(&path)
        .output()
        .unwrap();
    let story = String::from_utf8_lossy(&story.stdout);
    for step in [
        "tentative",
        "confirmed (av)",
        "confirmed (host)",
        "published",
    ] {
        assert!(
            story.contains(&format!("move of popular from small to big: {step}")),
            "{step}: {story}"
        );
    }
}

#[test]
fn a_protected_session_never_moves_and_too_little_notice_is_refused() {
    let out = outputs(&replay(&day(&[])));
    let refusals = |session: &str| -> Vec<String> {
        out.iter()
            .filter(|o| o["kind"] == "decision")
            .flat_map(|o| o["actions"].as_array().unwrap().iter())
            .filter(|a| {
                a["kind"] == "move_session"
                    && a["resource"] == format!("session:{session}").as_str()
            })
            .filter_map(|a| a["suppressed"].as_str().map(str::to_string))
            .collect()
    };
    let keynote = refusals("keynote");
    assert!(!keynote.is_empty(), "the policy asked to move the keynote");
    assert!(
        keynote.iter().all(|r| r.contains("protected session")),
        "{keynote:?}"
    );
    assert!(
        move_events(&out, "keynote").is_empty(),
        "no move of the keynote at all"
    );
    let late = refusals("late");
    assert!(
        late.iter()
            .any(|r| r.contains("a move needs 20 min notice")),
        "{late:?}"
    );
    assert!(move_events(&out, "late").is_empty());
}

/// The forecast against the naive ones on a recorded programme: FOSDEM
/// 2025's day 1 (the real schedule, imported), the twin at the published
/// attendance, one fixed seed. At every horizon before the start, the
/// engine's forecast (which sees only signals) is closer to the people who
/// came than the room's count at that moment and than bookmarks x 2.
#[test]
fn the_forecast_beats_the_naive_ones_on_a_recorded_day() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../baton-import/tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("fosdem");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&[
        "import".as_ref(),
        "frab".as_ref(),
        fixtures.join("fosdem-2025.schedule.xml.gz").as_os_str(),
        "--capacities".as_ref(),
        fixtures
            .join("fosdem-ulb-room-areas.derived.csv")
            .as_os_str(),
        "--out".as_ref(),
        ev.as_os_str(),
    ]);
    let policies =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies/proactive.yaml");
    let text = run(&[
        "sim".as_ref(),
        ev.as_os_str(),
        "--policies".as_ref(),
        policies.as_os_str(),
        "--seeds".as_ref(),
        "1".as_ref(),
        "--json".as_ref(),
        "--out".as_ref(),
        dir.path().join("report").as_os_str(),
    ]);
    let v: Value = serde_json::from_str(&text).unwrap();
    let rows = v["forecast_backtest"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "{rows:?}");
    for r in rows {
        let f = r["mae_forecast"].as_f64().unwrap();
        let fill = r["mae_fill"].as_f64().unwrap();
        let bm = r["mae_bookmarks"].as_f64().unwrap();
        assert!(r["sessions"].as_u64().unwrap() > 100, "{r}");
        assert!(
            f < fill && f < bm,
            "forecast {f} vs room count {fill}, bookmarks x 2 {bm}: {r}"
        );
    }
    assert!(
        v["moves_per_day"].as_f64().unwrap() > 0.0,
        "the generic set moved talks"
    );
}

/// `baton plan rooms` before the doors open: from 120 bookmarks of 200
/// expected attendees, the popular talk goes to the big hall (the lab has
/// no stream), the protected keynote stays, and the file says so with the
/// expected effect and the solver's gap.
#[test]
fn plan_rooms_proposes_the_move_before_the_doors_open() {
    let dir = tempfile::tempdir().unwrap();
    let bookmarks = dir.path().join("bookmarks.jsonl");
    let lines: Vec<String> = (0..120)
        .map(|a| {
            ce(
                &format!("plan-{a}"),
                "attendee.plan",
                &format!("att-{a:03}"),
                "08:00:00",
                r#"{"sessions":["popular","keynote"]}"#,
            )
        })
        .collect();
    std::fs::write(&bookmarks, lines.join("\n")).unwrap();
    let out = dir.path().join("plan.yaml");
    let run = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["plan", "rooms"])
        .arg(event())
        .arg("--bookmarks")
        .arg(&bookmarks)
        .args(["--attendees", "200", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("1 move(s)"), "{stdout}");
    let plan: Value = serde_saphyr::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let moves = plan["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{plan}");
    assert_eq!(moves[0]["session"], "popular");
    assert_eq!(moves[0]["from"], "small");
    assert_eq!(moves[0]["to"], "big");
    let before = plan["expected_turned_away"]["published_rooms"]
        .as_f64()
        .unwrap();
    let after = plan["expected_turned_away"]["planned_rooms"]
        .as_f64()
        .unwrap();
    assert!(after < before, "{before} -> {after}");
    assert!(plan["optimality_gap"].as_f64().unwrap() <= 0.01, "{plan}");

    // An unreadable bookmarks line is named by file and line.
    std::fs::write(&bookmarks, format!("{}\nnot json\n", lines[0])).unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["plan", "rooms"])
        .arg(event())
        .arg("--bookmarks")
        .arg(&bookmarks)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("bookmarks.jsonl:2"), "{err}");
}

/// `notify: false`: a published move changes the programme and the signs
/// and tells nobody directly (the app's programme shows it).
#[test]
fn a_move_without_notices_is_published_to_the_programme_alone() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("event");
    std::fs::create_dir(&ev).unwrap();
    for f in std::fs::read_dir(event()).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, ev.join(f.file_name().unwrap())).unwrap();
    }
    let policies = std::fs::read_to_string(ev.join("policies.yaml")).unwrap();
    let quiet = policies.replace(
        "        target: session\n",
        "        target: session\n        params:\n          notify: \"false\"\n",
    );
    assert_ne!(quiet, policies);
    std::fs::write(ev.join("policies.yaml"), quiet).unwrap();
    let first = outputs(&replay_of(&ev, &day(&[])));
    let (d, tasks) = move_decision(&first);
    let out = outputs(&replay_of(&ev, &day(&confirmations(d, &tasks))));
    assert_eq!(sent(&out, "move_session", "session:popular").len(), 1);
    assert!(sent(&out, "notify", "attendees:session:popular").is_empty());
}
