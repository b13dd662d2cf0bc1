//! Golden behaviour of the core: each test drives a small event through the
//! engine and checks both that something happens and that something else does not.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use baton_core::{Output, Status};
use baton_model::{ActionKind, ActionSpec, CommandKind, Mode, OnTimeout, Target};
use common::*;
use std::collections::BTreeMap;

const FAR: i64 = T0 + 24 * 60 * MIN;

fn occ_json(count: u32) -> String {
    format!(r#"{{"count":{count}}}"#)
}

// 1.
#[test]
fn fires_when_fill_crosses_threshold() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);

    let out = d.occ(0, HALL, 85);
    assert!(decisions(&out).is_empty(), "{out:?}");
    let out = d.occ(10 * SEC, HALL, 89);
    assert!(
        decisions(&out).is_empty(),
        "fill 0.89 is below 0.9: {out:?}"
    );
    assert!(executed(&out).is_empty());
    // The foyer is out of the policy's scope, however full.
    let out = d.occ(15 * SEC, FOYER, 300);
    assert!(out.is_empty(), "{out:?}");

    let out = d.occ(20 * SEC, HALL, 90);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    let dec = ds[0];
    assert_eq!(dec.policy, "full");
    assert_eq!(dec.status, Status::Executed);
    assert_eq!(dec.at, T0 + 20 * SEC);
    assert_eq!(dec.scope.space.as_deref(), Some(HALL));
    assert_eq!(dec.actions.len(), 1);
    assert_eq!(dec.actions[0].resource, HALL_SIGN);
    assert_eq!(dec.actions[0].suppressed, None);
    assert_eq!(dec.explanation.trigger.kind, "space.occupancy");

    let ex = executed(&out);
    assert_eq!(ex.len(), 1, "{out:?}");
    assert_eq!(ex[0].0, dec.id, "the Execute carries the decision's id");
    assert_eq!(ex[0].1.resource, HALL_SIGN);
    assert_eq!(ex[0].1.kind, ActionKind::Sign);
    assert_eq!(content(ex[0].1), Some("FULL"));
    assert_eq!(ex[0].1.valid_until, T0 + 20 * SEC + 600_000);
    assert!(executed_on(&out, FOYER_SIGN).is_empty());

    assert_eq!(d.state().stats.decisions_by_policy.get("full"), Some(&1));
    assert_eq!(
        d.state().published_signs.get(&0).map(String::as_str),
        Some("FULL")
    );
}

// 2.
#[test]
fn cooldown_blocks_refire_until_it_ends() {
    let cooldown = 10 * MIN;
    let mut d = Driver::with(vec![threshold("full", 0, cooldown, Mode::Auto)]);

    let out = d.occ(0, HALL, 95);
    assert_eq!(decisions(&out).len(), 1, "{out:?}");

    // Rearm (fill 0.5), then full again inside the cooldown: no decision.
    assert!(decisions(&d.occ(MIN, HALL, 50)).is_empty());
    let out = d.occ(2 * MIN, HALL, 95);
    assert!(decisions(&out).is_empty(), "inside the cooldown: {out:?}");
    assert!(
        d.state()
            .stats
            .suppressed
            .get("cooldown")
            .copied()
            .unwrap_or(0)
            >= 1
    );

    // Keep the data fresh and full through the rest of the cooldown.
    let mut inside = Vec::new();
    for m in 3..10 {
        inside.extend(d.occ(m * MIN, HALL, 95));
        inside.extend(d.tick(m * MIN + 30 * SEC));
    }
    inside.extend(d.tick(cooldown - 1));
    assert!(
        decisions(&inside).is_empty(),
        "inside the cooldown: {inside:?}"
    );
    assert!(executed(&inside).is_empty());

    // The cooldown ends at 10 min: the cooldown timer fires on a plain tick.
    let out = d.tick(cooldown);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(ds[0].status, Status::Executed);
    assert_eq!(ds[0].at, T0 + cooldown);
    assert_eq!(ds[0].explanation.trigger.kind, "timer");
    assert_eq!(executed_on(&out, HALL_SIGN).len(), 1);
    assert_eq!(d.state().stats.decisions_by_policy.get("full"), Some(&2));
}

