//! Which room each session gets: the pure solve behind `move_session`.
//!
//! Sessions in a window are assigned to rooms at least total cost (expected
//! people denied a talk they meant to attend, plus a cost per move). Two
//! sessions that overlap in time may not share a room, and at most
//! `max_moves` sessions may leave their room. When every session in the
//! problem starts and ends together (an aligned slot) and the move budget
//! cannot bind, that is an assignment problem, solved exactly with the
//! Hungarian algorithm. Otherwise it is a small integer program (good_lp
//! with microlp's branch and bound): one binary per feasible (session,
//! room), one room per session, and per room at every start time at most
//! one session running. Its LP relaxation is the bound reported with the
//! gap. The program is only built up to [`MAX_MIP_VARS`] binaries: a solve
//! is bounded by size, never by a clock, so replay reproduces it; a larger
//! problem gets a local search (single moves into free rooms and swaps,
//! best gain first) with the LP relaxation as its bound up to
//! [`MAX_LP_VARS`], and says so.

use super::dispatch;
use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, variable};

/// The largest integer program built (binaries).
pub const MAX_MIP_VARS: usize = 600;
/// The largest LP relaxation solved for a bound beside the local search.
pub const MAX_LP_VARS: usize = 4_000;

/// One session to place.
#[derive(Debug, Clone)]
pub struct Item {
    pub start: i64,
    pub end: i64,
    /// Its room now, as an index into the problem's rooms.
    pub home: usize,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub items: Vec<Item>,
    pub rooms: usize,
    /// `cost[item][room]`, `None` where the item may not go.
    pub cost: Vec<Vec<Option<f64>>>,
    pub max_moves: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// A room per item.
    pub room: Vec<usize>,
    pub objective: f64,
    /// A lower bound on the optimum (the LP relaxation, or the objective
    /// itself when the method is exact).
    pub bound: f64,
    pub method: &'static str,
}

impl Placement {
    pub fn gap(&self) -> f64 {
        if self.objective <= 1e-9 {
            0.0
        } else {
            ((self.objective - self.bound) / self.objective).max(0.0)
        }
    }
}

fn overlaps(a: &Item, b: &Item) -> bool {
    a.start < b.end && b.start < a.end
}

fn objective(p: &Problem, room: &[usize]) -> f64 {
    room.iter()
        .enumerate()
        .map(|(i, &r)| p.cost[i][r].unwrap_or(f64::INFINITY))
        .sum()
}

/// Everyone stays where they are (always feasible when each home is).
fn stay(p: &Problem) -> Vec<usize> {
    p.items.iter().map(|it| it.home).collect()
}

pub fn solve(p: &Problem) -> Placement {
    if p.items.is_empty() || p.rooms == 0 {
        return Placement {
            room: Vec::new(),
            objective: 0.0,
            bound: 0.0,
            method: "none",
        };
    }
    let aligned = p
        .items
        .iter()
        .all(|it| it.start == p.items[0].start && it.end == p.items[0].end);
    if aligned && p.items.len() as u32 <= p.max_moves {
        return hungarian(p);
    }
    let vars: usize = p.cost.iter().map(|r| r.iter().flatten().count()).sum();
    if vars <= MAX_MIP_VARS
        && let Some(pl) = mip(p)
    {
        return pl;
    }
    local_search(p)
}

/// Costs in hundredths of a person, as integers for the Hungarian solver.
fn hungarian(p: &Problem) -> Placement {
    let cost: Vec<Vec<Option<i64>>> = p
        .cost
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.map(|v| (v * 100.0).round() as i64))
                .collect()
        })
        .collect();
    let picks = dispatch::assign(&cost);
    let room: Vec<usize> = picks
        .iter()
        .zip(&p.items)
        .map(|(c, it)| c.unwrap_or(it.home))
        .collect();
    let objective = objective(p, &room);
    Placement {
        room,
        objective,
        bound: objective,
        method: "hungarian (aligned slot)",
    }
}

