//! Who goes: staff dispatch as an assignment problem, solved with the
//! Hungarian algorithm (`pathfinding::kuhn_munkres_min`) on integer costs.

use pathfinding::kuhn_munkres::kuhn_munkres_min;
use pathfinding::matrix::Matrix;

/// Added to a forbidden pair (wrong role, off duty): any real assignment is
/// cheaper, and a slot that lands on one is reported unfilled.
const FORBIDDEN: i64 = 1 << 40;

/// Assigns slots (rows) to staff (columns) at least total cost.
///
/// `cost[slot][staff]` is `None` where that person cannot take that slot.
/// Ties break towards lower staff indices: the caller's order is the spec
/// order, so the same inputs always give the same people.
pub fn assign(cost: &[Vec<Option<i64>>]) -> Vec<Option<usize>> {
    let rows = cost.len();
    let staff = cost.first().map_or(0, Vec::len);
    if rows == 0 || staff == 0 {
        return vec![None; rows];
    }
    // The algorithm needs rows <= columns: pad with "nobody" columns.
    let cols = staff.max(rows);
    let tie = cols as i64;
    let mut values = Vec::with_capacity(rows * cols);
    for row in cost {
        for c in 0..cols {
            let v = match row.get(c).copied().flatten() {
                Some(v) => v.saturating_mul(tie).saturating_add(c as i64),
                None => FORBIDDEN,
            };
            values.push(v);
        }
    }
    let Ok(m) = Matrix::from_vec(rows, cols, values) else {
        return vec![None; rows];
    };
    let (_, picks) = kuhn_munkres_min(&m);
    picks
        .into_iter()
        .enumerate()
        .map(|(r, c)| (c < staff && cost[r][c].is_some()).then_some(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_assignment_with_least_total_walking() {
        // Greedy on slot 0 would take staff 0 (cost 1) and leave slot 1 with 10.
        let cost = vec![vec![Some(1), Some(2)], vec![Some(10), Some(3)]];
        assert_eq!(assign(&cost), vec![Some(0), Some(1)]);
        let cost = vec![vec![Some(1), Some(2)], vec![Some(2), Some(30)]];
        assert_eq!(assign(&cost), vec![Some(1), Some(0)]);
    }

    #[test]
    fn leaves_slots_unfilled_when_nobody_fits() {
        let cost = vec![
            vec![Some(5), None],
            vec![None, None],
            vec![Some(1), Some(1)],
        ];
        let got = assign(&cost);
        assert_eq!(got[1], None);
        assert_eq!(got.iter().flatten().count(), 2);
    }

    #[test]
    fn equal_costs_go_to_the_first_staff_in_order() {
        let cost = vec![vec![Some(7), Some(7), Some(7)]];
        assert_eq!(assign(&cost), vec![Some(0)]);
    }
}
