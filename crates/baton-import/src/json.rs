//! c3voc `schedule.json` as frab and pretalx export it (events grouped by day
//! and room), and the newer "schedule2" shape (a flat `events` list with
//! start and end times, room objects with capacities).
//!
//! Read through `serde_json::Value` rather than typed structs: real files
//! break their schema in small ways (null tracks, numbers for strings,
//! duplicate room guids), and one odd event must cost a warning, not the file.

use crate::ImportError;
use crate::model::{
    Event, Length, Room, Schedule, When, local_on_day, parse_clock, parse_duration_minutes,
};
use crate::text::squash;
use serde_json::Value;

pub(crate) fn read(
    text: &str,
    file: &str,
    warnings: &mut Vec<String>,
) -> Result<Schedule, ImportError> {
    let root: Value = serde_json::from_str(text).map_err(|e| ImportError::Parse {
        file: file.to_string(),
        at: format!("line {}, column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    let (schedule, base) = match root.get("schedule") {
        Some(s) => (s, "schedule"),
        None => (&root, ""),
    };
    let path = |p: &str| {
        if base.is_empty() {
            p.to_string()
        } else {
            format!("{base}.{p}")
        }
    };
    let Some(conf) = schedule.get("conference").filter(|c| c.is_object()) else {
        return Err(ImportError::Parse {
            file: file.to_string(),
            at: path("conference"),
            message: "no `conference` object: not a c3voc/pretalx schedule.json".into(),
        });
    };
    let mut out = Schedule {
        title: conf.get("title").and_then(string),
        acronym: conf.get("acronym").and_then(string),
        time_zone: conf.get("time_zone_name").and_then(string),
        start: conf
            .get("start")
            .and_then(string)
            .and_then(|s| When::parse(&s)),
        ..Schedule::default()
    };
    if let Some(rooms) = conf.get("rooms").and_then(Value::as_array) {
        for (i, r) in rooms.iter().enumerate() {
            match room(r) {
                Some(room) => out.rooms.push(room),
                None => warnings.push(format!(
                    "{file}: {}: a room without a name, skipped",
                    path(&format!("conference.rooms[{i}]"))
                )),
            }
        }
    }
    let days = conf.get("days").and_then(Value::as_array);
    out.first_day = days
        .and_then(|d| d.first())
        .and_then(|d| d.get("date"))
        .and_then(string)
        .and_then(|s| s.parse().ok());
    let mut grouped = 0usize;
    for (di, day) in days.into_iter().flatten().enumerate() {
        let day_path = path(&format!("conference.days[{di}]"));
        let Some(rooms) = day.get("rooms") else {
            continue;
        };
        let Some(rooms) = rooms.as_object() else {
            warnings.push(format!(
                "{file}: {day_path}.rooms is not an object of room name to events, skipped"
            ));
            continue;
        };
        let date = day
            .get("date")
            .and_then(string)
            .and_then(|s| s.parse().ok());
        // The day's own start (e.g. 04:00) is where its clock wraps to the next date.
        let day_change = day
            .get("day_start")
            .or_else(|| day.get("start"))
            .and_then(string)
            .and_then(|s| When::parse(&s))
            .and_then(|w| match w {
                When::Instant(ts, off) => Some(off.to_datetime(ts).time()),
                When::Local(dt) => Some(dt.time()),
                When::Date(_) => None,
            });
        for (room_name, events) in rooms {
            let Some(events) = events.as_array() else {
                warnings.push(format!(
                    "{file}: {day_path}.rooms[{room_name:?}] is not a list, skipped"
                ));
                continue;
            };
            for (ei, ev) in events.iter().enumerate() {
                let at = format!("{day_path}.rooms[{room_name:?}][{ei}]");
                grouped += 1;
                match grouped_event(ev, &at, room_name, date, day_change) {
                    Ok(e) => out.events.push(e),
                    Err(why) => warnings.push(format!("{file}: {at}: {why}, skipped")),
                }
            }
        }
    }
    // schedule2: one flat list. Only used when the day/room tree is empty, so
    // a file carrying both does not import every talk twice.
    if let Some(events) = schedule.get("events").and_then(Value::as_array) {
        if grouped > 0 {
            if !events.is_empty() {
                warnings.push(format!(
                    "{file}: both conference.days[].rooms and a flat `events` list; used the days, ignored {} flat events",
                    events.len()
                ));
            }
        } else {
            for (ei, ev) in events.iter().enumerate() {
                let at = path(&format!("events[{ei}]"));
                match flat_event(ev, &at) {
                    Ok(e) => out.events.push(e),
                    Err(why) => warnings.push(format!("{file}: {at}: {why}, skipped")),
                }
            }
        }
    }
    Ok(out)
}

/// A non-empty string, also from a number or an object's `name` (schedule2
/// writes tracks and rooms as objects).
fn string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(squash(s)).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o
            .get("name")
            .or_else(|| o.get("en"))
            .or_else(|| o.get("slug"))
            .and_then(string),
        _ => None,
    }
}

