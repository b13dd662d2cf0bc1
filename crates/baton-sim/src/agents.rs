//! Attendees: who they are, what they came for, and the random streams that
//! make runs under different policy sets comparable pair by pair.
//!
//! Each attendee owns two PCG streams, selected by the attendee's index:
//! `life` (arrival, plan, choices) and `resp` (reading delays and whether a
//! notification or a sign is followed). Plans and arrivals are drawn before
//! the engine says anything, so they are identical under every policy set;
//! a policy changes only what happens after its own actions.

use crate::twin::{Disruption, Twin};
use crate::world::{NOWHERE, World};
use baton_model::Millis;
use rand::Rng;
use rand_pcg::Pcg32;

/// No session.
pub const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not yet arrived.
    Outside,
    /// On the way somewhere (walking hop by hop, or queueing).
    Moving,
    /// Waiting at a room's door for it to open or for a seat.
    AtDoor,
    /// In a session (or watching its stream in an overflow room).
    Seated,
    /// Between sessions, in a foyer or outside the modelled spaces.
    Idle,
    /// Queueing at registration.
    Queue,
    Gone,
}

/// One simulated attendee. Kept small: the twin's memory target is under
/// 1 KB per attendee, and this is most of it.
#[derive(Debug, Clone)]
pub struct Agent {
    pub life: Pcg32,
    pub resp: Pcg32,
    /// Sessions this person means to attend, by world index, in start order.
    pub plan: Vec<u32>,
    pub arrival: Millis,
    pub interests: [u16; 3],
    pub cursor: u16,
    pub at: u16,
    pub dest: u16,
    /// The session the person is heading to or sitting in.
    pub goal: u32,
    /// Bumped whenever the person changes their mind; stale events carry an old one.
    pub epoch: u32,
    pub phase: Phase,
    pub app: bool,
    pub badge: bool,
    /// The session whose delay this person has heard about.
    pub aware: u32,
    /// Doors tried for the current goal.
    pub tries: u8,
    pub notified: u16,
    /// When this person means to think again (a walk to a foyer may outlast it).
    pub wake: Millis,
    /// Talks this person meant to attend and did not get into (refused at
    /// the door, or sent away by a notice or sign). The twin's truth.
    pub denied: u16,
    /// Since when this person has waited at a door, while they do.
    pub door_since: Millis,
    /// A track whose room this person found full, and until when they
    /// tend to avoid its next talks (`NOWHERE` as u16::MAX: none).
    pub shy_track: u16,
    pub shy_until: Millis,
    /// The plan as it stood before the doors opened: the talks this person
    /// wanted, which later rebooking does not change.
    pub wanted: Box<[u32]>,
    /// Wanted talks this person got a seat in.
    pub attended_wanted: u16,
    /// Seated in a talk they had not planned (after a refusal, a notice or
    /// a sign): displaced.
    pub displaced: bool,
    /// The last session this person sat down in, so a second arrival in the
    /// same one (after a delay notice) is not counted twice.
    pub last_seated: u32,
}

impl Agent {
    /// Talk `s` is lost to this person: counted as denied if it was in
    /// their plan (a talk they meant to attend), not if it was a fallback
    /// they improvised after an earlier refusal.
    pub fn deny(&mut self, s: u32) {
        if self.plan.contains(&s) {
            self.denied = self.denied.saturating_add(1);
        }
    }
}

