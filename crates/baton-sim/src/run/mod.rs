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
use crate::kpi::RunResult;
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
mod advice;
mod backtest;
mod consult;
mod crowd;
mod disrupt;
mod link;
mod parts;
pub(crate) mod practice;
mod result;
mod sensors;
mod staff;
mod tally;

use link::Link;
pub use link::Live;
use parts::{Crew, Desk, Rooms, SessionPhase, Sessions, TaskSim};
use practice::Practice;
use tally::Tally;

/// How a run differs from the twin file: the seed and, for the sensitivity
/// study, one compliance for notifications and signs alike.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    pub seed: u64,
    pub compliance: Option<f64>,
    /// Keep per-minute occupancy of every space, for charts.
    pub series: bool,
    /// Run current practice (FULL signs, the room-status feed and its app
    /// pushes; see `run/practice.rs`) alongside whatever policies run.
    pub practice: bool,
    /// Replace the published room plan with the perfect-foresight one
    /// (`crate::oracle`) before the doors open.
    pub oracle: bool,
    /// App users consult Baton's recommendations when their next bookmark
    /// is likely full (`run/consult.rs`).
    pub recommendations: bool,
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
    FullSign(u16, u32),
    Finish,
    /// Sample the engine's forecast for a session, at a horizon's index.
    Forecast(u32, u8),
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
    /// A published room move.
    Moved {
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
    /// The forecast backtest's samples, per session and horizon.
    samples: Vec<[Option<backtest::Sample>; backtest::HORIZONS.len()]>,
    evn: u64,
    agents: Vec<Agent>,
    purpose: Vec<Purpose>,
    /// The last session each attendee was counted as having come for.
    came_for: Vec<u32>,
    occ: Vec<u32>,
    last: Vec<Millis>,
    open: Vec<bool>,
    routes: Routes,
    sessions: Sessions,
    rooms: Rooms,
    /// The registration desks and their queue.
    desk: Desk,
    /// Where each staff member is, and the tasks the twin's crew is on.
    crew: Crew,
    signs: Vec<Option<SignState>>,
    sign_dark: Vec<(u16, Millis, Millis)>,
    sensor_dark: Vec<(u16, Millis, Millis)>,
    /// Spaces with a door counter and occupancy sensor (`twin.counters` of
    /// the session rooms, chosen by a draw keyed on the room alone, so the
    /// same rooms have counters in every run; circulation always has them).
    counted: Vec<bool>,
    notes: Vec<Note>,
    pending: Vec<DecisionId>,
    alert_groups: Vec<baton_model::ResourceBuf>,
    sensor_rng: Pcg32,
    staff_rng: Pcg32,
    op_rng: Pcg32,
    sig_n: u64,
    comp_notify: f64,
    comp_sign: f64,
    /// What the KPIs are counted from.
    tally: Tally,
    practice: Practice,
    consult: consult::Consult,
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
    // Plans never look at rooms, so the population drawn on the published
    // world is the one the oracle's world gets: drawn once.
    let people = agents::population(world, twin, opts.seed);
    if opts.oracle {
        let plan = crate::oracle::plan_rooms(world, twin, &crate::oracle::demand(world, &people));
        let planned = world.with_rooms(&plan.rooms);
        let mut r = run_in(&planned, twin, policies, opts, people)?;
        r.rooms_moved = plan.moved;
        return Ok(r);
    }
    run_in(world, twin, policies, opts, people)
}

fn run_in(
    world: &World,
    twin: &Twin,
    policies: &PolicySet,
    opts: RunOptions,
    people: Vec<Agent>,
) -> Result<RunResult, RunError> {
    let eng = Engine::new(world.spec.clone(), policies.clone())
        .map_err(|e| RunError::Config(e.to_string()))?;
    let mut sim = Sim::new(world, twin, Some(eng), opts, people);
    sim.run_loop();
    let start = sim.start;
    Ok(sim.finish(start))
}