// 3.
#[test]
fn rearm_required_before_refire() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);

    assert_eq!(decisions(&d.occ(0, HALL, 95)).len(), 1);
    // Between 0.7 and 0.9 and back up: still disarmed.
    let mut out = d.occ(10 * SEC, HALL, 80);
    out.extend(d.occ(20 * SEC, HALL, 95));
    out.extend(d.occ(30 * SEC, HALL, 70));
    out.extend(d.occ(40 * SEC, HALL, 99));
    assert!(decisions(&out).is_empty(), "not re-armed: {out:?}");
    assert!(executed(&out).is_empty());
    assert!(d.state().space_instances[0][0].disarmed);

    // Fill 0.5 re-arms; back to 0.95 fires again.
    assert!(decisions(&d.occ(50 * SEC, HALL, 50)).is_empty());
    assert!(!d.state().space_instances[0][0].disarmed);
    let out = d.occ(60 * SEC, HALL, 95);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(ds[0].status, Status::Executed);
    assert_eq!(executed_on(&out, HALL_SIGN).len(), 1);

    // The rearm bound is strict: 0.69 re-arms, 0.7 does not.
    d.occ(70 * SEC, HALL, 70);
    assert!(decisions(&d.occ(80 * SEC, HALL, 95)).is_empty());
    d.occ(90 * SEC, HALL, 69);
    assert_eq!(decisions(&d.occ(100 * SEC, HALL, 95)).len(), 1);
    assert_eq!(d.state().stats.decisions_by_policy.get("full"), Some(&3));
}

// 4.
#[test]
fn hold_fires_from_timer_only_after_full_duration() {
    let hold = 2 * MIN;
    let mut d = Driver::with(vec![threshold("full", hold, 0, Mode::Auto)]);

    // True for 60 s only: never fires, not even when the hold timer comes due.
    let mut out = d.occ(0, HALL, 95);
    out.extend(d.ticks(SEC, 59 * SEC, SEC));
    out.extend(d.occ(60 * SEC, HALL, 50));
    out.extend(d.ticks(61 * SEC, 5 * MIN, 10 * SEC));
    assert!(decisions(&out).is_empty(), "{out:?}");
    assert!(executed(&out).is_empty());
    assert_eq!(d.state().space_instances[0][0].true_since, None);

    // True from 400 s and held by ticks alone (no new signal).
    let start = 400 * SEC;
    assert!(decisions(&d.occ(start, HALL, 95)).is_empty());
    assert_eq!(d.state().space_instances[0][0].true_since, Some(T0 + start));
    let out = d.ticks(start + SEC, start + hold - SEC, SEC);
    assert!(decisions(&out).is_empty(), "held less than 120 s: {out:?}");

    let out = d.tick(start + hold);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(ds[0].status, Status::Executed);
    assert_eq!(ds[0].at, T0 + start + hold);
    assert_eq!(ds[0].explanation.trigger.kind, "timer");
    assert_eq!(ds[0].explanation.held_since, Some(T0 + start));
    let ex = executed_on(&out, HALL_SIGN);
    assert_eq!(ex.len(), 1);
    assert_eq!(content(ex[0]), Some("FULL"));

    // Fired once; further ticks do not repeat it.
    let out = d.ticks(start + hold + SEC, start + hold + MIN, SEC);
    assert!(decisions(&out).is_empty(), "{out:?}");
}