fn room(v: &Value) -> Option<Room> {
    Some(Room {
        name: v.get("name").and_then(string)?,
        slug: v.get("slug").and_then(string),
        guid: v.get("guid").and_then(string),
        // Some exports write the number as a string.
        capacity: v
            .get("capacity")
            .and_then(|c| c.as_u64().or_else(|| c.as_str()?.trim().parse().ok()))
            .and_then(|c| u32::try_from(c).ok())
            .filter(|c| *c > 0),
    })
}

fn persons(ev: &Value) -> Vec<String> {
    let list = ev
        .get("persons")
        .or_else(|| ev.get("participants"))
        .and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter(|p| {
            // schedule2 lists non-speaking contributors too.
            p.get("role")
                .and_then(Value::as_str)
                .is_none_or(|r| r.eq_ignore_ascii_case("speaker"))
        })
        .filter_map(|p| match p {
            Value::String(_) => string(p),
            _ => ["public_name", "full_public_name", "name"]
                .iter()
                .find_map(|k| p.get(*k).and_then(string)),
        })
        .collect()
}

/// Fields the two event shapes share.
fn common(ev: &Value, at: &str, room: String, start: When, length: Length) -> Event {
    Event {
        at: at.to_string(),
        id: ev
            .get("id")
            .and_then(string)
            .or_else(|| ev.get("code").and_then(string)),
        guid: ev.get("guid").and_then(string),
        slug: ev.get("slug").and_then(string),
        title: ev.get("title").and_then(string).unwrap_or_default(),
        track: ev.get("track").and_then(string),
        kind: ev.get("type").and_then(string),
        language: ev.get("language").and_then(string),
        room,
        start,
        length,
        persons: persons(ev),
    }
}

fn grouped_event(
    ev: &Value,
    at: &str,
    room_key: &str,
    date: Option<jiff::civil::Date>,
    day_change: Option<jiff::civil::Time>,
) -> Result<Event, String> {
    if !ev.is_object() {
        return Err("not an event object".into());
    }
    // `date` is the full start with offset; `start` is a bare clock time on the day.
    let start = match ev
        .get("date")
        .and_then(string)
        .and_then(|s| When::parse(&s))
    {
        Some(w @ (When::Instant(..) | When::Local(_))) => w,
        _ => {
            let clock = ev
                .get("start")
                .and_then(string)
                .and_then(|s| parse_clock(&s))
                .ok_or("no usable `date` or `start`")?;
            let day = date.ok_or("no usable `date`, and the day has no date")?;
            local_on_day(day, clock, day_change).ok_or("start out of range")?
        }
    };
    let minutes = ev
        .get("duration")
        .and_then(string)
        .and_then(|d| parse_duration_minutes(&d))
        .ok_or("no usable `duration`")?;
    let room = ev
        .get("room")
        .and_then(string)
        .unwrap_or_else(|| room_key.to_string());
    Ok(common(ev, at, room, start, Length::Minutes(minutes)))
}

fn flat_event(ev: &Value, at: &str) -> Result<Event, String> {
    if !ev.is_object() {
        return Err("not an event object".into());
    }
    let start = ev
        .get("start")
        .or_else(|| ev.get("date"))
        .and_then(string)
        .and_then(|s| When::parse(&s))
        .filter(|w| !matches!(w, When::Date(_)))
        .ok_or("no usable `start`")?;
    let length = match ev.get("end").and_then(string).and_then(|s| When::parse(&s)) {
        Some(end) if !matches!(end, When::Date(_)) => Length::Until(end),
        _ => Length::Minutes(
            ev.get("duration")
                .and_then(string)
                .and_then(|d| parse_duration_minutes(&d))
                .ok_or("no usable `end` or `duration`")?,
        ),
    };
    let room = ev.get("room").and_then(string).ok_or("no room")?;
    Ok(common(ev, at, room, start, length))
}
