//! Restore equivalence: an engine restored from a journaled snapshot plus the
//! journal tail produces exactly the outputs of an engine that never stopped.
//! Also the journal's durability pragmas and its sequence-order check.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[path = "../../baton-core/tests/common/mod.rs"]
mod common;

use baton_core::{Engine, Output};
use baton_journal::{Journal, JournalError, Options, SqliteJournal};
use baton_model::{
    ActionKind, ActionResult, ActionSpec, CommandKind, DecisionId, Entry, Millis, Mode, OnTimeout,
    Outcome, Policy, Stamped, Target,
};
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, VecDeque};

const ENTRIES: usize = 400;
const HOLD: Millis = 2 * MIN;

/// Four policies: a hall threshold with a cooldown, a foyer threshold with a
/// two-minute `for` hold, an approval-mode hall notification that escalates,
/// and a per-minute "no data" alert that fires on stale data.
fn policies() -> Vec<Policy> {
    let full = threshold("full", 0, 2 * MIN, Mode::Auto);

    let mut held = threshold("held", HOLD, 0, Mode::Auto);
    held.on = vec![
        "space.occupancy".into(),
        "space.entered".into(),
        "space.exited".into(),
        "minute".into(),
    ];
    held.scope.ids = vec![FOYER.into()];
    held.condition = "space.fill >= 0.8".into();
    held.rearm = Some("space.fill < 0.6".into());

    let mut ask = threshold("ask", 0, 0, Mode::Approve);
    ask.condition = "space.occupancy >= 80".into();
    ask.rearm = Some("space.occupancy < 60".into());
    ask.on_timeout = OnTimeout::Escalate;
    let mut params = BTreeMap::new();
    params.insert(
        "message".to_string(),
        "space.name + ' is filling up'".to_string(),
    );
    ask.actions = vec![ActionSpec {
        kind: ActionKind::Notify,
        target: Target::Space,
        params,
        valid_for: 10 * MIN,
    }];

    let mut quiet = threshold("quiet", 0, 5 * MIN, Mode::Auto);
    quiet.on = vec!["minute".into()];
    quiet.scope.ids = Vec::new();
    quiet.condition = "space.minutes_since_seen > 3.0".into();
    quiet.rearm = None;
    quiet.allow_stale = true;
    let mut params = BTreeMap::new();
    params.insert("text".to_string(), "'no data from ' + space.id".to_string());
    quiet.actions = vec![ActionSpec {
        kind: ActionKind::Alert,
        target: Target::Operators,
        params,
        valid_for: 10 * MIN,
    }];

    vec![full, held, ask, quiet]
}

fn engine() -> Engine {
    Engine::new(spec(), policy_set(policies())).expect("test configuration compiles")
}

fn wave(t: Millis, mid: f64, amp: f64, period: Millis, phase: f64) -> f64 {
    mid + amp * (std::f64::consts::TAU * t as f64 / period as f64 + phase).sin()
}

