//! The crowd: attendees walking hop by hop, queuing at doors, choosing
//! where to be, reading signs and notifications, and the door counters
//! they pass.

use super::*;

/// After finding a room full, a person skips each of that track's talks in
/// the next hour with this chance (the room is likely full again).
const SHY_MS: Millis = 3_600_000;
const SHY_SKIP: f64 = 0.5;
/// People per second through one door: the Jülich entrance-bottleneck
/// experiment (doi:10.34735/ped.2018.1, 0.5 m gap) measured about 1.15.
const DOOR_FLOW_PER_S: f64 = 1.15;

impl Sim<'_> {
    pub(super) fn touch(&mut self, sp: u16) {
        let i = sp as usize;
        let dt = (self.now - self.last[i]) as f64;
        if dt > 0.0 {
            let info = &self.w.spaces[i];
            let o = self.occ[i];
            if o > info.capacity {
                self.tally.above_ms += f64::from(o) * dt;
                self.tally.above_by_space[i] += f64::from(o) * dt;
            }
            if info.holds_sessions && o > info.limit {
                self.tally.above_limit_ms += f64::from(o) * dt;
            }
            let level = baton_core::los::level(
                info.table,
                f64::from(o) / info.area_m2,
                f64::from(o) / f64::from(info.capacity),
            );
            let k = (level.as_bytes().first().copied().unwrap_or(b'A') - b'A').min(5) as usize;
            self.tally.los_ms[i][k] += dt;
            self.last[i] = self.now;
        }
    }

    /// Keeps `at_limit_since` in step with a session room's occupancy.
    fn watch_limit(&mut self, sp: u16) {
        let i = sp as usize;
        let info = &self.w.spaces[i];
        if !info.holds_sessions {
            return;
        }
        let since = &mut self.rooms.at_limit_since[i];
        if self.occ[i] < info.limit {
            *since = Millis::MAX;
        } else if *since == Millis::MAX {
            *since = self.now;
        }
    }

    pub(super) fn counted_door(&self, sp: u16) -> bool {
        let info = &self.w.spaces[sp as usize];
        info.holds_sessions || matches!(info.kind, SpaceKind::Entrance | SpaceKind::Queue)
    }

    pub(super) fn leave_space(&mut self, sp: u16) {
        if sp == NOWHERE {
            return;
        }
        self.touch(sp);
        self.occ[sp as usize] = self.occ[sp as usize].saturating_sub(1);
        self.watch_limit(sp);
        self.practice_watch(sp);
        if self.counted_door(sp) && !self.dark(sp) {
            self.signal(
                "twin-door",
                SignalType::SpaceExited,
                self.w.spaces[sp as usize].id.clone(),
                SignalData::Exited {
                    count: 1,
                    attendee: None,
                },
            );
        }
        if !self.rooms.door_wait[sp as usize].is_empty() {
            self.admit(sp);
        }
    }

    pub(super) fn move_to(&mut self, a: u32, to: u16) {
        let from = self.agents[a as usize].at;
        if from == to {
            return;
        }
        self.agents[a as usize].at = to;
        self.leave_space(from);
        if to == NOWHERE {
            return;
        }
        self.touch(to);
        self.occ[to as usize] += 1;
        self.watch_limit(to);
        self.practice_watch(to);
        if self.counted_door(to) && !self.dark(to) {
            self.signal(
                "twin-door",
                SignalType::SpaceEntered,
                self.w.spaces[to as usize].id.clone(),
                SignalData::Entered {
                    count: 1,
                    attendee: Some(format!("a{a}")),
                },
            );
        }
    }

    // ------------------------------------------------------------------
    // Attendees.
    // ------------------------------------------------------------------

    pub(super) fn walk_secs(&self, from: u16, to: u16) -> u32 {
        if from == NOWHERE || to == NOWHERE {
            return 120;
        }
        match self.routes.secs(from, to) {
            u32::MAX => 600,
            s => s,
        }
    }

    /// Where to wait: a foyer or outdoor space with room, more likely the
    /// nearer and emptier ones (weight: free places under 90% × e^(−walk/5 min)),
    /// so a crowd leaving a hall spreads out instead of herding into one foyer.
    pub(super) fn choose_hangout(&mut self, a: u32) -> u16 {
        let from = self.agents[a as usize].at;
        if from == NOWHERE {
            return NOWHERE;
        }
        // Reachable open foyers with their walk and weight; computed twice
        // (sum, then draw) rather than collected, as this runs at every wait.
        let u: f64 = self.agents[a as usize].life.random();
        let me: &Sim = self;
        let candidates = || {
            me.w.hangouts.iter().filter_map(move |&h| {
                let secs = me.routes.secs(from, h);
                if !me.open[h as usize] || secs == u32::MAX {
                    return None;
                }
                let cap = f64::from(me.w.spaces[h as usize].capacity);
                let free = (0.9 * cap - f64::from(me.occ[h as usize])).max(0.0);
                Some((h, secs, free * (-f64::from(secs) / 300.0).exp()))
            })
        };
        let total: f64 = candidates().map(|c| c.2).sum();
        let nearest = candidates()
            .map(|(h, secs, _)| (secs, h))
            .min()
            .map_or(NOWHERE, |x| x.1);
        if total <= 0.0 {
            return nearest;
        }
        let mut x = u * total;
        candidates()
            .find(|c| {
                x -= c.2;
                x <= 0.0
            })
            .map_or(nearest, |c| c.0)
    }

    pub(super) fn nearest_exit(&self, from: u16) -> u16 {
        self.w
            .entrances
            .iter()
            .copied()
            .filter(|&e| self.open[e as usize])
            .min_by_key(|&e| (self.walk_secs(from, e), e))
            .unwrap_or(NOWHERE)
    }

    pub(super) fn go(&mut self, a: u32, dest: u16, purpose: Purpose) {
        let ag = &mut self.agents[a as usize];
        ag.epoch = ag.epoch.wrapping_add(1);
        ag.dest = dest;
        ag.phase = Phase::Moving;
        self.purpose[a as usize] = purpose;
        if dest == NOWHERE {
            // Outside the modelled spaces: step out at once.
            self.move_to(a, NOWHERE);
            self.arrived(a);
            return;
        }
        if self.agents[a as usize].at == dest {
            self.arrived(a);
            return;
        }
        // A venue of rooms only (an imported schedule) has no corridors: the
        // links are a stand-in, so people leave by the door and walk outside
        // the modelled spaces instead of through other rooms.
        if !self.w.has_circulation {
            self.move_to(a, NOWHERE);
        }
        self.schedule_hop(a);
    }

    pub(super) fn schedule_hop(&mut self, a: u32) {
        let ag = &self.agents[a as usize];
        let (at, dest, epoch) = (ag.at, ag.dest, ag.epoch);
        let ms = if at == NOWHERE {
            120_000.0
        } else {
            let next = self.routes.next(at, dest);
            if next == NOWHERE {
                self.stranded(a);
                return;
            }
            let secs = self.w.adj[at as usize]
                .iter()
                .find(|x| x.0 == next)
                .map_or(60, |x| x.1);
            let info = &self.w.spaces[at as usize];
            let density = f64::from(self.occ[at as usize]) / info.area_m2;
            f64::from(secs) * 1000.0 / weidmann_speed_share(density)
        };
        self.at(self.now + ms as Millis, Ev::Hop(a, epoch));
    }

    /// No open route: wait where they are and think again in five minutes.
    pub(super) fn stranded(&mut self, a: u32) {
        let ag = &mut self.agents[a as usize];
        ag.phase = Phase::Idle;
        ag.goal = NONE;
        ag.epoch = ag.epoch.wrapping_add(1);
        let g = ag.epoch;
        self.at(self.now + 300_000, Ev::Decide(a, g));
    }

    pub(super) fn hop(&mut self, a: u32) {
        let ag = &self.agents[a as usize];
        let (at, dest) = (ag.at, ag.dest);
        let next = if at != NOWHERE {
            self.routes.next(at, dest)
        } else if self.w.door_side[dest as usize] != NOWHERE
            && self.open[self.w.door_side[dest as usize] as usize]
        {
            // From outside the modelled spaces: to the corridor at its door.
            self.w.door_side[dest as usize]
        } else {
            dest
        };
        if next == NOWHERE || !self.open[next as usize] {
            self.stranded(a);
            return;
        }
        let purpose = self.purpose[a as usize];
        if next == dest && matches!(purpose, Purpose::Session | Purpose::Stream) {
            self.door(a);
            return;
        }
        self.move_to(a, next);
        if self.look_at_signs(a, next) {
            return;
        }
        if next == dest {
            self.arrived(a);
        } else {
            self.schedule_hop(a);
        }
    }

    pub(super) fn arrived(&mut self, a: u32) {
        match self.purpose[a as usize] {
            Purpose::Session | Purpose::Stream => {
                let stream = self.purpose[a as usize] == Purpose::Stream;
                let ag = &mut self.agents[a as usize];
                ag.phase = Phase::Seated;
                let (goal, epoch) = (ag.goal, ag.epoch);
                if !stream && goal != NONE && self.came_for[a as usize] != goal {
                    self.came_for[a as usize] = goal;
                    self.sessions.demand[goal as usize] += 1;
                }
                let ag = &mut self.agents[a as usize];
                if !stream && goal != NONE && ag.last_seated != goal {
                    ag.last_seated = goal;
                    if ag.wanted.contains(&goal) {
                        ag.attended_wanted = ag.attended_wanted.saturating_add(1);
                    } else {
                        ag.displaced = true;
                    }
                }
                if goal != NONE {
                    self.sessions.members[goal as usize].push((a, epoch));
                }
            }
            Purpose::Hangout => {
                // A wake-up that fell during the walk was dropped: take it now.
                let ag = &mut self.agents[a as usize];
                ag.phase = Phase::Idle;
                let (t, g) = (ag.wake.max(self.now), ag.epoch);
                self.at(t, Ev::Decide(a, g));
            }
            Purpose::Register => {
                self.agents[a as usize].phase = Phase::Queue;
                self.desk.queue.push_back(a);
                self.serve_registration();
            }
            Purpose::Exit => {
                self.move_to(a, NOWHERE);
                self.agents[a as usize].phase = Phase::Gone;
            }
        }
    }

    /// At the door of the goal room: in, wait, or turned away.
    pub(super) fn door(&mut self, a: u32) {
        let ag = &self.agents[a as usize];
        let (room, goal) = (ag.dest, ag.goal);
        if goal != NONE
            && self.purpose[a as usize] == Purpose::Session
            && self.sessions.room[goal as usize] != room
        {
            // The session moved: the sign at this door sends them on.
            self.tally.moved_walk_on += 1;
            let to = self.sessions.room[goal as usize];
            self.go(a, to, Purpose::Session);
            return;
        }
        let info = &self.w.spaces[room as usize];
        let scheduled = !self.rooms.sessions[room as usize].is_empty();
        let stream = self.purpose[a as usize] == Purpose::Stream;
        let doors_open = stream || !scheduled || self.rooms.holder[room as usize] == goal;
        // Door staff stop entry at the limit once they see it reached, a
        // lag (`door.lag`) after it was; until then people keep coming
        // through the door at most at a door's flow.
        // Once they have seen it, they hold the door for the rest of the
        // session, letting one in for each one out.
        let r = room as usize;
        let o = self.occ[r];
        let overshoot = (self.t.door_lag as f64 / 1000.0 * DOOR_FLOW_PER_S).ceil() as u32;
        let holder = self.rooms.holder[r];
        let seen = self.rooms.held_for[r] == holder
            || self.now - self.rooms.at_limit_since[r] >= self.t.door_lag
            || o >= info.limit + overshoot;
        let full = o >= info.limit && seen;
        if full {
            self.rooms.held_for[r] = holder;
        }
        if !stream && self.practice.full_sign(room) {
            // A FULL sign on the door: back without queuing or asking.
            self.turned_back(a);
            return;
        }
        if doors_open && !full {
            self.move_to(a, room);
            self.arrived(a);
            return;
        }
        if !doors_open
            && goal != NONE
            && self.sessions.phase[goal as usize] == SessionPhase::Planned
        {
            // Early, or the room is still busy: wait at the door.
            self.wait_at_door(a, room, 30);
            return;
        }
        self.tally.turned_away += 1;
        if goal != NONE && !stream && self.came_for[a as usize] != goal {
            self.came_for[a as usize] = goal;
            self.sessions.demand[goal as usize] += 1;
        }
        if !self.dark(room) {
            self.signal(
                "twin-door",
                SignalType::SpaceTurnedAway,
                info.id.clone(),
                SignalData::TurnedAway { count: 1 },
            );
        }
        let ag = &mut self.agents[a as usize];
        ag.tries = ag.tries.saturating_add(1);
        let wait = ag.life.random::<f64>() < 0.4;
        if wait && ag.tries <= 1 && !stream {
            self.wait_at_door(a, room, 10);
        } else {
            self.turned_back(a);
        }
    }

    /// A walk to a room that ends without getting in: a wasted trip, a talk
    /// the person meant to attend denied, and the minutes waited at its
    /// door, if they waited; then they choose again.
    pub(super) fn turned_back(&mut self, a: u32) {
        self.tally.wasted_trips += 1;
        let goal = self.agents[a as usize].goal;
        if let Some(s) = self.w.sessions.get(goal as usize) {
            let ag = &mut self.agents[a as usize];
            ag.shy_track = s.track;
            ag.shy_until = self.now + SHY_MS;
        }
        self.give_up_goal(a);
    }

    /// Gives up the talk the person is heading to or waiting for: a talk
    /// denied, the minutes waited at its door if they waited, and a new
    /// choice.
    pub(super) fn give_up_goal(&mut self, a: u32) {
        let now = self.now;
        let ag = &mut self.agents[a as usize];
        if ag.phase == Phase::AtDoor {
            self.tally.queue_ms += (now - ag.door_since) as f64;
        }
        let goal = ag.goal;
        ag.deny(goal);
        self.alternative(a);
    }

    pub(super) fn wait_at_door(&mut self, a: u32, room: u16, minutes: i64) {
        let ag = &mut self.agents[a as usize];
        if ag.phase != Phase::AtDoor {
            ag.door_since = self.now;
        }
        ag.phase = Phase::AtDoor;
        let g = ag.epoch;
        self.rooms.door_wait[room as usize].push((a, g));
        self.at(self.now + minutes * 60_000, Ev::GiveUp(a, g));
    }

    /// Lets waiting people in while there are seats and the doors are open.
    pub(super) fn admit(&mut self, room: u16) {
        let r = room as usize;
        let list = std::mem::take(&mut self.rooms.door_wait[r]);
        let mut keep = Vec::with_capacity(list.len());
        for (a, g) in list {
            let ag = &self.agents[a as usize];
            if ag.epoch != g || ag.phase != Phase::AtDoor || ag.dest != room {
                continue;
            }
            let stream = self.purpose[a as usize] == Purpose::Stream;
            let scheduled = !self.rooms.sessions[r].is_empty();
            let doors_open = stream || !scheduled || self.rooms.holder[r] == ag.goal;
            if doors_open && self.open[r] && self.occ[r] < self.w.spaces[r].limit {
                self.tally.queue_ms += (self.now - ag.door_since) as f64;
                self.move_to(a, room);
                self.arrived(a);
            } else {
                keep.push((a, g));
            }
        }
        keep.append(&mut self.rooms.door_wait[r]);
        self.rooms.door_wait[r] = keep;
    }

    /// Turned away (or given up): another session on now or soon, else the foyer.
    pub(super) fn alternative(&mut self, a: u32) {
        let w = self.w;
        let ag = &self.agents[a as usize];
        let (at, goal, tries) = (ag.at, ag.goal, ag.tries);
        let avoid = if goal == NONE {
            NOWHERE
        } else {
            self.sessions.room[goal as usize]
        };
        let mut best = (f64::NEG_INFINITY, NONE);
        if tries < 3 {
            for s in 0..w.sessions.len() {
                // Sorted by the published start; a delayed one may start later.
                if w.sessions[s].start > self.now + 15 * 60_000 {
                    break;
                }
                let st = self.sessions.start[s];
                if st > self.now + 15 * 60_000
                    || self.sessions.phase[s] == SessionPhase::Ended
                    || st < self.now - 10 * 60_000
                    || self.room_for(a, s as u32) == avoid
                    || !self.open[self.room_for(a, s as u32) as usize]
                {
                    continue;
                }
                let walk = f64::from(self.walk_secs(at, self.room_for(a, s as u32))) / 300.0;
                let ag = &mut self.agents[a as usize];
                let interest = if ag.interests.contains(&w.sessions[s].track) {
                    2.0
                } else {
                    0.0
                };
                let g = -(-(ag.life.random::<f64>().max(1e-12)).ln()).ln();
                let u = interest - walk + g;
                if u > best.0 {
                    best = (u, s as u32);
                }
            }
        }
        if best.1 != NONE && best.0 > 0.5 {
            let room = self.room_for(a, best.1);
            self.agents[a as usize].goal = best.1;
            self.go(a, room, Purpose::Session);
        } else {
            self.agents[a as usize].goal = NONE;
            self.idle_until_next(a);
        }
    }

    /// Goes to the nearest foyer and thinks again when the next plan item nears.
    pub(super) fn idle_until_next(&mut self, a: u32) {
        let at = self.agents[a as usize].at;
        let h = self.choose_hangout(a);
        let here_is_hangout = at != NOWHERE && self.w.hangouts.contains(&at);
        if !here_is_hangout {
            self.go(a, h, Purpose::Hangout);
        } else {
            let ag = &mut self.agents[a as usize];
            ag.phase = Phase::Idle;
            ag.epoch = ag.epoch.wrapping_add(1);
        }
        self.wake_at(a, self.now + 60_000);
    }

    /// Thinks again at `t`; if still walking to a foyer then, on arrival.
    pub(super) fn wake_at(&mut self, a: u32, t: Millis) {
        let ag = &mut self.agents[a as usize];
        ag.wake = t;
        let g = ag.epoch;
        self.at(t, Ev::Decide(a, g));
    }

    /// Where `a` believes session `s` is held: app users see a published
    /// move at once; everyone else goes by the printed programme and finds
    /// the sign at the old door.
    pub(super) fn room_for(&self, a: u32, s: u32) -> u16 {
        if self.agents[a as usize].app {
            self.sessions.room[s as usize]
        } else {
            self.w.sessions[s as usize].space
        }
    }

    pub(super) fn known_start(&self, a: u32, s: u32) -> Millis {
        if self.agents[a as usize].aware == s {
            self.sessions.start[s as usize]
        } else {
            self.w.sessions[s as usize].start
        }
    }

    pub(super) fn decide(&mut self, a: u32) {
        let w = self.w;
        self.agents[a as usize].tries = 0;
        loop {
            let ag = &self.agents[a as usize];
            let Some(&s) = ag.plan.get(ag.cursor as usize) else {
                let exit = self.nearest_exit(ag.at);
                self.agents[a as usize].goal = NONE;
                self.go(a, exit, Purpose::Exit);
                return;
            };
            let start = self.known_start(a, s);
            let shy = ag.shy_track == w.sessions[s as usize].track
                && start < ag.shy_until
                && practice::keyed_uniform(self.seed, a, s, practice::DRAW_SHY) < SHY_SKIP;
            if self.sessions.phase[s as usize] == SessionPhase::Ended
                || self.now > start + 10 * 60_000
                || shy
            {
                self.agents[a as usize].cursor += 1;
                continue;
            }
            let room = self.room_for(a, s);
            let ag = &self.agents[a as usize];
            let walk = i64::from(self.walk_secs(ag.at, room)) * 1000;
            let ag = &mut self.agents[a as usize];
            let buffer = 180_000 + (ag.life.random::<f64>() * 300_000.0) as Millis;
            let leave_at = start - walk - buffer;
            if self.now >= leave_at {
                let (goal, room) = match self.consult(a, s) {
                    Some(to) => (to, self.room_for(a, to)),
                    None => (s, room),
                };
                let ag = &mut self.agents[a as usize];
                ag.cursor += 1;
                ag.goal = goal;
                self.go(a, room, Purpose::Session);
            } else {
                ag.goal = NONE;
                let at = ag.at;
                // Already in the room of the next talk: keep the seat
                // (turnover) rather than walk out and queue again.
                let here_is_hangout = at == room || (at != NOWHERE && w.hangouts.contains(&at));
                let h = if at == room {
                    at
                } else {
                    self.choose_hangout(a)
                };
                if !here_is_hangout && h != at {
                    self.go(a, h, Purpose::Hangout);
                } else {
                    let ag = &mut self.agents[a as usize];
                    ag.phase = Phase::Idle;
                    ag.epoch = ag.epoch.wrapping_add(1);
                }
                self.wake_at(a, leave_at);
            }
            return;
        }
    }

    pub(super) fn arrive(&mut self, a: u32) {
        let w = self.w;
        let open = &self.open;
        let mut gates = w.entrances.iter().copied().filter(|&e| open[e as usize]);
        let count = gates.clone().count();
        let ag = &mut self.agents[a as usize];
        let pick = ag.life.random::<f64>();
        let badge = ag.badge;
        // Badge holders use any open entrance; the rest the first (by the desks).
        let nth = if badge {
            ((pick * count as f64) as usize).min(count.saturating_sub(1))
        } else {
            0
        };
        let gate = gates.nth(nth).unwrap_or(NOWHERE);
        ag.phase = Phase::Idle;
        self.move_to(a, gate);
        let id = format!("a{a}");
        self.signal(
            "twin-badge",
            SignalType::AttendeeCheckedIn,
            id.clone(),
            SignalData::CheckedIn {
                gate: (gate != NOWHERE).then(|| w.spaces[gate as usize].id.clone()),
            },
        );
        if self.agents[a as usize].app {
            self.send_plan(a);
        }
        match w.registration {
            Some(q) if !badge && self.open[q as usize] && gate != NOWHERE => {
                self.go(a, q, Purpose::Register);
            }
            _ => self.decide(a),
        }
    }

    /// What the app tells Baton of a bookmarker's plan: most of the talks
    /// they mean to attend (`bookmark_keep`), some with a bookmark for a
    /// talk at the same time they will skip (`bookmark_extra`). Keyed draws,
    /// so the same plan gives the same bookmarks in every run.
    pub(super) fn send_plan(&mut self, a: u32) {
        let w = self.w;
        let Some(marked) =
            crate::bookmarks::bookmarks_of(w, self.t, self.seed, a, &self.agents[a as usize].plan)
        else {
            return;
        };
        let sessions = marked
            .iter()
            .map(|&s| w.sessions[s as usize].id.clone())
            .collect();
        self.signal(
            "twin-app",
            SignalType::AttendeePlan,
            format!("a{a}"),
            SignalData::Plan {
                sessions,
                // App users let the app use their door scans (stated
                // assumption, docs/SIMULATION.md, "Recommendations").
                share_position: true,
            },
        );
    }

    pub(super) fn serve_registration(&mut self) {
        while self.desk.busy < self.desk.desks {
            let Some(a) = self.desk.queue.pop_front() else {
                break;
            };
            self.desk.busy += 1;
            let ag = &mut self.agents[a as usize];
            let ms = exponential(&mut ag.life, self.t.service as f64) as Millis;
            self.at(self.now + ms.max(5_000), Ev::RegDone(a));
        }
    }
}
