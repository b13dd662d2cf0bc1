//! What an app user's bookmarks look like (`attendee.plan`), from the
//! talks they mean to attend: the twin sends them, and `baton sim
//! --bookmarks-out` writes them for tools that plan from bookmarks
//! (`baton plan rooms`). Keyed draws, so the same plan gives the same
//! bookmarks in every run.

use crate::agents::NONE;
use crate::run::practice::{
    DRAW_BOOKMARK_EXTRA, DRAW_BOOKMARK_KEEP, DRAW_BOOKMARKER, keyed_uniform,
};
use crate::twin::Twin;
use crate::world::World;

/// Attendee `a`'s bookmarks by world session index, sorted, or `None` if
/// they do not bookmark: most of the talks they mean to attend
/// (`bookmark_keep`), some with a bookmark for a talk at the same time
/// they will skip (`bookmark_extra`).
pub fn bookmarks_of(w: &World, t: &Twin, seed: u64, a: u32, plan: &[u32]) -> Option<Vec<u32>> {
    let want = (t.bookmark_share / t.app_share.max(1e-9)).min(1.0);
    if keyed_uniform(seed, a, NONE, DRAW_BOOKMARKER) >= want {
        return None;
    }
    let overlaps = |x: usize, y: usize| {
        w.sessions[x].start < w.sessions[y].end && w.sessions[y].start < w.sessions[x].end
    };
    let mut marked: Vec<u32> = Vec::new();
    for &s in plan {
        if keyed_uniform(seed, a, s, DRAW_BOOKMARK_KEEP) < t.bookmark_keep {
            marked.push(s);
        }
        if keyed_uniform(seed, a, s, DRAW_BOOKMARK_EXTRA) < t.bookmark_extra {
            let i = s as usize;
            let other = [i + 1, i.wrapping_sub(1)]
                .into_iter()
                .find(|&o| o < w.sessions.len() && overlaps(i, o));
            if let Some(o) = other {
                marked.push(o as u32);
            }
        }
    }
    marked.sort_unstable();
    marked.dedup();
    Some(marked)
}

/// Every app user's bookmarks for one seed's population, as
/// `attendee.plan` CloudEvents (JSON lines) at `time` (RFC 3339).
pub fn plan_signals(w: &World, t: &Twin, seed: u64, time: &str) -> Vec<String> {
    let people = crate::agents::population(w, t, seed);
    let mut out = Vec::new();
    for (a, ag) in people.iter().enumerate() {
        if !ag.app {
            continue;
        }
        let Some(marked) = bookmarks_of(w, t, seed, a as u32, &ag.plan) else {
            continue;
        };
        let sessions: Vec<&str> = marked
            .iter()
            .map(|&s| w.sessions[s as usize].id.as_str())
            .collect();
        out.push(
            serde_json::json!({
                "specversion": "1.0",
                "id": format!("bookmarks-a{a}"),
                "source": "app",
                "type": "attendee.plan",
                "subject": format!("a{a}"),
                "time": time,
                "data": {"sessions": sessions},
            })
            .to_string(),
        );
    }
    out
}
