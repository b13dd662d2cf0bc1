//! One simulated day: a discrete-event loop with the real engine in it.
//!
//! Nothing here steps at a fixed rate. Each attendee, session, sensor sweep,
//! staff member and operator schedules its own next moment on one event
//! queue, so a seated attendee costs nothing until the session ends. The
//! engine runs in-process on the same path as the server: the twin's signals
//! and commands are stamped entries for `Engine::apply`, ticks run on the
//! event's cadence, and the engine's `Execute` outputs come back as actions
//! the twin carries out (notifications read, signs shown, staff walking,
//! rooms opened), each answered with an `ActionResult`.

use crate::agents::{self, Agent, NONE, Phase, exponential, normal};
use crate::kpi::{Kpis, RunResult};
use crate::twin::{Disruption, Twin};
use crate::world::{NOWHERE, Routes, World, weidmann_speed_share};
use baton_core::output::TaskEvent;
use baton_core::{Engine, Output, Status};
use baton_model::signal::{Severity, StaffStatus, TaskState};
use baton_model::{
    Command, CommandKind, DecisionId, Entry, Millis, Outcome, PolicySet, Signal, SignalData,
    SignalType, SpaceKind, Stamped,
};
use rand::Rng;
use rand_pcg::Pcg32;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

mod actions;
mod link;

use link::Link;
pub use link::Live;

/// How a run differs from the twin file: the seed and, for the sensitivity
/// study, one compliance for notifications and signs alike.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub seed: u64,
    pub compliance: Option<f64>,
    /// Keep per-minute occupancy of every space, for charts.
    pub series: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the policies do not compile against the event: {0}")]
    Config(String),
}

/// Why an attendee is walking somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Session,
    /// To an overflow room, to watch the goal session's stream.
    Stream,
    Hangout,
    Register,
    Exit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrive(u32),
    Hop(u32, u32),
    Decide(u32, u32),
    GiveUp(u32, u32),
    RegDone(u32),
    DoorsOpen(u32, Millis),
    Start(u32, Millis),
    End(u32, Millis),
    Notice(u32, u32),
    Sensors,
    Sample,
    StaffAck(u32),
    StaffHop(u32),
    StaffDone(u32),
    Operator(u32, bool),
    AckAlert(u32),
    Disrupt(u32),
    Reopen(u16),
    Finish,
}

#[derive(Debug, Clone, Copy)]
enum Note {
    Redirect {
        from: u32,
        to_session: u32,
        to_space: u16,
    },
    Delay {
        session: u32,
    },
    Other,
}

#[derive(Debug, Clone, Copy)]
struct SignState {
    until: Millis,
    /// The full session the sign points people away from, or `NONE`.
    full: u32,
    to_session: u32,
    to_space: u16,
}

#[derive(Debug, Clone)]
struct TaskSim {
    id: String,
    staff: u16,
    space: u16,
    role: String,
    dispatched: Millis,
    until: Millis,
    arrived: bool,
    desk: bool,
    closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionPhase {
    Planned,
    Running,
    Ended,
}

struct Sim<'w> {
    w: &'w World,
    t: &'w Twin,
    /// Where the twin's entries go: the engine in the loop, or a server.
    link: Link,
    start: Millis,
    seed: u64,
    seq: u64,
    now: Millis,
    /// Journal time the ticks have been made up to.
    ticked: Millis,
    tick: Millis,
    inbox: VecDeque<Entry>,
    draining: bool,
    outs: Vec<Output>,
    heap: BinaryHeap<Reverse<(Millis, u64, Ev)>>,
    evn: u64,
    agents: Vec<Agent>,
    purpose: Vec<Purpose>,
    occ: Vec<u32>,
    last: Vec<Millis>,
    open: Vec<bool>,
    routes: Routes,
    s_start: Vec<Millis>,
    s_end: Vec<Millis>,
    s_phase: Vec<SessionPhase>,
    members: Vec<Vec<(u32, u32)>>,
    holder: Vec<u32>,
    room_sessions: Vec<Vec<u32>>,
    door_wait: Vec<Vec<(u32, u32)>>,
    reg_q: VecDeque<u32>,
    reg_busy: u32,
    desks: u32,
    staff_at: Vec<u16>,
    staff_index: HashMap<String, u16>,
    tasks: Vec<TaskSim>,
    signs: Vec<Option<SignState>>,
    sign_dark: Vec<(u16, Millis, Millis)>,
    sensor_dark: Vec<(u16, Millis, Millis)>,
    notes: Vec<Note>,
    pending: Vec<DecisionId>,
    alert_groups: Vec<String>,
    sensor_rng: Pcg32,
    staff_rng: Pcg32,
    op_rng: Pcg32,
    sig_n: u64,
    comp_notify: f64,
    comp_sign: f64,
    // Outcome tallies.
    above_ms: f64,
    above_by_space: Vec<f64>,
    los_ms: Vec<[f64; 6]>,
    turned_away: u64,
    redirect_recv: u64,
    redirect_acc: u64,
    sign_followed: u64,
    staff_resp_min: Vec<f64>,
    failed: u64,
    decisions: u64,
    series: Option<Vec<u32>>,
    events: u64,
    finished: bool,
}

