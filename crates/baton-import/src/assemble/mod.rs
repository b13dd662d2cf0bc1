//! From a format-neutral [`Schedule`] to Baton's files: the time zone is
//! chosen, times are placed in it, rooms become spaces with capacities and
//! zones, events become sessions with valid unique ids. `layout` assumes
//! the venue's hallways and links; `yaml` writes the files.

use crate::capacities;
use crate::model::{Event, Length, Schedule, When};
use crate::text::{Ids, comment, quote, slugify, squash, truncate_slug};
use crate::{ImportError, ImportOptions, Imported};
use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

mod layout;
mod mapped;
mod yaml;

pub(crate) use yaml::event_yaml;

use layout::*;
use yaml::*;

/// Zone of rooms whose names carry no building prefix.
const MAIN_ZONE: &str = "main";
/// Longest generated id; schedule slugs can run to 100 characters.
const MAX_ID: usize = 64;

struct Session {
    id: String,
    title: String,
    track: String,
    tags: Vec<String>,
    space: usize,
    start: Timestamp,
    end: Timestamp,
    persons: Vec<String>,
    source: String,
}

struct Space {
    id: String,
    name: String,
    capacity: u32,
    area_m2: f64,
    zone: String,
    /// How the capacity was found, for the comment beside it.
    basis: String,
    sessions: usize,
    /// A stand-in hallway (`--hallways`), not a room of the schedule.
    corridor: bool,
}