/// A deterministic stream of a few hundred entries: occupancy waves for hall and
/// foyer, entry/exit deltas, duplicates, ticks, a silent gap, operator commands
/// (pause, override, mode change, emergency) and approvals of pending decisions.
/// Commands that name decisions are chosen from a live engine's outputs.
fn stream() -> Vec<Stamped> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut d = Driver::with(policies());
    let mut t: Millis = 0;
    let mut sent: Vec<(String, &'static str, &'static str, String)> = Vec::new();
    let mut executed_actions: VecDeque<(DecisionId, u32)> = VecDeque::new();
    for i in 0..ENTRIES {
        t += rng.random_range(2..=12) * SEC;
        if i == 200 {
            t += 6 * MIN; // nothing arrives for six minutes: data goes stale
        }
        let out = match i {
            100 => d.cmd(t, CommandKind::Pause),
            130 => d.cmd(t, CommandKind::Resume),
            160 => d.cmd(
                t,
                CommandKind::Override {
                    resource: FOYER_SIGN.into(),
                    value: Some("USE SIDE DOOR".into()),
                    until: T0 + t + 8 * MIN,
                },
            ),
            220 => d.cmd(
                t,
                CommandKind::Release {
                    resource: FOYER_SIGN.into(),
                },
            ),
            250 => d.cmd(
                t,
                CommandKind::SetMode {
                    policy: "full".into(),
                    mode: Mode::Off,
                },
            ),
            290 => d.cmd(
                t,
                CommandKind::SetMode {
                    policy: "full".into(),
                    mode: Mode::Auto,
                },
            ),
            320 => d.cmd(t, CommandKind::Emergency { on: true }),
            345 => d.cmd(t, CommandKind::Emergency { on: false }),
            _ => {
                let roll: f64 = rng.random();
                let pending = d.state().pending.keys().next().copied();
                // Leave approvals pending into the emergency at entry 320.
                let answer = roll < 0.08 && !(300..320).contains(&i);
                if let (Some(id), true) = (pending, answer) {
                    if rng.random_bool(0.75) {
                        d.cmd(t, CommandKind::Approve { decision: id })
                    } else {
                        d.cmd(
                            t,
                            CommandKind::Reject {
                                decision: id,
                                comment: "no".into(),
                            },
                        )
                    }
                } else if roll < 0.13 && !executed_actions.is_empty() {
                    let (decision, action) = executed_actions.pop_front().expect("non-empty");
                    let outcome = if rng.random_bool(0.8) {
                        Outcome::Succeeded
                    } else {
                        Outcome::Failed
                    };
                    let r = ActionResult {
                        decision,
                        action,
                        connector: "test".into(),
                        outcome,
                        error: None,
                    };
                    d.apply(t, Entry::ActionResult(r))
                } else if roll < 0.18 && !sent.is_empty() {
                    let k = sent.len() - 1 - rng.random_range(0..sent.len().min(5));
                    let (id, kind, subject, data) = sent[k].clone();
                    d.raw(t, "gen", &id, kind, subject, &data)
                } else if roll < 0.33 {
                    d.tick(t)
                } else {
                    let (kind, subject, data) = if roll < 0.63 {
                        let n = wave(t, 72.0, 30.0, 6 * MIN, 0.0) + rng.random_range(-6.0..6.0);
                        (
                            "space.occupancy",
                            HALL,
                            format!(r#"{{"count":{}}}"#, n.clamp(0.0, 110.0) as u32),
                        )
                    } else if roll < 0.88 {
                        let n = wave(t, 200.0, 90.0, 8 * MIN, 1.0) + rng.random_range(-12.0..12.0);
                        (
                            "space.occupancy",
                            FOYER,
                            format!(r#"{{"count":{}}}"#, n.clamp(0.0, 320.0) as u32),
                        )
                    } else {
                        let kind = if rng.random_bool(0.5) {
                            "space.entered"
                        } else {
                            "space.exited"
                        };
                        (
                            kind,
                            FOYER,
                            format!(r#"{{"count":{}}}"#, rng.random_range(1..15)),
                        )
                    };
                    let id = format!("g{i}");
                    sent.push((id.clone(), kind, subject, data.clone()));
                    d.raw(t, "gen", &id, kind, subject, &data)
                }
            }
        };
        for o in &out {
            if let Output::Execute {
                decision, actions, ..
            } = o
            {
                executed_actions.extend(actions.iter().map(|a| (*decision, a.index)));
            }
        }
    }
    assert_eq!(d.entries.len(), ENTRIES);
    d.entries
}

fn render(out: &[Output]) -> Vec<String> {
    out.iter().map(|o| format!("{o:?}")).collect()
}

/// One engine over the whole stream: outputs per entry and the engine after
/// each entry (`engines[c]` has applied `entries[..c]`).
struct Reference {
    outputs: Vec<Vec<Output>>,
    engines: Vec<Engine>,
}

fn reference(entries: &[Stamped]) -> Reference {
    let mut e = engine();
    let mut outputs = Vec::with_capacity(entries.len());
    let mut engines = vec![e.clone()];
    for s in entries {
        let mut out = Vec::new();
        e.apply(s, &mut out);
        outputs.push(out);
        engines.push(e.clone());
    }
    Reference { outputs, engines }
}

/// Cut points where the foyer's `for` hold is running (started, not yet due).
fn hold_cuts(r: &Reference) -> Vec<(usize, Millis)> {
    let cfg = r.engines[0].config();
    let held = cfg.policy_idx["held"];
    let foyer = cfg.space_idx[FOYER];
    let (_, slot) = cfg
        .slot(held, foyer)
        .expect("the foyer is in the policy's scope");
    (1..ENTRIES)
        .filter_map(|c| {
            let st = r.engines[c].state();
            st.space_instances[foyer as usize][slot]
                .true_since
                .map(|since| (c, st.now - since))
        })
        .filter(|&(_, held_for)| held_for > 0 && held_for < HOLD)
        .collect()
}

/// Journals `entries[..cut]` while applying them, snapshots, journals up to
/// `later`, restores, and applies the rest. Checks outputs and state against
/// the reference.
fn check_cut(entries: &[Stamped], r: &Reference, cut: usize, later: usize, rng: &mut ChaCha8Rng) {
    let ctx = format!("cut {cut}, journaled to {later}");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut j = SqliteJournal::open(dir.path(), &Options::default()).expect("open journal");

    let mut live = engine();
    let mut pos = 0;
    while pos < cut {
        let end = (pos + rng.random_range(1..=25)).min(cut);
        j.append(&entries[pos..end]).expect("append");
        let mut out = Vec::new();
        for e in &entries[pos..end] {
            live.apply(e, &mut out);
        }
        pos = end;
    }
    assert_eq!(
        live.state(),
        r.engines[cut].state(),
        "{ctx}: live engine before the cut"
    );
    j.save_snapshot(&live.snapshot()).expect("save snapshot");
    while pos < later {
        let end = (pos + rng.random_range(1..=25)).min(later);
        j.append(&entries[pos..end]).expect("append");
        pos = end;
    }
    assert_eq!(j.last_seq().expect("last_seq"), later as u64, "{ctx}");

    // (a) From the snapshot alone: every output after the cut matches.
    let snap = j
        .latest_snapshot()
        .expect("read snapshot")
        .expect("a snapshot");
    assert_eq!(snap.state.last_seq, cut as u64, "{ctx}");
    let mut from_snap = Engine::from_snapshot(snap).expect("snapshot config compiles");
    assert_eq!(
        from_snap.state(),
        live.state(),
        "{ctx}: snapshot round trip"
    );
    for (i, e) in entries.iter().enumerate().skip(cut) {
        let mut out = Vec::new();
        from_snap.apply(e, &mut out);
        assert_eq!(
            render(&out),
            render(&r.outputs[i]),
            "{ctx}: outputs of entry {} from the snapshot",
            e.seq
        );
        assert_eq!(out, r.outputs[i]);
    }

    // (b) `restore`: snapshot plus the journaled tail, then the remaining entries.
    let (mut restored, replayed) = baton_journal::restore(&j)
        .expect("restore")
        .expect("a snapshot");
    assert_eq!(replayed, (later - cut) as u64, "{ctx}");
    assert_eq!(restored.position(), later as u64, "{ctx}");
    assert_eq!(
        restored.state(),
        r.engines[later].state(),
        "{ctx}: state after restore"
    );
    for (i, e) in entries.iter().enumerate().skip(later) {
        let mut out = Vec::new();
        restored.apply(e, &mut out);
        assert_eq!(
            render(&out),
            render(&r.outputs[i]),
            "{ctx}: outputs of entry {} after restore",
            e.seq
        );
    }
    assert_eq!(
        restored.state(),
        r.engines[ENTRIES].state(),
        "{ctx}: final state"
    );
}

#[test]
fn restored_engine_matches_uninterrupted_run() {
    let entries = stream();
    let r = reference(&entries);

    // The uninterrupted run is itself reproducible.
    let again = reference(&entries);
    assert_eq!(again.outputs, r.outputs);

    // The stream exercises what restore must carry over.
    let all: Vec<Output> = r.outputs.iter().flatten().cloned().collect();
    for policy in ["full", "held", "ask", "quiet"] {
        assert!(
            !decisions_of(&all, policy).is_empty(),
            "policy {policy} never fired"
        );
    }
    assert!(
        decisions_of(&all, "held")
            .iter()
            .any(|d| d.explanation.trigger.kind == "timer"),
        "no hold completed on its timer"
    );
    let statuses: Vec<_> = updates(&all).into_iter().map(|(_, s)| s).collect();
    for s in [baton_core::Status::Approved, baton_core::Status::Cancelled] {
        assert!(statuses.contains(&s), "no {s:?} update in the stream");
    }

    let holds = hold_cuts(&r);
    assert!(
        !holds.is_empty(),
        "the stream has no `for` hold in progress"
    );
    // The cut closest to halfway through a hold.
    let (hold_cut, held_for) = *holds
        .iter()
        .min_by_key(|&&(_, held_for)| (held_for - HOLD / 2).abs())
        .expect("non-empty");
    assert!(
        (HOLD / 4..=3 * HOLD / 4).contains(&held_for),
        "no cut near the middle of a hold: {holds:?}"
    );
    let pending: Vec<usize> = (1..ENTRIES)
        .filter(|&c| !r.engines[c].state().pending.is_empty())
        .collect();
    assert!(
        !pending.is_empty(),
        "the stream never has an approval pending"
    );
    let pending_cut = pending[pending.len() / 2];

    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut cuts: Vec<usize> = (0..10).map(|_| rng.random_range(1..ENTRIES)).collect();
    cuts.push(hold_cut);
    cuts.push(pending_cut);
    for cut in cuts {
        // Sometimes restore with no tail at all.
        let later = if rng.random_bool(0.2) {
            cut
        } else {
            rng.random_range(cut..=ENTRIES)
        };
        check_cut(&entries, &r, cut, later, &mut rng);
    }

    // Control: the comparison notices lost state. A snapshot that drops the
    // pending approval diverges from the uninterrupted run.
    let mut snap = r.engines[pending_cut].snapshot();
    snap.state.pending.clear();
    let mut lossy = Engine::from_snapshot(snap).expect("snapshot config compiles");
    let diverged = entries.iter().enumerate().skip(pending_cut).any(|(i, e)| {
        let mut out = Vec::new();
        lossy.apply(e, &mut out);
        out != r.outputs[i]
    });
    assert!(
        diverged,
        "dropping pending approvals at {pending_cut} went unnoticed"
    );
}

#[test]
fn journal_is_durable_wal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = SqliteJournal::open(dir.path(), &Options::default()).expect("open journal");
    assert_eq!(j.pragma("journal_mode").expect("pragma"), "wal");
    assert_eq!(
        j.pragma("synchronous").expect("pragma"),
        "2",
        "synchronous must be FULL"
    );
    assert_eq!(j.pragma("wal_autocheckpoint").expect("pragma"), "0");
    drop(j);
    // Settings hold on every open, not just on creation.
    let j = SqliteJournal::open(dir.path(), &Options::default()).expect("reopen journal");
    assert_eq!(j.pragma("journal_mode").expect("pragma"), "wal");
    assert_eq!(j.pragma("synchronous").expect("pragma"), "2");
}

fn tick(seq: u64) -> Stamped {
    Stamped {
        seq,
        time: T0 + seq as Millis * SEC,
        entry: Entry::Tick,
    }
}

#[test]
fn out_of_order_append_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut j = SqliteJournal::open(dir.path(), &Options::default()).expect("open journal");
    assert_eq!(j.last_seq().expect("last_seq"), 0);
    let err = j.append(&[tick(2)]).expect_err("must start at 1");
    assert!(
        matches!(err, JournalError::OutOfOrder { last: 0, got: 2 }),
        "{err}"
    );

    j.append(&[tick(1), tick(2), tick(3)]).expect("append");
    assert_eq!(j.last_seq().expect("last_seq"), 3);

    for (batch, got) in [
        (vec![tick(5)], 5),
        (vec![tick(3)], 3),
        (vec![tick(2)], 2),
        (vec![tick(4), tick(6)], 6),
        (vec![tick(4), tick(4)], 4),
    ] {
        let err = j.append(&batch).expect_err("out of order");
        assert!(
            matches!(err, JournalError::OutOfOrder { got: g, .. } if g == got),
            "{err}"
        );
        assert_eq!(
            j.last_seq().expect("last_seq"),
            3,
            "a refused batch changes nothing"
        );
    }
    // A refused batch is not partly committed either.
    let mut seqs = Vec::new();
    j.read_after(0, &mut |e| {
        seqs.push(e.seq);
        Ok(())
    })
    .expect("read");
    assert_eq!(seqs, vec![1, 2, 3]);

    // The journal still accepts the right next entry, and remembers it on reopen.
    j.append(&[tick(4)]).expect("append after a refusal");
    assert_eq!(j.last_seq().expect("last_seq"), 4);
    drop(j);
    let j = SqliteJournal::open(dir.path(), &Options::default()).expect("reopen journal");
    assert_eq!(j.last_seq().expect("last_seq"), 4);
}