/// Simulates one day under `policies` for one seed.
pub fn run(
    world: &World,
    twin: &Twin,
    policies: &PolicySet,
    opts: RunOptions,
) -> Result<RunResult, RunError> {
    let eng = Engine::new(world.spec.clone(), policies.clone())
        .map_err(|e| RunError::Config(e.to_string()))?;
    let mut sim = Sim::new(world, twin, Some(eng), opts);
    sim.run_loop();
    let start = sim.start;
    Ok(sim.finish(start))
}

impl<'w> Sim<'w> {
    fn new(world: &'w World, twin: &'w Twin, eng: Option<Engine>, opts: RunOptions) -> Sim<'w> {
        let n = world.spaces.len();
        let mut open = vec![true; n];
        for &c in &twin.closed_at_start {
            open[c as usize] = false;
        }
        let routes = world.routes(&open);
        let agents = agents::population(world, twin, opts.seed);
        let ns = world.sessions.len();
        let mut room_sessions = vec![Vec::new(); n];
        for (i, s) in world.sessions.iter().enumerate() {
            room_sessions[s.space as usize].push(i as u32);
        }
        let mut staff_index = HashMap::new();
        for (i, s) in world.spec.staff.iter().enumerate() {
            staff_index.insert(s.id.clone(), i as u16);
        }
        let start = twin.doors.min(world.first_start) - 60_000;
        let tick = world.spec.event.tick.max(1_000);
        let purpose = vec![Purpose::Hangout; agents.len()];
        let mut sim = Sim {
            w: world,
            t: twin,
            link: match eng {
                Some(e) => Link::InProcess(Box::new(e)),
                None => Link::Live(Vec::new()),
            },
            start,
            seed: opts.seed,
            seq: 0,
            now: start,
            // A boundary at the start itself gets its tick.
            ticked: start - 1,
            tick,
            inbox: VecDeque::new(),
            draining: false,
            outs: Vec::new(),
            heap: BinaryHeap::new(),
            evn: 0,
            agents,
            purpose,
            occ: vec![0; n],
            last: vec![start; n],
            open,
            routes,
            s_start: world.sessions.iter().map(|s| s.start).collect(),
            s_end: world.sessions.iter().map(|s| s.end).collect(),
            s_phase: vec![SessionPhase::Planned; ns],
            members: vec![Vec::new(); ns],
            holder: vec![NONE; n],
            room_sessions,
            door_wait: vec![Vec::new(); n],
            reg_q: VecDeque::new(),
            reg_busy: 0,
            desks: twin.desks,
            staff_at: vec![NOWHERE; world.spec.staff.len()],
            staff_index,
            tasks: Vec::new(),
            signs: vec![None; world.spec.signs.len()],
            sign_dark: Vec::new(),
            sensor_dark: Vec::new(),
            notes: Vec::new(),
            pending: Vec::new(),
            alert_groups: Vec::new(),
            sensor_rng: Pcg32::new(agents::mix(opts.seed, 3), 0),
            staff_rng: Pcg32::new(agents::mix(opts.seed, 4), 0),
            op_rng: Pcg32::new(agents::mix(opts.seed, 5), 0),
            sig_n: 0,
            comp_notify: opts.compliance.unwrap_or(twin.compliance_notification),
            comp_sign: opts.compliance.unwrap_or(twin.compliance_sign),
            above_ms: 0.0,
            above_by_space: vec![0.0; n],
            los_ms: vec![[0.0; 6]; n],
            turned_away: 0,
            redirect_recv: 0,
            redirect_acc: 0,
            sign_followed: 0,
            staff_resp_min: Vec::new(),
            failed: 0,
            decisions: 0,
            series: opts.series.then(Vec::new),
            events: 0,
            finished: false,
        };
        sim.setup(start);
        sim
    }

    fn at(&mut self, t: Millis, ev: Ev) {
        self.evn += 1;
        self.heap.push(Reverse((t.max(self.now), self.evn, ev)));
    }

    fn setup(&mut self, start: Millis) {
        let w = self.w;
        for (i, a) in self.agents.iter().enumerate() {
            let t = a.arrival;
            self.evn += 1;
            self.heap.push(Reverse((t, self.evn, Ev::Arrive(i as u32))));
        }
        for (i, d) in self.t.disruptions.iter().enumerate() {
            match d {
                Disruption::Overrun { session, minutes } => {
                    self.s_end[*session as usize] += i64::from(*minutes) * 60_000;
                }
                Disruption::SensorDark { space, at, minutes } => {
                    self.sensor_dark
                        .push((*space, *at, at + i64::from(*minutes) * 60_000));
                }
                Disruption::SignOffline { sign, at, minutes } => {
                    self.sign_dark
                        .push((*sign, *at, at + i64::from(*minutes) * 60_000));
                }
                Disruption::Popular { at: Some(t), .. }
                | Disruption::Delay { at: t, .. }
                | Disruption::Close { at: t, .. }
                | Disruption::Incident { at: t, .. } => {
                    let t = *t;
                    self.at(t, Ev::Disrupt(i as u32));
                }
                Disruption::Popular { at: None, .. } | Disruption::Surge { .. } => {}
            }
        }
        for s in 0..w.sessions.len() {
            let (st, en) = (self.s_start[s], self.s_end[s]);
            self.at(st - 600_000, Ev::DoorsOpen(s as u32, st));
            self.at(st, Ev::Start(s as u32, st));
            self.at(en, Ev::End(s as u32, en));
        }
        self.at(start + 1_000, Ev::Sensors);
        self.at(start, Ev::Sample);
        self.at(self.t.end, Ev::Finish);
        self.now = start;
        // Spaces shut at the start are reported shut, so the engine and the
        // twin agree on what is open.
        for i in 0..self.t.closed_at_start.len() {
            let sp = self.t.closed_at_start[i];
            self.signal(
                "twin-ops",
                SignalType::SpaceClosed,
                w.spaces[sp as usize].id.clone(),
                SignalData::Closed {
                    reason: Some("closed at the start of the day".into()),
                },
            );
        }
        // Staff start at a post in their zone: a foyer, entrance or queue.
        for (i, st) in w.spec.staff.iter().enumerate() {
            let post = (0..w.spaces.len() as u16)
                .filter(|&s| w.zones[w.spaces[s as usize].zone as usize] == st.zone)
                .min_by_key(|&s| {
                    let rank = match w.spaces[s as usize].kind {
                        SpaceKind::Foyer => 0,
                        SpaceKind::Queue => 1,
                        SpaceKind::Entrance => 2,
                        SpaceKind::Corridor => 3,
                        _ => 4,
                    };
                    (rank, s)
                })
                .unwrap_or(NOWHERE);
            self.staff_at[i] = post;
            if post != NOWHERE {
                self.signal(
                    "twin-staff",
                    SignalType::StaffLocation,
                    st.id.clone(),
                    SignalData::StaffLocation {
                        space: w.spaces[post as usize].id.clone(),
                    },
                );
            }
            self.signal(
                "twin-staff",
                SignalType::StaffStatus,
                st.id.clone(),
                SignalData::StaffStatus {
                    status: StaffStatus::Available,
                },
            );
        }
    }

    fn run_loop(&mut self) {
        while let Some(Reverse((t, _, ev))) = self.heap.pop() {
            self.advance(t);
            self.events += 1;
            self.handle(ev);
            if self.finished {
                break;
            }
        }
    }

    /// Runs the engine's clock up to `t`: the ticks that fire timers and
    /// minute policies, exactly as the server's core thread would.
    fn advance(&mut self, t: Millis) {
        // An event a tick scheduled between the last tick and `t` is taken
        // at the current time: the clock never runs backwards.
        let t = t.max(self.now);
        if self.link.in_process() && self.ticked < t {
            // The one tick rule (`baton_core::sequence`): a tick on every
            // multiple of the event's tick, as replay and the server make them.
            for b in baton_core::sequence::due_ticks(self.ticked, t, self.tick) {
                self.now = b;
                self.submit(Entry::Tick);
            }
            self.ticked = t;
        }
        self.now = t;
    }

    fn submit(&mut self, e: Entry) {
        if let Link::Live(out) = &mut self.link {
            // Live: only signals go to the server; its own clock, executor
            // and operators produce the rest.
            if let Entry::Signal(s) = e {
                out.push(s);
            }
            return;
        }
        self.inbox.push_back(e);
        if self.draining {
            return;
        }
        self.draining = true;
        while let Some(entry) = self.inbox.pop_front() {
            self.seq += 1;
            let stamped = Stamped {
                seq: self.seq,
                time: self.now,
                entry,
            };
            let mut outs = std::mem::take(&mut self.outs);
            outs.clear();
            if let Link::InProcess(eng) = &mut self.link {
                eng.apply(&stamped, &mut outs);
            }
            for o in &outs {
                self.on_output(o);
            }
            self.outs = outs;
        }
        self.draining = false;
    }

    fn signal(
        &mut self,
        source: &'static str,
        kind: SignalType,
        subject: String,
        data: SignalData,
    ) {
        self.sig_n += 1;
        let s = Signal {
            id: self.sig_n.to_string(),
            source: source.to_string(),
            kind,
            subject,
            time: Some(self.now),
            data,
        };
        self.submit(Entry::Signal(s));
    }

    fn dark(&self, space: u16) -> bool {
        self.sensor_dark
            .iter()
            .any(|&(s, a, b)| s == space && self.now >= a && self.now < b)
    }

    // ------------------------------------------------------------------
    // Occupancy and the KPIs that integrate over it.
    // ------------------------------------------------------------------

    fn touch(&mut self, sp: u16) {
        let i = sp as usize;
        let dt = (self.now - self.last[i]) as f64;
        if dt > 0.0 {
            let info = &self.w.spaces[i];
            let o = self.occ[i];
            if o > info.capacity {
                self.above_ms += f64::from(o) * dt;
                self.above_by_space[i] += f64::from(o) * dt;
            }
            let level = baton_core::los::level(
                info.table,
                f64::from(o) / info.area_m2,
                f64::from(o) / f64::from(info.capacity),
            );
            let k = (level.as_bytes().first().copied().unwrap_or(b'A') - b'A').min(5) as usize;
            self.los_ms[i][k] += dt;
            self.last[i] = self.now;
        }
    }

    fn counted_door(&self, sp: u16) -> bool {
        let info = &self.w.spaces[sp as usize];
        info.holds_sessions || matches!(info.kind, SpaceKind::Entrance | SpaceKind::Queue)
    }

    fn leave_space(&mut self, sp: u16) {
        if sp == NOWHERE {
            return;
        }
        self.touch(sp);
        self.occ[sp as usize] = self.occ[sp as usize].saturating_sub(1);
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
        if !self.door_wait[sp as usize].is_empty() {
            self.admit(sp);
        }
    }

    fn move_to(&mut self, a: u32, to: u16) {
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

    fn walk_secs(&self, from: u16, to: u16) -> u32 {
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
    fn choose_hangout(&mut self, a: u32) -> u16 {
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

    fn nearest_exit(&self, from: u16) -> u16 {
        self.w
            .entrances
            .iter()
            .copied()
            .filter(|&e| self.open[e as usize])
            .min_by_key(|&e| (self.walk_secs(from, e), e))
            .unwrap_or(NOWHERE)
    }

    fn go(&mut self, a: u32, dest: u16, purpose: Purpose) {
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

    fn schedule_hop(&mut self, a: u32) {
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
    fn stranded(&mut self, a: u32) {
        let ag = &mut self.agents[a as usize];
        ag.phase = Phase::Idle;
        ag.goal = NONE;
        ag.epoch = ag.epoch.wrapping_add(1);
        let g = ag.epoch;
        self.at(self.now + 300_000, Ev::Decide(a, g));
    }

    fn hop(&mut self, a: u32) {
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

    fn arrived(&mut self, a: u32) {
        match self.purpose[a as usize] {
            Purpose::Session | Purpose::Stream => {
                let ag = &mut self.agents[a as usize];
                ag.phase = Phase::Seated;
                let (goal, epoch) = (ag.goal, ag.epoch);
                if goal != NONE {
                    self.members[goal as usize].push((a, epoch));
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
                self.reg_q.push_back(a);
                self.serve_registration();
            }
            Purpose::Exit => {
                self.move_to(a, NOWHERE);
                self.agents[a as usize].phase = Phase::Gone;
            }
        }
    }

    /// At the door of the goal room: in, wait, or turned away.
    fn door(&mut self, a: u32) {
        let ag = &self.agents[a as usize];
        let (room, goal) = (ag.dest, ag.goal);
        let info = &self.w.spaces[room as usize];
        let scheduled = !self.room_sessions[room as usize].is_empty();
        let stream = self.purpose[a as usize] == Purpose::Stream;
        let doors_open = stream || !scheduled || self.holder[room as usize] == goal;
        let full = self.occ[room as usize] >= info.capacity;
        if doors_open && !full {
            self.move_to(a, room);
            self.arrived(a);
            return;
        }
        if !doors_open && goal != NONE && self.s_phase[goal as usize] == SessionPhase::Planned {
            // Early, or the room is still busy: wait at the door.
            self.wait_at_door(a, room, 30);
            return;
        }
        self.turned_away += 1;
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
            self.alternative(a);
        }
    }

    fn wait_at_door(&mut self, a: u32, room: u16, minutes: i64) {
        let ag = &mut self.agents[a as usize];
        ag.phase = Phase::AtDoor;
        let g = ag.epoch;
        self.door_wait[room as usize].push((a, g));
        self.at(self.now + minutes * 60_000, Ev::GiveUp(a, g));
    }

    /// Lets waiting people in while there are seats and the doors are open.
    fn admit(&mut self, room: u16) {
        let r = room as usize;
        let list = std::mem::take(&mut self.door_wait[r]);
        let mut keep = Vec::with_capacity(list.len());
        for (a, g) in list {
            let ag = &self.agents[a as usize];
            if ag.epoch != g || ag.phase != Phase::AtDoor || ag.dest != room {
                continue;
            }
            let stream = self.purpose[a as usize] == Purpose::Stream;
            let scheduled = !self.room_sessions[r].is_empty();
            let doors_open = stream || !scheduled || self.holder[r] == ag.goal;
            if doors_open && self.open[r] && self.occ[r] < self.w.spaces[r].capacity {
                self.move_to(a, room);
                self.arrived(a);
            } else {
                keep.push((a, g));
            }
        }
        keep.append(&mut self.door_wait[r]);
        self.door_wait[r] = keep;
    }

    /// Turned away (or given up): another session on now or soon, else the foyer.
    fn alternative(&mut self, a: u32) {
        let w = self.w;
        let ag = &self.agents[a as usize];
        let (at, goal, tries) = (ag.at, ag.goal, ag.tries);
        let avoid = if goal == NONE {
            NOWHERE
        } else {
            w.sessions[goal as usize].space
        };
        let mut best = (f64::NEG_INFINITY, NONE);
        if tries < 3 {
            for s in 0..w.sessions.len() {
                // Sorted by the published start; a delayed one may start later.
                if w.sessions[s].start > self.now + 15 * 60_000 {
                    break;
                }
                let st = self.s_start[s];
                if st > self.now + 15 * 60_000
                    || self.s_phase[s] == SessionPhase::Ended
                    || st < self.now - 10 * 60_000
                    || w.sessions[s].space == avoid
                    || !self.open[w.sessions[s].space as usize]
                {
                    continue;
                }
                let walk = f64::from(self.walk_secs(at, w.sessions[s].space)) / 300.0;
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
            let room = w.sessions[best.1 as usize].space;
            self.agents[a as usize].goal = best.1;
            self.go(a, room, Purpose::Session);
        } else {
            self.agents[a as usize].goal = NONE;
            self.idle_until_next(a);
        }
    }

    /// Goes to the nearest foyer and thinks again when the next plan item nears.
    fn idle_until_next(&mut self, a: u32) {
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
    fn wake_at(&mut self, a: u32, t: Millis) {
        let ag = &mut self.agents[a as usize];
        ag.wake = t;
        let g = ag.epoch;
        self.at(t, Ev::Decide(a, g));
    }

    fn known_start(&self, a: u32, s: u32) -> Millis {
        if self.agents[a as usize].aware == s {
            self.s_start[s as usize]
        } else {
            self.w.sessions[s as usize].start
        }
    }

    fn decide(&mut self, a: u32) {
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
            if self.s_phase[s as usize] == SessionPhase::Ended || self.now > start + 10 * 60_000 {
                self.agents[a as usize].cursor += 1;
                continue;
            }
            let room = w.sessions[s as usize].space;
            let walk = i64::from(self.walk_secs(ag.at, room)) * 1000;
            let ag = &mut self.agents[a as usize];
            let buffer = 180_000 + (ag.life.random::<f64>() * 300_000.0) as Millis;
            let leave_at = start - walk - buffer;
            if self.now >= leave_at {
                ag.cursor += 1;
                ag.goal = s;
                self.go(a, room, Purpose::Session);
            } else {
                ag.goal = NONE;
                let at = ag.at;
                let here_is_hangout = at != NOWHERE && w.hangouts.contains(&at);
                let h = self.choose_hangout(a);
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

    fn arrive(&mut self, a: u32) {
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

    fn send_plan(&mut self, a: u32) {
        let sessions = self.agents[a as usize]
            .plan
            .iter()
            .map(|&s| self.w.sessions[s as usize].id.clone())
            .collect();
        self.signal(
            "twin-app",
            SignalType::AttendeePlan,
            format!("a{a}"),
            SignalData::Plan { sessions },
        );
    }

    fn serve_registration(&mut self) {
        while self.reg_busy < self.desks {
            let Some(a) = self.reg_q.pop_front() else {
                break;
            };
            self.reg_busy += 1;
            let ag = &mut self.agents[a as usize];
            let ms = exponential(&mut ag.life, self.t.service as f64) as Millis;
            self.at(self.now + ms.max(5_000), Ev::RegDone(a));
        }
    }

    fn look_at_signs(&mut self, a: u32, sp: u16) -> bool {
        let ag = &self.agents[a as usize];
        if ag.goal == NONE || self.purpose[a as usize] != Purpose::Session {
            return false;
        }
        let goal = ag.goal;
        for i in 0..self.w.signs_in[sp as usize].len() {
            let sg = self.w.signs_in[sp as usize][i];
            let Some(st) = self.signs[sg as usize] else {
                continue;
            };
            if st.until <= self.now || st.full != goal {
                continue;
            }
            let ag = &mut self.agents[a as usize];
            if ag.resp.random::<f64>() < self.comp_sign {
                self.sign_followed += 1;
                self.switch_to(a, st.to_session, st.to_space, goal);
                return true;
            }
        }
        false
    }

    /// Swaps a bookmark (or drops it, for a stream) and, for app users,
    /// tells Baton, as the app would: they are no longer on their way there.
    fn rebook(&mut self, a: u32, from: u32, to: u32) {
        let ag = &mut self.agents[a as usize];
        let c = (ag.cursor as usize).min(ag.plan.len());
        let mut changed = false;
        for i in 0..ag.plan.len() {
            if ag.plan[i] == from {
                changed = true;
                if to != NONE {
                    ag.plan[i] = to;
                }
            }
        }
        if to == NONE {
            // Only the bookmarks still ahead can be dropped without moving the cursor.
            let (done, ahead) = ag.plan.split_at(c);
            let mut kept: Vec<u32> = done.to_vec();
            kept.extend(ahead.iter().copied().filter(|&x| x != from));
            ag.plan = kept;
        }
        if changed && ag.app {
            self.send_plan(a);
        }
    }

    /// Follows a redirect: to another session, or to the stream of `from`.
    fn switch_to(&mut self, a: u32, to_session: u32, to_space: u16, from: u32) {
        if to_session != NONE {
            self.agents[a as usize].goal = to_session;
            let room = self.w.sessions[to_session as usize].space;
            self.go(a, room, Purpose::Session);
        } else {
            self.agents[a as usize].goal = from;
            self.go(a, to_space, Purpose::Stream);
        }
    }

    fn notice(&mut self, a: u32, note: u32) {
        let Some(&n) = self.notes.get(note as usize) else {
            return;
        };
        let ag = &self.agents[a as usize];
        if matches!(ag.phase, Phase::Gone | Phase::Outside) {
            return;
        }
        match n {
            Note::Redirect {
                from,
                to_session,
                to_space,
            } => {
                self.redirect_recv += 1;
                let heading = ag.goal == from && matches!(ag.phase, Phase::Moving | Phase::AtDoor);
                let later = ag.plan[(ag.cursor as usize).min(ag.plan.len())..].contains(&from);
                if !heading && !later {
                    return;
                }
                let from_room = self.w.sessions[from as usize].space;
                let extra = f64::from(self.walk_secs(ag.at, to_space))
                    - f64::from(self.walk_secs(ag.at, from_room));
                let p = self.comp_notify / (1.0 + extra.max(0.0) / 180.0);
                let ag = &mut self.agents[a as usize];
                if ag.resp.random::<f64>() >= p {
                    return;
                }
                if heading {
                    self.redirect_acc += 1;
                    self.switch_to(a, to_session, to_space, from);
                    self.rebook(a, from, to_session);
                } else if to_session != NONE {
                    // Planned for later: the bookmark changes (a stream
                    // offered for a later session cannot be planned for, so
                    // it is not counted as followed).
                    let c = (ag.cursor as usize).min(ag.plan.len());
                    if ag.plan[c..].contains(&from) {
                        self.redirect_acc += 1;
                        self.rebook(a, from, to_session);
                    }
                }
            }
            Note::Delay { session } => {
                let heading =
                    ag.goal == session && matches!(ag.phase, Phase::Moving | Phase::AtDoor);
                let later = ag.plan[(ag.cursor as usize).min(ag.plan.len())..].contains(&session);
                if !heading && !later {
                    return;
                }
                let ag = &mut self.agents[a as usize];
                if ag.resp.random::<f64>() >= self.comp_notify {
                    return;
                }
                ag.aware = session;
                if heading {
                    // Back to the foyer; the session is taken up again in time.
                    let c = ag.cursor as usize;
                    if c > 0 && ag.plan.get(c - 1) == Some(&session) {
                        ag.cursor -= 1;
                    } else {
                        ag.plan.insert(c.min(ag.plan.len()), session);
                    }
                    ag.goal = NONE;
                    ag.epoch = ag.epoch.wrapping_add(1);
                    self.decide(a);
                }
            }
            Note::Other => {}
        }
    }

    // ------------------------------------------------------------------
    // Sessions and rooms.
    // ------------------------------------------------------------------

    fn open_doors(&mut self, room: u16) {
        let r = room as usize;
        if self.holder[r] != NONE && self.s_phase[self.holder[r] as usize] != SessionPhase::Ended {
            return;
        }
        let next = self.room_sessions[r].iter().copied().find(|&s| {
            self.s_phase[s as usize] != SessionPhase::Ended
                && self.s_start[s as usize] - 600_000 <= self.now
        });
        self.holder[r] = next.unwrap_or(NONE);
        if next.is_some() {
            self.admit(room);
        }
    }

    fn end_session(&mut self, s: u32) {
        self.s_phase[s as usize] = SessionPhase::Ended;
        let id = self.w.sessions[s as usize].id.clone();
        self.signal(
            "twin-av",
            SignalType::SessionEnded,
            id,
            SignalData::SessionEnded,
        );
        let members = std::mem::take(&mut self.members[s as usize]);
        for (a, g) in members {
            let ag = &mut self.agents[a as usize];
            if ag.epoch != g || ag.phase != Phase::Seated || ag.goal != s {
                continue;
            }
            ag.phase = Phase::Idle;
            ag.goal = NONE;
            let jitter = (ag.life.random::<f64>() * 120_000.0) as Millis;
            self.at(self.now + jitter, Ev::Decide(a, g));
        }
        let room = self.w.sessions[s as usize].space;
        // Whoever still waits for this session gives up now.
        let waiting = std::mem::take(&mut self.door_wait[room as usize]);
        let mut keep = Vec::new();
        for (a, g) in waiting {
            let ag = &self.agents[a as usize];
            if ag.epoch == g && ag.phase == Phase::AtDoor && ag.goal == s {
                self.alternative(a);
            } else if ag.epoch == g && ag.phase == Phase::AtDoor {
                keep.push((a, g));
            }
        }
        keep.append(&mut self.door_wait[room as usize]);
        self.door_wait[room as usize] = keep;
        if self.holder[room as usize] == s {
            self.open_doors(room);
        }
    }

    /// Moves a session later (never earlier), with its end.
    fn retime(&mut self, s: u32, minutes: i64) {
        let base = self.w.sessions[s as usize].start;
        let new_start = base + minutes * 60_000;
        let i = s as usize;
        if new_start <= self.s_start[i] || self.s_phase[i] != SessionPhase::Planned {
            return;
        }
        let shift = new_start - self.s_start[i];
        self.s_start[i] = new_start;
        self.s_end[i] += shift;
        self.at(new_start - 600_000, Ev::DoorsOpen(s, new_start));
        self.at(new_start, Ev::Start(s, new_start));
        let end = self.s_end[i];
        self.at(end, Ev::End(s, end));
        let room = self.w.sessions[i].space;
        if self.holder[room as usize] == s {
            self.holder[room as usize] = NONE;
        }
    }

    // ------------------------------------------------------------------
    // The engine's side.
    // ------------------------------------------------------------------

    fn on_output(&mut self, o: &Output) {
        match o {
            Output::Decision(d) => {
                self.decisions += 1;
                if d.status == Status::Pending && self.link.in_process() {
                    let idx = self.pending.len() as u32;
                    self.pending.push(d.id);
                    let reject = self.op_rng.random::<f64>() < self.t.operator_reject_share;
                    let delay = exponential(&mut self.op_rng, self.t.operator_delay as f64);
                    self.at(self.now + delay as Millis, Ev::Operator(idx, !reject));
                }
            }
            Output::Execute {
                decision, actions, ..
            } => self.execute(*decision, actions),
            Output::Task {
                task, staff, state, ..
            } => {
                if matches!(
                    state,
                    TaskEvent::Reassigned
                        | TaskEvent::Preempted
                        | TaskEvent::Expired
                        | TaskEvent::Unanswered
                        | TaskEvent::Unfilled
                        | TaskEvent::Withdrawn
                ) && let Some(sid) = staff.as_deref().and_then(|s| self.staff_index.get(s))
                {
                    let sid = *sid;
                    for i in 0..self.tasks.len() {
                        if self.tasks[i].id == *task && self.tasks[i].staff == sid {
                            self.close_task(i);
                        }
                    }
                }
            }
            Output::ActionOutcome { outcome, .. } => {
                if matches!(outcome, Outcome::Failed | Outcome::Expired | Outcome::Dead) {
                    self.failed += 1;
                }
            }
            _ => {}
        }
    }

    fn close_task(&mut self, i: usize) {
        let t = &mut self.tasks[i];
        if t.closed {
            return;
        }
        t.closed = true;
        if t.desk {
            t.desk = false;
            self.desks = self.desks.saturating_sub(1);
        }
    }

    fn staff_task_signal(&mut self, i: usize, state: TaskState) {
        let t = &self.tasks[i];
        let id = self.w.spec.staff[t.staff as usize].id.clone();
        let task = t.id.clone();
        self.signal(
            "twin-staff",
            SignalType::StaffTask,
            id,
            SignalData::StaffTask { task, state },
        );
    }

    fn staff_step(&mut self, i: usize) {
        let (staff, space) = (self.tasks[i].staff, self.tasks[i].space);
        let at = self.staff_at[staff as usize];
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
        self.staff_at[staff as usize] = next;
        self.at(self.now + (secs * 800.0) as Millis, Ev::StaffHop(i as u32));
    }

    fn staff_arrived(&mut self, i: usize) {
        let t = &mut self.tasks[i];
        t.arrived = true;
        let space = t.space;
        let minutes = (self.now - t.dispatched) as f64 / 60_000.0;
        let staff_id = self.w.spec.staff[t.staff as usize].id.clone();
        let desk_task = Some(space) == self.w.registration && t.role == "registration";
        let until = t.until;
        let steward = t.role == "steward";
        self.staff_resp_min.push(minutes);
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
            self.tasks[i].desk = true;
            self.desks += 1;
            self.serve_registration();
        }
        if steward {
            self.move_on(space);
        }
        let done = if desk_task {
            until.max(self.now + 60_000)
        } else {
            self.now + 10 * 60_000
        };
        self.at(done, Ev::StaffDone(i as u32));
    }

    /// Stewards move idle people on from a crowded space to a quieter one.
    fn move_on(&mut self, space: u16) {
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

    fn handle(&mut self, ev: Ev) {
        let w = self.w;
        match ev {
            Ev::Arrive(a) => self.arrive(a),
            Ev::Hop(a, g) => {
                if self.agents[a as usize].epoch == g
                    && self.agents[a as usize].phase == Phase::Moving
                {
                    self.hop(a);
                }
            }
            Ev::Decide(a, g) => {
                let ag = &self.agents[a as usize];
                if ag.epoch == g && matches!(ag.phase, Phase::Idle | Phase::Seated) {
                    self.decide(a);
                }
            }
            Ev::GiveUp(a, g) => {
                let ag = &self.agents[a as usize];
                if ag.epoch == g && ag.phase == Phase::AtDoor {
                    self.alternative(a);
                }
            }
            Ev::RegDone(a) => {
                self.reg_busy = self.reg_busy.saturating_sub(1);
                self.agents[a as usize].badge = true;
                self.agents[a as usize].phase = Phase::Idle;
                self.decide(a);
                self.serve_registration();
            }
            Ev::DoorsOpen(s, at) => {
                if self.s_start[s as usize] == at {
                    self.open_doors(w.sessions[s as usize].space);
                }
            }
            Ev::Start(s, at) => {
                if self.s_start[s as usize] == at
                    && self.s_phase[s as usize] == SessionPhase::Planned
                {
                    self.s_phase[s as usize] = SessionPhase::Running;
                    let id = w.sessions[s as usize].id.clone();
                    self.signal(
                        "twin-av",
                        SignalType::SessionStarted,
                        id,
                        SignalData::SessionStarted,
                    );
                }
            }
            Ev::End(s, at) => {
                if self.s_end[s as usize] == at && self.s_phase[s as usize] != SessionPhase::Ended {
                    self.end_session(s);
                }
            }
            Ev::Notice(a, n) => self.notice(a, n),
            Ev::Sensors => {
                self.sensors();
                self.at(self.now + self.t.sensor_interval, Ev::Sensors);
            }
            Ev::Sample => {
                if let Some(series) = self.series.as_mut() {
                    series.extend_from_slice(&self.occ);
                }
                self.at(self.now + 60_000, Ev::Sample);
            }
            Ev::StaffAck(i) => {
                if !self.tasks[i as usize].closed {
                    self.staff_task_signal(i as usize, TaskState::Acknowledged);
                    self.staff_step(i as usize);
                }
            }
            Ev::StaffHop(i) => {
                if !self.tasks[i as usize].closed && !self.tasks[i as usize].arrived {
                    self.staff_step(i as usize);
                }
            }
            Ev::StaffDone(i) => {
                if !self.tasks[i as usize].closed {
                    self.staff_task_signal(i as usize, TaskState::Done);
                    self.close_task(i as usize);
                }
            }
            Ev::Operator(i, approve) => {
                let decision = self.pending[i as usize];
                let kind = if approve {
                    CommandKind::Approve { decision }
                } else {
                    CommandKind::Reject {
                        decision,
                        comment: "not needed (simulated operator)".into(),
                    }
                };
                self.submit(Entry::Command(Command {
                    actor: "twin-operator".into(),
                    kind,
                }));
            }
            Ev::AckAlert(i) => {
                let alert = self.alert_groups[i as usize].clone();
                self.submit(Entry::Command(Command {
                    actor: "twin-operator".into(),
                    kind: CommandKind::AckAlert { alert },
                }));
            }
            Ev::Disrupt(i) => self.disrupt(i as usize),
            Ev::Reopen(sp) => {
                if !self.open[sp as usize] {
                    self.open[sp as usize] = true;
                    self.routes = w.routes(&self.open);
                    self.signal(
                        "twin-ops",
                        SignalType::SpaceOpened,
                        w.spaces[sp as usize].id.clone(),
                        SignalData::Opened { reason: None },
                    );
                }
            }
            Ev::Finish => self.finished = true,
        }
    }

    fn sensors(&mut self) {
        for sp in 0..self.w.spaces.len() as u16 {
            // Draws happen whatever the outcome, so every policy set sees
            // the same sensor randomness.
            let lost = self.sensor_rng.random::<f64>() < self.t.sensor_dropout;
            let z = normal(&mut self.sensor_rng);
            if lost || self.dark(sp) {
                continue;
            }
            let o = f64::from(self.occ[sp as usize]);
            let count = (o * (1.0 + self.t.sensor_noise * z)).round().max(0.0) as u32;
            self.signal(
                "twin-sensor",
                SignalType::SpaceOccupancy,
                self.w.spaces[sp as usize].id.clone(),
                SignalData::Occupancy {
                    count,
                    confidence: None,
                },
            );
            if Some(sp) == self.w.registration {
                let length = self.reg_q.len() as u32;
                let wait = f64::from(length) * self.t.service as f64
                    / 1000.0
                    / f64::from(self.desks.max(1));
                self.signal(
                    "twin-sensor",
                    SignalType::QueueLength,
                    self.w.spaces[sp as usize].id.clone(),
                    SignalData::QueueLength {
                        length,
                        wait_s: Some(wait),
                    },
                );
            }
        }
    }

    fn disrupt(&mut self, i: usize) {
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
                        || self.s_start[session as usize] <= self.now
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

    fn finish(mut self, start: Millis) -> RunResult {
        for sp in 0..self.w.spaces.len() as u16 {
            self.touch(sp);
        }
        let n = self.agents.len().max(1) as f64;
        let notified: Vec<u16> = self.agents.iter().map(|a| a.notified).collect();
        let total: f64 = notified.iter().map(|&x| f64::from(x)).sum();
        let max = notified.iter().copied().max().unwrap_or(0);
        let staff = if self.staff_resp_min.is_empty() {
            f64::NAN
        } else {
            self.staff_resp_min.iter().sum::<f64>() / self.staff_resp_min.len() as f64
        };
        let los_ef: f64 = self.los_ms.iter().map(|l| l[4] + l[5]).sum::<f64>() / 60_000.0;
        let kpis = Kpis {
            above_capacity_min: self.above_ms / 60_000.0,
            turned_away: self.turned_away as f64,
            los_ef_min: los_ef,
            notifications_mean: total / n,
            notifications_max: f64::from(max),
            redirect_acceptance: if self.redirect_recv == 0 {
                f64::NAN
            } else {
                self.redirect_acc as f64 / self.redirect_recv as f64
            },
            staff_response_min: staff,
            actions_failed: self.failed as f64,
        };
        RunResult {
            kpis,
            minute0: start,
            series: self.series.take().unwrap_or_default(),
            los_minutes: self
                .los_ms
                .iter()
                .map(|l| l.map(|ms| ms / 60_000.0))
                .collect(),
            notifications: notified,
            above_by_space: self.above_by_space.iter().map(|ms| ms / 60_000.0).collect(),
            decisions: self.decisions,
            signals: self.sig_n,
            entries: self.seq,
            events: self.events,
            sign_followed: self.sign_followed,
            attendees: self.agents.len() as u32,
            left: self
                .agents
                .iter()
                .filter(|a| a.phase == Phase::Gone)
                .count() as u32,
        }
    }
}