pub(crate) fn assemble(
    s: Schedule,
    file: &str,
    format_label: &str,
    opts: &ImportOptions,
    mut warnings: Vec<String>,
) -> Result<Imported, ImportError> {
    // Named by file name in comments and warnings: the path is the user's business.
    let venue = match &opts.capacities {
        Some(p) => Some((
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
            capacities::load(p, &mut warnings)?,
        )),
        None => None,
    };
    let (tz_name, tz) = choose_zone(&s, opts, file, &mut warnings);

    // Times first: an event that cannot be placed is dropped before rooms and ids.
    let mut timed: Vec<(Event, Timestamp, Timestamp)> = Vec::new();
    let mut seen = HashSet::new();
    for ev in s.events {
        match place(&ev, &tz) {
            Ok((start, end)) => {
                let key = (
                    ev.guid
                        .clone()
                        .or_else(|| ev.id.clone())
                        .unwrap_or_else(|| ev.title.clone()),
                    ev.room.clone(),
                    start,
                );
                if !seen.insert(key) {
                    warnings.push(format!(
                        "{file}: {}: {:?} is listed twice, second skipped",
                        ev.at, ev.title
                    ));
                    continue;
                }
                if let When::Local(dt) = ev.start {
                    let shown = tz.to_datetime(start);
                    if (shown.date(), shown.hour(), shown.minute())
                        != (dt.date(), dt.hour(), dt.minute())
                    {
                        warnings.push(format!(
                            "{file}: {}: {} does not exist in {tz_name} (clocks go forward); placed at {}",
                            ev.at,
                            clock(dt),
                            clock(shown)
                        ));
                    }
                }
                timed.push((ev, start, end));
            }
            Err(why) => warnings.push(format!("{file}: {}: {why}, skipped", ev.at)),
        }
    }

    // The event date: the first day the file or its sessions name.
    let local_date = |w: &When| match *w {
        When::Instant(ts, _) => Some(tz.to_datetime(ts).date()),
        When::Local(dt) => Some(dt.date()),
        When::Date(d) => Some(d),
    };
    let date = [s.start.as_ref().and_then(local_date), s.first_day]
        .into_iter()
        .flatten()
        .chain(timed.iter().map(|t| tz.to_datetime(t.1).date()))
        .min();

    // Rooms: declared ones in file order, then any only events name.
    let mut rooms = s.rooms;
    for (ev, ..) in &timed {
        if !rooms.iter().any(|r| r.name == ev.room) {
            rooms.push(crate::model::Room {
                name: ev.room.clone(),
                ..Default::default()
            });
        }
    }
    if rooms.is_empty() && timed.is_empty() {
        return Err(ImportError::Empty {
            file: file.to_string(),
        });
    }
    let Some(date) = date else {
        return Err(ImportError::Parse {
            file: file.to_string(),
            at: "conference".into(),
            message: "no start date, no dated day and no usable session: cannot date the event"
                .into(),
        });
    };

    let mut space_ids = Ids::default();
    let mut spaces = Vec::new();
    let mut by_name = HashMap::new();
    let mut used_rows = BTreeSet::new();
    let (mut from_schedule, mut from_seats, mut from_area) = (0, 0, 0);
    let mut assumed = Vec::new();
    for r in &rooms {
        let base = r
            .slug
            .as_deref()
            .map(slugify)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| slugify(&r.name));
        let base = truncate_slug(if base.is_empty() { "room" } else { &base }, MAX_ID);
        let id = space_ids.claim(&base, None);
        let row = venue
            .as_ref()
            .and_then(|(_, v)| v.find(r).map(|i| (i, &v.entries[i])));
        if let Some((i, _)) = row {
            used_rows.insert(i);
        }
        let venue_file = venue.as_ref().map(|v| v.0.as_str()).unwrap_or_default();
        let (capacity, basis) = match (r.capacity, row.map(|(_, e)| e)) {
            (Some(c), _) => {
                from_schedule += 1;
                (c, "capacity from the schedule".to_string())
            }
            (None, Some(&capacities::Entry { seats: Some(n), .. })) => {
                from_seats += 1;
                (n, format!("capacity from {venue_file}"))
            }
            (
                None,
                Some(&capacities::Entry {
                    area_m2: Some(area),
                    ..
                }),
            ) => {
                from_area += 1;
                let seats = ((area / opts.m2_per_person).floor() as u32).max(1);
                (
                    seats,
                    format!(
                        "capacity from floor area {area} m2 ({venue_file}) at {} m2 a person",
                        opts.m2_per_person
                    ),
                )
            }
            _ => {
                assumed.push(r.name.clone());
                (
                    opts.default_capacity,
                    "capacity ASSUMED: not in the schedule or a capacities file".to_string(),
                )
            }
        };
        let area_m2 = row
            .and_then(|(_, e)| e.area_m2)
            .unwrap_or(f64::from(capacity) * opts.m2_per_person)
            .max(1.0);
        let zone = row
            .and_then(|(_, e)| e.zone.as_deref())
            .map(slugify)
            .filter(|z| !z.is_empty())
            .or_else(|| building_prefix(&r.name))
            .unwrap_or_else(|| MAIN_ZONE.to_string());
        by_name.insert(r.name.clone(), spaces.len());
        spaces.push(Space {
            id,
            name: r.name.clone(),
            capacity,
            area_m2,
            zone,
            basis,
            sessions: 0,
            corridor: false,
        });
    }
    if !assumed.is_empty() {
        warnings.push(format!(
            "{} of {} rooms have no capacity in the schedule{}: assumed {} seats{} for {}",
            assumed.len(),
            spaces.len(),
            if venue.is_some() {
                " or the capacities file"
            } else {
                " (give a capacities file)"
            },
            opts.default_capacity,
            if opts.venue_map.is_some() {
                " (seats from the floor area where the venue map has the room)"
            } else {
                ""
            },
            assumed.join(", ")
        ));
    }
    if let Some((vfile, v)) = &venue {
        let unused: Vec<&str> = (0..v.entries.len())
            .filter(|i| !used_rows.contains(i))
            .map(|i| v.entries[i].label.as_str())
            .collect();
        if !unused.is_empty() {
            warnings.push(format!(
                "{vfile}: {} row(s) match no room of the schedule: {}",
                unused.len(),
                unused.join(", ")
            ));
        }
    }

    // Sessions, in time order, with ids from their slugs or titles.
    timed.sort_by_key(|t| (t.1, by_name.get(&t.0.room).copied(), t.2));
    let mut session_ids = Ids::default();
    let mut sessions = Vec::new();
    for (ev, start, end) in timed {
        let Some(&space) = by_name.get(&ev.room) else {
            continue;
        };
        // A wall time in a DST fold names two instants and Baton reads the
        // earlier: say so, and drop a session that would then end before it starts.
        let read = |ts: Timestamp| tz.to_timestamp(tz.to_datetime(ts)).ok();
        let (read_start, read_end) = (read(start), read(end));
        if read_start != Some(start) || read_end != Some(end) {
            let ordered = matches!((read_start, read_end), (Some(a), Some(b)) if a < b);
            warnings.push(format!(
                "{file}: {}: {:?} ({} to {}) falls in the hour the clocks repeat; Baton reads the earlier one{}",
                ev.at,
                ev.title,
                clock(tz.to_datetime(start)),
                clock(tz.to_datetime(end)),
                if ordered { "" } else { ", which would end it before it starts: skipped" }
            ));
            if !ordered {
                continue;
            }
        }
        spaces[space].sessions += 1;
        let title = if ev.title.is_empty() {
            let t = format!("Untitled ({})", ev.id.as_deref().unwrap_or("no id"));
            warnings.push(format!("{file}: {}: no title, called it {t:?}", ev.at));
            t
        } else {
            ev.title.clone()
        };
        let base = ev
            .slug
            .as_deref()
            .map(slugify)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| slugify(&title));
        let base = truncate_slug(if base.is_empty() { "session" } else { &base }, MAX_ID);
        let id = session_ids.claim(&base, ev.id.as_deref());
        let mut tags: Vec<String> = Vec::new();
        for t in [&ev.kind, &ev.language].into_iter().flatten() {
            let t = slugify(t);
            if !t.is_empty() && !tags.contains(&t) {
                tags.push(t);
            }
        }
        sessions.push(Session {
            id,
            title,
            track: ev.track.clone().unwrap_or_default(),
            tags,
            space,
            start,
            end,
            persons: ev.persons.clone(),
            source: ev.id.clone().or(ev.guid.clone()).unwrap_or_default(),
        });
    }

    // Overlaps: real rooms double-book (parallel workshops, listing errors).
    let local = |ts: Timestamp| tz.to_datetime(ts);
    let mut per_space: BTreeMap<usize, Vec<&Session>> = BTreeMap::new();
    for se in &sessions {
        per_space.entry(se.space).or_default().push(se);
    }
    for (space, list) in &per_space {
        let mut latest: Option<&Session> = None;
        for se in list {
            if let Some(prev) = latest
                && se.start < prev.end
            {
                warnings.push(format!(
                    "room {:?}: {:?} ({}) starts at {} before {:?} ({}) ends at {}",
                    spaces[*space].name,
                    se.title,
                    se.id,
                    clock(local(se.start)),
                    prev.title,
                    prev.id,
                    clock(local(prev.end)),
                ));
            }
            if latest.is_none_or(|p| se.end > p.end) {
                latest = Some(se);
            }
        }
    }
    let event_id = [s.acronym.as_deref(), s.title.as_deref(), Some(file)]
        .into_iter()
        .flatten()
        .map(slugify)
        .find(|id| !id.is_empty())
        .unwrap_or_else(|| "imported-event".to_string());
    let event_name = s
        .title
        .clone()
        .or(s.acronym.clone())
        .unwrap_or_else(|| file.to_string());
    let last = sessions
        .iter()
        .map(|se| local(se.end).date())
        .max()
        .unwrap_or(date);

    let mut files = BTreeMap::new();
    files.insert(
        "event.yaml".to_string(),
        event_yaml(&event_id, &event_name, &tz_name, date, file, format_label)
            + &moves_governance(
                spaces
                    .iter()
                    .filter(|s| !s.corridor && s.sessions > 0)
                    .count(),
            ),
    );
    let rooms = spaces.len();
    let mut map_note = None;
    let venue = if let Some(map) = &opts.venue_map {
        let (text, note) = mapped::venue(map, &mut spaces, &assumed, opts, &mut warnings)?;
        map_note = Some(note);
        text
    } else {
        if opts.hallways {
            add_hallways(&mut spaces, &mut warnings);
        }
        let links = if opts.hallways {
            hallway_links(&spaces, rooms, opts.walk_s)
        } else {
            links(&spaces, opts.walk_s)
        };
        venue_yaml(&spaces, &links, opts, file)
    };
    files.insert("venue.yaml".to_string(), venue);
    files.insert(
        "sessions.yaml".to_string(),
        sessions_yaml(&sessions, &spaces, date, &tz, &tz_name, file),
    );
    files.insert("policies.yaml".to_string(), POLICIES.to_string());
    files.insert("staff.yaml".to_string(), staff_yaml(&spaces));
    let figure = crate::attendance::published(s.acronym.as_deref(), s.title.as_deref(), date);
    if let Some(f) = &figure {
        files.insert("twin.yaml".to_string(), crate::attendance::twin_yaml(f));
    }
    let attendance = figure.map_or_else(
        || "attendance: no published figure, the twin assumes 70% of seats".to_string(),
        |f| format!("attendance: {} on day 1 ({})", f.attendees, f.series),
    );

    let zones: BTreeSet<&str> = spaces.iter().map(|s| s.zone.as_str()).collect();
    let used = spaces.iter().filter(|s| s.sessions > 0).count();
    let spaces = &spaces[..rooms];
    let summary = format!(
        "{event_name}: {} sessions in {} rooms ({used} with sessions) in {} zone(s), {date} to {last} ({tz_name}); \
         capacities: {from_schedule} from the schedule, {} from the capacities file, {} assumed; {attendance}; {}{} warning(s)",
        sessions.len(),
        spaces.len(),
        zones.len(),
        from_seats + from_area,
        assumed.len(),
        map_note.map(|n| format!("{n}; ")).unwrap_or_default(),
        warnings.len()
    );
    Ok(Imported {
        files,
        warnings,
        summary,
    })
}