fn mip(p: &Problem) -> Option<Placement> {
    let (relaxed, _) = build_and_solve(p, false)?;
    let (objective, room) = build_and_solve(p, true)?;
    Some(Placement {
        room,
        objective,
        bound: relaxed.min(objective),
        method: "integer program (microlp branch and bound)",
    })
}

fn build_and_solve(p: &Problem, integer: bool) -> Option<(f64, Vec<usize>)> {
    let mut vars = ProblemVariables::new();
    let mut x: Vec<Vec<Option<Variable>>> = Vec::with_capacity(p.items.len());
    let mut obj = Expression::from(0.0);
    for row in &p.cost {
        let mut xs = Vec::with_capacity(p.rooms);
        for c in row {
            xs.push(c.map(|c| {
                let v = if integer {
                    vars.add(variable().integer().min(0.0).max(1.0))
                } else {
                    vars.add(variable().min(0.0).max(1.0))
                };
                obj += c * v;
                v
            }));
        }
        x.push(xs);
    }
    let mut model = vars.minimise(obj).using(good_lp::microlp);
    for xs in &x {
        let sum: Expression = xs.iter().flatten().copied().sum();
        model = model.with(sum.eq(1.0));
    }
    // `r` indexes every session's row of variables, not one slice.
    #[allow(clippy::needless_range_loop)]
    for r in 0..p.rooms {
        for a in &p.items {
            // The sessions running when `a` starts: at most one in room r.
            let here: Vec<Variable> = p
                .items
                .iter()
                .enumerate()
                .filter(|(_, b)| b.start <= a.start && a.start < b.end)
                .filter_map(|(i, _)| x[i][r])
                .collect();
            if here.len() > 1 {
                let sum: Expression = here.into_iter().sum();
                model = model.with(sum.leq(1.0));
            }
        }
    }
    let mut moved = Expression::from(0.0);
    for (i, it) in p.items.iter().enumerate() {
        for (r, v) in x[i].iter().enumerate() {
            if r != it.home
                && let Some(v) = v
            {
                moved += *v;
            }
        }
    }
    model = model.with(moved.leq(f64::from(p.max_moves)));
    let sol = model.solve().ok()?;
    let room: Vec<usize> = x
        .iter()
        .zip(&p.items)
        .map(|(xs, it)| {
            xs.iter()
                .enumerate()
                .filter_map(|(r, v)| v.map(|v| (r, sol.value(v))))
                .fold((it.home, f64::MIN), |best, (r, val)| {
                    if val > best.1 + 1e-9 { (r, val) } else { best }
                })
                .0
        })
        .collect();
    let value = if integer {
        objective(p, &room)
    } else {
        x.iter()
            .zip(&p.cost)
            .map(|(xs, cs)| {
                xs.iter()
                    .zip(cs)
                    .filter_map(|(v, c)| Some(sol.value((*v)?) * (*c)?))
                    .sum::<f64>()
            })
            .sum()
    };
    Some((value, room))
}

