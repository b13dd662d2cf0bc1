//! A scripted scenario generator: turns an event spec and a `scenario.yaml`
//! into a recorded stream of CloudEvents signals (`signals.jsonl`).
//!
//! It is a simple, seeded, statistical model of a conference day: arrivals,
//! session attendance, coffee and lunch crowds in the foyers, and the scripted
//! moments the example needs (an overfull talk, a late session, an entrance
//! surge, an incident, a sensor going dark). The agent-based twin is a separate,
//! later piece; this generator exists so replays and tests have realistic input.

use baton_model::{Millis, Signal, SignalData, SignalType, SpaceKind, Spec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

/// `scenario.yaml`: what to script on top of the ordinary day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub seed: u64,
    pub attendees: u32,
    /// Local `HH:MM` when doors open.
    pub doors: String,
    /// A talk far more popular than its room.
    pub overfull_session: String,
    /// A session that starts late, and by how much.
    pub late_session: String,
    pub late_minutes: u32,
    /// A burst of arrivals at the entrance.
    pub surge_at: String,
    pub surge_people: u32,
    pub incident_space: String,
    pub incident_at: String,
    /// A space whose sensors go dark for a while.
    pub outage_space: String,
    pub outage_from: String,
    pub outage_minutes: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("scenario.yaml: {0}")]
    Yaml(String),
    #[error("scenario.yaml: field `{field}`: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        serde_saphyr::from_str(text)
            .map_err(|e| ScenarioError::Yaml(e.without_snippet().to_string()))
    }
}

struct Gen<'a> {
    spec: &'a Spec,
    rng: ChaCha8Rng,
    out: Vec<(Millis, u64, Signal)>,
    n: u64,
    outage: (usize, Millis, Millis),
}

impl Gen<'_> {
    fn emit(&mut self, t: Millis, source: &str, kind: SignalType, subject: &str, data: SignalData) {
        if let Some(sp) = self.spec.spaces.get(self.outage.0)
            && sp.id == subject
            && t >= self.outage.1
            && t < self.outage.2
        {
            return;
        }
        self.n += 1;
        let s = Signal {
            id: format!("{source}-{}", self.n),
            source: source.to_string(),
            kind,
            subject: subject.to_string(),
            time: Some(t),
            data,
        };
        self.out.push((t, self.n, s));
    }
}

fn local(
    spec: &Spec,
    day_start_utc: Millis,
    hhmm: &str,
    field: &'static str,
) -> Result<Millis, ScenarioError> {
    let bad = || ScenarioError::Field {
        field,
        message: format!("{hhmm:?} is not HH:MM"),
    };
    let (h, m) = hhmm.split_once(':').ok_or_else(bad)?;
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    Ok(day_start_utc + (h * 60 + m) * 60_000 - i64::from(spec.event.utc_offset_s) * 1000)
}