/// The option's zone, else the file's, else a fixed offset inferred from the
/// event times, else UTC; each fallback warns.
fn choose_zone(
    s: &Schedule,
    opts: &ImportOptions,
    file: &str,
    warnings: &mut Vec<String>,
) -> (String, TimeZone) {
    let offsets: Vec<(Timestamp, Offset)> = s
        .events
        .iter()
        .filter_map(|e| match e.start {
            When::Instant(ts, off) => Some((ts, off)),
            _ => None,
        })
        .collect();
    let stated = s
        .time_zone
        .as_deref()
        .and_then(|name| match TimeZone::get(name) {
            Ok(tz) => Some((name.to_string(), tz)),
            Err(_) => {
                warnings.push(format!(
                    "{file}: unknown time zone {name:?} in the file, ignored"
                ));
                None
            }
        });
    if let Some(name) = &opts.timezone
        && let Ok(tz) = TimeZone::get(name)
    {
        if let Some((stated, _)) = &stated
            && stated != name
        {
            warnings.push(format!(
                "{file}: the file's time zone is {stated}; using {name} as asked"
            ));
        }
        return (name.clone(), tz);
    }
    if let Some((name, tz)) = stated {
        // Times carry their own offsets; say so when they disagree with the zone.
        let off: Vec<&(Timestamp, Offset)> = offsets
            .iter()
            .filter(|(ts, o)| tz.to_offset(*ts) != *o)
            .collect();
        if let Some((ts, o)) = off.first() {
            warnings.push(format!(
                "{file}: {} event time(s) carry offsets (e.g. {}) other than {name}'s ({} then); \
                 kept the instants, so local times differ from the file's clock times. \
                 Give a time zone to override",
                off.len(),
                offset_text(*o),
                offset_text(tz.to_offset(*ts))
            ));
        }
        return (name, tz);
    }
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    for (_, o) in &offsets {
        *counts.entry(o.seconds()).or_default() += 1;
    }
    if let Some((&secs, _)) = counts.iter().max_by_key(|(_, n)| **n) {
        let hours = secs / 3600;
        let name = if secs == 0 {
            Some("UTC".to_string())
        } else if secs % 3600 == 0 && (-12..=14).contains(&hours) {
            // POSIX sign: Etc/GMT-1 is UTC+1.
            Some(format!("Etc/GMT{:+}", -hours))
        } else {
            None
        };
        if let Some(name) = name
            && let Ok(tz) = TimeZone::get(&name)
        {
            warnings.push(format!(
                "{file}: no time zone in the file; using {name} from the events' UTC offset{}. \
                 Give the real IANA zone (e.g. Europe/Berlin) so DST is right",
                if counts.len() > 1 {
                    " (the most common of several)"
                } else {
                    ""
                }
            ));
            return (name, tz);
        }
    }
    warnings.push(format!(
        "{file}: no time zone in the file and no offsets on its times; took clock times as UTC. \
         Give the real IANA zone (e.g. Europe/Brussels)"
    ));
    ("UTC".to_string(), TimeZone::UTC)
}