// 5.
#[test]
fn override_suppresses_automation_until_release() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);

    let out = d.cmd(
        0,
        CommandKind::Override {
            resource: HALL_SIGN.into(),
            value: None,
            until: FAR,
        },
    );
    assert!(
        out.is_empty(),
        "an override without a value publishes nothing: {out:?}"
    );
    assert!(d.state().overrides.contains_key(HALL_SIGN));

    let out = d.occ(10 * SEC, HALL, 95);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "the decision is still made and shown: {out:?}");
    assert_eq!(ds[0].actions.len(), 1);
    assert_eq!(ds[0].actions[0].resource, HALL_SIGN);
    assert_eq!(
        ds[0].actions[0]
            .suppressed
            .as_ref()
            .map(|s| s.to_string())
            .as_deref(),
        Some("operator override on sign:hall-door")
    );
    assert!(executed_on(&out, HALL_SIGN).is_empty(), "{out:?}");
    assert_eq!(d.state().published_signs.get(&0), None);

    let out = d.cmd(
        20 * SEC,
        CommandKind::Release {
            resource: HALL_SIGN.into(),
        },
    );
    assert!(
        out.iter().any(|o| matches!(o, Output::OverrideEnded { resource, reason, .. } if resource == HALL_SIGN && reason == "released")),
        "{out:?}"
    );
    assert!(d.state().overrides.is_empty());
    // Releasing twice is refused.
    let out = d.cmd(
        21 * SEC,
        CommandKind::Release {
            resource: HALL_SIGN.into(),
        },
    );
    assert_eq!(refused(&out).len(), 1, "{out:?}");

    // Automation works again.
    assert!(decisions(&d.occ(30 * SEC, HALL, 50)).is_empty());
    let out = d.occ(40 * SEC, HALL, 95);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(ds[0].actions[0].suppressed, None);
    let ex = executed_on(&out, HALL_SIGN);
    assert_eq!(ex.len(), 1, "{out:?}");
    assert_eq!(content(ex[0]), Some("FULL"));
}

// 5b.
#[test]
fn override_with_value_publishes_it_and_expires() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);

    let until = T0 + 5 * MIN;
    let out = d.cmd(
        0,
        CommandKind::Override {
            resource: HALL_SIGN.into(),
            value: Some("CLOSED".into()),
            until,
        },
    );
    let ex = executed_on(&out, HALL_SIGN);
    assert_eq!(ex.len(), 1, "{out:?}");
    assert_eq!(content(ex[0]), Some("CLOSED"));

    let out = d.occ(10 * SEC, HALL, 95);
    assert_eq!(decisions(&out).len(), 1);
    assert!(executed_on(&out, HALL_SIGN).is_empty(), "{out:?}");

    // An override ending in the past is refused.
    let out = d.cmd(
        20 * SEC,
        CommandKind::Override {
            resource: HALL_SIGN.into(),
            value: None,
            until: T0,
        },
    );
    assert_eq!(refused(&out).len(), 1, "{out:?}");

    let out = d.ticks(30 * SEC, 5 * MIN - SEC, 10 * SEC);
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::OverrideEnded { .. })),
        "{out:?}"
    );
    let out = d.tick(5 * MIN);
    assert!(
        out.iter().any(|o| matches!(o, Output::OverrideEnded { resource, reason, .. } if resource == HALL_SIGN && reason == "expired")),
        "{out:?}"
    );
    assert!(d.state().overrides.is_empty());
    // On expiry the sign is reconciled away from the override's value.
    let ex = executed_on(&out, HALL_SIGN);
    assert_eq!(ex.len(), 1, "{out:?}");
    assert_ne!(content(ex[0]), Some("CLOSED"));
}

// 6.
fn minute_policy(allow_stale: bool) -> baton_model::Policy {
    let mut p = threshold("crowded", 10 * MIN, 0, Mode::Auto);
    p.on = vec!["minute".into()];
    p.allow_stale = allow_stale;
    p
}

#[test]
fn stale_data_does_not_fire() {
    // One occupancy signal, then silence: when the 10-minute hold completes at
    // 11 min the last signal is 11 minutes old (stale_after is 4 minutes).
    let mut d = Driver::with(vec![minute_policy(false)]);
    let mut out = d.occ(0, HALL, 95);
    out.extend(d.ticks(10 * SEC, 15 * MIN, 10 * SEC));
    assert!(decisions(&out).is_empty(), "{out:?}");
    assert!(executed(&out).is_empty());
    assert!(
        d.state()
            .stats
            .suppressed
            .get("stale")
            .copied()
            .unwrap_or(0)
            >= 1,
        "{:?}",
        d.state().stats
    );
}