/// Local search from everyone in their own room: the best single move
/// into a room free for the whole session, or the best swap of two
/// sessions' rooms, until none saves anything or the move budget is spent.
/// The bound is the LP relaxation where it is small enough to solve.
fn local_search(p: &Problem) -> Placement {
    let mut room = stay(p);
    let moved = |room: &[usize]| {
        room.iter()
            .zip(&p.items)
            .filter(|(r, it)| **r != it.home)
            .count() as u32
    };
    let free = |room: &[usize], i: usize, r: usize, skip: usize| {
        p.items
            .iter()
            .enumerate()
            .all(|(j, b)| j == i || j == skip || room[j] != r || !overlaps(&p.items[i], b))
    };
    // Each pass strictly lowers the objective; the pass count is bounded
    // too, so the search ends on any input.
    for _ in 0..(4 * p.items.len() + 4) {
        let mut best: Option<(f64, usize, usize, Option<usize>)> = None;
        let consider = |best: &mut Option<(f64, usize, usize, Option<usize>)>,
                        gain: f64,
                        c: (usize, usize, Option<usize>)| {
            if gain > 1e-9 && best.is_none_or(|b| gain > b.0) {
                *best = Some((gain, c.0, c.1, c.2));
            }
        };
        for i in 0..p.items.len() {
            let Some(now_i) = p.cost[i][room[i]] else {
                continue;
            };
            for r in 0..p.rooms {
                if r == room[i] {
                    continue;
                }
                let Some(c) = p.cost[i][r] else { continue };
                if free(&room, i, r, usize::MAX) {
                    consider(&mut best, now_i - c, (i, r, None));
                }
            }
            for j in (i + 1)..p.items.len() {
                let (ri, rj) = (room[i], room[j]);
                if ri == rj {
                    continue;
                }
                let (Some(a), Some(b), Some(now_j)) = (p.cost[i][rj], p.cost[j][ri], p.cost[j][rj])
                else {
                    continue;
                };
                let mut trial = room.clone();
                trial[i] = rj;
                trial[j] = ri;
                if free(&trial, i, rj, j) && free(&trial, j, ri, i) {
                    consider(&mut best, now_i + now_j - a - b, (i, rj, Some(j)));
                }
            }
        }
        let Some((_, i, r, swap)) = best else { break };
        let mut next = room.clone();
        if let Some(j) = swap {
            next[j] = room[i];
        }
        next[i] = r;
        if moved(&next) > p.max_moves {
            break;
        }
        room = next;
    }
    let objective = objective(p, &room);
    let vars: usize = p.cost.iter().map(|r| r.iter().flatten().count()).sum();
    let bound = if vars <= MAX_LP_VARS {
        build_and_solve(p, false).map_or(0.0, |(b, _)| b.min(objective))
    } else {
        0.0
    };
    Placement {
        room,
        objective,
        bound,
        method: "local search: moves and swaps (too large for the integer program)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(start: i64, end: i64, home: usize) -> Item {
        Item { start, end, home }
    }

    #[test]
    fn an_aligned_slot_swaps_a_big_talk_into_the_big_room() {
        // Talk 0 is in the small room and overflows; talk 1 fits anywhere.
        let p = Problem {
            items: vec![item(0, 10, 0), item(0, 10, 1)],
            rooms: 2,
            cost: vec![vec![Some(80.0), Some(5.0)], vec![Some(5.0), Some(0.0)]],
            max_moves: 4,
        };
        let s = solve(&p);
        assert_eq!(s.room, vec![1, 0]);
        assert_eq!(s.method, "hungarian (aligned slot)");
        assert!((s.objective - 10.0).abs() < 1e-9);
    }

    #[test]
    fn unaligned_sessions_never_share_a_room_at_the_same_time() {
        // Both want the big room (1); they overlap, so only one gets it.
        let p = Problem {
            items: vec![item(0, 10, 0), item(5, 15, 2)],
            rooms: 3,
            cost: vec![
                vec![Some(50.0), Some(2.0), None],
                vec![None, Some(3.0), Some(40.0)],
            ],
            max_moves: 4,
        };
        let s = solve(&p);
        assert!(s.method.starts_with("integer program"), "{}", s.method);
        assert_eq!(s.room, vec![1, 2]);
        assert!(s.bound <= s.objective + 1e-9);
        assert!(s.gap() < 0.5);
    }

    #[test]
    fn the_move_budget_binds() {
        let p = Problem {
            items: vec![item(0, 10, 0), item(0, 10, 1), item(0, 10, 2)],
            rooms: 3,
            cost: vec![
                vec![Some(10.0), Some(0.0), Some(10.0)],
                vec![Some(0.0), Some(10.0), Some(10.0)],
                vec![Some(1.0), Some(1.0), Some(1.0)],
            ],
            max_moves: 1,
        };
        let s = solve(&p);
        let moved = s
            .room
            .iter()
            .zip(&p.items)
            .filter(|(r, it)| **r != it.home)
            .count();
        assert!(moved <= 1, "{:?}", s.room);
    }
}
