//! Redirect planning: who is heading to a full session (grouped by where
//! they were last seen and what else they plan to see), where they could
//! go instead (sessions on now or soon elsewhere, and the overflow room,
//! never above the governance fill limit), the transportation solve that
//! sends each group, and the notifications and signs that say so.

use super::Planner;
use super::plan::{Member, Plan, param_str, strings};
use super::redirect;
use crate::context::{session_space, session_status};
use crate::output::Considered;
use baton_model::{ActionKind, Millis, ParamValue, Resource, ResourceBuf};
use std::collections::{BTreeMap, BTreeSet};

/// A place to send people instead.
struct Alt {
    label: String,
    /// Short enough for a sign.
    short: String,
    session: Option<u32>,
    space: u32,
    seats: u32,
    occupancy: u32,
    capacity: u32,
}

impl Planner<'_> {
    /// Groups the people heading for a full session and sends each group to
    /// the alternatives by min-cost transportation.
    pub(super) fn plan_redirect(
        &self,
        ps: &BTreeMap<String, ParamValue>,
        session: Option<u32>,
        valid_until: Millis,
        plan: &mut Plan,
    ) {
        let cfg = &self.cfg;
        let g = &cfg.spec.governance;
        let Some(full) = session else {
            plan.notes
                .push("redirect: no session in scope to redirect from".into());
            return;
        };
        let fs = &cfg.spec.sessions[full as usize];
        let Some(full_space) = session_space(cfg, self.st, full) else {
            return;
        };
        let groups = self.redirect_groups(full, full_space);
        let alts = self.redirect_alternatives(ps, full, full_space, plan);
        let keys: Vec<&(String, String)> = groups.keys().collect();
        let members: Vec<&Vec<Member>> = groups.values().collect();
        let entrance = cfg
            .spec
            .spaces
            .iter()
            .position(|s| s.kind == baton_model::SpaceKind::Entrance)
            .map(|i| i as u32);
        let cost: Vec<Vec<Option<i64>>> = keys
            .iter()
            .zip(&members)
            .map(|((_, track), ms)| {
                // The group's usual place: its most common last-seen space.
                let mut at: BTreeMap<u32, u32> = BTreeMap::new();
                for (_, s) in ms.iter() {
                    if let Some(s) = s {
                        *at.entry(*s).or_default() += 1;
                    }
                }
                let from = at
                    .iter()
                    .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
                    .map(|(s, _)| *s)
                    .or(entrance);
                alts.iter()
                    .map(|a| {
                        let interest = match a.session {
                            None => 0,
                            Some(s) => {
                                let alt = &cfg.spec.sessions[s as usize];
                                let tags: BTreeSet<&String> = fs.tags.iter().collect();
                                let other: BTreeSet<&String> = alt.tags.iter().collect();
                                let union = tags.union(&other).count().max(1);
                                let jac = tags.intersection(&other).count() * 50 / union;
                                100 - if &alt.track == track { 50 } else { 0 } - jac as i64
                            }
                        };
                        let walk = from.map_or(300, |f| cfg.walk.secs(f, a.space)) as i64 / 6;
                        let fill = i64::from(a.occupancy) * 40 / i64::from(a.capacity.max(1));
                        Some(interest + walk + fill)
                    })
                    .collect()
            })
            .collect();
        let problem = redirect::Problem {
            sizes: members.iter().map(|m| m.len() as u32).collect(),
            capacities: alts.iter().map(|a| a.seats).collect(),
            cost,
            unplaced_cost: 10_000,
        };
        let sol = redirect::solve(&problem);
        let people: u32 = problem.sizes.iter().sum();
        plan.solver = Some(match sol.method {
            redirect::Method::Optimal => format!(
                "redirect: min-cost transportation (LP, microlp) of {people} people in {} groups over {} alternatives, total cost {}",
                problem.sizes.len(),
                alts.len(),
                sol.cost
            ),
            redirect::Method::Greedy => format!(
                "redirect: {} groups x {} alternatives is above the exact bound of {} pairs; greedy approximation (largest group first, cheapest seats), total cost {}",
                problem.sizes.len(),
                alts.len(),
                redirect::MAX_CELLS,
                sol.cost
            ),
        });
        let mut sent_to = vec![0u32; alts.len()];
        for row in &sol.flow {
            for (a, f) in row.iter().enumerate() {
                sent_to[a] += f;
            }
        }
        for (a, alt) in alts.iter().enumerate() {
            let mean = if problem.sizes.is_empty() {
                0
            } else {
                problem.cost.iter().filter_map(|r| r[a]).sum::<i64>() / problem.sizes.len() as i64
            };
            plan.alternatives.push(Considered {
                option: alt.label.clone(),
                cost: mean,
                chosen: sent_to[a],
                detail: format!(
                    "{} seats free under the {:.0}% limit; {} then {} of {}",
                    alt.seats,
                    g.max_redirect_fill * 100.0,
                    cfg.spec.spaces[alt.space as usize].name,
                    alt.occupancy + sent_to[a],
                    alt.capacity
                ),
            });
        }
        let title = param_str(ps, "title").unwrap_or_else(|| format!("{} is full", fs.title));
        let resource = ResourceBuf::from(Resource::SessionAttendees(&fs.id));
        let mut unplaced = Vec::new();
        for (gi, ms) in members.iter().enumerate() {
            let mut next = 0usize;
            let (zone, track) = keys[gi];
            for (a, alt) in alts.iter().enumerate() {
                let n = sol.flow[gi][a] as usize;
                if n == 0 {
                    continue;
                }
                let who: Vec<String> = ms[next..next + n].iter().map(|m| m.0.to_string()).collect();
                next += n;
                let mut p = BTreeMap::new();
                p.insert("title".into(), ParamValue::String(title.clone()));
                p.insert(
                    "message".into(),
                    ParamValue::String(match alt.session {
                        None => format!(
                            "{} has no seats left. It is streamed live in {}.",
                            fs.title, cfg.spec.spaces[alt.space as usize].name
                        ),
                        Some(s) => format!(
                            "{} has no seats left. There are seats at {} in {}.",
                            fs.title,
                            cfg.spec.sessions[s as usize].title,
                            cfg.spec.spaces[alt.space as usize].name
                        ),
                    }),
                );
                p.insert(
                    "to_session".into(),
                    alt.session.map_or(ParamValue::Null, |s| {
                        ParamValue::String(cfg.spec.sessions[s as usize].id.clone())
                    }),
                );
                p.insert(
                    "to_space".into(),
                    ParamValue::String(cfg.spec.spaces[alt.space as usize].id.clone()),
                );
                p.insert(
                    "group".into(),
                    ParamValue::String(format!("{zone}/{track}")),
                );
                p.insert("count".into(), ParamValue::Int(n as i64));
                p.insert("recipients".into(), strings(&who));
                plan.push(ActionKind::Notify, resource.clone(), p, valid_until);
            }
            unplaced.extend(ms[next..].iter().map(|m| m.0.to_string()));
        }
        if !unplaced.is_empty() {
            unplaced.sort();
            let mut p = BTreeMap::new();
            p.insert("title".into(), ParamValue::String(title.clone()));
            p.insert(
                "message".into(),
                ParamValue::String(format!(
                    "{} has no seats left, and no session nearby has room either.",
                    fs.title
                )),
            );
            p.insert("to_session".into(), ParamValue::Null);
            p.insert("count".into(), ParamValue::Int(unplaced.len() as i64));
            p.insert("recipients".into(), strings(&unplaced));
            plan.push(ActionKind::Notify, resource.clone(), p, valid_until);
        }
        // Signs in the full room's zone name the best-used alternatives.
        // With nobody's plan known, people still arrive: point them at the overflow.
        if people == 0
            && let Some(a) = alts.iter().position(|a| a.session.is_none() && a.seats > 0)
        {
            sent_to[a] = sent_to[a].max(1);
        }
        let mut best: Vec<usize> = (0..alts.len()).filter(|&a| sent_to[a] > 0).collect();
        best.sort_by_key(|&a| (std::cmp::Reverse(sent_to[a]), a));
        let content = param_str(ps, "content").unwrap_or_else(|| {
            let picks: Vec<&str> = best
                .iter()
                .take(2)
                .map(|&a| alts[a].short.as_str())
                .collect();
            let room = &cfg.spec.spaces[full_space as usize].name;
            if picks.is_empty() {
                format!("{room} FULL")
            } else {
                format!("{room} FULL - seats in {}", picks.join(" / "))
            }
        });
        let zone = &cfg.spec.spaces[full_space as usize].zone;
        for &sg in cfg.signs_by_zone.get(zone).into_iter().flatten() {
            let mut p = BTreeMap::new();
            p.insert("content".into(), ParamValue::String(content.clone()));
            plan.push(
                ActionKind::Sign,
                Resource::Sign(&cfg.spec.signs[sg as usize].id).into(),
                p,
                valid_until,
            );
        }
        for (a, alt) in alts.iter().enumerate() {
            if alt.session.is_none() && sent_to[a] > 0 {
                let mut p = BTreeMap::new();
                p.insert(
                    "reason".into(),
                    ParamValue::String(format!("overflow for {}", fs.title)),
                );
                plan.push(
                    ActionKind::OpenSpace,
                    Resource::Space(&cfg.spec.spaces[alt.space as usize].id).into(),
                    p,
                    valid_until,
                );
            }
        }
        if people == 0 {
            plan.notes.push(format!(
                "redirect: nobody with {} in their plan is on the way",
                fs.id
            ));
        }
    }

    /// Who is heading to session `full` and not yet in its room, grouped
    /// by (zone last seen, main track of the rest of their plan).
    fn redirect_groups(
        &self,
        full: u32,
        full_space: u32,
    ) -> BTreeMap<(String, String), Vec<Member<'_>>> {
        let cfg = &self.cfg;
        let fs = &cfg.spec.sessions[full as usize];
        // Groups: (zone last seen, main track of the rest of their plan).
        let mut groups: BTreeMap<(String, String), Vec<Member<'_>>> = BTreeMap::new();
        for (id, a) in &self.st.attendees {
            if a.plan.binary_search(&full).is_err() || a.last_space == Some(full_space) {
                continue;
            }
            let zone = a
                .last_space
                .map(|s| cfg.spec.spaces[s as usize].zone.clone())
                .unwrap_or_else(|| "not yet seen".into());
            let mut tracks: BTreeMap<&str, u32> = BTreeMap::new();
            for &s in a.plan.iter().filter(|&&s| s != full) {
                *tracks
                    .entry(cfg.spec.sessions[s as usize].track.as_str())
                    .or_default() += 1;
            }
            let track = tracks
                .iter()
                .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
                .map(|(t, _)| t.to_string())
                .unwrap_or_else(|| fs.track.clone());
            groups
                .entry((zone, track))
                .or_default()
                .push((id.as_str(), a.last_space));
        }
        groups
    }

    /// Where people could go instead, with the seats each has under the
    /// fill limit; places already at the limit are noted as excluded.
    fn redirect_alternatives(
        &self,
        ps: &BTreeMap<String, ParamValue>,
        full: u32,
        full_space: u32,
        plan: &mut Plan,
    ) -> Vec<Alt> {
        let cfg = &self.cfg;
        let now = self.st.now;
        let g = &cfg.spec.governance;
        let fs = &cfg.spec.sessions[full as usize];
        let mut alts = Vec::new();
        let mut refused = Vec::new();
        let seats_in = |sp: u32| {
            let cap = cfg.spec.spaces[sp as usize].capacity;
            let limit = (f64::from(cap) * g.max_redirect_fill).floor() as u32;
            let occ = self.st.spaces[sp as usize].occupancy;
            (limit.saturating_sub(occ), occ, cap)
        };
        if let Some(ov) = param_str(ps, "overflow")
            && let Some(&sp) = cfg.space_idx.get(&ov)
        {
            let (seats, occupancy, capacity) = seats_in(sp);
            alts.push(Alt {
                label: format!(
                    "watch {} live in {}",
                    fs.title, cfg.spec.spaces[sp as usize].name
                ),
                short: format!("{} (live stream)", cfg.spec.spaces[sp as usize].name),
                session: None,
                space: sp,
                seats,
                occupancy,
                capacity,
            });
        }
        for (i, s) in cfg.spec.sessions.iter().enumerate() {
            let i = i as u32;
            if i == full {
                continue;
            }
            let Some(sp) = session_space(cfg, self.st, i) else {
                continue;
            };
            let delay = i64::from(self.st.sessions[i as usize].delay_min) * 60_000;
            let status = session_status(cfg, self.st, i, now);
            let soon = status == "scheduled" && s.start + delay <= now + 15 * 60_000;
            if sp == full_space
                || !(status == "running" || soon)
                || s.end + delay < now + 10 * 60_000
                || self.st.spaces[sp as usize].closed
            {
                continue;
            }
            let (seats, occupancy, capacity) = seats_in(sp);
            let label = format!("{} in {}", s.title, cfg.spec.spaces[sp as usize].name);
            if seats == 0 {
                refused.push(label);
                continue;
            }
            alts.push(Alt {
                label,
                short: format!("{}: {}", cfg.spec.spaces[sp as usize].name, s.title),
                session: Some(i),
                space: sp,
                seats,
                occupancy,
                capacity,
            });
        }
        if !refused.is_empty() {
            plan.constraints.push(format!(
                "never redirect above {:.0}% full: excluded {}",
                g.max_redirect_fill * 100.0,
                refused.join("; ")
            ));
        }
        alts
    }
}