#[test]
fn fresh_data_fires_minute_policy() {
    // Control for the stale case: the same stimulus with fresh data fires.
    let mut d = Driver::with(vec![minute_policy(false)]);
    let mut out = d.occ(0, HALL, 95);
    for m in 0..15 {
        out.extend(d.occ(m * MIN + 30 * SEC, HALL, 95));
        out.extend(d.tick((m + 1) * MIN));
    }
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    // The first minute refresh after start is at 1 min; the hold ends at 11 min.
    assert_eq!(ds[0].at, T0 + 11 * MIN);
    assert_eq!(ds[0].explanation.held_since, Some(T0 + MIN));
    assert_eq!(d.state().stats.suppressed.get("stale"), None);
}

#[test]
fn allow_stale_fires_on_stale_data() {
    let mut d = Driver::with(vec![minute_policy(true)]);
    let mut out = d.occ(0, HALL, 95);
    out.extend(d.ticks(10 * SEC, 15 * MIN, 10 * SEC));
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(ds[0].at, T0 + 11 * MIN);
    assert_eq!(ds[0].status, Status::Executed);
    assert_eq!(executed_on(&out, HALL_SIGN).len(), 1);
}

// 7.
#[test]
fn mode_off_never_fires() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Off)]);
    let mut out = d.occ(0, HALL, 95);
    out.extend(d.occ(10 * SEC, HALL, 50));
    out.extend(d.occ(20 * SEC, HALL, 100));
    assert!(decisions(&out).is_empty(), "{out:?}");
    assert!(d.state().stats.decisions_by_policy.is_empty());

    // The policy is only switched off, not broken: Auto fires on the same data.
    let out = d.cmd(
        30 * SEC,
        CommandKind::SetMode {
            policy: "full".into(),
            mode: Mode::Auto,
        },
    );
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(decisions(&d.occ(40 * SEC, HALL, 100)).len(), 1);
}

#[test]
fn set_mode_off_stops_and_auto_reenables() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);
    assert_eq!(decisions(&d.occ(0, HALL, 95)).len(), 1);
    d.occ(10 * SEC, HALL, 50);

    let out = d.cmd(
        20 * SEC,
        CommandKind::SetMode {
            policy: "full".into(),
            mode: Mode::Off,
        },
    );
    assert!(refused(&out).is_empty(), "{out:?}");
    assert_eq!(d.state().modes.get("full"), Some(&Mode::Off));
    let mut out = d.occ(30 * SEC, HALL, 95);
    out.extend(d.occ(40 * SEC, HALL, 50));
    out.extend(d.occ(50 * SEC, HALL, 96));
    assert!(decisions(&out).is_empty(), "mode off: {out:?}");
    assert!(executed(&out).is_empty());

    let out = d.cmd(
        60 * SEC,
        CommandKind::SetMode {
            policy: "nope".into(),
            mode: Mode::Off,
        },
    );
    assert_eq!(refused(&out).len(), 1, "unknown policy: {out:?}");

    d.cmd(
        70 * SEC,
        CommandKind::SetMode {
            policy: "full".into(),
            mode: Mode::Auto,
        },
    );
    let out = d.occ(80 * SEC, HALL, 97);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(ds[0].status, Status::Executed);
    assert_eq!(executed_on(&out, HALL_SIGN).len(), 1);
}

