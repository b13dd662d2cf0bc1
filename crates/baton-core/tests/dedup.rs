//! The dedup window: bounded by count as well as time, keyed so that its
//! fingerprints depend on a secret, and kept across a snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use baton_core::Engine;
use baton_core::state::Dedup;
use baton_model::{Entry, Stamped};
use common::*;

fn engine(max_keys: u64) -> Engine {
    let mut s = spec();
    s.event.dedup_max_keys = max_keys;
    Engine::new(s, policy_set(vec![])).expect("engine")
}

fn reading(e: &mut Engine, seq: u64, at: i64, id: &str) {
    let s = signal("cam", id, "space.occupancy", HALL, r#"{"count": 5}"#);
    let mut out = Vec::new();
    e.apply(
        &Stamped {
            seq,
            time: at,
            entry: Entry::Signal(s),
        },
        &mut out,
    );
}

#[test]
fn the_count_bound_forgets_the_oldest_keys_first() {
    let mut e = engine(3);
    for (i, id) in ["a", "b", "c", "d"].iter().enumerate() {
        reading(&mut e, i as u64 + 1, T0 + i as i64 * SEC, id);
    }
    // Four keys, room for three: "a" went, "b".."d" stay.
    assert!(!e.is_duplicate("cam", "a"), "the oldest is forgotten");
    for id in ["b", "c", "d"] {
        assert!(e.is_duplicate("cam", id), "{id} is remembered");
    }
    let (keys, window) = e.dedup_window();
    assert_eq!(keys, 3);
    // The window in effect reaches back to "b" (2 s), not the 15 minutes set.
    assert_eq!(window, 2 * SEC);
}

#[test]
fn the_time_bound_still_holds_under_the_count_bound() {
    let mut e = engine(1_000);
    reading(&mut e, 1, T0, "a");
    assert!(e.is_duplicate("cam", "a"));
    // Past the 15-minute window, a reading evicts it.
    reading(&mut e, 2, T0 + 16 * MIN, "b");
    assert!(!e.is_duplicate("cam", "a"));
    assert_eq!(e.dedup_window().0, 1);
}

#[test]
fn fingerprints_depend_on_the_secret_and_on_where_source_ends() {
    let mut a = Dedup::default();
    let b = Dedup::with_secret([1, 2]);
    assert_ne!(a.key("cam", "1"), b.key("cam", "1"));
    assert_ne!(a.key("ab", "c"), a.key("a", "bc"));
    assert_eq!(a.key("cam", "1"), a.clone().key("cam", "1"));
    // A key seen under one secret is a duplicate under it only.
    let k = a.key("cam", "1");
    assert!(!a.check(k, T0, MIN, 10));
    assert!(a.check(k, T0 + SEC, MIN, 10));
}

#[test]
fn a_new_secret_starts_an_empty_window_and_a_snapshot_keeps_it() {
    let mut e = engine(100);
    e.set_dedup_secret([7, 9]);
    reading(&mut e, 1, T0, "a");
    let restored = Engine::from_snapshot(e.snapshot()).expect("restore");
    assert_eq!(restored.state().dedup.secret, [7, 9]);
    assert!(
        restored.is_duplicate("cam", "a"),
        "the window survives a snapshot"
    );
    let mut other = restored.clone();
    other.set_dedup_secret([1, 1]);
    assert_eq!(other.dedup_window().0, 0);
}
