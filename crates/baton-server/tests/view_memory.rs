//! The read model's byte caps count what it holds: measured by counting the
//! heap this test binary holds (its own allocator, one test, so nothing else
//! allocates while it runs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_core::Output;
use baton_server::view::View;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[test]
fn the_bytes_counted_against_the_caps_are_the_bytes_held() {
    let mut v = View::default();
    let before = LIVE.load(Ordering::Relaxed);
    for seq in 1..=5_000u64 {
        let out = [Output::Task {
            task: format!("t{seq}"),
            staff: Some("ana".into()),
            state: baton_core::output::TaskEvent::Assigned,
            at: seq as i64,
            space: "hall-a".into(),
            reason: "crowded".into(),
        }];
        v.absorb(seq, seq as i64, &out);
    }
    let held = LIVE.load(Ordering::Relaxed) - before;
    let (decisions, audit, recent) = v.bytes();
    let counted = (decisions + audit + recent) as isize;
    assert_eq!((v.audit.len(), v.recent.len()), (5_000, 5_000));
    // Counted may be more than held (a text shared by the audit and the
    // stream counts in both), but not much less: a cap of 64 MiB must
    // not hold hundreds.
    assert!(
        held <= counted * 5 / 4,
        "held {held} bytes, counted {counted}"
    );
}
