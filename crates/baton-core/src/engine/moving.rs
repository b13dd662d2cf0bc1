//! A room move after its decision: confirmations, the deadline, and the
//! publication that tells every system at once (see `crate::moves`).

use super::*;
use crate::context::{hhmm, session_times};
use crate::moves::{MoveEvent, MoveStage};
use crate::state::Task;
use baton_model::ActionKind;

/// Published moves hold the signs they change over other policies' claims.
const PUBLISH_PRIORITY: i32 = 1_000;

impl Engine {
    fn move_out(&self, se: u32, event: MoveEvent, reason: String, out: &mut Out) {
        let Some(m) = self.st.moves.get(&se) else {
            return;
        };
        let cfg = &self.cfg;
        out.push(Output::Move {
            decision: m.decision,
            session: cfg.spec.sessions[se as usize].id.clone(),
            from: cfg.spec.spaces[m.from as usize].id.clone(),
            to: cfg.spec.spaces[m.to as usize].id.clone(),
            event,
            at: self.st.now,
            reason,
        });
    }

    /// A confirmation task reported done: its role confirms every
    /// tentative move of its decision into its room.
    pub(crate) fn move_task_done(&mut self, t: &Task, out: &mut Out) {
        let now = self.st.now;
        let hits: Vec<u32> = self
            .st
            .moves
            .iter()
            .filter(|(_, m)| {
                m.decision == t.decision
                    && m.to == t.space
                    && m.stage == MoveStage::Tentative
                    && m.needed.contains(&t.role)
                    && !m.confirmed.contains(&t.role)
            })
            .map(|(&s, _)| s)
            .collect();
        for se in hits {
            let Some(m) = self.st.moves.get_mut(&se) else {
                continue;
            };
            if now > m.deadline {
                continue;
            }
            m.confirmed.push(t.role.clone());
            let all = m.needed.iter().all(|r| m.confirmed.contains(r));
            self.move_out(se, MoveEvent::Confirmed, t.role.clone(), out);
            if all {
                self.publish_move(se, out);
            }
        }
    }

    /// The deadline of a tentative move: unconfirmed, it is dropped, and
    /// nothing about it was ever announced.
    pub(crate) fn move_deadline(&mut self, se: u32, decision: DecisionId, out: &mut Out) {
        let now = self.st.now;
        let Some(m) = self.st.moves.get_mut(&se) else {
            return;
        };
        if m.decision != decision || m.stage != MoveStage::Tentative {
            return;
        }
        m.stage = MoveStage::Dropped;
        let missing: Vec<String> = m
            .needed
            .iter()
            .filter(|r| !m.confirmed.contains(r))
            .cloned()
            .collect();
        let reason = format!(
            "not confirmed by {} by {}; nothing was announced",
            missing.join(" and "),
            hhmm(&self.cfg, now)
        );
        bump(&mut self.st.stats.action_outcomes, "move_dropped");
        self.move_out(se, MoveEvent::Dropped, reason, out);
    }

    /// Every role confirmed: the programme, the signs at both rooms and the
    /// people who bookmarked the session all learn of it now.
    fn publish_move(&mut self, se: u32, out: &mut Out) {
        let cfg = Arc::clone(&self.cfg);
        let Some(m) = self.st.moves.get(&se).cloned() else {
            return;
        };
        let s = &cfg.spec.sessions[se as usize];
        let (from, to) = (
            &cfg.spec.spaces[m.from as usize],
            &cfg.spec.spaces[m.to as usize],
        );
        let (start, end) = session_times(&cfg, &self.st, se);
        self.st.sessions[se as usize].moved_to = Some(m.to);
        self.st.programme_version += 1;
        if let Some(mm) = self.st.moves.get_mut(&se) {
            mm.stage = MoveStage::Published;
        }
        let base = 1_000 + m.slot * 20;
        let mut actions = Vec::new();
        let mut push =
            |kind: ActionKind, resource: ResourceBuf, params: BTreeMap<String, ParamValue>| {
                actions.push(Action {
                    index: base + actions.len() as u32,
                    kind,
                    resource,
                    params,
                    valid_until: end,
                    suppressed: None,
                });
            };
        let text = |v: &str| ParamValue::String(v.to_string());
        let mut p = BTreeMap::new();
        p.insert("session".into(), text(&s.id));
        p.insert("title".into(), text(&s.title));
        p.insert("from".into(), text(&from.id));
        p.insert("to".into(), text(&to.id));
        p.insert("start".into(), ParamValue::Int(start));
        p.insert("end".into(), ParamValue::Int(end));
        p.insert(
            "version".into(),
            ParamValue::Int(i64::from(self.st.programme_version)),
        );
        p.insert("stage".into(), text("published"));
        push(ActionKind::MoveSession, Resource::Session(&s.id).into(), p);
        for (room, content) in [
            (m.from, format!("{} has moved to {}", s.title, to.name)),
            (
                m.to,
                format!("{} {}: now in this room", hhmm(&cfg, start), s.title),
            ),
        ] {
            for &sg in &cfg.signs_by_space[room as usize] {
                let mut p = BTreeMap::new();
                p.insert("content".into(), text(&content));
                p.insert("session".into(), text(&s.id));
                push(
                    ActionKind::Sign,
                    Resource::Sign(&cfg.spec.signs[sg as usize].id).into(),
                    p,
                );
            }
        }
        let who = if m.notify {
            self.planner().planned_attendees(se)
        } else {
            Vec::new()
        };
        let mut p = BTreeMap::new();
        p.insert("class".into(), text("programme"));
        p.insert("title".into(), text(&format!("Room change: {}", s.title)));
        p.insert(
            "message".into(),
            text(&format!(
                "{} moves from {} to {} (starts {}).",
                s.title,
                from.name,
                to.name,
                hhmm(&cfg, start)
            )),
        );
        p.insert("moved_to".into(), text(&to.id));
        p.insert("count".into(), ParamValue::Int(who.len() as i64));
        p.insert(
            "recipients".into(),
            ParamValue::List(who.into_iter().map(ParamValue::String).collect()),
        );
        if m.notify {
            push(
                ActionKind::Notify,
                Resource::SessionAttendees(&s.id).into(),
                p,
            );
        }
        self.planner().hold_for_operators(&mut actions);
        let owner = crate::effects::Owner {
            policy: m.policy.clone(),
            priority: PUBLISH_PRIORITY,
        };
        self.move_out(
            se,
            MoveEvent::Published,
            format!(
                "confirmed by {}; programme version {}",
                m.needed.join(" and "),
                self.st.programme_version
            ),
            out,
        );
        self.execute(m.decision, &actions, Some(&owner), out);
    }
}
