//! Staff in the twin: they acknowledge a dispatch, walk to the task, do it,
//! and report each step as the messenger would; stewards move idle people on.

use super::*;

impl Sim<'_> {
    pub(super) fn close_task(&mut self, i: usize) {
        let t = &mut self.crew.tasks[i];
        if t.closed {
            return;
        }
        t.closed = true;
        if t.desk {
            t.desk = false;
            self.desk.desks = self.desk.desks.saturating_sub(1);
        }
    }

    pub(super) fn staff_task_signal(&mut self, i: usize, state: TaskState) {
        let t = &self.crew.tasks[i];
        let id = self.w.spec.staff[t.staff as usize].id.clone();
        let task = t.id.clone();
        self.signal(
            "twin-staff",
            SignalType::StaffTask,
            id,
            SignalData::StaffTask { task, state },
        );
    }

    pub(super) fn staff_step(&mut self, i: usize) {
        let (staff, space) = (self.crew.tasks[i].staff, self.crew.tasks[i].space);
        let at = self.crew.at[staff as usize];
        if at == space {
            self.staff_arrived(i);
            return;
        }
        let next = if at == NOWHERE {
            space
        } else {
            self.routes.next(at, space)
        };
        let secs = if at == NOWHERE || next == NOWHERE {
            120.0
        } else {
            let link = self.w.adj[at as usize]
                .iter()
                .find(|x| x.0 == next)
                .map_or(60, |x| x.1);
            let info = &self.w.spaces[at as usize];
            f64::from(link) / weidmann_speed_share(f64::from(self.occ[at as usize]) / info.area_m2)
        };
        let next = if next == NOWHERE { space } else { next };
        // Staff walk faster than the crowd and are not counted in it.
        self.crew.at[staff as usize] = next;
        self.at(self.now + (secs * 800.0) as Millis, Ev::StaffHop(i as u32));
    }

    pub(super) fn staff_arrived(&mut self, i: usize) {
        let t = &mut self.crew.tasks[i];
        t.arrived = true;
        let space = t.space;
        let minutes = (self.now - t.dispatched) as f64 / 60_000.0;
        let staff_id = self.w.spec.staff[t.staff as usize].id.clone();
        let desk_task = Some(space) == self.w.registration && t.role == "registration";
        let until = t.until;
        let steward = t.role == "steward";
        self.tally.staff_resp_min.push(minutes);
        self.signal(
            "twin-staff",
            SignalType::StaffLocation,
            staff_id,
            SignalData::StaffLocation {
                space: self.w.spaces[space as usize].id.clone(),
            },
        );
        self.staff_task_signal(i, TaskState::Arrived);
        if desk_task {
            self.crew.tasks[i].desk = true;
            self.desk.desks += 1;
            self.serve_registration();
        }
        if steward {
            self.move_on(space);
        }
        if self.crew.tasks[i].confirm {
            // A move is checked with the room, the stream and the speaker
            // in a few minutes; sometimes it cannot go ahead.
            if self.staff_rng.random::<f64>() < self.t.move_confirm_fail {
                self.staff_task_signal(i, TaskState::Declined);
                self.close_task(i);
                return;
            }
            let ms = 60_000 + (self.staff_rng.random::<f64>() * 120_000.0) as Millis;
            self.at(self.now + ms, Ev::StaffDone(i as u32));
            return;
        }
        let done = if desk_task {
            until.max(self.now + 60_000)
        } else {
            self.now + 10 * 60_000
        };
        self.at(done, Ev::StaffDone(i as u32));
    }

    /// Stewards move idle people on from a crowded space to a quieter one.
    pub(super) fn move_on(&mut self, space: u16) {
        for a in 0..self.agents.len() as u32 {
            let ag = &mut self.agents[a as usize];
            if ag.at != space || ag.phase != Phase::Idle {
                continue;
            }
            if ag.life.random::<f64>() < 0.5 {
                continue;
            }
            let h = self.choose_hangout(a);
            if h != space && h != NOWHERE {
                self.go(a, h, Purpose::Hangout);
                self.wake_at(a, self.now + 5 * 60_000);
            }
        }
    }

    // ------------------------------------------------------------------
    // The loop's dispatch.
    // ------------------------------------------------------------------
}
