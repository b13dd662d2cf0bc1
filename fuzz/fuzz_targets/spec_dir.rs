//! Spec loading: the example event with one of its files replaced by the
//! input (the first byte picks which) loads or says why, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

const FILES: [&str; 6] = [
    "event.yaml",
    "venue.yaml",
    "sessions.yaml",
    "staff.yaml",
    "signs.yaml",
    "policies.yaml",
];

fn example() -> &'static (tempfile::TempDir, PathBuf) {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    DIR.get_or_init(|| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/rustconf-lisbon");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let event = dir.path().join("event");
        std::fs::create_dir(&event).expect("the event directory");
        for f in FILES {
            std::fs::copy(src.join(f), event.join(f)).expect("copying the example");
        }
        (dir, event)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (_, event) = example();
    let file = FILES[pick as usize % FILES.len()];
    let original = std::fs::read(event.join(file)).expect("the example file");
    std::fs::write(event.join(file), body).expect("writing the input");
    let _ = baton_spec::load(event);
    std::fs::write(event.join(file), original).expect("restoring the example file");
});