/// Start and end as instants, on whole minutes.
fn place(ev: &Event, tz: &TimeZone) -> Result<(Timestamp, Timestamp), String> {
    let at = |w: &When| match *w {
        When::Instant(ts, _) => Ok(ts),
        When::Local(dt) => tz.to_timestamp(dt).map_err(|e| e.to_string()),
        When::Date(_) => Err("a date without a time".to_string()),
    };
    let start = at(&ev.start)?;
    let end = match ev.length {
        Length::Minutes(m) => {
            let secs = m.checked_mul(60).ok_or("duration out of range")?;
            start
                .checked_add(SignedDuration::from_secs(secs))
                .map_err(|_| "duration out of range".to_string())?
        }
        Length::Until(w) => at(&w)?,
    };
    let (start, end) = (floor_minute(start)?, ceil_minute(end)?);
    if end <= start {
        return Err(format!(
            "{:?} has no length (ends when it starts or before)",
            ev.title
        ));
    }
    Ok((start, end))
}

fn floor_minute(ts: Timestamp) -> Result<Timestamp, String> {
    Timestamp::from_second(ts.as_second().div_euclid(60) * 60).map_err(|e| e.to_string())
}

fn ceil_minute(ts: Timestamp) -> Result<Timestamp, String> {
    let f = floor_minute(ts)?;
    if f == ts {
        return Ok(f);
    }
    f.checked_add(SignedDuration::from_secs(60))
        .map_err(|e| e.to_string())
}

