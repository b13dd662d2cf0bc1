//! The policy context over core state: what `space.fill` and friends read.

use crate::config::Compiled;
use crate::los;
use crate::state::State;
use baton_model::Millis;
use baton_policy::{Field, Fields};

/// What the triggering entry contributes to `signal.*`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignalInfo<'a> {
    pub kind: &'a str,
    pub subject: &'a str,
    pub count: i64,
    pub severity: &'a str,
    pub incident_kind: &'a str,
}

pub struct Ctx<'a> {
    pub cfg: &'a Compiled,
    pub st: &'a State,
    pub space: Option<u32>,
    pub session: Option<u32>,
    pub signal: SignalInfo<'a>,
}

/// A session's effective space, honouring `session.moved`.
pub fn session_space(cfg: &Compiled, st: &State, session: u32) -> Option<u32> {
    st.sessions
        .get(session as usize)
        .and_then(|s| s.moved_to)
        .or_else(|| {
            cfg.space_idx
                .get(&cfg.spec.sessions[session as usize].space)
                .copied()
        })
}

/// A session's start and end as delayed.
pub fn session_times(cfg: &Compiled, st: &State, session: u32) -> (Millis, Millis) {
    let spec = &cfg.spec.sessions[session as usize];
    let delay = i64::from(st.sessions[session as usize].delay_min) * 60_000;
    (spec.start + delay, spec.end + delay)
}

/// Minutes into the event's local day at journal time `t`.
pub fn local_minute(cfg: &Compiled, t: Millis) -> i64 {
    (t / 1000 + i64::from(cfg.spec.event.utc_offset_s)).rem_euclid(86_400) / 60
}

/// `HH:MM` in the event's local time, for notes and notices.
pub fn hhmm(cfg: &Compiled, t: Millis) -> String {
    let m = local_minute(cfg, t);
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Status derived from signals first, then from the (delayed) schedule.
pub fn session_status(cfg: &Compiled, st: &State, session: u32, now: Millis) -> &'static str {
    let s = &st.sessions[session as usize];
    let (start, end) = session_times(cfg, st, session);
    if s.cancelled {
        "cancelled"
    } else if s.ended || now >= end {
        "ended"
    } else if s.started || now >= start {
        "running"
    } else {
        "scheduled"
    }
}

/// The session running in a space now, or else the next one to start within 30 minutes.
pub fn current_session(cfg: &Compiled, st: &State, space: u32, now: Millis) -> Option<u32> {
    let list = cfg.sessions_by_space.get(space as usize)?;
    // Sessions moved here by a published move count as this room's.
    let moved_in = st
        .moves
        .iter()
        .filter(|(_, m)| m.to == space && m.stage == crate::moves::MoveStage::Published)
        .map(|(&s, _)| s);
    // The next one is the earliest in the programme's order (published
    // start, then id), the order `sessions_by_space` keeps.
    let key = |i: u32| {
        let s = &cfg.spec.sessions[i as usize];
        (s.start, s.id.as_str())
    };
    let mut next: Option<u32> = None;
    for i in list.iter().copied().chain(moved_in) {
        if st.sessions[i as usize].moved_to.is_some_and(|m| m != space) {
            continue;
        }
        match session_status(cfg, st, i, now) {
            "running" => return Some(i),
            "scheduled"
                if session_times(cfg, st, i).0 - now <= 30 * 60_000
                    && next.is_none_or(|n| key(i) < key(n)) =>
            {
                next = Some(i);
            }
            _ => {}
        }
    }
    next
}

/// The +10-minute occupancy forecast: Holt's damped trend, corrected by the
/// schedule. A room whose running session ends inside the horizon will empty,
/// and a talk under way holds steady; a trend alone would extrapolate the
/// doors' rush past the start and the plateau past the end of the talk.
pub fn forecast_10m(cfg: &Compiled, st: &State, space: u32) -> f64 {
    let now = st.now;
    let holt = st.spaces[space as usize].holt.forecast(10);
    if let Some(se) = current_session(cfg, st, space, now)
        && session_status(cfg, st, se, now) == "running"
    {
        let (start, end) = session_times(cfg, st, se);
        if end + 3 * 60_000 <= now + 10 * 60_000 {
            return 0.0;
        }
        // Once a talk is under way the doors are quiet: the room holds steady.
        if now >= start + 5 * 60_000 {
            return f64::from(st.spaces[space as usize].occupancy);
        }
    }
    holt
}

impl Ctx<'_> {
    fn now(&self) -> Millis {
        self.st.now
    }

    fn fill(&self, sp: u32) -> f64 {
        let cap = self.cfg.spec.spaces[sp as usize].capacity;
        if cap == 0 {
            0.0
        } else {
            f64::from(self.st.spaces[sp as usize].occupancy) / f64::from(cap)
        }
    }

    pub fn los(&self, sp: u32) -> &'static str {
        let spec = &self.cfg.spec.spaces[sp as usize];
        let d = self.st.spaces[sp as usize].density(spec.area_m2);
        los::level(self.cfg.space_tables[sp as usize], d, self.fill(sp))
    }
}

