//! The venue and programme as the twin walks them: spaces by index, the
//! sessions of the simulated day, and shortest routes that skip closed spaces.
//!
//! Built once per event and shared, read-only, by every run and thread.

use baton_core::los::{self, Table};
use baton_model::{Millis, SpaceKind, Spec};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// No space: the agent is outside the venue or between two places the spec
/// does not model.
pub const NOWHERE: u16 = u16::MAX;

#[derive(Debug, Clone)]
pub struct SpaceInfo {
    pub id: String,
    pub kind: SpaceKind,
    pub capacity: u32,
    /// Seats plus the declared standing limit: where door staff stop entry.
    pub limit: u32,
    pub area_m2: f64,
    pub zone: u16,
    pub table: Table,
    /// Rooms and halls hold sessions and turn people away at capacity.
    pub holds_sessions: bool,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Index in `spec.sessions`.
    pub spec_index: usize,
    pub id: String,
    pub space: u16,
    pub track: u16,
    pub start: Millis,
    pub end: Millis,
}

/// Shortest next hops for one set of open spaces.
#[derive(Debug, Clone)]
pub struct Routes {
    n: usize,
    next: Vec<u16>,
    secs: Vec<u32>,
}

impl Routes {
    /// Next space on the way from `from` to `to`, or `NOWHERE` if unreachable.
    pub fn next(&self, from: u16, to: u16) -> u16 {
        if from as usize >= self.n || to as usize >= self.n {
            return NOWHERE;
        }
        self.next[from as usize * self.n + to as usize]
    }

    /// Free-flow walking seconds, `u32::MAX` if unreachable.
    pub fn secs(&self, from: u16, to: u16) -> u32 {
        if from as usize >= self.n || to as usize >= self.n {
            return u32::MAX;
        }
        self.secs[from as usize * self.n + to as usize]
    }
}

/// Everything the twin needs from the spec, by index.
#[derive(Debug, Clone)]
pub struct World {
    pub spec: Spec,
    pub spaces: Vec<SpaceInfo>,
    pub zones: Vec<String>,
    /// Walking links, both directions, with free-flow seconds.
    pub adj: Vec<Vec<(u16, u32)>>,
    /// Sessions of the simulated day, sorted by start.
    pub sessions: Vec<SessionInfo>,
    pub tracks: Vec<String>,
    /// Sessions per track, a proxy for how many people care about it.
    pub track_weight: Vec<f64>,
    pub space_index: HashMap<String, u16>,
    pub session_index: HashMap<String, u32>,
    /// Entrances, in spec order; arrivals come through these.
    pub entrances: Vec<u16>,
    /// A queue space next to an entrance: people without a badge register there.
    pub registration: Option<u16>,
    /// Where people without a session wait: foyers, outdoor spaces and
    /// corridors, nearest first from each space.
    pub hangouts: Vec<u16>,
    /// The venue has spaces other than session rooms (corridors, foyers, entrances).
    pub has_circulation: bool,
    /// For each room, a neighbouring circulation space: where people coming
    /// from outside the modelled spaces arrive at its door.
    pub door_side: Vec<u16>,
    /// Signs by the space they hang in.
    pub signs_in: Vec<Vec<u16>>,
    pub sign_index: HashMap<String, u16>,
    /// Local midnight of the simulated day, UTC milliseconds.
    pub midnight: Millis,
    /// Which day of the event this is, counting from 1.
    pub day: u32,
    /// Earliest start and latest end of the day's sessions.
    pub first_start: Millis,
    pub last_end: Millis,
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("the event has no sessions to simulate")]
    NoSessions,
    #[error("day {day} has no sessions; the event has {days} day(s)")]
    NoSuchDay { day: u32, days: u32 },
    #[error("the venue has {0} spaces; the twin handles at most 65,000")]
    TooManySpaces(usize),
}