/// Generates the day's signals, sorted by time, as CloudEvents JSON lines.
pub fn generate(spec: &Spec, sc: &Scenario) -> Result<Vec<String>, ScenarioError> {
    let first = spec
        .sessions
        .iter()
        .map(|s| s.start)
        .min()
        .ok_or(ScenarioError::Field {
            field: "sessions",
            message: "the event has no sessions".into(),
        })?;
    // Midnight (local) of the first session's day, in UTC milliseconds.
    let off = i64::from(spec.event.utc_offset_s) * 1000;
    let day = (first + off).div_euclid(86_400_000) * 86_400_000;
    let space = |id: &str, field: &'static str| {
        spec.spaces
            .iter()
            .position(|s| s.id == id)
            .ok_or(ScenarioError::Field {
                field,
                message: format!("unknown space {id:?}"),
            })
    };
    let session = |id: &str, field: &'static str| {
        spec.sessions
            .iter()
            .position(|s| s.id == id)
            .ok_or(ScenarioError::Field {
                field,
                message: format!("unknown session {id:?}"),
            })
    };
    let overfull = session(&sc.overfull_session, "overfull_session")?;
    let late = session(&sc.late_session, "late_session")?;
    let incident_space = space(&sc.incident_space, "incident_space")?;
    let outage_space = space(&sc.outage_space, "outage_space")?;
    let outage_from = local(spec, day, &sc.outage_from, "outage_from")?;
    let mut g = Gen {
        spec,
        rng: ChaCha8Rng::seed_from_u64(sc.seed),
        out: Vec::new(),
        n: 0,
        outage: (
            outage_space,
            outage_from,
            outage_from + i64::from(sc.outage_minutes) * 60_000,
        ),
    };
    let entrance = spec
        .spaces
        .iter()
        .find(|s| s.kind == SpaceKind::Entrance)
        .map(|s| s.id.clone());
    let queue = spec
        .spaces
        .iter()
        .find(|s| s.kind == SpaceKind::Queue)
        .map(|s| s.id.clone());
    let doors = local(spec, day, &sc.doors, "doors")?;
    let surge = local(spec, day, &sc.surge_at, "surge_at")?;

    // Arrivals: most attendees arrive in the 90 minutes after doors open, plus a surge.
    let mut arrivals: Vec<Millis> = (0..sc.attendees)
        .map(|_| {
            let u: f64 = (0..3).map(|_| g.rng.random::<f64>()).sum::<f64>() / 3.0;
            doors + (u * 110.0 * 60_000.0) as Millis
        })
        .collect();
    arrivals.extend((0..sc.surge_people).map(|_| surge + g.rng.random_range(0..4 * 60_000)));
    arrivals.sort_unstable();
    let sessions_by_pop: Vec<usize> = (0..spec.sessions.len()).collect();
    for (i, &t) in arrivals.iter().enumerate() {
        let who = format!("att-{i:05}");
        g.emit(
            t,
            "registration",
            SignalType::AttendeeCheckedIn,
            &who,
            SignalData::CheckedIn {
                gate: entrance.clone(),
            },
        );
        if i % 3 == 0 {
            let plan: Vec<String> = (0..4)
                .map(|_| {
                    spec.sessions[sessions_by_pop[g.rng.random_range(0..sessions_by_pop.len())]]
                        .id
                        .clone()
                })
                .collect();
            let mut plan = plan;
            if g.rng.random_bool(0.5) {
                plan.push(spec.sessions[overfull].id.clone());
            }
            g.emit(
                t + 1000,
                "app",
                SignalType::AttendeePlan,
                &who,
                SignalData::Plan {
                    sessions: plan,
                    share_position: false,
                },
            );
        }
    }
    // Entrance gate: batched entries per 10 s, exits 1–3 minutes later; queue length every 30 s.
    if let Some(ent) = &entrance {
        let mut bucket: std::collections::BTreeMap<Millis, (u32, u32)> =
            std::collections::BTreeMap::new();
        for &t in &arrivals {
            let dwell = 60_000 + g.rng.random_range(0..120_000);
            bucket.entry(t / 10_000 * 10_000).or_default().0 += 1;
            bucket.entry((t + dwell) / 10_000 * 10_000).or_default().1 += 1;
        }
        let mut inside: i64 = 0;
        let mut last_q = 0;
        for (t, (inn, out)) in bucket {
            if inn > 0 {
                g.emit(
                    t,
                    "gate-main",
                    SignalType::SpaceEntered,
                    ent,
                    SignalData::Entered {
                        count: inn,
                        attendee: None,
                    },
                );
            }
            if out > 0 {
                g.emit(
                    t + 5_000,
                    "gate-main",
                    SignalType::SpaceExited,
                    ent,
                    SignalData::Exited {
                        count: out,
                        attendee: None,
                    },
                );
            }
            inside += i64::from(inn) - i64::from(out);
            if let Some(q) = &queue
                && t - last_q >= 30_000
            {
                last_q = t;
                let len = (inside.max(0) as f64 * 0.6) as u32;
                g.emit(
                    t + 1_000,
                    "queue-cam",
                    SignalType::QueueLength,
                    q,
                    SignalData::QueueLength {
                        length: len,
                        wait_s: Some(f64::from(len) * 2.5),
                    },
                );
                g.emit(
                    t + 1_500,
                    "queue-cam",
                    SignalType::SpaceOccupancy,
                    q,
                    SignalData::Occupancy {
                        count: len,
                        confidence: Some(0.9),
                    },
                );
            }
        }
    }
    // Sessions: people flow in before the start and out after the end.
    for (i, s) in spec.sessions.iter().enumerate() {
        let Some(sp) = spec.spaces.iter().find(|x| x.id == s.space) else {
            continue;
        };
        let delay = if i == late {
            i64::from(sc.late_minutes) * 60_000
        } else {
            0
        };
        let (start, end) = (s.start + delay, s.end + delay);
        if i == late {
            g.emit(
                s.start - 2 * 60_000,
                "stage-manager",
                SignalType::SessionDelayed,
                &s.id,
                SignalData::SessionDelayed {
                    minutes: sc.late_minutes,
                },
            );
        }
        g.emit(
            start,
            "stage-manager",
            SignalType::SessionStarted,
            &s.id,
            SignalData::SessionStarted,
        );
        g.emit(
            end,
            "stage-manager",
            SignalType::SessionEnded,
            &s.id,
            SignalData::SessionEnded,
        );
        let cap = f64::from(sp.capacity);
        let demand = if i == overfull {
            1.35 * cap
        } else {
            cap * g.rng.random_range(0.35..0.85)
        };
        let admitted = demand.min(cap * 1.04) as u32;
        let turned = (demand - f64::from(admitted)).max(0.0) as u32;
        let source = format!("door-{}", sp.id);
        let steps = 15u32;
        let mut occ = 0u32;
        for k in 0..steps {
            let t = start - 10 * 60_000 + i64::from(k) * 60_000 + g.rng.random_range(0..20_000);
            let n = admitted / steps + u32::from(k < admitted % steps);
            occ += n;
            g.emit(
                t,
                &source,
                SignalType::SpaceEntered,
                &sp.id,
                SignalData::Entered {
                    count: n,
                    attendee: None,
                },
            );
            if i == overfull && k >= 9 && turned > 0 {
                g.emit(
                    t + 2_000,
                    &source,
                    SignalType::SpaceTurnedAway,
                    &sp.id,
                    SignalData::TurnedAway {
                        count: turned / 6 + 1,
                    },
                );
            }
        }
        for k in 0..8u32 {
            let t = end - 3 * 60_000 + i64::from(k) * 60_000 + g.rng.random_range(0..20_000);
            let n = if k == 7 { occ } else { (admitted / 8).min(occ) };
            occ -= n;
            g.emit(
                t,
                &source,
                SignalType::SpaceExited,
                &sp.id,
                SignalData::Exited {
                    count: n,
                    attendee: None,
                },
            );
        }
        // Door counters report every two minutes while the room is in use, zero or not.
        let mut t = start - 10 * 60_000;
        while t < end + 5 * 60_000 {
            g.emit(
                t + 45_000,
                &source,
                SignalType::SpaceEntered,
                &sp.id,
                SignalData::Entered {
                    count: 0,
                    attendee: None,
                },
            );
            t += 120_000;
        }
        // Seated halls also have a camera head count every two minutes while in use.
        if sp.kind == SpaceKind::Hall {
            let mut t = start - 8 * 60_000;
            while t < end + 4 * 60_000 {
                let ramp = ((t - (start - 10 * 60_000)) as f64 / (15.0 * 60_000.0)).clamp(0.0, 1.0);
                let out = ((t - (end - 3 * 60_000)) as f64 / (8.0 * 60_000.0)).clamp(0.0, 1.0);
                let c = (f64::from(admitted) * ramp * (1.0 - out) * g.rng.random_range(0.97..1.03))
                    as u32;
                g.emit(
                    t + 30_000,
                    &format!("cam-{}", sp.id),
                    SignalType::SpaceOccupancy,
                    &sp.id,
                    SignalData::Occupancy {
                        count: c,
                        confidence: Some(0.95),
                    },
                );
                t += 120_000;
            }
        }
    }
    // Foyers and corridors: crowds in breaks, counted by cameras every minute.
    let breaks: Vec<(Millis, Millis, f64)> = {
        let mut b = Vec::new();
        let mut ends: Vec<Millis> = spec.sessions.iter().map(|s| s.end).collect();
        ends.sort_unstable();
        ends.dedup();
        for e in ends {
            b.push((e - 2 * 60_000, e + 12 * 60_000, 1.0));
        }
        b
    };
    let lunch = local(spec, day, "12:30", "doors")?;
    for sp in spec.spaces.iter().filter(|s| {
        matches!(
            s.kind,
            SpaceKind::Foyer | SpaceKind::Corridor | SpaceKind::Outdoor
        )
    }) {
        let base = sp.area_m2 * 0.15;
        let mut t = doors;
        let end_of_day = spec.sessions.iter().map(|s| s.end).max().unwrap_or(doors) + 30 * 60_000;
        while t < end_of_day {
            let mut d = base;
            for (a, b, w) in &breaks {
                if t >= *a && t < *b {
                    d += sp.area_m2 * 0.45 * w;
                }
            }
            if t >= lunch && t < lunch + 20 * 60_000 && sp.kind == SpaceKind::Foyer {
                d = sp.area_m2 * 1.35;
            }
            let c = (d * g.rng.random_range(0.9..1.1)) as u32;
            g.emit(
                t + 15_000,
                &format!("cam-{}", sp.id),
                SignalType::SpaceOccupancy,
                &sp.id,
                SignalData::Occupancy {
                    count: c,
                    confidence: Some(0.85),
                },
            );
            t += 60_000;
        }
    }
    // The incident, and staff moving to it.
    let inc_t = local(spec, day, &sc.incident_at, "incident_at")?;
    let inc_space = spec.spaces[incident_space].id.clone();
    g.emit(
        inc_t,
        "ops-radio",
        SignalType::IncidentReported,
        &inc_space,
        SignalData::Incident {
            severity: baton_model::signal::Severity::High,
            kind: "medical".into(),
            note: Some("attendee fainted near the stage".into()),
        },
    );
    // A second report of the same incident, from security's radio.
    g.emit(
        inc_t + 90_000,
        "security-radio",
        SignalType::IncidentReported,
        &inc_space,
        SignalData::Incident {
            severity: baton_model::signal::Severity::High,
            kind: "medical".into(),
            note: Some("second report: crowd gathering at the stage".into()),
        },
    );
    // Staff check in at a post in their zone when the doors open.
    for (i, st) in spec.staff.iter().enumerate() {
        let posts: Vec<&str> = spec
            .spaces
            .iter()
            .filter(|s| s.zone == st.zone)
            .map(|s| s.id.as_str())
            .collect();
        if posts.is_empty() {
            continue;
        }
        g.emit(
            doors - 10 * 60_000 + i as Millis * 7_000,
            "staff-app",
            SignalType::StaffLocation,
            &st.id,
            SignalData::StaffLocation {
                space: posts[i % posts.len()].to_string(),
            },
        );
    }
    if let Some(st) = spec.staff.first() {
        g.emit(
            inc_t + 60_000,
            "staff-app",
            SignalType::StaffLocation,
            &st.id,
            SignalData::StaffLocation {
                space: inc_space.clone(),
            },
        );
    }
    g.out.sort_by_key(|(t, n, _)| (*t, *n));
    let mut lines: Vec<String> = g
        .out
        .iter()
        .map(|(_, _, s)| s.to_cloudevent().to_string())
        .collect();
    // A retransmitted reading and two signals a real feed would get wrong.
    if lines.len() > 100 {
        let dup = lines[100].clone();
        lines.insert(101, dup);
        let t = jiff::Timestamp::from_millisecond(g.out[200].0)
            .map(|t| t.to_string())
            .unwrap_or_default();
        lines.insert(201, format!(r#"{{"specversion":"1.0","id":"bad-1","source":"cam-unknown","type":"space.occupancy","subject":"hall-z","time":"{t}","data":{{"count":12}}}}"#));
        lines.insert(202, format!(r#"{{"specversion":"1.0","id":"bad-2","source":"cam-broken","type":"space.occupancy","subject":"{}","time":"{t}","data":{{"count":-4}}}}"#, spec.spaces[0].id));
    }
    Ok(lines)
}
