//! What the server's test files share: where the example event is, whether
//! the brokers are required, and the CloudEvents they send.
#![allow(dead_code)] // each test binary uses its own part of this module

use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The bundled example event.
pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon")
}

/// `.ci/run` sets `BATON_REQUIRE_SERVICES=1`: a missing broker then fails
/// the test instead of skipping it.
pub fn require_services() -> bool {
    std::env::var("BATON_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// A CloudEvent with no `time` (the server stamps journal time).
pub fn cloudevent(id: &str, source: &str, kind: &str, subject: &str, data: Value) -> Value {
    json!({"specversion": "1.0", "id": id, "source": source, "type": kind,
           "subject": subject, "data": data})
}

/// The same event, stamped with `time` (RFC 3339).
pub fn at(mut event: Value, time: &str) -> Value {
    event["time"] = json!(time);
    event
}

/// A door counter's reading of how many people are in `space`.
pub fn occupancy(id: &str, space: &str, count: i64) -> Value {
    cloudevent(
        id,
        "counter-gw",
        "space.occupancy",
        space,
        json!({"count": count}),
    )
}

/// An incident reported over the radio in `space`.
pub fn incident(id: &str, space: &str, severity: &str, kind: &str) -> Value {
    cloudevent(
        id,
        "ops-radio",
        "incident.reported",
        space,
        json!({"severity": severity, "kind": kind}),
    )
}