#[test]
fn a_snapshot_written_in_place_has_the_bytes_of_the_owned_one() {
    let mut e = Engine::new(spec(), policy_set(policies())).expect("engine");
    e.set_dedup_secret([3, 4]);
    let mut out = Vec::new();
    for (i, s) in [
        signal("cam", "1", "space.occupancy", HALL, r#"{"count": 50}"#),
        signal("cam", "2", "space.occupancy", FOYER, r#"{"count": 20}"#),
    ]
    .into_iter()
    .enumerate()
    {
        e.apply(
            &Stamped {
                seq: i as u64 + 1,
                time: T0 + i as i64 * SEC,
                entry: Entry::Signal(s),
            },
            &mut out,
        );
    }
    let borrowed = baton_journal::encode_snapshot(&e).expect("encode");
    let owned = baton_journal::encode_owned_snapshot(&e.snapshot()).expect("encode");
    assert_eq!(borrowed, owned);
    assert!(borrowed.starts_with(b"BSN2"), "format 2 carries its prefix");
    // The window is stored as it always was in format 2: (time, u128)
    // pairs, oldest first, then the secret; its index is not stored.
    let d = &e.state().dedup;
    let pairs = vec![(T0, d.key("cam", "1")), (T0 + SEC, d.key("cam", "2"))];
    assert_eq!(
        postcard::to_stdvec(d).expect("encode"),
        postcard::to_stdvec(&(pairs, [3u64, 4])).expect("encode")
    );
    // And it reads back to the same state, duplicates window included.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut j = SqliteJournal::open(dir.path(), &Options::default()).expect("open");
    j.save_engine_snapshot(&e).expect("save");
    let back = j.latest_snapshot().expect("read").expect("a snapshot");
    let restored = Engine::from_snapshot(back).expect("restore");
    // The index (`seen`) is not stored; restoring rebuilds it.
    assert_eq!(restored.state(), e.state());
    assert!(restored.is_duplicate("cam", "1"));
}

#[test]
fn a_snapshot_of_an_older_format_is_ignored_not_misread() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = SqliteJournal::open(dir.path(), &Options::default()).expect("open");
        drop(j);
        // A row as format 1 wrote it: bare postcard, no prefix.
        let conn = rusqlite::Connection::open(dir.path().join("journal.db")).expect("sqlite");
        conn.execute(
            "INSERT INTO snapshots(seq, body) VALUES (5, x'0102030405')",
            [],
        )
        .expect("insert");
    }
    let j = SqliteJournal::open(dir.path(), &Options::default()).expect("open");
    assert!(j.latest_snapshot().expect("no error").is_none());
    assert!(j.earliest_snapshot().expect("no error").is_none());
}

