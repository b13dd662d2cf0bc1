//! frab/pentabarf `schedule.xml`, in both layouts: events inside
//! `<day><room name=...>` (frab, pretalx, c3voc) and events directly under
//! `<day>` with the room as a child element (older pentabarf, e.g. FOSDEM 2012).
//!
//! roxmltree gives a read-only tree with byte positions, so a skipped event
//! is reported with its line.

use crate::ImportError;
use crate::model::{
    Event, Length, Room, Schedule, When, local_on_day, parse_clock, parse_duration_minutes,
};
use crate::text::squash;
use jiff::civil;
use roxmltree::{Document, Node, ParsingOptions};

pub(crate) fn read(
    text: &str,
    file: &str,
    warnings: &mut Vec<String>,
) -> Result<Schedule, ImportError> {
    let opts = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, opts).map_err(|e| ImportError::Parse {
        file: file.to_string(),
        at: format!("line {}, column {}", e.pos().row, e.pos().col),
        message: e.to_string(),
    })?;
    let root = doc.root_element();
    // Line starts once, then a binary search per node: roxmltree's own
    // `text_pos_at` rescans from the top, which is quadratic over a 2 MB file.
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let line = |n: Node| {
        format!(
            "line {}",
            newlines.partition_point(|&nl| nl < n.range().start) + 1
        )
    };
    if root.tag_name().name() != "schedule" {
        return Err(ImportError::Parse {
            file: file.to_string(),
            at: line(root),
            message: format!(
                "the root element is <{}>, not <schedule>: not a frab/pentabarf schedule",
                root.tag_name().name()
            ),
        });
    }
    let mut out = Schedule::default();
    let mut day_change = None;
    if let Some(conf) = child(root, "conference") {
        out.title = child_text(conf, "title");
        out.acronym = child_text(conf, "acronym");
        out.time_zone = child_text(conf, "time_zone_name");
        out.start = child_text(conf, "start").and_then(|s| When::parse(&s));
        day_change = child_text(conf, "day_change").and_then(|s| parse_clock(&s));
        // Some c3voc exports declare rooms (with capacities) up front.
        for r in conf
            .children()
            .filter(|n| n.has_tag_name("rooms"))
            .flat_map(|n| n.children())
            .filter(|n| n.has_tag_name("room"))
        {
            add_room(&mut out.rooms, r, warnings, file, &line(r));
        }
    } else {
        warnings.push(format!("{file}: no <conference> element"));
    }
    for (di, day) in root
        .children()
        .filter(|n| n.has_tag_name("day"))
        .enumerate()
    {
        let date = day
            .attribute("date")
            .and_then(|d| d.trim().parse::<civil::Date>().ok());
        if di == 0 {
            out.first_day = date;
        }
        if date.is_none() {
            warnings.push(format!(
                "{file}: {}: <day> without a usable date; its events need a full <date>",
                line(day)
            ));
        }
        // A day's `start` attribute, where present, says where its clock wraps.
        let change = day
            .attribute("start")
            .and_then(When::parse)
            .and_then(|w| match w {
                When::Instant(ts, off) => Some(off.to_datetime(ts).time()),
                When::Local(dt) => Some(dt.time()),
                When::Date(_) => None,
            })
            .or(day_change);
        for node in day.children().filter(Node::is_element) {
            match node.tag_name().name() {
                "room" => {
                    add_room(&mut out.rooms, node, warnings, file, &line(node));
                    let room_name = node.attribute("name").map(squash).unwrap_or_default();
                    for ev in node.children().filter(|n| n.has_tag_name("event")) {
                        push_event(
                            &mut out.events,
                            ev,
                            &room_name,
                            date,
                            change,
                            &line(ev),
                            file,
                            warnings,
                        );
                    }
                }
                "event" => push_event(
                    &mut out.events,
                    node,
                    "",
                    date,
                    change,
                    &line(node),
                    file,
                    warnings,
                ),
                _ => {}
            }
        }
    }
    Ok(out)
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(name))
}

/// All text under an element, whitespace folded; `None` when empty.
fn text_of(n: Node) -> Option<String> {
    let raw: String = n
        .descendants()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .collect();
    Some(squash(&raw)).filter(|s| !s.is_empty())
}

fn child_text(n: Node, name: &str) -> Option<String> {
    child(n, name).and_then(text_of)
}

/// Records a declared room once, by name (days repeat the room list).
fn add_room(rooms: &mut Vec<Room>, n: Node, warnings: &mut Vec<String>, file: &str, at: &str) {
    let Some(name) = n.attribute("name").map(squash).filter(|s| !s.is_empty()) else {
        if n.parent().is_some_and(|p| p.has_tag_name("rooms")) {
            warnings.push(format!("{file}: {at}: a room without a name, skipped"));
        }
        return;
    };
    if rooms.iter().any(|r| r.name == name) {
        return;
    }
    rooms.push(Room {
        name,
        slug: n
            .attribute("slug")
            .map(str::to_string)
            .filter(|s| !s.is_empty()),
        guid: n
            .attribute("guid")
            .map(str::to_string)
            .filter(|s| !s.is_empty()),
        capacity: n
            .attribute("capacity")
            .and_then(|c| c.trim().parse::<u32>().ok())
            .filter(|c| *c > 0),
    });
}

#[allow(clippy::too_many_arguments)]
fn push_event(
    events: &mut Vec<Event>,
    ev: Node,
    room_name: &str,
    date: Option<civil::Date>,
    day_change: Option<civil::Time>,
    at: &str,
    file: &str,
    warnings: &mut Vec<String>,
) {
    match event(ev, room_name, date, day_change, at) {
        Ok(e) => events.push(e),
        Err(why) => {
            let id = ev
                .attribute("id")
                .map(|i| format!(" id={i}"))
                .unwrap_or_default();
            warnings.push(format!("{file}: {at}: <event{id}>: {why}, skipped"));
        }
    }
}

fn event(
    ev: Node,
    room_name: &str,
    date: Option<civil::Date>,
    day_change: Option<civil::Time>,
    at: &str,
) -> Result<Event, String> {
    let start = match child_text(ev, "date").and_then(|s| When::parse(&s)) {
        Some(w @ (When::Instant(..) | When::Local(_))) => w,
        _ => {
            let clock = child_text(ev, "start")
                .and_then(|s| parse_clock(&s))
                .ok_or("no usable <date> or <start>")?;
            let day = date.ok_or("no <date>, and its <day> has no date")?;
            local_on_day(day, clock, day_change).ok_or("start out of range")?
        }
    };
    let minutes = child_text(ev, "duration")
        .and_then(|d| parse_duration_minutes(&d))
        .ok_or("no usable <duration>")?;
    // The enclosing <room> is the structure; the child <room> is what the old layout has.
    let room = Some(room_name.to_string())
        .filter(|r| !r.is_empty())
        .or_else(|| child_text(ev, "room"))
        .ok_or("no room")?;
    let persons = child(ev, "persons")
        .into_iter()
        .flat_map(|p| p.children())
        .filter(|p| p.has_tag_name("person"))
        .filter_map(text_of)
        .collect();
    Ok(Event {
        at: at.to_string(),
        id: ev.attribute("id").map(str::to_string),
        guid: ev.attribute("guid").map(str::to_string),
        slug: child_text(ev, "slug"),
        title: child_text(ev, "title").unwrap_or_default(),
        track: child_text(ev, "track"),
        kind: child_text(ev, "type"),
        language: child_text(ev, "language"),
        room,
        start,
        length: Length::Minutes(minutes),
        persons,
    })
}
