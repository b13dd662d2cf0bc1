//! A condition that fails at run time (CEL errors: division by zero, overflow)
//! never fires; the engine counts each failure per policy in
//! `Stats::eval_errors`, so the silence shows up in summaries and metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod common;

use baton_model::Mode;
use common::*;

#[test]
fn a_condition_that_fails_at_run_time_is_counted_per_policy() {
    let mut failing = threshold("div-zero", 0, 0, Mode::Auto);
    failing.condition = "space.occupancy / (space.capacity - space.capacity) > 1".into();
    failing.rearm = None;
    let healthy = threshold("full", 0, 0, Mode::Auto);
    let mut d = Driver::with(vec![failing, healthy]);

    let out = d.occ(0, HALL, 10);
    assert!(decisions_of(&out, "div-zero").is_empty());
    let out = d.occ(10 * SEC, HALL, 20);
    assert!(decisions_of(&out, "div-zero").is_empty());

    let errors = &d.state().stats.eval_errors;
    assert_eq!(errors.get("div-zero"), Some(&2), "{errors:?}");
    assert_eq!(errors.get("full"), None, "{errors:?}");
}
