//! Structured-mode CloudEvents: parsing never panics, and a signal that
//! parses comes back the same from its own CloudEvent form.
#![no_main]
use baton_model::Signal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = Signal::parse_json(text) {
        let again = Signal::parse_json(&s.to_cloudevent().to_string());
        assert_eq!(again.as_ref(), Ok(&s), "round trip of {text:?}");
    }
});