#[test]
fn the_dedup_secret_is_made_once_and_kept_in_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = SqliteJournal::open(dir.path(), &Options::default())
        .expect("open")
        .dedup_secret()
        .expect("secret");
    let again = SqliteJournal::open(dir.path(), &Options::default())
        .expect("open")
        .dedup_secret()
        .expect("secret");
    assert_eq!(first, again);
    assert_ne!(first, [0, 0], "random, not the replay default");
    let other = tempfile::tempdir().expect("tempdir");
    let elsewhere = SqliteJournal::open(other.path(), &Options::default())
        .expect("open")
        .dedup_secret()
        .expect("secret");
    assert_ne!(first, elsewhere, "each journal its own");
}

/// Journals the whole stream with snapshots at 0 and 300, as the server
/// does (one at start, then from the follower).
fn journaled(dir: &std::path::Path, entries: &[Stamped], r: &Reference) -> SqliteJournal {
    let mut j = SqliteJournal::open(dir, &Options::default()).expect("open journal");
    j.save_snapshot(&r.engines[0].snapshot())
        .expect("snapshot at 0");
    for chunk in entries.chunks(20) {
        j.append(chunk).expect("append");
        if chunk.last().map(|e| e.seq) == Some(300) {
            j.save_snapshot(&r.engines[300].snapshot())
                .expect("snapshot at 300");
        }
    }
    j
}

