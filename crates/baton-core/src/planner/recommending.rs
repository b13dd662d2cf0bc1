//! The `recommend` action: the planners of a talk likely to be full, whose
//! next bookmark it is and who are not in its room yet, get a short list of
//! alternatives before they walk over. The list is what
//! `GET /v1/attendees/{id}/recommendations` would answer for them (the same
//! board and spread solve, `crate::recommend`); people with the same list
//! share one notification, and the notification caps trim it like any other.

use super::Planner;
use super::plan::{Plan, param_int, strings};
use crate::context::hhmm;
use crate::output::Considered;
use crate::recommend::{Board, Person};
use baton_model::{ActionKind, Millis, ParamValue, Resource, ResourceBuf};
use std::collections::BTreeMap;

/// Alternatives in one notice, by default and at most.
const DEFAULT_LIMIT: i64 = 3;
const MAX_LIMIT: i64 = 5;

impl Planner<'_> {
    pub(super) fn plan_recommend(
        &self,
        ps: &BTreeMap<String, ParamValue>,
        session: Option<u32>,
        valid_until: Millis,
        plan: &mut Plan,
    ) {
        let cfg = self.cfg;
        let Some(full) = session else {
            plan.notes
                .push("recommend: no session in scope to recommend instead of".into());
            return;
        };
        let limit = param_int(ps, "limit")
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, MAX_LIMIT) as usize;
        let board = Board::new(cfg, self.st, self.st.now);
        let fs = &cfg.spec.sessions[full as usize];
        let Some(fo) = board.option(full) else {
            plan.notes.push(format!(
                "recommend: {} has ended or starts beyond the {}-minute horizon",
                fs.id,
                crate::recommend::HORIZON_MS / 60_000
            ));
            return;
        };
        let mut groups: BTreeMap<Vec<u32>, Vec<String>> = BTreeMap::new();
        let mut keep = 0u32;
        for (id, a) in &self.st.attendees {
            if a.plan.binary_search(&full).is_err() || a.last_space == Some(fo.space) {
                continue;
            }
            let p = Person::of(a);
            if board.next_bookmark(&p).map(|o| o.session) != Some(full) {
                continue;
            }
            let recs = board.recommend(cfg, id, &p, limit + 1);
            if recs.first().is_none_or(|r| r.session == full) {
                keep += 1;
                continue;
            }
            let alts: Vec<u32> = recs
                .iter()
                .filter(|r| r.session != full)
                .take(limit)
                .map(|r| r.session)
                .collect();
            groups.entry(alts).or_default().push(id.clone());
        }
        let sent: usize = groups.values().map(Vec::len).sum();
        let flows = board.spread.by_full.get(&full);
        plan.solver = Some(format!(
            "recommend: {} of {}'s planners on their way get alternatives, {keep} keep it as their best; the spread solve ({}) sends {} of {} bookmarks elsewhere (forecast {:.0} for {} places, p_full {:.2})",
            sent,
            fs.id,
            board.spread.method,
            flows.map_or(0, |f| f.sent()),
            flows.map_or(0, |f| f.planners),
            fo.expected.max(0.0),
            fo.limit,
            fo.p_full
        ));
        let mut chosen: BTreeMap<u32, u32> = BTreeMap::new();
        for (alts, who) in &groups {
            *chosen.entry(alts[0]).or_default() += who.len() as u32;
        }
        for (&s, &n) in &chosen {
            let Some(o) = board.option(s) else { continue };
            plan.alternatives.push(Considered {
                option: format!(
                    "{} in {}",
                    cfg.spec.sessions[s as usize].title, cfg.spec.spaces[o.space as usize].name
                ),
                cost: 0,
                chosen: n,
                detail: format!(
                    "{} of {} places expected free at {}",
                    o.expected_free(),
                    o.limit,
                    hhmm(cfg, if o.running { board.now } else { o.start })
                ),
            });
        }
        let resource = ResourceBuf::from(Resource::SessionAttendees(&fs.id));
        for (alts, who) in groups {
            let Some(top) = board.option(alts[0]) else {
                continue;
            };
            let listed: Vec<String> = alts
                .iter()
                .filter_map(|&s| board.option(s))
                .map(|o| {
                    format!(
                        "{} in {} ({})",
                        cfg.spec.sessions[o.session as usize].title,
                        cfg.spec.spaces[o.space as usize].name,
                        if o.running {
                            "on now".to_string()
                        } else {
                            hhmm(cfg, o.start)
                        }
                    )
                })
                .collect();
            let mut p = BTreeMap::new();
            p.insert(
                "title".into(),
                ParamValue::String(format!("{} will likely be full", fs.title)),
            );
            p.insert(
                "message".into(),
                ParamValue::String(format!(
                    "{} will likely be full. Seats are likely at: {}.",
                    fs.title,
                    listed.join("; ")
                )),
            );
            p.insert(
                "to_session".into(),
                ParamValue::String(cfg.spec.sessions[top.session as usize].id.clone()),
            );
            p.insert(
                "to_space".into(),
                ParamValue::String(cfg.spec.spaces[top.space as usize].id.clone()),
            );
            let ids: Vec<String> = alts
                .iter()
                .map(|&s| cfg.spec.sessions[s as usize].id.clone())
                .collect();
            p.insert("alternatives".into(), strings(&ids));
            p.insert("count".into(), ParamValue::Int(who.len() as i64));
            p.insert("recipients".into(), strings(&who));
            plan.push(ActionKind::Notify, resource.clone(), p, valid_until);
        }
        if sent == 0 {
            plan.notes.push(format!(
                "recommend: nobody on their way to {} has a better place to go",
                fs.id
            ));
        }
    }
}