/// SplitMix64: turns (seed, salt) into well-spread stream keys.
pub fn mix(seed: u64, salt: u64) -> u64 {
    let mut z = seed
        .wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A standard normal draw (Box–Muller), so streams need no extra crate state.
pub fn normal(r: &mut Pcg32) -> f64 {
    let u1: f64 = r.random::<f64>().max(1e-12);
    let u2: f64 = r.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An exponential draw with the given mean.
pub fn exponential(r: &mut Pcg32, mean: f64) -> f64 {
    -mean * (1.0 - r.random::<f64>()).max(1e-12).ln()
}

/// Draws the attendee population for one seed.
pub fn population(world: &World, twin: &Twin, seed: u64) -> Vec<Agent> {
    // Surges add people who arrive together on top of the ordinary crowd.
    let mut surges: Vec<(usize, usize, Millis, Millis)> = Vec::new();
    let roster = twin.roster.as_deref().unwrap_or(&[]);
    let mut n = if roster.is_empty() {
        twin.attendees as usize
    } else {
        roster.len()
    };
    for d in &twin.disruptions {
        if let Disruption::Surge {
            at,
            people,
            minutes,
        } = d
        {
            surges.push((n, n + *people as usize, *at, i64::from(*minutes) * 60_000));
            n += *people as usize;
        }
    }
    let mut out = Vec::with_capacity(n);
    let total_weight: f64 = world.track_weight.iter().sum();
    let pull = talk_pull(world, twin.popularity_sigma, seed);
    let popular: Vec<(u32, f64)> = twin
        .disruptions
        .iter()
        .filter_map(|d| match d {
            Disruption::Popular {
                session,
                share,
                at: None,
            } => Some((*session, *share)),
            _ => None,
        })
        .collect();
    let k1 = mix(seed, 1);
    let k2 = mix(seed, 2);
    // The day's shape has its own stream, so adding it left every other
    // draw where it was.
    let k7 = mix(seed, 7);
    let shape = &twin.shape;
    for i in 0..n {
        let mut life = Pcg32::new(k1, i as u64);
        let resp = Pcg32::new(k2, i as u64);
        let app = life.random::<f64>() < twin.app_share;
        let badge = life.random::<f64>() < twin.badge_share;
        // Arrival: normal around the peak, never before the doors.
        let z = normal(&mut life);
        let latest = world.last_end - 3_600_000;
        let mut arrival = ((twin.arrival_peak as f64 + z * twin.arrival_spread as f64) as Millis)
            .clamp(twin.doors, latest.max(twin.doors));
        let u: f64 = life.random();
        if let Some(&(_, _, at, len)) = surges.iter().find(|s| i >= s.0 && i < s.1) {
            arrival = at + (u * len as f64) as Millis;
        }
        // One to three tracks of interest, more likely the bigger tracks.
        let mut interests = [u16::MAX; 3];
        let k = 1 + (life.random::<f64>() * 3.0) as usize;
        for slot in interests.iter_mut().take(k.min(3)) {
            if total_weight <= 0.0 {
                break;
            }
            let mut x = life.random::<f64>() * total_weight;
            for (t, w) in world.track_weight.iter().enumerate() {
                x -= w;
                if x <= 0.0 {
                    *slot = t as u16;
                    break;
                }
            }
        }
        // A real person's own answers win over the draws (which are made
        // anyway, so every stream stays aligned with the generated case).
        let person = roster.get(i);
        let (mut app, mut badge) = (app, badge);
        if let Some(p) = person {
            app = p.app.unwrap_or(app);
            badge = p.badge.unwrap_or(badge);
            arrival = p.arrival.unwrap_or(arrival);
            if !p.interests.is_empty() {
                interests = [u16::MAX; 3];
                for (slot, t) in interests.iter_mut().zip(&p.interests) {
                    *slot = *t;
                }
            }
        }
        let mut day = Pcg32::new(k7, i as u64);
        let leave = (world.last_end - exponential(&mut day, shape.drift as f64) as Millis)
            .max(arrival + 3_600_000);
        let lunch = (day.random::<f64>() < shape.lunch_share).then(|| {
            let span = (shape.lunch_to - shape.lunch_length - shape.lunch_from).max(0);
            let from = shape.lunch_from + (day.random::<f64>() * span as f64) as Millis;
            (from, from + shape.lunch_length)
        });
        let window = Window {
            arrival,
            leave,
            lunch,
            stay: shape.stay,
        };
        let mut plan = choose_plan(world, &mut life, &interests, &window, &pull);
        if let Some(p) = person
            && !p.sessions.is_empty()
        {
            plan = p.sessions.clone();
        }
        for &(s, share) in &popular {
            if life.random::<f64>() < share {
                insert_session(world, &mut plan, s);
            }
        }
        let wanted = plan.clone().into_boxed_slice();
        out.push(Agent {
            life,
            resp,
            plan,
            wanted,
            attended_wanted: 0,
            displaced: false,
            last_seated: NONE,
            arrival,
            interests,
            cursor: 0,
            at: NOWHERE,
            dest: NOWHERE,
            goal: NONE,
            epoch: 0,
            phase: Phase::Outside,
            app,
            badge,
            aware: NONE,
            tries: 0,
            notified: 0,
            wake: 0,
            denied: 0,
            door_since: 0,
            shy_track: u16::MAX,
            shy_until: 0,
        });
    }
    out
}

/// Each talk's pull on the crowd, as a utility: `σ·z` with `z` a standard
/// normal, so in the logit choice a talk's odds scale by a log-normal
/// factor `exp(σ·z)` with median 1. It is drawn per (seed, session) from its
/// own stream and never looks at the room: the room a talk was given says
/// nothing about how many will come, which is the problem orchestration is
/// for. Keyed by session index, so a talk keeps its pull if it moves room.
pub fn talk_pull(world: &World, sigma: f64, seed: u64) -> Vec<f64> {
    let key = mix(seed, 6);
    (0..world.sessions.len())
        .map(|s| sigma * normal(&mut Pcg32::new(key, s as u64)))
        .collect()
}

/// How much a person wants a session: their interest in its track plus the
/// talk's own pull.
fn appeal(world: &World, interests: &[u16; 3], s: u32, pull: &[f64]) -> f64 {
    let info = &world.sessions[s as usize];
    let interest = if interests.contains(&info.track) {
        2.5
    } else {
        0.0
    };
    interest + pull.get(s as usize).copied().unwrap_or(0.0)
}

/// When a person is there to choose talks: from arrival to departure, less
/// a lunch break; and how much they like staying in the room they are in.
struct Window {
    arrival: Millis,
    leave: Millis,
    lunch: Option<(Millis, Millis)>,
    stay: f64,
}

/// Walks the programme in time order and, at each moment sessions start,
/// picks the most appealing one (with Gumbel noise: a multinomial logit
/// choice) or skips the slot for the foyer. Talks that start after the
/// person leaves, or overlap their lunch break, are not chosen; a talk in
/// the room of the one just chosen, starting within a quarter of an hour of
/// its end, gets the `stay` bonus.
fn choose_plan(
    world: &World,
    life: &mut Pcg32,
    interests: &[u16; 3],
    when: &Window,
    pull: &[f64],
) -> Vec<u32> {
    const WINDOW: Millis = 15 * 60_000;
    let mut plan: Vec<u32> = Vec::new();
    let mut free_at = when.arrival - 5 * 60_000;
    let away = |s: &crate::world::SessionInfo| {
        s.start > when.leave - 10 * 60_000
            || when.lunch.is_some_and(|(a, b)| s.start < b && s.end > a)
    };
    let mut i = 0;
    let n = world.sessions.len();
    while i < n {
        if world.sessions[i].start < free_at {
            i += 1;
            continue;
        }
        let t0 = world.sessions[i].start;
        let mut best = (f64::NEG_INFINITY, NONE);
        let mut j = i;
        let last = plan.last().map(|&p| &world.sessions[p as usize]);
        while j < n && world.sessions[j].start < t0 + WINDOW {
            // The draw is made for every talk, chosen or not, so the stream
            // stays aligned whatever the window rules out.
            let g = -(-(life.random::<f64>().max(1e-12)).ln()).ln();
            let info = &world.sessions[j];
            let stay = match last {
                Some(l) if l.space == info.space && info.start < l.end + WINDOW => when.stay,
                _ => 0.0,
            };
            let u = appeal(world, interests, j as u32, pull) + stay + g;
            if u > best.0 && !away(info) {
                best = (u, j as u32);
            }
            j += 1;
        }
        // Skipping a slot is the outside option with utility 1.5 + noise.
        let skip = 1.5 - (-(life.random::<f64>().max(1e-12)).ln()).ln();
        if best.1 != NONE && best.0 > skip {
            plan.push(best.1);
            free_at = world.sessions[best.1 as usize].end;
        } else {
            free_at = t0 + WINDOW;
        }
        i = j.max(i + 1);
    }
    plan
}

/// Puts `s` into a plan, dropping whatever overlaps it.
pub fn insert_session(world: &World, plan: &mut Vec<u32>, s: u32) {
    if plan.contains(&s) {
        return;
    }
    let new = &world.sessions[s as usize];
    plan.retain(|&p| {
        let o = &world.sessions[p as usize];
        o.end <= new.start || o.start >= new.end
    });
    let at = plan.partition_point(|&p| world.sessions[p as usize].start <= new.start);
    plan.insert(at, s);
}

/// Bytes the twin holds per attendee: the agent itself and its plan's heap
/// block (the engine's own per-attendee state is counted by its benchmark).
pub fn bytes_per_agent(agents: &[Agent]) -> f64 {
    if agents.is_empty() {
        return 0.0;
    }
    let heap: usize = agents
        .iter()
        .map(|a| (a.plan.capacity() + a.wanted.len()) * std::mem::size_of::<u32>())
        .sum();
    // Per attendee the run also keeps one `Purpose` byte and, while seated,
    // one (index, epoch) pair in a session's member list.
    let side = 1 + 2 * std::mem::size_of::<u32>();
    (std::mem::size_of::<Agent>() + side) as f64 + heap as f64 / agents.len() as f64
}
