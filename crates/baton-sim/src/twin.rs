//! `twin.yaml`: the simulated day's assumptions and disruptions. Optional:
//! without it the twin derives a plain day from the programme (attendees from
//! the seats, doors an hour before the first session, no disruptions).
//!
//! Every error names `twin.yaml` and the field, e.g. `disruptions[2].session`.

use crate::world::World;
use baton_model::{Millis, parse_duration};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TwinFile {
    attendees: Option<u32>,
    doors: Option<String>,
    arrival: Option<ArrivalFile>,
    app_share: Option<f64>,
    bookmarks: Option<BookmarksFile>,
    /// Share of session rooms with a door counter and occupancy sensor.
    counters: Option<f64>,
    /// Chance a room-move confirmation task is declined (the speaker or
    /// the video team cannot make the move).
    move_confirm_fail: Option<f64>,
    badge_share: Option<f64>,
    /// σ of the log-normal draw of each talk's pull (see docs/SIMULATION.md).
    popularity_sigma: Option<f64>,
    practice: Option<PracticeFile>,
    /// The shape of the day: lunch, afternoon drift, later days, staying put.
    day: Option<DayFile>,
    compliance: Option<ComplianceFile>,
    sensors: Option<SensorsFile>,
    operator: Option<OperatorFile>,
    registration: Option<RegistrationFile>,
    door: Option<DoorFile>,
    #[serde(default)]
    closed_at_start: Vec<String>,
    #[serde(default)]
    disruptions: Vec<DisruptionFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PracticeFile {
    lag: Option<String>,
    push: Option<f64>,
    push_window: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DoorFile {
    lag: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BookmarksFile {
    share: Option<f64>,
    keep: Option<f64>,
    extra: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DayFile {
    later_days: Option<f64>,
    lunch_share: Option<f64>,
    lunch_from: Option<String>,
    lunch_to: Option<String>,
    lunch_length: Option<String>,
    drift: Option<String>,
    stay: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrivalFile {
    peak: Option<String>,
    spread: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplianceFile {
    notification: Option<f64>,
    sign: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SensorsFile {
    interval: Option<String>,
    noise: Option<f64>,
    dropout: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorFile {
    delay: Option<String>,
    reject_share: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrationFile {
    desks: Option<u32>,
    service: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisruptionFile {
    kind: String,
    session: Option<String>,
    space: Option<String>,
    sign: Option<String>,
    at: Option<String>,
    minutes: Option<u32>,
    share: Option<f64>,
    people: Option<u32>,
    severity: Option<String>,
    what: Option<String>,
}

/// Something scripted that goes wrong (or differently) during the day.
#[derive(Debug, Clone, PartialEq)]
pub enum Disruption {
    /// A share of attendees put this session in their plan: at the start
    /// (a famous speaker) or at `at` (a popular speaker added on the day).
    Popular {
        session: u32,
        share: f64,
        at: Option<Millis>,
    },
    /// The session starts `minutes` late; the room desk reports it at `at`.
    Delay {
        session: u32,
        minutes: u32,
        at: Millis,
    },
    /// The session runs `minutes` over its end.
    Overrun { session: u32, minutes: u32 },
    /// A space closes at `at`, for `minutes` or for the rest of the day.
    Close {
        space: u16,
        at: Millis,
        minutes: Option<u32>,
    },
    /// `people` arrive together over `minutes` (badge holders through any
    /// open entrance, the rest at the one by the registration desks).
    Surge {
        at: Millis,
        people: u32,
        minutes: u32,
    },
    /// A space's sensors and door counters stop reporting.
    SensorDark {
        space: u16,
        at: Millis,
        minutes: u32,
    },
    /// A sign stops taking updates: every change to it fails.
    SignOffline { sign: u16, at: Millis, minutes: u32 },
    /// Someone reports an incident in a space.
    Incident {
        space: u16,
        at: Millis,
        severity: String,
        what: String,
    },
}

/// The twin's assumptions, resolved against the world.
#[derive(Debug, Clone)]
pub struct Twin {
    pub attendees: u32,
    pub doors: Millis,
    pub arrival_peak: Millis,
    /// Standard deviation of arrival times around the peak.
    pub arrival_spread: Millis,
    /// Share of attendees with the app (bookmarks known, notifications received).
    pub app_share: f64,
    /// Share that already hold a badge and skip the registration desks.
    pub badge_share: f64,
    /// Share of attendees who bookmark talks in the app (never more than
    /// `app_share`): only their plans reach Baton.
    pub bookmark_share: f64,
    /// Chance a talk a bookmarker means to attend is bookmarked (people
    /// attend talks they did not bookmark).
    pub bookmark_keep: f64,
    /// Chance a planned talk comes with a bookmark for a talk at the same
    /// time that the person will not attend (a bookmark is not a promise).
    pub bookmark_extra: f64,
    /// Share of session rooms with a door counter and occupancy sensor.
    pub counters: f64,
    /// Chance a room-move confirmation task is declined.
    pub move_confirm_fail: f64,
    /// Current practice: how long volunteers take to hang or take down a
    /// FULL sign, the share of app users whose app pushes "room full" from
    /// the feed, and how far ahead of a talk those pushes go.
    pub practice_lag: Millis,
    pub practice_push: f64,
    pub practice_push_window: Millis,
    /// Spread σ of each talk's log-normal pull, independent of its room:
    /// no per-talk attendance is published, so it is a grid dimension.
    pub popularity_sigma: f64,
    pub compliance_notification: f64,
    pub compliance_sign: f64,
    /// The shape of the day (see [`DayShape`]).
    pub shape: DayShape,
    pub sensor_interval: Millis,
    /// Relative standard deviation of a head count.
    pub sensor_noise: f64,
    /// Chance that one report is lost.
    pub sensor_dropout: f64,
    /// Mean time an operator takes to answer an approval.
    pub operator_delay: Millis,
    pub operator_reject_share: f64,
    /// How long door staff take to see a room reach its limit and stop entry.
    pub door_lag: Millis,
    pub desks: u32,
    pub service: Millis,
    pub closed_at_start: Vec<u16>,
    pub disruptions: Vec<Disruption>,
    /// The simulation stops here.
    pub end: Millis,
    /// Real attendees from `attendees.csv`, instead of a generated population.
    pub roster: Option<Vec<crate::roster::Person>>,
    /// What loading skipped, each naming file and line.
    pub warnings: Vec<String>,
}

/// How presence changes over a day; each value's reason is in
/// docs/SIMULATION.md ("The shape of the day").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayShape {
    /// Attendance on day 2 and later as a share of day 1's (`attendees`
    /// counts day 1).
    pub later_days: f64,
    /// Share of attendees who take a lunch break, skipping the talks in it.
    pub lunch_share: f64,
    /// A break starts uniformly in `[lunch_from, lunch_to − lunch_length]`.
    pub lunch_from: Millis,
    pub lunch_to: Millis,
    pub lunch_length: Millis,
    /// Mean of the exponential time before the day's last session ends at
    /// which a person leaves: the afternoon drift.
    pub drift: Millis,
    /// Utility of staying in the same room for its next talk (no walk, a
    /// seat kept), added in the plan choice: turnover.
    pub stay: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    #[error("twin.yaml: {0}")]
    Yaml(String),
    #[error("twin.yaml: `{field}`: {message}")]
    Field { field: String, message: String },
}

fn field(field: impl Into<String>, message: impl Into<String>) -> TwinError {
    TwinError::Field {
        field: field.into(),
        message: message.into(),
    }
}

/// Published compliance defaults; see docs/SIMULATION.md for the studies.
pub const DEFAULT_NOTIFICATION_COMPLIANCE: f64 = 0.3;
pub const DEFAULT_SIGN_COMPLIANCE: f64 = 0.35;
/// Day 2 and later as a share of day 1: FOSDEM 2016 counted about 7,900
/// on its first day and "over 5,000" overall per day (docs/SIMULATION.md).
pub const DEFAULT_LATER_DAYS: f64 = 0.8;
/// The middle of the grid the issue asks for (0.5, 1, 1.5).
pub const DEFAULT_POPULARITY_SIGMA: f64 = 1.0;

/// Day 1's attendance without a figure: 70% of the seats of the rooms that
/// hold sessions.
fn default_day_one(world: &World) -> f64 {
    let seats: u64 = world
        .spaces
        .iter()
        .enumerate()
        .filter(|(i, _)| world.sessions.iter().any(|s| s.space as usize == *i))
        .map(|(_, s)| u64::from(s.capacity))
        .sum();
    seats as f64 * 0.7
}

/// Attendance on the simulated day from day 1's: later days draw `later_days` of it.
fn on_day(day_one: f64, world: &World, later_days: f64) -> u32 {
    let share = if world.day > 1 { later_days } else { 1.0 };
    (day_one * share).round() as u32
}

impl Twin {
    /// The plain day, without `twin.yaml`: the one place the defaults live.
    pub fn plain(world: &World) -> Twin {
        Twin {
            attendees: on_day(default_day_one(world), world, DEFAULT_LATER_DAYS),
            doors: world.first_start - 3_600_000,
            arrival_peak: world.first_start - 600_000,
            arrival_spread: 1_800_000,
            app_share: 0.7,
            badge_share: 0.6,
            bookmark_share: 0.5,
            bookmark_keep: 0.8,
            bookmark_extra: 0.3,
            counters: 1.0,
            move_confirm_fail: 0.1,
            popularity_sigma: DEFAULT_POPULARITY_SIGMA,
            practice_lag: 120_000,
            practice_push: 0.2,
            practice_push_window: 45 * 60_000,
            compliance_notification: DEFAULT_NOTIFICATION_COMPLIANCE,
            compliance_sign: DEFAULT_SIGN_COMPLIANCE,
            shape: DayShape {
                later_days: DEFAULT_LATER_DAYS,
                lunch_share: 0.7,
                lunch_from: world.midnight + 12 * 3_600_000,
                lunch_to: world.midnight + 14 * 3_600_000,
                lunch_length: 45 * 60_000,
                drift: 90 * 60_000,
                stay: 1.0,
            },
            sensor_interval: 30_000,
            sensor_noise: 0.05,
            sensor_dropout: 0.02,
            operator_delay: 90_000,
            operator_reject_share: 0.1,
            door_lag: 10_000,
            desks: 3,
            service: 45_000,
            closed_at_start: Vec::new(),
            disruptions: Vec::new(),
            end: world.last_end + 1_800_000,
            roster: None,
            warnings: Vec::new(),
        }
    }

    pub fn parse(text: &str, world: &World) -> Result<Twin, TwinError> {
        let d = Twin::plain(world);
        let f: TwinFile = if text.trim().is_empty() {
            TwinFile::default()
        } else {
            serde_saphyr::from_str(text)
                .map_err(|e| TwinError::Yaml(e.without_snippet().to_string()))?
        };
        let time = |v: &Option<String>, name: &str, default: Millis| -> Result<Millis, TwinError> {
            match v {
                None => Ok(default),
                Some(t) => world
                    .local(t)
                    .ok_or_else(|| field(name, format!("{t:?} is not a local HH:MM"))),
            }
        };
        let dur = |v: &Option<String>, name: &str, default: Millis| -> Result<Millis, TwinError> {
            match v {
                None => Ok(default),
                Some(t) => match parse_duration(t) {
                    Ok(ms) if ms > 0 => Ok(ms),
                    Ok(_) => Err(field(name, "must be longer than zero")),
                    Err(e) => Err(field(name, e.to_string())),
                },
            }
        };
        let share = |v: Option<f64>, name: &str, default: f64| -> Result<f64, TwinError> {
            match v {
                None => Ok(default),
                Some(x) if (0.0..=1.0).contains(&x) => Ok(x),
                Some(x) => Err(field(name, format!("{x} is not between 0 and 1"))),
            }
        };
        let shape_file = f.day.clone().unwrap_or_default();
        let later_days = shape_file.later_days.unwrap_or(d.shape.later_days);
        if !(0.0..=2.0).contains(&later_days) {
            return Err(field(
                "day.later_days",
                format!("{later_days} is not between 0 and 2"),
            ));
        }
        let stay = shape_file.stay.unwrap_or(d.shape.stay);
        if !(-5.0..=5.0).contains(&stay) {
            return Err(field("day.stay", format!("{stay} is not between -5 and 5")));
        }
        let shape = DayShape {
            later_days,
            lunch_share: share(
                shape_file.lunch_share,
                "day.lunch_share",
                d.shape.lunch_share,
            )?,
            lunch_from: time(&shape_file.lunch_from, "day.lunch_from", d.shape.lunch_from)?,
            lunch_to: time(&shape_file.lunch_to, "day.lunch_to", d.shape.lunch_to)?,
            lunch_length: dur(
                &shape_file.lunch_length,
                "day.lunch_length",
                d.shape.lunch_length,
            )?,
            drift: dur(&shape_file.drift, "day.drift", d.shape.drift)?,
            stay,
        };
        if shape.lunch_to < shape.lunch_from + shape.lunch_length {
            return Err(field(
                "day.lunch_to",
                "leaves no room for a break of lunch_length after lunch_from",
            ));
        }
        // `attendees` counts day 1; later days scale by `later_days`.
        let day_one = f
            .attendees
            .map_or_else(|| default_day_one(world), f64::from);
        let attendees = on_day(day_one, world, later_days);
        let doors = time(&f.doors, "doors", d.doors)?;
        let arrival = f.arrival.clone().unwrap_or_default();
        let peak = time(&arrival.peak, "arrival.peak", d.arrival_peak)?;
        let spread = dur(&arrival.spread, "arrival.spread", d.arrival_spread)?;
        let comp = f.compliance.clone().unwrap_or_default();
        let sensors = f.sensors.clone().unwrap_or_default();
        let op = f.operator.clone().unwrap_or_default();
        let reg = f.registration.clone().unwrap_or_default();
        let practice = f.practice.clone().unwrap_or_default();
        let sigma = f.popularity_sigma.unwrap_or(d.popularity_sigma);
        if !(0.0..=3.0).contains(&sigma) {
            return Err(field(
                "popularity_sigma",
                format!("{sigma} is not between 0 and 3"),
            ));
        }
        let noise = sensors.noise.unwrap_or(d.sensor_noise);
        if !(0.0..=1.0).contains(&noise) {
            return Err(field(
                "sensors.noise",
                format!("{noise} is not between 0 and 1"),
            ));
        }
        let space = |id: &Option<String>, name: String| -> Result<u16, TwinError> {
            let id = id.as_deref().ok_or_else(|| field(&name, "is required"))?;
            world
                .space_index
                .get(id)
                .copied()
                .ok_or_else(|| field(&name, format!("unknown space {id:?}")))
        };
        let session = |id: &Option<String>, name: String| -> Result<u32, TwinError> {
            let id = id.as_deref().ok_or_else(|| field(&name, "is required"))?;
            world.session_index.get(id).copied().ok_or_else(|| {
                field(
                    &name,
                    format!("unknown session {id:?} (or not on the simulated day)"),
                )
            })
        };
        let mut closed_at_start = Vec::new();
        for (i, id) in f.closed_at_start.iter().enumerate() {
            closed_at_start.push(space(&Some(id.clone()), format!("closed_at_start[{i}]"))?);
        }
        let mut disruptions = Vec::new();
        for (i, d) in f.disruptions.iter().enumerate() {
            let p = |k: &str| format!("disruptions[{i}].{k}");
            let at_req = || {
                time(&d.at, &p("at"), Millis::MIN).and_then(|t| {
                    if t == Millis::MIN {
                        Err(field(p("at"), "is required"))
                    } else {
                        Ok(t)
                    }
                })
            };
            let minutes = |default: Option<u32>| {
                d.minutes
                    .or(default)
                    .ok_or_else(|| field(p("minutes"), "is required"))
            };
            disruptions.push(match d.kind.as_str() {
                "popular" => Disruption::Popular {
                    session: session(&d.session, p("session"))?,
                    share: share(d.share, &p("share"), 0.5)?,
                    at: match &d.at {
                        None => None,
                        Some(_) => Some(at_req()?),
                    },
                },
                "delay" => {
                    let s = session(&d.session, p("session"))?;
                    let start = world.sessions[s as usize].start;
                    Disruption::Delay {
                        session: s,
                        minutes: minutes(None)?,
                        at: time(&d.at, &p("at"), start - 300_000)?,
                    }
                }
                "overrun" => Disruption::Overrun {
                    session: session(&d.session, p("session"))?,
                    minutes: minutes(None)?,
                },
                "close" => Disruption::Close {
                    space: space(&d.space, p("space"))?,
                    at: at_req()?,
                    minutes: d.minutes,
                },
                "surge" => Disruption::Surge {
                    at: at_req()?,
                    people: d.people.ok_or_else(|| field(p("people"), "is required"))?,
                    minutes: minutes(Some(5))?.max(1),
                },
                "sensor_dark" => Disruption::SensorDark {
                    space: space(&d.space, p("space"))?,
                    at: at_req()?,
                    minutes: minutes(None)?,
                },
                "sign_offline" => {
                    let id = d
                        .sign
                        .as_deref()
                        .ok_or_else(|| field(p("sign"), "is required"))?;
                    Disruption::SignOffline {
                        sign: world
                            .sign_index
                            .get(id)
                            .copied()
                            .ok_or_else(|| field(p("sign"), format!("unknown sign {id:?}")))?,
                        at: at_req()?,
                        minutes: minutes(None)?,
                    }
                }
                "incident" => {
                    let severity = d.severity.clone().unwrap_or_else(|| "high".into());
                    if !["low", "medium", "high", "critical"].contains(&severity.as_str()) {
                        return Err(field(
                            p("severity"),
                            format!("{severity:?} is not low, medium, high or critical"),
                        ));
                    }
                    Disruption::Incident {
                        space: space(&d.space, p("space"))?,
                        at: at_req()?,
                        severity,
                        what: d.what.clone().unwrap_or_else(|| "medical".into()),
                    }
                }
                other => {
                    return Err(field(
                        p("kind"),
                        format!(
                            "{other:?} is not one of popular, delay, overrun, close, surge, sensor_dark, sign_offline, incident"
                        ),
                    ));
                }
            });
        }
        Ok(Twin {
            attendees,
            doors,
            arrival_peak: peak,
            arrival_spread: spread,
            app_share: share(f.app_share, "app_share", d.app_share)?,
            badge_share: share(f.badge_share, "badge_share", d.badge_share)?,
            bookmark_share: share(
                f.bookmarks.as_ref().and_then(|b| b.share),
                "bookmarks.share",
                d.bookmark_share,
            )?,
            bookmark_keep: share(
                f.bookmarks.as_ref().and_then(|b| b.keep),
                "bookmarks.keep",
                d.bookmark_keep,
            )?,
            bookmark_extra: share(
                f.bookmarks.as_ref().and_then(|b| b.extra),
                "bookmarks.extra",
                d.bookmark_extra,
            )?,
            counters: share(f.counters, "counters", d.counters)?,
            move_confirm_fail: share(
                f.move_confirm_fail,
                "move_confirm_fail",
                d.move_confirm_fail,
            )?,
            popularity_sigma: sigma,
            practice_lag: dur(&practice.lag, "practice.lag", d.practice_lag)?,
            practice_push: share(practice.push, "practice.push", d.practice_push)?,
            practice_push_window: dur(
                &practice.push_window,
                "practice.push_window",
                d.practice_push_window,
            )?,
            compliance_notification: share(
                comp.notification,
                "compliance.notification",
                d.compliance_notification,
            )?,
            compliance_sign: share(comp.sign, "compliance.sign", d.compliance_sign)?,
            shape,
            sensor_interval: dur(&sensors.interval, "sensors.interval", d.sensor_interval)?,
            sensor_noise: noise,
            sensor_dropout: share(sensors.dropout, "sensors.dropout", d.sensor_dropout)?,
            operator_delay: dur(&op.delay, "operator.delay", d.operator_delay)?,
            operator_reject_share: share(
                op.reject_share,
                "operator.reject_share",
                d.operator_reject_share,
            )?,
            door_lag: match f.door.as_ref().and_then(|x| x.lag.as_ref()) {
                None => d.door_lag,
                Some(t) => parse_duration(t).map_err(|e| field("door.lag", e.to_string()))?,
            },
            desks: reg.desks.unwrap_or(d.desks),
            service: dur(&reg.service, "registration.service", d.service)?,
            closed_at_start,
            disruptions,
            ..d
        })
    }
}
