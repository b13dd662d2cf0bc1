//! The venue, the programme, the staff and the signs (venue.yaml, sessions.yaml, staff.yaml, signs.yaml).

use super::*;

pub(super) fn resolve_venue(v: &VenueFile, cx: &mut Ctx) -> (Vec<m::Space>, Vec<m::Link>) {
    let f = "venue.yaml";
    let mut spaces = Vec::new();
    let mut ids = HashSet::new();
    for (i, s) in v.spaces.iter().enumerate() {
        let sp = &s.value;
        let field = |x: &str| format!("spaces[{i}].{x}");
        if !valid_id(&sp.id) {
            cx.error(
                f,
                at(s),
                field("id"),
                format!(
                    "{:?} is not a valid id (letters, digits, '-', '_', '.')",
                    sp.id
                ),
            );
        }
        if !ids.insert(sp.id.clone()) {
            cx.error(
                f,
                at(s),
                field("id"),
                format!("duplicate space id {:?}", sp.id),
            );
        }
        let kind = m::SpaceKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == sp.kind.value);
        if kind.is_none() {
            cx.error(
                f,
                at(&sp.kind),
                field("kind"),
                format!(
                    "unknown kind {:?}; use one of {}",
                    sp.kind.value,
                    m::SpaceKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            );
        }
        if !(sp.area_m2.is_finite() && sp.area_m2 > 0.0) {
            cx.error(
                f,
                at(s),
                field("area_m2"),
                format!(
                    "must be a positive number of square metres, got {}",
                    sp.area_m2
                ),
            );
        }
        if sp
            .position
            .is_some_and(|p| !p.iter().all(|c| c.is_finite()))
        {
            cx.error(
                f,
                at(s),
                field("position"),
                "must be two finite numbers (metres on the site plan)",
            );
        }
        if !sp.outline.is_empty() && (sp.outline.len() < 3 || sp.outline.len() > MAX_OUTLINE_POINTS)
        {
            cx.error(
                f,
                at(s),
                field("outline"),
                format!(
                    "an outline is a polygon of 3 to {MAX_OUTLINE_POINTS} [x, y] points, got {}",
                    sp.outline.len()
                ),
            );
        } else if !sp.outline.iter().flatten().all(|c| c.is_finite()) {
            cx.error(
                f,
                at(s),
                field("outline"),
                "outline points must be finite numbers (metres on the site plan)",
            );
        }
        if sp.standing_limit > 0 && !sp.seated {
            cx.error(
                f,
                at(s),
                field("standing_limit"),
                "applies to seated rooms only: a standing space's capacity already counts the people standing",
            );
        }
        if sp.capacity == 0 {
            cx.warn(
                f,
                at(s),
                field("capacity"),
                "capacity 0: fill ratios will read 0",
            );
        }
        spaces.push(m::Space {
            id: sp.id.clone(),
            name: sp.name.clone().unwrap_or_else(|| sp.id.clone()),
            kind: kind.unwrap_or(m::SpaceKind::Room),
            capacity: sp.capacity,
            area_m2: sp.area_m2,
            zone: sp.zone.clone(),
            seated: sp.seated,
            standing_limit: sp.standing_limit,
            features: sp.features.clone(),
            position: sp.position,
            outline: sp.outline.clone(),
        });
    }
    let mut links = Vec::new();
    let mut linked = BTreeSet::new();
    for (i, l) in v.links.iter().enumerate() {
        for (end, name) in [(&l.value.from, "from"), (&l.value.to, "to")] {
            if !ids.contains(end) {
                cx.error(
                    f,
                    at(l),
                    format!("links[{i}].{name}"),
                    format!("unknown space {end:?}"),
                );
            }
            linked.insert(end.clone());
        }
        if l.value.from == l.value.to {
            cx.error(
                f,
                at(l),
                format!("links[{i}]"),
                format!("a link from space {:?} to itself", l.value.from),
            );
        }
        links.push(m::Link {
            from: l.value.from.clone(),
            to: l.value.to.clone(),
            walk_s: l.value.walk_s,
        });
    }
    if !v.links.is_empty() {
        for (i, s) in v.spaces.iter().enumerate() {
            if !linked.contains(&s.value.id) {
                cx.warn(
                    f,
                    at(s),
                    format!("spaces[{i}]"),
                    format!("space {:?} has no walking link", s.value.id),
                );
            }
        }
    }
    (spaces, links)
}

pub(super) fn local_time(
    text: &str,
    day: &(jiff::civil::Date, jiff::tz::TimeZone),
) -> Result<i64, String> {
    let (date, tz) = day;
    let bad = || {
        format!(
            "{text:?} is not a time: write HH:MM (e.g. 09:30, or 25:15 for 01:15 the next day) or YYYY-MM-DDTHH:MM"
        )
    };
    let civil = if let Some((h, mi)) = text.split_once(':').filter(|(h, _)| h.len() <= 2) {
        let h: i64 = h.parse().map_err(|_| bad())?;
        let mi: i64 = mi.parse().map_err(|_| bad())?;
        if !(0..48).contains(&h) || !(0..60).contains(&mi) {
            return Err(bad());
        }
        let day = date
            .checked_add(jiff::Span::new().days(h / 24))
            .map_err(|_| bad())?;
        day.at((h % 24) as i8, mi as i8, 0, 0)
    } else {
        text.parse::<jiff::civil::DateTime>().map_err(|_| bad())?
    };
    tz.to_timestamp(civil)
        .map(|t| t.as_millisecond())
        .map_err(|e| e.to_string())
}