impl<'w> Sim<'w> {
    fn new(
        world: &'w World,
        twin: &'w Twin,
        eng: Option<Engine>,
        opts: RunOptions,
        agents: Vec<Agent>,
    ) -> Sim<'w> {
        let n = world.spaces.len();
        let mut open = vec![true; n];
        for &c in &twin.closed_at_start {
            open[c as usize] = false;
        }
        let routes = world.routes(&open);
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
            samples: Vec::new(),
            evn: 0,
            agents,
            came_for: vec![NONE; purpose.len()],
            purpose,
            occ: vec![0; n],
            last: vec![start; n],
            open,
            routes,
            sessions: Sessions {
                start: world.sessions.iter().map(|s| s.start).collect(),
                end: world.sessions.iter().map(|s| s.end).collect(),
                phase: vec![SessionPhase::Planned; ns],
                members: vec![Vec::new(); ns],
                room: world.sessions.iter().map(|s| s.space).collect(),
                demand: vec![0; ns],
            },
            rooms: Rooms {
                holder: vec![NONE; n],
                sessions: room_sessions,
                door_wait: vec![Vec::new(); n],
                at_limit_since: vec![Millis::MAX; n],
                held_for: vec![NONE; n],
            },
            desk: Desk {
                queue: VecDeque::new(),
                busy: 0,
                desks: twin.desks,
            },
            crew: Crew {
                at: vec![NOWHERE; world.spec.staff.len()],
                index: staff_index,
                tasks: Vec::new(),
            },
            signs: vec![None; world.spec.signs.len()],
            sign_dark: Vec::new(),
            sensor_dark: Vec::new(),
            counted: (0..n)
                .map(|i| {
                    !world.spaces[i].holds_sessions
                        || practice::keyed_uniform(0, i as u32, NONE, practice::DRAW_COUNTER)
                            < twin.counters
                })
                .collect(),
            notes: Vec::new(),
            pending: Vec::new(),
            alert_groups: Vec::new(),
            sensor_rng: Pcg32::new(agents::mix(opts.seed, 3), 0),
            staff_rng: Pcg32::new(agents::mix(opts.seed, 4), 0),
            op_rng: Pcg32::new(agents::mix(opts.seed, 5), 0),
            sig_n: 0,
            comp_notify: opts.compliance.unwrap_or(twin.compliance_notification),
            comp_sign: opts.compliance.unwrap_or(twin.compliance_sign),
            tally: Tally::new(n, opts.series),
            practice: Practice::new(opts.practice, n),
            consult: consult::Consult::new(opts.recommendations),
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
                    self.sessions.end[*session as usize] += i64::from(*minutes) * 60_000;
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
            let (st, en) = (self.sessions.start[s], self.sessions.end[s]);
            self.at(st - 600_000, Ev::DoorsOpen(s as u32, st));
            self.at(st, Ev::Start(s as u32, st));
            self.at(en, Ev::End(s as u32, en));
        }
        self.schedule_backtest();
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
            self.crew.at[i] = post;
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

    /// No counts from `space` now: it has no counter, or its sensors are
    /// down (a `sensor_dark` disruption).
    fn dark(&self, space: u16) -> bool {
        !self.counted.get(space as usize).copied().unwrap_or(true)
            || self
                .sensor_dark
                .iter()
                .any(|&(s, a, b)| s == space && self.now >= a && self.now < b)
    }

    // ------------------------------------------------------------------
    // Occupancy and the KPIs that integrate over it.
    // ------------------------------------------------------------------

    fn open_doors(&mut self, room: u16) {
        let r = room as usize;
        if self.rooms.holder[r] != NONE
            && self.sessions.phase[self.rooms.holder[r] as usize] != SessionPhase::Ended
        {
            return;
        }
        let next = self.rooms.sessions[r].iter().copied().find(|&s| {
            self.sessions.phase[s as usize] != SessionPhase::Ended
                && self.sessions.start[s as usize] - 600_000 <= self.now
        });
        self.rooms.holder[r] = next.unwrap_or(NONE);
        if next.is_some() {
            self.admit(room);
        }
    }

    fn end_session(&mut self, s: u32) {
        self.sessions.phase[s as usize] = SessionPhase::Ended;
        let id = self.w.sessions[s as usize].id.clone();
        self.signal(
            "twin-av",
            SignalType::SessionEnded,
            id,
            SignalData::SessionEnded,
        );
        let members = std::mem::take(&mut self.sessions.members[s as usize]);
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
        let room = self.sessions.room[s as usize];
        // Whoever still waits for this session gives up now.
        let waiting = std::mem::take(&mut self.rooms.door_wait[room as usize]);
        let mut keep = Vec::new();
        for (a, g) in waiting {
            let ag = &self.agents[a as usize];
            if ag.epoch == g && ag.phase == Phase::AtDoor && ag.goal == s {
                self.turned_back(a);
            } else if ag.epoch == g && ag.phase == Phase::AtDoor {
                keep.push((a, g));
            }
        }
        keep.append(&mut self.rooms.door_wait[room as usize]);
        self.rooms.door_wait[room as usize] = keep;
        if self.rooms.holder[room as usize] == s {
            self.open_doors(room);
        }
    }

    /// Moves a session later (never earlier), with its end.
    fn retime(&mut self, s: u32, minutes: i64) {
        let base = self.w.sessions[s as usize].start;
        let new_start = base + minutes * 60_000;
        let i = s as usize;
        if new_start <= self.sessions.start[i] || self.sessions.phase[i] != SessionPhase::Planned {
            return;
        }
        let shift = new_start - self.sessions.start[i];
        self.sessions.start[i] = new_start;
        self.sessions.end[i] += shift;
        self.at(new_start - 600_000, Ev::DoorsOpen(s, new_start));
        self.at(new_start, Ev::Start(s, new_start));
        let end = self.sessions.end[i];
        self.at(end, Ev::End(s, end));
        let room = self.sessions.room[i];
        if self.rooms.holder[room as usize] == s {
            self.rooms.holder[room as usize] = NONE;
        }
    }

    // ------------------------------------------------------------------
    // The engine's side.
    // ------------------------------------------------------------------

    fn on_output(&mut self, o: &Output) {
        match o {
            Output::Decision(d) => {
                self.tally.decisions += 1;
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
                ) && let Some(sid) = staff.as_deref().and_then(|s| self.crew.index.get(s))
                {
                    let sid = *sid;
                    for i in 0..self.crew.tasks.len() {
                        if self.crew.tasks[i].id == *task && self.crew.tasks[i].staff == sid {
                            self.close_task(i);
                        }
                    }
                }
            }
            Output::ActionOutcome { outcome, .. } => {
                if matches!(outcome, Outcome::Failed | Outcome::Expired | Outcome::Dead) {
                    self.tally.failed += 1;
                }
            }
            _ => {}
        }
    }

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
            Ev::FullSign(room, stamp) => self.full_sign_changes(room, stamp),
            Ev::GiveUp(a, g) => {
                let ag = &self.agents[a as usize];
                if ag.epoch == g && ag.phase == Phase::AtDoor {
                    self.turned_back(a);
                }
            }
            Ev::RegDone(a) => {
                self.desk.busy = self.desk.busy.saturating_sub(1);
                self.agents[a as usize].badge = true;
                self.agents[a as usize].phase = Phase::Idle;
                self.decide(a);
                self.serve_registration();
            }
            Ev::DoorsOpen(s, at) => {
                if self.sessions.start[s as usize] == at {
                    self.open_doors(self.sessions.room[s as usize]);
                }
            }
            Ev::Start(s, at) => {
                if self.sessions.start[s as usize] == at
                    && self.sessions.phase[s as usize] == SessionPhase::Planned
                {
                    self.sessions.phase[s as usize] = SessionPhase::Running;
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
                if self.sessions.end[s as usize] == at
                    && self.sessions.phase[s as usize] != SessionPhase::Ended
                {
                    self.end_session(s);
                }
            }
            Ev::Notice(a, n) => self.notice(a, n),
            Ev::Forecast(s, k) => self.sample_forecast(s, k),
            Ev::Sensors => {
                self.sensors();
                self.at(self.now + self.t.sensor_interval, Ev::Sensors);
            }
            Ev::Sample => {
                if let Some(series) = self.tally.series.as_mut() {
                    series.extend_from_slice(&self.occ);
                    let here = self
                        .agents
                        .iter()
                        .filter(|a| !matches!(a.phase, Phase::Outside | Phase::Gone))
                        .count();
                    self.tally.present.push(here as u32);
                }
                self.at(self.now + 60_000, Ev::Sample);
            }
            Ev::StaffAck(i) => {
                if !self.crew.tasks[i as usize].closed {
                    self.staff_task_signal(i as usize, TaskState::Acknowledged);
                    self.staff_step(i as usize);
                }
            }
            Ev::StaffHop(i) => {
                if !self.crew.tasks[i as usize].closed && !self.crew.tasks[i as usize].arrived {
                    self.staff_step(i as usize);
                }
            }
            Ev::StaffDone(i) => {
                if !self.crew.tasks[i as usize].closed {
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
}