#[test]
fn export_prune_then_restore_matches_uninterrupted_run() {
    use baton_journal::retention::{self, Verify};
    let entries = stream();
    let r = reference(&entries);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let mut j = journaled(dir.path(), &entries, &r);
    let far = i64::MAX / 2;

    // Nothing is exported yet: old as they are, no entry goes.
    let p = retention::prune(&mut j, far, 0, Verify::Checksum, 7).expect("prune");
    assert_eq!((p.deleted, p.plan.cut), (0, None), "{p:?}");
    assert!(
        p.plan.why.contains("not in any recorded export"),
        "{}",
        p.plan.why
    );
    assert_eq!(j.first_seq().expect("first"), Some(1));

    let a1 = out.path().join("a1.db");
    let e = baton_journal::archive::export(&mut j, 1, 150, &a1, None, 5).expect("export");
    assert_eq!((e.from, e.to, e.at), (1, 150, 5));
    assert_eq!(e.sha256.len(), 64);
    // Later snapshots keep the export's (a cut point) and the base (0),
    // beside the two newest.
    j.save_snapshot(&r.engines[350].snapshot())
        .expect("snapshot");
    j.save_snapshot(&r.engines[ENTRIES].snapshot())
        .expect("snapshot");
    for (at, kept) in [
        (0, 0),
        (149, 0),
        (150, 150),
        (299, 150),
        (300, 150),
        (360, 350),
    ] {
        let s = j
            .snapshot_at_or_before(at)
            .expect("read")
            .expect("a snapshot");
        assert_eq!(s.state.last_seq, kept, "newest snapshot at or before {at}");
    }

    // Exported, but entries 100 and later are within the retention, and no
    // snapshot lies before 100 to cut at.
    let now = entries[99].time;
    let p = retention::prune(&mut j, now, 0, Verify::Checksum, 7).expect("prune");
    assert_eq!((p.deleted, p.plan.older_upto), (0, Some(99)), "{p:?}");

    // Old and exported: cut at the export's end, in chunks.
    let p = retention::prune(&mut j, far, 0, Verify::Checksum, 7).expect("prune");
    assert_eq!((p.plan.cut, p.deleted), (Some(150), 150), "{p:?}");
    assert_eq!(p.chunks, 150_u64.div_ceil(7));
    assert_eq!(j.first_seq().expect("first"), Some(151));

    // Restore (latest snapshot plus tail) equals the uninterrupted run,
    // and so does every kept position, from the snapshot the prune kept.
    let (restored, _) = baton_journal::restore(&j)
        .expect("restore")
        .expect("a snapshot");
    assert_eq!(restored.state(), r.engines[ENTRIES].state());
    let base = j
        .snapshot_at_or_before(200)
        .expect("snapshot")
        .expect("the cut's snapshot remains");
    assert_eq!(base.state.last_seq, 150);
    let mut e150 = Engine::from_snapshot(base).expect("compiles");
    j.read_after(150, &mut |e| {
        let mut out = Vec::new();
        e150.apply(&e, &mut out);
        assert_eq!(out, r.outputs[e.seq as usize - 1], "entry {}", e.seq);
        Ok(())
    })
    .expect("read");
    assert_eq!(e150.state(), r.engines[ENTRIES].state());

    // The archive replays on its own: its snapshot plus its entries give
    // the same outputs and the state at its end.
    let a = SqliteJournal::open_archive(&a1).expect("open archive");
    assert_eq!(baton_journal::archive::range(&a).expect("range"), (1, 150));
    let snap = a.snapshot_at_or_before(0).expect("read").expect("snapshot");
    let mut from_archive = Engine::from_snapshot(snap).expect("compiles");
    a.read_after(0, &mut |e| {
        let mut out = Vec::new();
        from_archive.apply(&e, &mut out);
        assert_eq!(
            out,
            r.outputs[e.seq as usize - 1],
            "archived entry {}",
            e.seq
        );
        Ok(())
    })
    .expect("read archive");
    assert_eq!(from_archive.state(), r.engines[150].state());

    // Pruned entries cannot be exported again; the error names the archive.
    let err = baton_journal::archive::export(&mut j, 10, 20, &out.path().join("x.db"), None, 6)
        .expect_err("pruned");
    assert!(err.to_string().contains("a1.db"), "{err}");

    // A second export starts from the snapshot the first one left.
    let a2 = out.path().join("a2.db");
    baton_journal::archive::export(&mut j, 151, 250, &a2, None, 7).expect("export");
    let a = SqliteJournal::open_archive(&a2).expect("open archive");
    let (e250, n) = baton_journal::restore(&a)
        .expect("restore")
        .expect("snapshot");
    assert_eq!((n, e250.state()), (100, r.engines[250].state()));
    drop(a);

    // An archive that is gone does not hold anything any more.
    std::fs::remove_file(&a2).expect("remove");
    let p = retention::prune(&mut j, far, 0, Verify::Size, 7).expect("prune");
    assert_eq!((p.deleted, p.plan.held_upto), (0, None), "{p:?}");
    assert_eq!(p.plan.skipped.len(), 1, "{p:?}");
    assert_eq!(j.first_seq().expect("first"), Some(151));
}

