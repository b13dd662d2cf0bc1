//! Every CloudEvents attribute and `data` are bounded; binary mode and
//! `data_base64` parse to the same signal as structured mode.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_model::signal::{BinaryAttrs, limits};
use baton_model::{Signal, SignalData};

fn ev(id: &str, source: &str, subject: &str, data: &str) -> String {
    serde_json::json!({
        "specversion": "1.0", "id": id, "source": source,
        "type": "space.closed", "subject": subject,
        "data": serde_json::from_str::<serde_json::Value>(data).unwrap(),
    })
    .to_string()
}

fn ev_raw(data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"1","source":"s","type":"space.closed","subject":"hall-a","data":{data}}}"#
    )
}

#[test]
fn long_attributes_are_refused_naming_the_field() {
    let long = "x".repeat(limits::SOURCE_BYTES + 1);
    let id = "i".repeat(limits::ID_BYTES + 1);
    for (text, field) in [
        (ev(&id, "s", "hall-a", "{}"), "id"),
        (ev("1", &long, "hall-a", "{}"), "source"),
        (ev("1", "s", &id, "{}"), "subject"),
        (
            ev(
                "1",
                "s",
                "hall-a",
                &format!(r#"{{"reason":"{}"}}"#, "r".repeat(limits::TEXT_BYTES + 1)),
            ),
            "data.reason",
        ),
    ] {
        let e = Signal::parse_json(&text).expect_err("over the limit");
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains("at most"), "{e}");
    }
    // At the limit is fine.
    let ok = ev(&"i".repeat(limits::ID_BYTES), "s", "hall-a", "{}");
    assert!(Signal::parse_json(&ok).is_ok());
}

#[test]
fn a_3_mb_id_is_refused() {
    let text = ev(&"a".repeat(3 << 20), "s", "hall-a", "{}");
    assert_eq!(Signal::parse_json(&text).unwrap_err().field, "id");
}

#[test]
fn deep_data_is_refused_without_recursion() {
    let depth = 1_000;
    let data = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let text = format!(
        r#"{{"specversion":"1.0","id":"1","source":"s","type":"space.closed","subject":"hall-a","data":{{"reason":"x","extra":{data}}}}}"#
    );
    let e = Signal::parse_json(&text).expect_err("too deep");
    assert_eq!(e.field, "data");
    assert!(e.message.contains("nested"), "{e}");
    // The 100,000-deep body of the review is refused too (by its size first).
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let text = ev_raw(&format!(r#"{{"reason":"x","extra":{deep}}}"#));
    assert_eq!(Signal::parse_json(&text).unwrap_err().field, "data");
    // Brackets inside strings do not count.
    let text = ev(
        "1",
        "s",
        "hall-a",
        &format!(r#"{{"reason":"{}"}}"#, "[".repeat(100)),
    );
    assert!(Signal::parse_json(&text).is_ok());
    // Large data is refused by size.
    let big = format!(
        r#"{{"reason":"x","pad":"{}"}}"#,
        "p".repeat(limits::DATA_BYTES)
    );
    assert_eq!(
        Signal::parse_json(&ev("1", "s", "hall-a", &big))
            .unwrap_err()
            .field,
        "data"
    );
}

#[test]
fn binary_mode_gives_the_structured_signal() {
    let structured = Signal::parse_json(
        r#"{"specversion":"1.0","id":"7","source":"cam","type":"space.occupancy","subject":"hall-a","time":"2026-06-12T10:00:00Z","data":{"count":12}}"#,
    )
    .unwrap();
    let attrs = BinaryAttrs {
        specversion: Some("1.0"),
        id: Some("7"),
        source: Some("cam"),
        kind: Some("space.occupancy"),
        subject: Some("hall-a"),
        time: Some("2026-06-12T10:00:00Z"),
    };
    assert_eq!(
        Signal::parse_binary(&attrs, r#"{"count":12}"#).unwrap(),
        structured
    );
    let e = Signal::parse_binary(&attrs, "not json").unwrap_err();
    assert_eq!(e.field, "data");
    let missing = BinaryAttrs {
        id: None,
        ..attrs.clone()
    };
    assert_eq!(
        Signal::parse_binary(&missing, r#"{"count":1}"#)
            .unwrap_err()
            .field,
        "id"
    );
    // An empty body is no data: fine for a type without required data.
    let started = BinaryAttrs {
        kind: Some("session.started"),
        subject: Some("talk-1"),
        ..attrs
    };
    assert_eq!(
        Signal::parse_binary(&started, "").unwrap().data,
        SignalData::SessionStarted
    );
}

#[test]
fn data_base64_decodes_to_json_data() {
    // {"count":12}
    let text = r#"{"specversion":"1.0","id":"7","source":"cam","type":"space.occupancy","subject":"hall-a","data_base64":"eyJjb3VudCI6MTJ9"}"#;
    let s = Signal::parse_json(text).unwrap();
    assert_eq!(
        s.data,
        SignalData::Occupancy {
            count: 12,
            confidence: None
        }
    );
    let bad = text.replace("eyJjb3VudCI6MTJ9", "%%%");
    assert_eq!(Signal::parse_json(&bad).unwrap_err().field, "data_base64");
    let both = text.replace(r#""data_base64""#, r#""data":{"count":1},"data_base64""#);
    assert_eq!(Signal::parse_json(&both).unwrap_err().field, "data_base64");
}
