//! The `oracle` baseline: a room plan for the day made with perfect
//! foresight of each talk's true demand (the twin's hidden truth, which no
//! policy may read), under the constraints any Baton policy would keep:
//! protected sessions stay where they are, a room holds one session at a
//! time, only the rooms the day's programme already uses are used, and a
//! room shut at the start of the day is not planned into.
//!
//! Demand is the number of attendees whose plan holds the talk. The plan
//! starts from the published one (feasible by construction) and improves it
//! by local search, most wanted sessions first: move a session that leaves
//! people out into a free room that fits more of them (the tightest such),
//! else swap it with a session in a larger room when the two together leave
//! fewer out. The objective is the people left out, `Σ max(0, demand −
//! seats)`; a session that fits is never moved. Local search is a heuristic,
//! not a proven optimum: the oracle is the best *room plan* this search
//! finds with perfect foresight, a reference rather than a strict bound
//! (docs/SIMULATION.md says so beside its figures).

use crate::agents::Agent;
use crate::twin::Twin;
use crate::world::World;

/// The oracle's plan for one seed: a room per session, and how many moved.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomPlan {
    /// Space index per session (world order).
    pub rooms: Vec<u16>,
    pub moved: u32,
}

/// How many attendees mean to attend each session.
pub fn demand(world: &World, agents: &[Agent]) -> Vec<u32> {
    let mut d = vec![0u32; world.sessions.len()];
    for a in agents {
        for &s in &a.plan {
            if let Some(x) = d.get_mut(s as usize) {
                *x += 1;
            }
        }
    }
    d
}