// 8.
#[test]
fn paused_decisions_are_shown_and_reconciled_on_resume() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);
    assert!(d.cmd(0, CommandKind::Pause).is_empty());
    assert!(d.state().paused);

    let out = d.occ(10 * SEC, HALL, 95);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(ds[0].status, Status::Paused);
    assert!(ds[0].explanation.paused);
    assert!(
        executed(&out).is_empty(),
        "paused: nothing goes out: {out:?}"
    );
    assert_eq!(
        d.state().desired_signs.get(&0).map(String::as_str),
        Some("FULL")
    );
    assert_eq!(d.state().published_signs.get(&0), None);

    let out = d.cmd(20 * SEC, CommandKind::Resume);
    assert!(!d.state().paused);
    assert!(
        decisions(&out).is_empty(),
        "resume makes no new decision: {out:?}"
    );
    let ex = executed_on(&out, HALL_SIGN);
    assert_eq!(ex.len(), 1, "{out:?}");
    assert_eq!(content(ex[0]), Some("FULL"));
    // The foyer sign was never published: it gets its default content.
    let ex = executed_on(&out, FOYER_SIGN);
    assert_eq!(ex.len(), 1, "{out:?}");
    assert_eq!(content(ex[0]), Some(FOYER_SIGN_DEFAULT));

    // Resuming when not paused does nothing.
    assert!(d.cmd(30 * SEC, CommandKind::Resume).is_empty());
    // Everything is in sync now: pause + resume republishes nothing.
    d.cmd(40 * SEC, CommandKind::Pause);
    let out = d.cmd(50 * SEC, CommandKind::Resume);
    assert!(executed(&out).is_empty(), "{out:?}");
}

// 9.
fn single_pending(d: &mut Driver) -> baton_model::DecisionId {
    let out = d.occ(0, HALL, 95);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(ds[0].status, Status::Pending);
    assert!(
        executed(&out).is_empty(),
        "pending: nothing goes out: {out:?}"
    );
    assert!(d.state().pending.contains_key(&ds[0].id));
    ds[0].id
}

#[test]
fn approve_executes() {
    let mut d = Driver::with(vec![threshold("ask", 0, 0, Mode::Approve)]);
    let id = single_pending(&mut d);

    let out = d.cmd(10 * SEC, CommandKind::Approve { decision: id });
    assert_eq!(updates(&out), vec![(id, Status::Approved)]);
    let ex = executed(&out);
    assert_eq!(ex.len(), 1, "{out:?}");
    assert_eq!(ex[0].0, id);
    assert_eq!(ex[0].1.resource, HALL_SIGN);
    assert_eq!(content(ex[0].1), Some("FULL"));
    assert!(d.state().pending.is_empty());

    // A second approval is refused and sends nothing.
    let out = d.cmd(20 * SEC, CommandKind::Approve { decision: id });
    assert_eq!(refused(&out).len(), 1, "{out:?}");
    assert!(executed(&out).is_empty());
    // The approval timer coming due later changes nothing.
    let out = d.ticks(MIN, 6 * MIN, 30 * SEC);
    assert!(updates(&out).is_empty(), "{out:?}");
}

#[test]
fn reject_sends_nothing() {
    let mut d = Driver::with(vec![threshold("ask", 0, 0, Mode::Approve)]);
    let id = single_pending(&mut d);

    let out = d.cmd(
        10 * SEC,
        CommandKind::Reject {
            decision: id,
            comment: "not now".into(),
        },
    );
    assert_eq!(updates(&out), vec![(id, Status::Rejected)]);
    assert!(executed(&out).is_empty(), "{out:?}");
    assert!(d.state().pending.is_empty());

    let out = d.cmd(20 * SEC, CommandKind::Approve { decision: id });
    assert_eq!(refused(&out).len(), 1, "{out:?}");
    assert!(executed(&out).is_empty());
    let out = d.ticks(MIN, 6 * MIN, 30 * SEC);
    assert!(updates(&out).is_empty(), "{out:?}");
    assert!(executed(&d.outputs).is_empty());
}

#[test]
fn approval_timeout_drop_expires() {
    let mut d = Driver::with(vec![threshold("ask", 0, 0, Mode::Approve)]);
    let id = single_pending(&mut d);

    let out = d.ticks(10 * SEC, 300 * SEC - 1, 10 * SEC);
    assert!(updates(&out).is_empty(), "{out:?}");
    assert!(d.state().pending.contains_key(&id));

    let out = d.tick(300 * SEC);
    assert_eq!(updates(&out), vec![(id, Status::Expired)]);
    assert!(executed(&out).is_empty());
    assert!(d.state().pending.is_empty());

    let out = d.cmd(310 * SEC, CommandKind::Approve { decision: id });
    assert_eq!(
        refused(&out).len(),
        1,
        "an expired decision cannot be approved: {out:?}"
    );
    assert!(executed(&out).is_empty());
}

