//! Where a crowd goes: a transportation problem over attendee groups.
//!
//! Groups (people with the same interest, last seen in the same zone) are the
//! sources, alternatives with remaining capacity are the sinks, and a dummy
//! "no seat" sink takes whoever cannot be placed. The solve is a linear
//! program (good_lp with the pure-Rust microlp simplex): the constraint
//! matrix of a transportation problem is totally unimodular, so the optimal
//! vertex is integral and rounding only removes floating-point noise.
//!
//! Above [`MAX_CELLS`] group × alternative pairs the LP is skipped for a
//! greedy approximation (largest group first, cheapest open alternative), and
//! the plan says so. Bounding the size bounds the time without reading a
//! clock, so the core stays deterministic.

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, variable};

/// The largest problem solved exactly: 64 groups × 16 alternatives solves
/// in a few milliseconds here; the benchmark keeps that honest.
pub const MAX_CELLS: usize = 1_024;

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// People per group.
    pub sizes: Vec<u32>,
    /// Seats per alternative.
    pub capacities: Vec<u32>,
    /// Cost per person, `cost[group][alternative]`; `None` forbids the pair.
    pub cost: Vec<Vec<Option<i64>>>,
    /// Cost per person left without a seat; above every allowed cost.
    pub unplaced_cost: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Optimal min-cost transportation by linear programming.
    Optimal,
    /// Larger than [`MAX_CELLS`]: greedy, documented as an approximation.
    Greedy,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// People sent, `flow[group][alternative]`.
    pub flow: Vec<Vec<u32>>,
    /// People per group with no alternative.
    pub unplaced: Vec<u32>,
    pub cost: i64,
    pub method: Method,
}

pub fn solve(p: &Problem) -> Plan {
    let cells = p.sizes.len() * p.capacities.len();
    if cells == 0 {
        return finish(
            p,
            vec![vec![0; p.capacities.len()]; p.sizes.len()],
            Method::Optimal,
        );
    }
    if cells <= MAX_CELLS
        && let Some(flow) = solve_lp(p)
    {
        return finish(p, flow, Method::Optimal);
    }
    finish(p, greedy(p), Method::Greedy)
}

fn finish(p: &Problem, flow: Vec<Vec<u32>>, method: Method) -> Plan {
    let mut cost = 0i64;
    let mut unplaced = Vec::with_capacity(p.sizes.len());
    for (g, row) in flow.iter().enumerate() {
        let sent: u32 = row.iter().sum();
        let left = p.sizes[g].saturating_sub(sent);
        unplaced.push(left);
        cost += i64::from(left) * p.unplaced_cost;
        for (a, &f) in row.iter().enumerate() {
            cost += i64::from(f) * p.cost[g][a].unwrap_or(0);
        }
    }
    Plan {
        flow,
        unplaced,
        cost,
        method,
    }
}

fn solve_lp(p: &Problem) -> Option<Vec<Vec<u32>>> {
    let mut vars = ProblemVariables::new();
    let mut x: Vec<Vec<Option<Variable>>> = Vec::with_capacity(p.sizes.len());
    let mut objective = Expression::from(0.0);
    for (g, row) in p.cost.iter().enumerate() {
        let mut xs = Vec::with_capacity(row.len());
        for (a, c) in row.iter().enumerate() {
            let upper = p.sizes[g].min(p.capacities[a]);
            match c {
                Some(c) if upper > 0 => {
                    let v = vars.add(variable().min(0.0).max(f64::from(upper)));
                    objective += *c as f64 * v;
                    xs.push(Some(v));
                }
                _ => xs.push(None),
            }
        }
        x.push(xs);
    }
    let unplaced: Vec<Variable> = p
        .sizes
        .iter()
        .map(|&s| vars.add(variable().min(0.0).max(f64::from(s))))
        .collect();
    for &u in &unplaced {
        objective += p.unplaced_cost as f64 * u;
    }
    let mut model = vars.minimise(objective).using(good_lp::microlp);
    for (g, xs) in x.iter().enumerate() {
        let mut row = Expression::from(unplaced[g]);
        for v in xs.iter().flatten() {
            row += *v;
        }
        model = model.with(row.eq(f64::from(p.sizes[g])));
    }
    for (a, &cap) in p.capacities.iter().enumerate() {
        let mut col = Expression::from(0.0);
        let mut any = false;
        for xs in &x {
            if let Some(v) = xs[a] {
                col += v;
                any = true;
            }
        }
        if any {
            model = model.with(col.leq(f64::from(cap)));
        }
    }
    let sol = model.solve().ok()?;
    let mut flow: Vec<Vec<u32>> = x
        .iter()
        .map(|xs| {
            xs.iter()
                .map(|v| v.map(|v| sol.value(v).round().max(0.0) as u32).unwrap_or(0))
                .collect()
        })
        .collect();
    repair(p, &mut flow);
    Some(flow)
}