impl Fields for Ctx<'_> {
    fn int(&self, f: Field) -> i64 {
        let now = self.now();
        if let Some(sp) = self.space {
            let s = &self.st.spaces[sp as usize];
            let spec = &self.cfg.spec.spaces[sp as usize];
            match f {
                Field::SpaceCapacity => return i64::from(spec.capacity),
                Field::SpaceOccupancy => return i64::from(s.occupancy),
                Field::SpaceInflow1m => return s.inflow.last_1m(now) as i64,
                Field::SpaceOutflow1m => return s.outflow.last_1m(now) as i64,
                Field::SpaceInflow5m => return s.inflow.last_5m(now) as i64,
                Field::SpaceOutflow5m => return s.outflow.last_5m(now) as i64,
                Field::SpaceQueueLength => return i64::from(s.queue_length),
                Field::SpaceTurnedAway => return s.turned_away as i64,
                _ => {}
            }
        }
        if let Some(se) = self.session {
            let s = &self.st.sessions[se as usize];
            match f {
                Field::SessionDelayMin => return i64::from(s.delay_min),
                Field::SessionAttendance => {
                    return match (
                        session_status(self.cfg, self.st, se, now),
                        session_space(self.cfg, self.st, se),
                    ) {
                        ("running", Some(sp)) => i64::from(self.st.spaces[sp as usize].occupancy),
                        _ => 0,
                    };
                }
                Field::SessionPeak => return i64::from(s.peak),
                Field::SessionBookmarks => return i64::from(s.bookmarks),
                Field::SessionTurnedAway => return s.turned_away as i64,
                _ => {}
            }
        }
        match f {
            Field::SignalCount => self.signal.count,
            Field::EventMinuteOfDay => local_minute(self.cfg, now),
            _ => 0,
        }
    }

    fn double(&self, f: Field) -> f64 {
        let now = self.now();
        let ev = &self.cfg.spec.event;
        if let Some(sp) = self.space {
            let s = &self.st.spaces[sp as usize];
            let spec = &self.cfg.spec.spaces[sp as usize];
            match f {
                Field::SpaceAreaM2 => return spec.area_m2,
                Field::SpaceFill => return self.fill(sp),
                Field::SpaceDensity => return s.density(spec.area_m2),
                Field::SpaceTrendPerMin => return s.holt.trend,
                Field::SpaceForecast10m => return forecast_10m(self.cfg, self.st, sp),
                Field::SpaceMinutesToCapacity => return s.minutes_to_capacity(spec.capacity, now),
                Field::SpaceConfidence => return s.confidence(now, ev.confidence_half_life),
                Field::SpaceMinutesSinceSeen => {
                    return s
                        .last_seen
                        .map(|t| (now - t) as f64 / 60_000.0)
                        .unwrap_or(-1.0);
                }
                Field::SpaceQueueWaitS => return s.queue_wait_s,
                _ => {}
            }
        }
        if let Some(se) = self.session {
            match f {
                Field::SessionMinutesToStart => {
                    return crate::forecast::minutes_to_start(self.cfg, self.st, se);
                }
                Field::SessionExpected => {
                    return crate::forecast::session(self.cfg, self.st, se).expected;
                }
                Field::SessionExpectedLow => {
                    return crate::forecast::session(self.cfg, self.st, se).low;
                }
                Field::SessionExpectedHigh => {
                    return crate::forecast::session(self.cfg, self.st, se).high;
                }
                Field::SessionPFull => {
                    return crate::forecast::session(self.cfg, self.st, se).p_full;
                }
                Field::SessionMinutesToFull => {
                    return crate::forecast::session(self.cfg, self.st, se).minutes_to_full;
                }
                Field::SessionFill => {
                    return match session_space(self.cfg, self.st, se) {
                        Some(sp) if session_status(self.cfg, self.st, se, now) == "running" => {
                            self.fill(sp)
                        }
                        _ => 0.0,
                    };
                }
                _ => {}
            }
        }
        0.0
    }

    fn boolean(&self, f: Field) -> bool {
        let now = self.now();
        match f {
            Field::SpaceStale => self.space.is_none_or(|sp| {
                self.st.spaces[sp as usize].stale(now, self.cfg.spec.event.stale_after)
            }),
            Field::SpaceClosed => self
                .space
                .is_some_and(|sp| self.st.spaces[sp as usize].closed),
            Field::SpaceHasSession => self.session.is_some(),
            Field::SessionProtected => self
                .session
                .is_some_and(|se| self.cfg.spec.sessions[se as usize].protected),
            Field::EventPaused => self.st.paused,
            Field::EventEmergency => self.st.emergency,
            _ => false,
        }
    }

    fn string(&self, f: Field) -> &str {
        if let Some(sp) = self.space {
            let spec = &self.cfg.spec.spaces[sp as usize];
            match f {
                Field::SpaceId => return &spec.id,
                Field::SpaceName => return &spec.name,
                Field::SpaceKind => return spec.kind.as_str(),
                Field::SpaceZone => return &spec.zone,
                Field::SpaceLos => return self.los(sp),
                _ => {}
            }
        }
        if let Some(se) = self.session {
            let spec = &self.cfg.spec.sessions[se as usize];
            match f {
                Field::SessionId => return &spec.id,
                Field::SessionTitle => return &spec.title,
                Field::SessionTrack => return &spec.track,
                Field::SessionSpace => {
                    return session_space(self.cfg, self.st, se)
                        .map(|sp| self.cfg.spec.spaces[sp as usize].id.as_str())
                        .unwrap_or(&spec.space);
                }
                Field::SessionStatus => return session_status(self.cfg, self.st, se, self.now()),
                Field::SessionMoveStage => {
                    return self.st.moves.get(&se).map_or("", |m| m.stage.as_str());
                }
                _ => {}
            }
        }
        match f {
            Field::SignalType => self.signal.kind,
            Field::SignalSubject => self.signal.subject,
            Field::SignalSeverity => self.signal.severity,
            Field::SignalKind => self.signal.incident_kind,
            _ => "",
        }
    }
}