#[test]
fn wal_is_cut_back_to_its_limit_after_a_long_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = SqliteJournal::open(dir.path(), &Options::default()).expect("open journal");
    assert_eq!(
        j.pragma("journal_size_limit").expect("pragma"),
        baton_journal::WAL_LIMIT.to_string()
    );
    drop(j);
    let limit: i64 = 256 << 10;
    let opts = Options {
        checkpoint_every: 1_000,
        wal_limit: limit,
    };
    let mut j = SqliteJournal::open(dir.path(), &opts).expect("open journal");
    assert_eq!(
        j.pragma("journal_size_limit").expect("pragma"),
        limit.to_string()
    );
    let wal = dir.path().join("journal.db-wal");
    let size = || std::fs::metadata(&wal).map(|m| m.len() as i64).unwrap_or(0);
    let mut seq = 0;
    let mut append = |j: &mut SqliteJournal, n: u64| {
        for _ in 0..n / 50 {
            let batch: Vec<Stamped> = (seq + 1..=seq + 50).map(tick).collect();
            j.append(&batch).expect("append");
            seq += 50;
        }
    };
    // An audit read holds its snapshot: no checkpoint can restart the WAL.
    let reader = rusqlite::Connection::open(dir.path().join("journal.db")).expect("reader");
    reader.execute_batch("BEGIN").expect("begin");
    let _: i64 = reader
        .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .expect("read");
    append(&mut j, 10_000);
    assert!(size() > limit, "the WAL grew while read: {} bytes", size());
    reader.execute_batch("COMMIT").expect("end the read");
    drop(reader);
    // The next checkpoint completes; the write after it restarts the WAL
    // and cuts the file back.
    append(&mut j, 1_050);
    assert!(size() <= limit, "WAL {} bytes, limit {limit}", size());
}

