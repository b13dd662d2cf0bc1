//! CEL conditions and parameters: compiling arbitrary text never panics and
//! never overflows the stack (the byte-scan limits come first).
#![no_main]
use baton_policy::Expr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(e) = Expr::condition(text) {
        let _ = e.constant_failure();
    }
    let _ = Expr::any(text);
});