/// Plans rooms for the day from `demand` (one entry per session).
pub fn plan_rooms(world: &World, twin: &Twin, demand: &[u32]) -> RoomPlan {
    let published: Vec<u16> = world.sessions.iter().map(|s| s.space).collect();
    let n = world.spaces.len();
    let mut usable = vec![false; n];
    for s in &world.sessions {
        usable[s.space as usize] = true;
    }
    for &c in &twin.closed_at_start {
        if let Some(u) = usable.get_mut(c as usize) {
            *u = false;
        }
    }
    let rooms: Vec<u16> = (0..n as u16).filter(|&r| usable[r as usize]).collect();
    let fixed: Vec<bool> = (0..world.sessions.len())
        .map(|s| {
            let protected = world
                .spec
                .sessions
                .get(world.sessions[s].spec_index)
                .is_some_and(|x| x.protected);
            protected || !usable[published[s] as usize]
        })
        .collect();
    let want = |s: usize| demand.get(s).copied().unwrap_or(0);
    let left_out = |s: usize, r: u16| want(s).saturating_sub(world.spaces[r as usize].capacity);
    let mut plan = published.clone();
    // Sessions per room, kept in step with `plan`.
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (s, &r) in plan.iter().enumerate() {
        held[r as usize].push(s);
    }
    // `r` is free for session `s` over its whole time, leaving aside `but`.
    let free = |held: &[Vec<usize>], r: u16, s: usize, but: usize| {
        let (a, b) = (world.sessions[s].start, world.sessions[s].end);
        held[r as usize].iter().all(|&o| {
            o == but || o == s || b <= world.sessions[o].start || a >= world.sessions[o].end
        })
    };
    let mut order: Vec<usize> = (0..world.sessions.len()).filter(|&s| !fixed[s]).collect();
    order.sort_by_key(|&s| (std::cmp::Reverse(want(s)), s));
    // Local search from the published plan, which is feasible, so every
    // step keeps a feasible plan: move a session into a free room, or swap
    // two sessions' rooms, whenever that leaves fewer people out.
    for _pass in 0..MAX_PASSES {
        let mut improved = false;
        for &s in &order {
            let here = plan[s];
            let now = left_out(s, here);
            if now == 0 {
                continue;
            }
            // A free room that fits more of the crowd: the tightest such.
            let target = rooms
                .iter()
                .copied()
                .filter(|&r| r != here && left_out(s, r) < now && free(&held, r, s, usize::MAX))
                .min_by_key(|&r| (left_out(s, r), world.spaces[r as usize].capacity, r));
            if let Some(r) = target {
                held[here as usize].retain(|&o| o != s);
                held[r as usize].push(s);
                plan[s] = r;
                improved = true;
                continue;
            }
            // Else a swap with a session in a larger room that gains overall.
            let mut best: Option<(u32, usize)> = None;
            for &r in &rooms {
                if world.spaces[r as usize].capacity <= world.spaces[here as usize].capacity {
                    continue;
                }
                for &t in &held[r as usize] {
                    if fixed[t] {
                        continue;
                    }
                    let before = now + left_out(t, r);
                    let after = left_out(s, r) + left_out(t, here);
                    if after < before
                        && free(&held, r, s, t)
                        && free(&held, here, t, s)
                        && best.is_none_or(|(g, _)| before - after > g)
                    {
                        best = Some((before - after, t));
                    }
                }
            }
            if let Some((_, t)) = best {
                let r = plan[t];
                held[here as usize].retain(|&o| o != s);
                held[r as usize].retain(|&o| o != t);
                held[r as usize].push(s);
                held[here as usize].push(t);
                plan[s] = r;
                plan[t] = here;
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    let moved = plan.iter().zip(&published).filter(|(a, b)| a != b).count() as u32;
    RoomPlan { rooms: plan, moved }
}

/// Passes of the local search; each pass tries every session once. The
/// search stops earlier when a pass changes nothing.
const MAX_PASSES: usize = 8;

impl World {
    /// The same venue and programme with sessions in other rooms
    /// (`rooms[s]` for session `s`), in the twin's world and in the spec the
    /// engine is given, so the plan is published before the doors open.
    pub fn with_rooms(&self, rooms: &[u16]) -> World {
        let mut w = self.clone();
        for (s, &r) in rooms.iter().enumerate() {
            let Some(info) = w.sessions.get_mut(s) else {
                break;
            };
            let Some(space) = self.spaces.get(r as usize) else {
                continue;
            };
            info.space = r;
            if let Some(spec) = w.spec.sessions.get_mut(info.spec_index) {
                spec.space = space.id.clone();
            }
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_model::{EventInfo, Governance, Session, Space, SpaceKind, Spec};

    fn room(id: &str, cap: u32) -> Space {
        Space {
            id: id.into(),
            name: id.into(),
            kind: SpaceKind::Room,
            capacity: cap,
            area_m2: f64::from(cap),
            zone: "z".into(),
            seated: true,
            position: None,
            standing_limit: 0,
            features: Vec::new(),
            outline: Vec::new(),
        }
    }

    fn talk(id: &str, space: &str, start_min: i64, protected: bool) -> Session {
        Session {
            id: id.into(),
            title: id.into(),
            track: "t".into(),
            tags: Vec::new(),
            space: space.into(),
            start: start_min * 60_000,
            end: (start_min + 30) * 60_000,
            protected,
            needs: Vec::new(),
        }
    }

    fn spec(sessions: Vec<Session>) -> Spec {
        Spec {
            event: EventInfo {
                id: "e".into(),
                name: "e".into(),
                timezone: "UTC".into(),
                utc_offset_s: 0,
                stale_after: 60_000,
                confidence_half_life: 60_000,
                dedup_window: 60_000,
                dedup_max_keys: 1_000,
                skew_bound: 60_000,
                tick: 60_000,
            },
            spaces: vec![room("small", 50), room("big", 500)],
            links: Vec::new(),
            sessions,
            staff: Vec::new(),
            signs: Vec::new(),
            governance: Governance::default(),
        }
    }

    #[test]
    fn the_big_crowd_gets_the_big_room() {
        let w = World::new(
            &spec(vec![
                talk("a", "small", 600, false),
                talk("b", "big", 600, false),
            ]),
            1,
        )
        .unwrap();
        let twin = Twin::plain(&w);
        let a = w.session_index["a"] as usize;
        let b = w.session_index["b"] as usize;
        let mut demand = vec![0; 2];
        demand[a] = 400;
        demand[b] = 30;
        let plan = plan_rooms(&w, &twin, &demand);
        assert_eq!(plan.moved, 2);
        assert_eq!(plan.rooms[a], w.space_index["big"]);
        assert_eq!(plan.rooms[b], w.space_index["small"]);
        let moved = w.with_rooms(&plan.rooms);
        assert_eq!(moved.sessions[a].space, w.space_index["big"]);
        let spec_a = moved.sessions[a].spec_index;
        assert_eq!(moved.spec.sessions[spec_a].space, "big");
    }

    #[test]
    fn a_protected_session_stays_and_ties_keep_the_published_room() {
        let w = World::new(
            &spec(vec![
                talk("a", "small", 600, true),
                talk("b", "big", 600, false),
                talk("c", "small", 700, false),
            ]),
            1,
        )
        .unwrap();
        let twin = Twin::plain(&w);
        let mut demand = vec![0; 3];
        demand[w.session_index["a"] as usize] = 400;
        demand[w.session_index["b"] as usize] = 30;
        demand[w.session_index["c"] as usize] = 40;
        let plan = plan_rooms(&w, &twin, &demand);
        assert_eq!(
            plan.rooms[w.session_index["a"] as usize],
            w.space_index["small"]
        );
        assert_eq!(
            plan.rooms[w.session_index["b"] as usize],
            w.space_index["big"]
        );
        // c fits its own (tighter) room: it stays.
        assert_eq!(
            plan.rooms[w.session_index["c"] as usize],
            w.space_index["small"]
        );
        assert_eq!(plan.moved, 0);
    }
}
