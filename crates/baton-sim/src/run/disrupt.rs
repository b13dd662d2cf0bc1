//! The twin file's disruptions, each at its time: a popular talk, a delay
//! or overrun, a closed room, a surge, a dark sensor, a sign offline, an
//! incident.

use super::*;

impl Sim<'_> {
    pub(super) fn disrupt(&mut self, i: usize) {
        let w = self.w;
        let Some(d) = self.t.disruptions.get(i).cloned() else {
            return;
        };
        match d {
            Disruption::Popular { session, share, .. } => {
                // Who adopts it comes from a stream of its own per attendee,
                // so it is the same people under every policy set.
                let key = agents::mix(self.seed, 1_000 + i as u64);
                for a in 0..self.agents.len() {
                    let take = Pcg32::new(key, a as u64).random::<f64>() < share;
                    let ag = &mut self.agents[a];
                    if !take
                        || ag.phase == Phase::Gone
                        || self.sessions.start[session as usize] <= self.now
                    {
                        continue;
                    }
                    let c = (ag.cursor as usize).min(ag.plan.len());
                    let mut tail = ag.plan.split_off(c);
                    agents::insert_session(w, &mut tail, session);
                    ag.plan.extend(tail);
                    if ag.app && ag.phase != Phase::Outside {
                        self.send_plan(a as u32);
                    }
                }
            }
            Disruption::Delay {
                session, minutes, ..
            } => {
                self.retime(session, i64::from(minutes));
                self.signal(
                    "twin-av",
                    SignalType::SessionDelayed,
                    w.sessions[session as usize].id.clone(),
                    SignalData::SessionDelayed { minutes },
                );
            }
            Disruption::Close { space, at, minutes } => {
                if self.open[space as usize] {
                    self.open[space as usize] = false;
                    self.routes = w.routes(&self.open);
                }
                self.signal(
                    "twin-ops",
                    SignalType::SpaceClosed,
                    w.spaces[space as usize].id.clone(),
                    SignalData::Closed {
                        reason: Some("closed (scenario)".into()),
                    },
                );
                if let Some(m) = minutes {
                    self.at(at + i64::from(m) * 60_000, Ev::Reopen(space));
                }
            }
            Disruption::Incident {
                space,
                severity,
                what,
                ..
            } => {
                let severity = match severity.as_str() {
                    "low" => Severity::Low,
                    "medium" => Severity::Medium,
                    "critical" => Severity::Critical,
                    _ => Severity::High,
                };
                self.signal(
                    "twin-staff",
                    SignalType::IncidentReported,
                    w.spaces[space as usize].id.clone(),
                    SignalData::Incident {
                        severity,
                        kind: what,
                        note: None,
                    },
                );
            }
            Disruption::Overrun { .. }
            | Disruption::Surge { .. }
            | Disruption::SensorDark { .. }
            | Disruption::SignOffline { .. } => {}
        }
    }
}