#[test]
fn approval_timeout_escalate_stays_approvable() {
    let mut p = threshold("ask", 0, 0, Mode::Approve);
    p.on_timeout = OnTimeout::Escalate;
    let mut d = Driver::with(vec![p]);
    let id = single_pending(&mut d);

    let out = d.ticks(10 * SEC, 300 * SEC - 1, 10 * SEC);
    assert!(updates(&out).is_empty(), "{out:?}");
    let out = d.tick(300 * SEC);
    assert_eq!(updates(&out), vec![(id, Status::Escalated)]);
    // Nothing of the decision goes out; the escalation itself is an alert
    // to the duty manager, under an id of its own.
    let sent = executed(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    assert_ne!(sent[0].0, id);
    assert_eq!(sent[0].1.resource, "operators:escalation");
    assert!(d.state().pending.get(&id).is_some_and(|p| p.escalated));

    let out = d.cmd(310 * SEC, CommandKind::Approve { decision: id });
    assert_eq!(updates(&out), vec![(id, Status::Approved)]);
    assert_eq!(executed_on(&out, HALL_SIGN).len(), 1, "{out:?}");
}

// 10.
#[test]
fn emergency_cancels_attendee_facing_approvals_and_sets_signs() {
    let mut alert = threshold("ask-ops", 0, 0, Mode::Approve);
    alert.actions = vec![ActionSpec {
        kind: ActionKind::Alert,
        target: Target::Operators,
        params: BTreeMap::new(),
        valid_for: 600_000,
    }];
    let mut d = Driver::with(vec![threshold("ask", 0, 0, Mode::Approve), alert]);

    let out = d.occ(0, HALL, 95);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 2, "{out:?}");
    let sign_id = decisions_of(&out, "ask")[0].id;
    let alert_id = decisions_of(&out, "ask-ops")[0].id;
    assert!(ds.iter().all(|d| d.status == Status::Pending));
    assert_eq!(d.state().pending.len(), 2);

    let out = d.cmd(10 * SEC, CommandKind::Emergency { on: true });
    assert!(d.state().emergency);
    assert_eq!(
        updates(&out),
        vec![(sign_id, Status::Cancelled)],
        "only the attendee-facing approval is cancelled"
    );
    assert!(d.state().pending.contains_key(&alert_id));
    assert!(!d.state().pending.contains_key(&sign_id));

    let ex = executed(&out);
    assert_eq!(ex.len(), 2, "every sign: {out:?}");
    assert_eq!(
        content(executed_on(&out, HALL_SIGN)[0]),
        Some(HALL_SIGN_EMERGENCY)
    );
    assert_eq!(
        content(executed_on(&out, FOYER_SIGN)[0]),
        Some(FOYER_SIGN_EMERGENCY)
    );

    // The cancelled decision cannot be approved; turning the hold on again does nothing.
    let out = d.cmd(20 * SEC, CommandKind::Approve { decision: sign_id });
    assert_eq!(refused(&out).len(), 1, "{out:?}");
    assert!(executed(&out).is_empty());
    assert!(
        d.cmd(30 * SEC, CommandKind::Emergency { on: true })
            .is_empty()
    );

    // Off: signs go back to what automation wants (here their defaults).
    let out = d.cmd(40 * SEC, CommandKind::Emergency { on: false });
    assert!(!d.state().emergency);
    assert_eq!(
        content(executed_on(&out, HALL_SIGN)[0]),
        Some(HALL_SIGN_DEFAULT)
    );
    assert_eq!(
        content(executed_on(&out, FOYER_SIGN)[0]),
        Some(FOYER_SIGN_DEFAULT)
    );
}

