//! The fast RFC 3339 path agrees with jiff on every timestamp it accepts,
//! and hands everything else to jiff.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_model::signal::parse_rfc3339;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn jiff_ms(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

#[test]
fn fast_path_matches_jiff() {
    let config = Config {
        cases: 20_000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = (
        1960i64..2200,
        1u32..=12,
        1u32..=31,
        0u32..=23,
        0u32..=59,
        0u32..=60,
        0usize..=9,
        0u64..1_000_000_000,
        prop::bool::ANY,
    );
    runner
        .run(&strategy, |(y, mo, d, h, mi, s, digits, frac, offset)| {
            let mut text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
            if digits > 0 {
                let f = format!("{frac:09}");
                text.push('.');
                text.push_str(&f[..digits]);
            }
            text.push_str(if offset { "+01:30" } else { "Z" });
            prop_assert_eq!(parse_rfc3339(&text), jiff_ms(&text), "{}", text);
            Ok(())
        })
        .expect("fast path and jiff agree");
}

#[test]
fn malformed_times_are_refused() {
    for bad in [
        "2026-02-30T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-06-12T24:00:00Z",
        "2026-06-12T10:00:00.Z",
        "2026-06-12T10:00:00.1234567890Z",
        "2026-06-12 10:00:00",
        "yesterday",
        "",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
    assert_eq!(
        parse_rfc3339("2026-06-12T10:00:00.5Z"),
        Some(1_781_258_400_500)
    );
}