/// Rounding can only be off by floating-point noise on an integral vertex,
/// but the plan must never exceed a group or a room: trim deterministically.
fn repair(p: &Problem, flow: &mut [Vec<u32>]) {
    for (g, row) in flow.iter_mut().enumerate() {
        let mut over = row.iter().sum::<u32>().saturating_sub(p.sizes[g]);
        for f in row.iter_mut().rev() {
            let cut = over.min(*f);
            *f -= cut;
            over -= cut;
        }
    }
    for (a, &cap) in p.capacities.iter().enumerate() {
        let mut over = flow.iter().map(|r| r[a]).sum::<u32>().saturating_sub(cap);
        for row in flow.iter_mut().rev() {
            let cut = over.min(row[a]);
            row[a] -= cut;
            over -= cut;
        }
    }
}

/// Largest group first (ties by index), each person to the cheapest
/// alternative that still has seats.
fn greedy(p: &Problem) -> Vec<Vec<u32>> {
    let mut left = p.capacities.clone();
    let mut flow = vec![vec![0u32; p.capacities.len()]; p.sizes.len()];
    let mut order: Vec<usize> = (0..p.sizes.len()).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(p.sizes[g]), g));
    for g in order {
        let mut need = p.sizes[g];
        let mut alts: Vec<(i64, usize)> = p.cost[g]
            .iter()
            .enumerate()
            .filter_map(|(a, c)| c.map(|c| (c, a)))
            .filter(|&(c, _)| c < p.unplaced_cost)
            .collect();
        alts.sort_unstable();
        for (_, a) in alts {
            if need == 0 {
                break;
            }
            let n = need.min(left[a]);
            flow[g][a] += n;
            left[a] -= n;
            need -= n;
        }
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_each_group_to_its_cheapest_seats_within_capacity() {
        let p = Problem {
            sizes: vec![30, 20],
            capacities: vec![25, 40],
            cost: vec![vec![Some(1), Some(5)], vec![Some(2), Some(3)]],
            unplaced_cost: 1_000,
        };
        let plan = solve(&p);
        assert_eq!(plan.method, Method::Optimal);
        // Group 0 prefers alt 0 by 4, group 1 by 1: group 0 takes all 25 seats.
        assert_eq!(plan.flow, vec![vec![25, 5], vec![0, 20]]);
        assert_eq!(plan.unplaced, vec![0, 0]);
        assert_eq!(plan.cost, 25 + 25 + 60);
    }

    #[test]
    fn leaves_people_unplaced_when_seats_run_out_and_respects_forbidden_pairs() {
        let p = Problem {
            sizes: vec![50, 10],
            capacities: vec![20],
            cost: vec![vec![Some(1)], vec![None]],
            unplaced_cost: 1_000,
        };
        let plan = solve(&p);
        assert_eq!(plan.flow, vec![vec![20], vec![0]]);
        assert_eq!(plan.unplaced, vec![30, 10]);
    }

    #[test]
    fn greedy_agrees_with_the_lp_where_the_greedy_choice_is_optimal() {
        let p = Problem {
            sizes: vec![10, 10],
            capacities: vec![10, 10],
            cost: vec![vec![Some(1), Some(9)], vec![Some(9), Some(1)]],
            unplaced_cost: 100,
        };
        assert_eq!(solve(&p).flow, greedy(&p));
    }
}