#[test]
fn emergency_suppresses_new_sign_actions() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);
    d.cmd(0, CommandKind::Emergency { on: true });
    let out = d.occ(10 * SEC, HALL, 95);
    let ds = decisions(&out);
    assert_eq!(ds.len(), 1, "{out:?}");
    assert_eq!(
        ds[0].actions[0].suppressed,
        Some(baton_core::suppression::Suppression::EmergencyHold)
    );
    assert!(executed(&out).is_empty(), "{out:?}");
    assert_eq!(
        d.state().published_signs.get(&0).map(String::as_str),
        Some(HALL_SIGN_EMERGENCY)
    );
}

// 11.
#[test]
fn duplicate_signals_are_ignored() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);
    let out = d.raw(0, "cam-1", "e1", "space.occupancy", HALL, &occ_json(50));
    assert!(out.is_empty());
    // Same (source, id) with a different payload: dropped entirely.
    let out = d.raw(
        10 * SEC,
        "cam-1",
        "e1",
        "space.occupancy",
        HALL,
        &occ_json(95),
    );
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(d.state().stats.duplicates, 1);
    assert_eq!(d.state().spaces[0].occupancy, 50);
    assert_eq!(
        d.state()
            .stats
            .signals_by_type()
            .get("space.occupancy")
            .copied(),
        Some(1)
    );
    assert!(d.state().stats.decisions_by_policy.is_empty());

    // The same id from another source is a different signal.
    let out = d.raw(
        20 * SEC,
        "cam-2",
        "e1",
        "space.occupancy",
        HALL,
        &occ_json(95),
    );
    assert_eq!(decisions(&out).len(), 1, "{out:?}");
    assert_eq!(d.state().stats.duplicates, 1);
    assert_eq!(d.state().spaces[0].occupancy, 95);
}

// 12.
#[test]
fn exits_beyond_entries_clamp_to_zero() {
    let mut d = Driver::with(vec![]);
    d.entered(0, HALL, 3);
    d.exited(SEC, HALL, 2);
    assert_eq!(d.state().spaces[0].occupancy, 1);
    assert_eq!(d.state().stats.clamped, 0, "a regular exit is not clamped");

    d.exited(2 * SEC, HALL, 5);
    assert_eq!(d.state().spaces[0].occupancy, 0);
    assert_eq!(d.state().stats.clamped, 1);
    assert_eq!(d.state().spaces[0].clamps, 1);

    d.entered(3 * SEC, HALL, 4);
    assert_eq!(
        d.state().spaces[0].occupancy,
        4,
        "counting resumes from zero"
    );
}

// 13.
#[test]
fn unknown_space_is_rejected() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);
    let out = d.occ(0, "attic", 95);
    assert_eq!(
        out,
        vec![Output::SignalRejected {
            seq: 1,
            id: "sig-1".into(),
            reason: "unknown space".into()
        }]
    );
    assert_eq!(d.state().stats.rejected.get("unknown space"), Some(&1));

    let out = d.occ(SEC, HALL, 5);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(d.state().stats.rejected.values().sum::<u64>(), 1);
}

// Regressions for two bugs found while writing these tests.

#[test]
fn resume_during_emergency_keeps_emergency_content() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);
    d.cmd(0, CommandKind::Emergency { on: true });
    d.cmd(10 * SEC, CommandKind::Pause);
    let out = d.cmd(20 * SEC, CommandKind::Resume);
    assert!(
        executed(&out).is_empty(),
        "signs must keep their emergency content: {out:?}"
    );
}

#[test]
fn release_restores_what_automation_wanted() {
    let mut d = Driver::with(vec![threshold("full", 0, 0, Mode::Auto)]);
    d.cmd(
        0,
        CommandKind::Override {
            resource: HALL_SIGN.into(),
            value: None,
            until: FAR,
        },
    );
    d.occ(10 * SEC, HALL, 95);
    let out = d.cmd(
        20 * SEC,
        CommandKind::Release {
            resource: HALL_SIGN.into(),
        },
    );
    let ex = executed_on(&out, HALL_SIGN);
    assert_eq!(ex.len(), 1, "{out:?}");
    assert_eq!(
        content(ex[0]),
        Some("FULL"),
        "the hall is still full and the policy is disarmed"
    );
}
