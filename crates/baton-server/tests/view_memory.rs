//! The read model's byte caps count what it holds: measured by counting the
//! heap this test binary holds (its own allocator, one test, so nothing else
//! allocates while it runs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_core::Output;
use baton_server::view::View;
use baton_testkit::live_bytes;

#[global_allocator]
static ALLOC: baton_testkit::Counting = baton_testkit::Counting;

#[test]
fn the_bytes_counted_against_the_caps_are_the_bytes_held() {
    let mut v = View::default();
    let before = live_bytes();
    for seq in 1..=5_000u64 {
        let out = [Output::Task {
            task: format!("t{seq}"),
            staff: Some("ana".into()),
            state: baton_core::output::TaskEvent::Assigned,
            at: seq as i64,
            space: "hall-a".into(),
            reason: "crowded".into(),
        }];
        v.absorb(seq, seq as i64, &out);
    }
    let held = live_bytes() - before;
    let (decisions, audit, recent) = v.bytes();
    let counted = (decisions + audit + recent) as isize;
    assert_eq!((v.audit.len(), v.recent.len()), (5_000, 5_000));
    // Counted may be more than held (a text shared by the audit and the
    // stream counts in both), but not much less: a cap of 64 MiB must
    // not hold hundreds.
    assert!(
        held <= counted * 5 / 4,
        "held {held} bytes, counted {counted}"
    );
}