pub(super) fn resolve_sessions(
    file: &SessionsFile,
    day: Option<(jiff::civil::Date, jiff::tz::TimeZone)>,
    spaces: &HashSet<&str>,
    cx: &mut Ctx,
) -> Vec<m::Session> {
    let f = "sessions.yaml";
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for (i, s) in file.sessions.iter().enumerate() {
        let se = &s.value;
        let field = |x: &str| format!("sessions[{i}].{x}");
        if !valid_id(&se.id) {
            cx.error(
                f,
                at(s),
                field("id"),
                format!("{:?} is not a valid id", se.id),
            );
        }
        if !ids.insert(se.id.clone()) {
            cx.error(
                f,
                at(s),
                field("id"),
                format!("duplicate session id {:?}", se.id),
            );
        }
        if !spaces.contains(se.space.value.as_str()) {
            cx.error(
                f,
                at(&se.space),
                field("space"),
                format!(
                    "session {:?} is in space {:?}, which venue.yaml does not define",
                    se.id, se.space.value
                ),
            );
        }
        let Some(day) = &day else { continue };
        let start = local_time(&se.start.value, day)
            .map_err(|e| cx.error(f, at(&se.start), field("start"), e))
            .ok();
        let end = local_time(&se.end.value, day)
            .map_err(|e| cx.error(f, at(&se.end), field("end"), e))
            .ok();
        if let (Some(start), Some(end)) = (start, end) {
            if end <= start {
                cx.error(
                    f,
                    at(&se.end),
                    field("end"),
                    format!(
                        "ends ({}) before it starts ({})",
                        se.end.value, se.start.value
                    ),
                );
            }
            out.push((
                at(s),
                m::Session {
                    id: se.id.clone(),
                    title: se.title.clone(),
                    track: se.track.clone(),
                    tags: se.tags.clone(),
                    space: se.space.value.clone(),
                    start,
                    end,
                    protected: se.protected,
                    needs: se.needs.clone(),
                },
            ));
        }
    }
    // Overlaps within a room: real schedules have them, so they warn.
    type Located = ((u64, u64), m::Session);
    let mut by_space: BTreeMap<&str, Vec<&Located>> = BTreeMap::new();
    for s in &out {
        by_space.entry(s.1.space.as_str()).or_default().push(s);
    }
    let mut warns = Vec::new();
    for (space, mut list) in by_space {
        list.sort_by_key(|s| (s.1.start, s.1.id.clone()));
        for w in list.windows(2) {
            if w[1].1.start < w[0].1.end {
                warns.push((
                    w[1].0,
                    w[1].1.id.clone(),
                    w[0].1.id.clone(),
                    space.to_string(),
                ));
            }
        }
    }
    for (loc, a, b, space) in warns {
        cx.warn(
            f,
            loc,
            "",
            format!("session {a:?} overlaps {b:?} in space {space:?}"),
        );
    }
    out.into_iter().map(|(_, s)| s).collect()
}

pub(super) fn resolve_staff(file: &StaffFile, spaces: &[m::Space], cx: &mut Ctx) -> Vec<m::Staff> {
    let zones: BTreeSet<&str> = spaces.iter().map(|s| s.zone.as_str()).collect();
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for (i, s) in file.staff.iter().enumerate() {
        let st = &s.value;
        if !ids.insert(st.id.clone()) {
            cx.error(
                "staff.yaml",
                at(s),
                format!("staff[{i}].id"),
                format!("duplicate staff id {:?}", st.id),
            );
        }
        if !zones.contains(st.zone.as_str()) {
            cx.warn(
                "staff.yaml",
                at(s),
                format!("staff[{i}].zone"),
                format!("zone {:?} has no spaces", st.zone),
            );
        }
        out.push(m::Staff {
            id: st.id.clone(),
            name: st.name.clone(),
            roles: st.roles.clone(),
            zone: st.zone.clone(),
        });
    }
    out
}

pub(super) fn resolve_signs(
    file: &SignsFile,
    spaces: &HashSet<&str>,
    cx: &mut Ctx,
) -> Vec<m::Sign> {
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for (i, s) in file.signs.iter().enumerate() {
        let sg = &s.value;
        if !ids.insert(sg.id.clone()) {
            cx.error(
                "signs.yaml",
                at(s),
                format!("signs[{i}].id"),
                format!("duplicate sign id {:?}", sg.id),
            );
        }
        if !spaces.contains(sg.space.value.as_str()) {
            cx.error(
                "signs.yaml",
                at(&sg.space),
                format!("signs[{i}].space"),
                format!("unknown space {:?}", sg.space.value),
            );
        }
        if sg.emergency.is_empty() {
            cx.warn(
                "signs.yaml",
                at(s),
                format!("signs[{i}].emergency"),
                "no emergency content: the emergency hold will blank this sign",
            );
        }
        out.push(m::Sign {
            id: sg.id.clone(),
            space: sg.space.value.clone(),
            default_content: sg.default.clone(),
            emergency_content: sg.emergency.clone(),
        });
    }
    out
}