#[test]
fn an_export_replayed_from_the_event_files_fingerprints_with_the_journals_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let mut j = SqliteJournal::open(dir.path(), &Options::default()).expect("open");
    let secret = j.dedup_secret().expect("secret");
    // The live engine, as `baton serve` runs it: under the journal's key.
    let mut live = Engine::new(spec(), policy_set(vec![])).expect("engine");
    live.set_dedup_secret(secret);
    let entries: Vec<Stamped> = (1..=5u64)
        .map(|seq| Stamped {
            seq,
            time: T0 + seq as i64 * SEC,
            entry: Entry::Signal(signal(
                "cam",
                &seq.to_string(),
                "space.occupancy",
                HALL,
                r#"{"count": 5}"#,
            )),
        })
        .collect();
    j.append(&entries).expect("append");
    let mut outputs = Vec::new();
    for e in &entries {
        live.apply(e, &mut outputs);
    }
    // No snapshot before entry 1: the export replays from the event files'
    // engine, which knows nothing of the journal's key.
    let start = Engine::new(spec(), policy_set(vec![])).expect("engine");
    let a1 = out.path().join("a1.db");
    baton_journal::archive::export(&mut j, 1, 5, &a1, Some(start), 5).expect("export");
    let a = SqliteJournal::open_archive(&a1).expect("open archive");
    let (restored, n) = baton_journal::restore(&a)
        .expect("restore")
        .expect("snapshot");
    assert_eq!(n, 5);
    assert_eq!(restored.state().dedup.secret, secret);
    assert_eq!(restored.state(), live.state());
    assert!(restored.is_duplicate("cam", "3"));
}