impl World {
    /// `day` counts from 1 over the local days that hold sessions.
    pub fn new(spec: &Spec, day: u32) -> Result<World, WorldError> {
        if spec.spaces.len() >= NOWHERE as usize - 1 {
            return Err(WorldError::TooManySpaces(spec.spaces.len()));
        }
        let off = i64::from(spec.event.utc_offset_s) * 1000;
        let local_day = |t: Millis| (t + off).div_euclid(86_400_000);
        let mut days: Vec<i64> = spec.sessions.iter().map(|s| local_day(s.start)).collect();
        days.sort_unstable();
        days.dedup();
        if days.is_empty() {
            return Err(WorldError::NoSessions);
        }
        let Some(&chosen) = days.get(day.saturating_sub(1) as usize) else {
            return Err(WorldError::NoSuchDay {
                day,
                days: days.len() as u32,
            });
        };
        let midnight = chosen * 86_400_000 - off;

        let mut zone_ids: BTreeMap<&str, u16> = BTreeMap::new();
        for s in &spec.spaces {
            let next = zone_ids.len() as u16;
            zone_ids.entry(s.zone.as_str()).or_insert(next);
        }
        let mut zones = vec![String::new(); zone_ids.len()];
        for (z, &i) in &zone_ids {
            zones[i as usize] = z.to_string();
        }
        let spaces: Vec<SpaceInfo> = spec
            .spaces
            .iter()
            .map(|s| SpaceInfo {
                id: s.id.clone(),
                kind: s.kind,
                capacity: s.capacity.max(1),
                limit: s.capacity.max(1) + if s.seated { s.standing_limit } else { 0 },
                area_m2: if s.area_m2 > 0.0 {
                    s.area_m2
                } else {
                    f64::from(s.capacity.max(1))
                },
                zone: zone_ids.get(s.zone.as_str()).copied().unwrap_or(0),
                table: los::table_for(s.kind, s.seated),
                holds_sessions: matches!(s.kind, SpaceKind::Hall | SpaceKind::Room),
            })
            .collect();
        let space_index: HashMap<String, u16> = spaces
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i as u16))
            .collect();
        let mut adj: Vec<Vec<(u16, u32)>> = vec![Vec::new(); spaces.len()];
        for l in &spec.links {
            if let (Some(&a), Some(&b)) = (space_index.get(&l.from), space_index.get(&l.to)) {
                adj[a as usize].push((b, l.walk_s.max(1)));
                adj[b as usize].push((a, l.walk_s.max(1)));
            }
        }
        for a in &mut adj {
            a.sort_unstable();
            a.dedup_by_key(|x| x.0);
        }

        let mut track_ids: BTreeMap<&str, u16> = BTreeMap::new();
        let mut sessions = Vec::new();
        for (i, s) in spec.sessions.iter().enumerate() {
            if local_day(s.start) != chosen {
                continue;
            }
            let Some(&space) = space_index.get(&s.space) else {
                continue;
            };
            let next = track_ids.len() as u16;
            let track = *track_ids.entry(s.track.as_str()).or_insert(next);
            sessions.push(SessionInfo {
                spec_index: i,
                id: s.id.clone(),
                space,
                track,
                start: s.start,
                end: s.end.max(s.start + 60_000),
            });
        }
        sessions.sort_by(|a, b| (a.start, a.end, &a.id).cmp(&(b.start, b.end, &b.id)));
        let mut tracks = vec![String::new(); track_ids.len()];
        for (t, &i) in &track_ids {
            tracks[i as usize] = t.to_string();
        }
        let mut track_weight = vec![0.0; tracks.len()];
        for s in &sessions {
            track_weight[s.track as usize] += 1.0;
        }
        let session_index = sessions
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i as u32))
            .collect();
        let first_start = sessions.first().map(|s| s.start).unwrap_or(midnight);
        let last_end = sessions.iter().map(|s| s.end).max().unwrap_or(midnight);

        let entrances: Vec<u16> = (0..spaces.len() as u16)
            .filter(|&i| spaces[i as usize].kind == SpaceKind::Entrance)
            .collect();
        let registration = (0..spaces.len() as u16).find(|&q| {
            spaces[q as usize].kind == SpaceKind::Queue
                && adj[q as usize]
                    .iter()
                    .any(|&(e, _)| spaces[e as usize].kind == SpaceKind::Entrance)
        });
        let hangouts = (0..spaces.len() as u16)
            .filter(|&i| {
                matches!(
                    spaces[i as usize].kind,
                    SpaceKind::Foyer | SpaceKind::Outdoor
                )
            })
            .collect();
        let has_circulation = spaces.iter().any(|s| !s.holds_sessions);
        let door_side = (0..spaces.len())
            .map(|i| {
                adj[i]
                    .iter()
                    .filter(|(n, _)| !spaces[*n as usize].holds_sessions)
                    .min_by_key(|(n, w)| (*w, *n))
                    .map_or(NOWHERE, |(n, _)| *n)
            })
            .collect();
        let mut signs_in = vec![Vec::new(); spaces.len()];
        let mut sign_index = HashMap::new();
        for (i, sg) in spec.signs.iter().enumerate() {
            sign_index.insert(sg.id.clone(), i as u16);
            if let Some(&sp) = space_index.get(&sg.space) {
                signs_in[sp as usize].push(i as u16);
            }
        }
        Ok(World {
            spec: spec.clone(),
            spaces,
            zones,
            adj,
            sessions,
            tracks,
            track_weight,
            space_index,
            session_index,
            entrances,
            registration,
            hangouts,
            has_circulation,
            door_side,
            signs_in,
            sign_index,
            midnight,
            day: day.max(1),
            first_start,
            last_end,
        })
    }

    /// Shortest routes through the spaces that are open. A closed space can
    /// be neither passed through nor entered.
    pub fn routes(&self, open: &[bool]) -> Routes {
        let n = self.spaces.len();
        let mut next = vec![NOWHERE; n * n];
        let mut secs = vec![u32::MAX; n * n];
        let mut dist = vec![u32::MAX; n];
        let mut heap = BinaryHeap::new();
        for to in 0..n {
            if !open[to] {
                continue;
            }
            // Dijkstra from the destination; links are symmetric.
            dist.fill(u32::MAX);
            dist[to] = 0;
            heap.push(std::cmp::Reverse((0u32, to as u16)));
            while let Some(std::cmp::Reverse((d, v))) = heap.pop() {
                if d > dist[v as usize] {
                    continue;
                }
                for &(u, w) in &self.adj[v as usize] {
                    if !open[u as usize] {
                        continue;
                    }
                    let nd = d.saturating_add(w);
                    if nd < dist[u as usize] {
                        dist[u as usize] = nd;
                        heap.push(std::cmp::Reverse((nd, u)));
                    }
                }
            }
            for from in 0..n {
                if from == to {
                    secs[from * n + to] = 0;
                    next[from * n + to] = to as u16;
                    continue;
                }
                // A closed space can be left (never entered or crossed):
                // from it, the way out is through its best open neighbour.
                if open[from] && dist[from] == u32::MAX {
                    continue;
                }
                // The neighbour on a shortest path; ties go to the lower index.
                let mut best = (u32::MAX, NOWHERE);
                for &(u, w) in &self.adj[from] {
                    let du = dist[u as usize];
                    if du == u32::MAX || !open[u as usize] {
                        continue;
                    }
                    let c = du.saturating_add(w);
                    if c < best.0 {
                        best = (c, u);
                    }
                }
                if best.1 == NOWHERE {
                    continue;
                }
                secs[from * n + to] = if open[from] { dist[from] } else { best.0 };
                next[from * n + to] = best.1;
            }
        }
        Routes { n, next, secs }
    }

    /// Local `HH:MM` on the simulated day, in UTC milliseconds.
    pub fn local(&self, hhmm: &str) -> Option<Millis> {
        let (h, m) = hhmm.trim().split_once(':')?;
        let h: i64 = h.parse().ok()?;
        let m: i64 = m.parse().ok()?;
        if !(0..48).contains(&h) || !(0..60).contains(&m) {
            return None;
        }
        Some(self.midnight + (h * 60 + m) * 60_000)
    }
}

/// Weidmann's speed–density relation (Weidmann 1993, in Kladek's form):
/// walking speed as a share of free speed at `density` persons per m².
/// Clamped below so a jammed space slows people to a crawl, not to a stop
/// that would deadlock the simulation.
pub fn weidmann_speed_share(density: f64) -> f64 {
    const GAMMA: f64 = 1.913;
    const RHO_MAX: f64 = 5.4;
    if density <= 0.0 {
        return 1.0;
    }
    let v = 1.0 - (-GAMMA * (1.0 / density - 1.0 / RHO_MAX)).exp();
    v.clamp(0.1, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weidmann_falls_with_density() {
        assert!((weidmann_speed_share(0.0) - 1.0).abs() < 1e-12);
        // At 1 person/m² Weidmann gives about 0.79 of free speed (1.34 → ~1.06 m/s).
        let one = weidmann_speed_share(1.0);
        assert!((0.75..0.85).contains(&one), "{one}");
        assert!(weidmann_speed_share(2.0) < one);
        assert!(weidmann_speed_share(3.0) < weidmann_speed_share(2.0));
        assert_eq!(weidmann_speed_share(6.0), 0.1);
    }
}
