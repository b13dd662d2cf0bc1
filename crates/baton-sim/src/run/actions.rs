//! What the twin does with the engine's executed actions: signs people
//! read, notifications they receive and follow or not, spaces opening and
//! closing, sessions delayed, staff dispatched.

use super::*;
use baton_core::Action;
use baton_model::{ActionKind, ActionResult, ParamValue, Resource};

impl Sim<'_> {
    pub(super) fn execute(&mut self, decision: DecisionId, actions: &[Action]) {
        let w = self.w;
        // A redirect's notifications name the full session and where the
        // biggest group goes: the signs in the same decision point there.
        let mut full = NONE;
        let mut best = (0i64, NONE, NOWHERE);
        for act in actions {
            if act.kind != ActionKind::Notify {
                continue;
            }
            let Some(ParamValue::String(to_space)) = act.params.get("to_space") else {
                continue;
            };
            if let Resource::SessionAttendees(id) = act.resource.parsed()
                && let Some(s) = w.session_index.get(id)
            {
                full = *s;
            }
            let count = match act.params.get("count") {
                Some(ParamValue::Int(n)) => *n,
                _ => 0,
            };
            let to_session = match act.params.get("to_session") {
                Some(ParamValue::String(id)) => w.session_index.get(id).copied().unwrap_or(NONE),
                _ => NONE,
            };
            if let Some(&sp) = w.space_index.get(to_space)
                && count > best.0
            {
                best = (count, to_session, sp);
            }
        }
        for act in actions {
            if act.suppressed.is_some() {
                continue;
            }
            let mut outcome = if act.valid_until < self.now {
                Outcome::Expired
            } else {
                Outcome::Succeeded
            };
            let mut error = None;
            if outcome == Outcome::Succeeded {
                match act.kind {
                    ActionKind::Notify => self.deliver_notify(act),
                    ActionKind::Sign => {
                        let id = match act.resource.parsed() {
                            Resource::Sign(id) => id,
                            _ => act.resource.as_str(),
                        };
                        if let Some(&sg) = w.sign_index.get(id) {
                            let offline = self
                                .sign_dark
                                .iter()
                                .any(|&(s, a, b)| s == sg && self.now >= a && self.now < b);
                            if offline {
                                outcome = Outcome::Dead;
                                error = Some("sign offline".to_string());
                            } else {
                                self.signs[sg as usize] = Some(SignState {
                                    until: act.valid_until,
                                    full: if best.2 == NOWHERE { NONE } else { full },
                                    to_session: best.1,
                                    to_space: best.2,
                                });
                            }
                        }
                    }
                    ActionKind::Dispatch => self.dispatch(act),
                    ActionKind::Alert => {
                        if let Some(ParamValue::String(g)) = act.params.get("group") {
                            let idx = self.alert_groups.len() as u32;
                            self.alert_groups.push(g.as_str().into());
                            let delay = exponential(&mut self.op_rng, self.t.operator_delay as f64);
                            self.at(self.now + delay as Millis, Ev::AckAlert(idx));
                        }
                    }
                    ActionKind::OpenSpace | ActionKind::CloseSpace => {
                        let id = match act.resource.parsed() {
                            Resource::Space(id) => id,
                            _ => act.resource.as_str(),
                        };
                        if let Some(&sp) = w.space_index.get(id) {
                            let open = act.kind == ActionKind::OpenSpace;
                            if self.open[sp as usize] != open {
                                self.open[sp as usize] = open;
                                self.routes = w.routes(&self.open);
                                // The staff at the door confirm it.
                                let (kind, data) = if open {
                                    (SignalType::SpaceOpened, SignalData::Opened { reason: None })
                                } else {
                                    (SignalType::SpaceClosed, SignalData::Closed { reason: None })
                                };
                                self.signal("twin-ops", kind, id.to_string(), data);
                            }
                        }
                    }
                    ActionKind::DelaySession => {
                        let id = match act.params.get("session") {
                            Some(ParamValue::String(s)) => Some(s.as_str()),
                            _ => match act.resource.parsed() {
                                Resource::Session(id) => Some(id),
                                _ => None,
                            },
                        };
                        let minutes = match act.params.get("minutes") {
                            Some(ParamValue::Int(m)) => *m,
                            _ => 0,
                        };
                        if let Some(&s) = id.and_then(|id| w.session_index.get(id)) {
                            self.retime(s, minutes);
                        }
                    }
                    ActionKind::Redirect | ActionKind::Recommend => {}
                    ActionKind::MoveSession => self.carry_out_move(act),
                }
            }
            self.submit(Entry::ActionResult(ActionResult {
                decision,
                action: act.index,
                connector: "twin".to_string(),
                outcome,
                error,
            }));
        }
    }

    pub(super) fn deliver_notify(&mut self, act: &Action) {
        let w = self.w;
        let about = match act.resource.parsed() {
            Resource::SessionAttendees(id) => w.session_index.get(id).copied(),
            _ => None,
        };
        let note = if act.params.contains_key("to_session") {
            match (act.params.get("to_space"), about) {
                (Some(ParamValue::String(sp)), Some(from)) => match w.space_index.get(sp) {
                    Some(&to_space) => Note::Redirect {
                        from,
                        to_session: match act.params.get("to_session") {
                            Some(ParamValue::String(id)) => {
                                w.session_index.get(id).copied().unwrap_or(NONE)
                            }
                            _ => NONE,
                        },
                        to_space,
                    },
                    None => Note::Other,
                },
                _ => Note::Other,
            }
        } else if let (Some(s), true) = (about, act.params.contains_key("moved_to")) {
            Note::Moved { session: s }
        } else if let Some(s) = about
            && self.sessions.start[s as usize] > w.sessions[s as usize].start
        {
            // Only a session that really moved makes a notice about it a delay.
            Note::Delay { session: s }
        } else {
            Note::Other
        };
        let idx = self.notes.len() as u32;
        self.notes.push(note);
        let Some(ParamValue::List(who)) = act.params.get("recipients") else {
            return;
        };
        for r in who {
            let ParamValue::String(id) = r else { continue };
            let Some(a) = id.strip_prefix('a').and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Some(ag) = self.agents.get_mut(a as usize) else {
                continue;
            };
            ag.notified = ag.notified.saturating_add(1);
            let read = exponential(&mut ag.resp, 120_000.0) as Millis;
            self.at(self.now + read, Ev::Notice(a, idx));
        }
    }

    pub(super) fn dispatch(&mut self, act: &Action) {
        let w = self.w;
        let id = match act.resource.parsed() {
            Resource::Staff(id) => id,
            _ => act.resource.as_str(),
        };
        let Some(&staff) = self.crew.index.get(id) else {
            return;
        };
        let space = match act.params.get("space") {
            Some(ParamValue::String(s)) => w.space_index.get(s).copied(),
            _ => None,
        };
        let Some(space) = space else { return };
        let task = match act.params.get("task") {
            Some(ParamValue::String(t)) => t.clone(),
            _ => return,
        };
        let confirm = act.params.contains_key("confirms");
        let role = match act.params.get("role") {
            Some(ParamValue::String(r)) => r.clone(),
            _ => String::new(),
        };
        // A new task for this person ends whatever they were doing.
        for i in 0..self.crew.tasks.len() {
            if self.crew.tasks[i].staff == staff && !self.crew.tasks[i].closed {
                self.close_task(i);
            }
        }
        let idx = self.crew.tasks.len() as u32;
        self.crew.tasks.push(TaskSim {
            id: task,
            staff,
            space,
            role,
            dispatched: self.now,
            until: act.valid_until,
            arrived: false,
            desk: false,
            closed: false,
            confirm,
        });
        let ack = 15_000 + (self.staff_rng.random::<f64>() * 45_000.0) as Millis;
        self.at(self.now + ack, Ev::StaffAck(idx));
    }

    /// A published move: the session is held in its new room from now on.
    /// App users' programme shows it at once (`room_for`); others find the
    /// sign at the old door.
    fn carry_out_move(&mut self, act: &Action) {
        let w = self.w;
        let (Some(ParamValue::String(id)), Some(ParamValue::String(to))) =
            (act.params.get("session"), act.params.get("to"))
        else {
            return;
        };
        let (Some(&s), Some(&to)) = (w.session_index.get(id), w.space_index.get(to)) else {
            return;
        };
        let from = self.sessions.room[s as usize];
        if from == to || self.sessions.phase[s as usize] != SessionPhase::Planned {
            return;
        }
        self.tally.moves += 1;
        self.sessions.room[s as usize] = to;
        self.rooms.sessions[from as usize].retain(|&x| x != s);
        let starts = &self.sessions.start;
        let list = &mut self.rooms.sessions[to as usize];
        let at = list.partition_point(|&x| starts[x as usize] <= starts[s as usize]);
        list.insert(at, s);
        if self.rooms.holder[from as usize] == s {
            self.rooms.holder[from as usize] = NONE;
            self.open_doors(from);
        }
        // People already waiting at the old door read the sign and walk on.
        let waiting = std::mem::take(&mut self.rooms.door_wait[from as usize]);
        let mut keep = Vec::new();
        for (a, g) in waiting {
            let ag = &self.agents[a as usize];
            if ag.epoch == g && ag.phase == Phase::AtDoor && ag.goal == s {
                self.tally.moved_walk_on += 1;
                self.go(a, to, Purpose::Session);
            } else {
                keep.push((a, g));
            }
        }
        keep.append(&mut self.rooms.door_wait[from as usize]);
        self.rooms.door_wait[from as usize] = keep;
        if self.now >= self.sessions.start[s as usize] - 600_000 {
            self.open_doors(to);
        }
    }
}
