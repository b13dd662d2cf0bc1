//! Binary-mode CloudEvents (`ce-*` headers and a body): never a panic.
#![no_main]
use baton_model::Signal;
use baton_model::signal::BinaryAttrs;
use libfuzzer_sys::fuzz_target;

#[derive(arbitrary::Arbitrary, Debug)]
struct Input {
    specversion: Option<String>,
    id: Option<String>,
    source: Option<String>,
    kind: Option<String>,
    subject: Option<String>,
    time: Option<String>,
    body: String,
}

fuzz_target!(|i: Input| {
    let attrs = BinaryAttrs {
        specversion: i.specversion.as_deref(),
        id: i.id.as_deref(),
        source: i.source.as_deref(),
        kind: i.kind.as_deref(),
        subject: i.subject.as_deref(),
        time: i.time.as_deref(),
    };
    let _ = Signal::parse_binary(&attrs, &i.body);
});
