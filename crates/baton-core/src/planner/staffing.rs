//! Who goes where: a decision's dispatch slots (a policy's, or a desk's
//! manual dispatch to a space) assigned jointly to the people free, by the
//! Hungarian assignment in `dispatch.rs`.

use super::Planner;
use super::dispatch;
use super::plan::{Plan, Request, param_int, param_str};
use crate::output::{Action, Considered};
use baton_model::{ActionKind, DecisionId, ParamValue, Resource};
use std::collections::BTreeMap;

impl Planner<'_> {
    /// A desk's manual dispatch to spaces (`space:ID`, or a bare space id):
    /// staffed by the same assignment as a policy's, so it becomes tracked
    /// tasks with named people. `None` when a target is not a space (a
    /// `staff:ID` dispatch names its person already).
    pub(crate) fn staff_manual(&self, actions: &[Action], id: DecisionId) -> Option<Plan> {
        let mut reqs = Vec::new();
        for a in actions {
            let sid = match a.resource.parsed() {
                Resource::Space(id) | Resource::Dispatch(id) => id,
                _ => return None,
            };
            let &space = self.cfg.space_idx.get(sid)?;
            reqs.push(Request {
                role: param_str(&a.params, "role").unwrap_or_else(|| "steward".into()),
                count: param_int(&a.params, "count").unwrap_or(1).clamp(0, 20) as u32,
                note: param_str(&a.params, "note").unwrap_or_default(),
                space,
                valid_until: a.valid_until,
                confirms: None,
            });
        }
        let mut plan = Plan::default();
        self.plan_dispatch(&reqs, id, i32::MAX, &mut plan);
        Some(plan)
    }

    /// Jointly assigns every dispatch slot of one decision, so one person with
    /// two roles is not sent twice.
    pub(super) fn plan_dispatch(
        &self,
        reqs: &[Request],
        id: DecisionId,
        priority: i32,
        plan: &mut Plan,
    ) {
        let cfg = &self.cfg;
        let mut slots: Vec<&Request> = Vec::new();
        for r in reqs {
            for _ in 0..r.count {
                slots.push(r);
            }
        }
        let cost: Vec<Vec<Option<i64>>> = slots
            .iter()
            .map(|r| {
                (0..cfg.spec.staff.len() as u32)
                    .map(|sf| self.staff_cost(sf, &r.role, r.space, priority, &[]))
                    .collect()
            })
            .collect();
        let picks = dispatch::assign(&cost);
        let staff = format!(
            "staff: Hungarian assignment of {} slot(s) over {} staff",
            slots.len(),
            cfg.spec.staff.len()
        );
        plan.solver = Some(match plan.solver.take() {
            Some(before) => format!("{before}; {staff}"),
            None => staff,
        });
        for (k, (r, pick)) in slots.iter().zip(&picks).enumerate() {
            let space_id = &cfg.spec.spaces[r.space as usize].id;
            let mut ranked: Vec<(i64, usize)> = cost[k]
                .iter()
                .enumerate()
                .filter_map(|(s, c)| c.map(|c| (c, s)))
                .collect();
            ranked.sort_unstable();
            for &(c, s) in ranked.iter().take(3) {
                plan.alternatives.push(Considered {
                    option: format!("{} as {} #{k} to {space_id}", cfg.spec.staff[s].id, r.role),
                    cost: c,
                    chosen: u32::from(*pick == Some(s)),
                    detail: self.staff_detail(s as u32, r.space),
                });
            }
            let Some(s) = *pick else {
                plan.notes.push(format!(
                    "{} slot {k} at {space_id} unfilled: no eligible {} is free (role, duty status, max {} task(s) each, overrides)",
                    r.role, r.role, cfg.spec.governance.max_tasks_per_staff
                ));
                continue;
            };
            let staff = &cfg.spec.staff[s];
            if let Some(pre) = self.preemptable(s as u32, priority) {
                let t = &self.st.tasks[&pre];
                plan.conflicts.push(format!(
                    "staff:{}: taken from task {pre} of {} (priority {} vs {priority})",
                    staff.id, t.policy, t.priority
                ));
            }
            let mut ps = BTreeMap::new();
            ps.insert("role".into(), ParamValue::String(r.role.clone()));
            ps.insert("note".into(), ParamValue::String(r.note.clone()));
            ps.insert("space".into(), ParamValue::String(space_id.clone()));
            if let Some(se) = &r.confirms {
                ps.insert("confirms".into(), ParamValue::String(se.clone()));
            }
            ps.insert("task".into(), ParamValue::String(format!("{id}-{k}")));
            ps.insert(
                "walk_s".into(),
                ParamValue::Int(i64::from(self.walk_from(s as u32, r.space))),
            );
            plan.push(
                ActionKind::Dispatch,
                Resource::Staff(&staff.id).into(),
                ps,
                r.valid_until,
            );
        }
    }
}