/// `strftime` written without `to_string`, which would panic on a format error.
fn strf(dt: DateTime, format: &str) -> String {
    let mut out = String::new();
    let _ = write!(out, "{}", dt.strftime(format));
    out
}

fn clock(dt: DateTime) -> String {
    strf(dt, "%Y-%m-%d %H:%M")
}

/// Letters of a room code before its first digit or dot (`K` of `K.3.201`,
/// `UD` of `UD2.120`): the building at university venues. `None` for names
/// like `Saal 1` or `Janson`.
fn building_prefix(name: &str) -> Option<String> {
    // Capitals only: `r3s - Monheim` is a name, not a room code.
    let letters = name.chars().take_while(char::is_ascii_uppercase).count();
    let next = name.chars().nth(letters)?;
    ((1..=3).contains(&letters) && (next.is_ascii_digit() || next == '.'))
        .then(|| name[..letters].to_ascii_lowercase())
}

/// `+01:00`: jiff's own display drops zero minutes.
fn offset_text(o: Offset) -> String {
    let s = o.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    let m = s.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(building_prefix("K.3.201").as_deref(), Some("k"));
        assert_eq!(building_prefix("UD2.120 (Chavanne)").as_deref(), Some("ud"));
        assert_eq!(building_prefix("AW1.121").as_deref(), Some("aw"));
        assert_eq!(building_prefix("Janson"), None);
        assert_eq!(building_prefix("Saal 1"), None);
        assert_eq!(building_prefix("Chavanne"), None);
        assert_eq!(building_prefix("r3s - Monheim/Rhein"), None);
        assert_eq!(offset_text(Offset::constant(1)), "+01:00");
        assert_eq!(
            offset_text(Offset::from_seconds(-9000).unwrap_or(Offset::UTC)),
            "-02:30"
        );
    }

    #[test]
    fn inferred_zone_names_exist() {
        for h in -12..=14 {
            let name = if h == 0 {
                "UTC".to_string()
            } else {
                format!("Etc/GMT{:+}", -h)
            };
            assert!(TimeZone::get(&name).is_ok(), "{name}");
        }
    }
}
