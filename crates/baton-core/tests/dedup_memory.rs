//! What the dedup window costs per remembered key, measured by counting the
//! heap this test binary holds (its own allocator, so nothing else in it
//! allocates while it runs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_core::state::Dedup;
use baton_testkit::live_bytes;

#[global_allocator]
static ALLOC: baton_testkit::Counting = baton_testkit::Counting;

const KEYS: u64 = 1_000_000;

#[test]
fn a_million_keys_cost_under_48_bytes_each_and_a_burst_is_given_back() {
    let mut d = Dedup::with_secret([0x5eed, 42]);
    let before = live_bytes();
    for i in 0..KEYS {
        let k = d.key("cam", &i.to_string());
        assert!(!d.check(k, i as i64, 3_600_000, KEYS), "key {i} is new");
    }
    let held = live_bytes() - before;
    let per_key = held as f64 / KEYS as f64;
    println!("{per_key:.1} bytes a key ({held} bytes)");
    // The fingerprint (16 bytes) and its time (8) once, plus a small index:
    // the count bound's memory is a figure an operator can plan with.
    assert!(per_key < 48.0, "{per_key:.1} bytes a key ({held} bytes)");
    // Every key is still found.
    assert!(d.check(d.key("cam", "0"), KEYS as i64, 3_600_000, KEYS));
    // An hour later the burst has gone, and so has its memory.
    let later = 10 * 3_600_000;
    d.check(d.key("cam", "late"), later, 3_600_000, KEYS);
    let after = live_bytes() - before;
    assert!(
        after < 256 * 1024,
        "{after} bytes kept after the window emptied"
    );
}
