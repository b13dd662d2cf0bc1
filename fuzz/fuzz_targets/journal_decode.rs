//! The journal's decoders: an entry or a snapshot from arbitrary bytes is
//! an error, never a panic or an unbounded allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = postcard::from_bytes::<baton_model::Stamped>(data);
    let _ = postcard::from_bytes::<baton_core::Snapshot>(data);
});
