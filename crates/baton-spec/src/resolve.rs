//! Loading, checking and resolving an event directory.

use crate::diagnostic::{Diagnostic, Severity};
use crate::files::*;
use crate::source::read_text;
use baton_model as m;
use baton_policy::{CheckError, ConstantFailure, Expr};
use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// A space's outline is drawn on every console page that shows the map:
/// a bound keeps one space from holding megabytes of points.
const MAX_OUTLINE_POINTS: usize = 1_000;

/// A checked event: the resolved spec, the policy set, and warnings worth reading.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub spec: m::Spec,
    pub policies: m::PolicySet,
    pub warnings: Vec<Diagnostic>,
}

struct Ctx {
    diags: Vec<Diagnostic>,
}

impl Ctx {
    fn push(
        &mut self,
        severity: Severity,
        file: &str,
        at: (u64, u64),
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.diags.push(Diagnostic {
            severity,
            file: file.to_string(),
            line: at.0,
            column: at.1,
            field: field.into(),
            message: message.into(),
        });
    }
    fn error(
        &mut self,
        file: &str,
        at: (u64, u64),
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Severity::Error, file, at, field, message);
    }
    fn warn(
        &mut self,
        file: &str,
        at: (u64, u64),
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Severity::Warning, file, at, field, message);
    }
}

fn at<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

fn read<T: DeserializeOwned + Default>(
    dir: &Path,
    name: &str,
    required: bool,
    cx: &mut Ctx,
) -> Option<T> {
    match read_text(&dir.join(name)) {
        Ok(text) => parse_yaml(name, &text, cx),
        Err(e) if e.not_found && !required => Some(T::default()),
        Err(e) => {
            cx.error(name, e.at, "", e.message);
            None
        }
    }
}

fn parse_yaml<T: DeserializeOwned>(name: &str, text: &str, cx: &mut Ctx) -> Option<T> {
    // serde_path_to_error records where in the document a type error
    // happened (`spaces[3].capacity`), which the YAML error alone does not say.
    let mut path = String::new();
    let r = serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    });
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            let loc = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            let msg = e.without_snippet().to_string();
            // `Spanned` wraps items as `{value, span}`: not part of the file.
            let path = path.replace("].value.", "].").replace("].value", "]");
            let field = if path == "." { "" } else { path.as_str() };
            cx.error(
                name,
                loc,
                field,
                msg.lines().next().unwrap_or("invalid YAML").to_string(),
            );
            None
        }
    }
}

/// Reads, checks and resolves `dir`. Returns every error found, not just the first.
pub fn load(dir: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let mut cx = Ctx { diags: Vec::new() };
    if !dir.is_dir() {
        cx.error(&dir.display().to_string(), (0, 0), "", "not a directory");
        return Err(cx.diags);
    }
    let event = read_required::<EventFile>(dir, "event.yaml", &mut cx);
    let venue = read_required::<VenueFile>(dir, "venue.yaml", &mut cx);
    let sessions = read_required::<SessionsFile>(dir, "sessions.yaml", &mut cx);
    let staff = read::<StaffFile>(dir, "staff.yaml", false, &mut cx);
    let signs = read::<SignsFile>(dir, "signs.yaml", false, &mut cx);
    let mut policy_files: Vec<(String, PoliciesFile)> = Vec::new();
    let has_policies_yaml = std::fs::symlink_metadata(dir.join("policies.yaml")).is_ok();
    if has_policies_yaml && let Some(p) = read::<PoliciesFile>(dir, "policies.yaml", true, &mut cx)
    {
        policy_files.push(("policies.yaml".into(), p));
    }
    if let Ok(rd) = std::fs::read_dir(dir.join("policies")) {
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .collect();
        names.sort();
        for n in names {
            let rel = format!("policies/{n}");
            if let Some(p) = read::<PoliciesFile>(dir, &rel, true, &mut cx) {
                policy_files.push((rel, p));
            }
        }
    }
    // Without policies the engine watches but never acts: legal (a first
    // draft, an import), but rarely what was meant.
    if !has_policies_yaml && policy_files.is_empty() {
        cx.warn(
            "policies.yaml",
            (0, 0),
            "",
            "no policies: neither policies.yaml nor policies/*.yaml exists, so Baton will watch but never act",
        );
    }
    let (Some(event), Some(venue), Some(sessions), Some(staff), Some(signs)) =
        (event, venue, sessions, staff, signs)
    else {
        return Err(finish(cx.diags));
    };
    let info = resolve_event(&event, &mut cx);
    let governance = resolve_governance(event.governance.as_ref(), &mut cx);
    let (spaces, links) = resolve_venue(&venue, &mut cx);
    let space_ids: HashSet<&str> = spaces.iter().map(|s| s.id.as_str()).collect();
    let sessions = resolve_sessions(
        &sessions,
        info.as_ref().map(|i| i.1.clone()),
        &space_ids,
        &mut cx,
    );
    let staff = resolve_staff(&staff, &spaces, &mut cx);
    let signs = resolve_signs(&signs, &space_ids, &mut cx);
    let sign_ids: HashSet<&str> = signs.iter().map(|s| s.id.as_str()).collect();
    let policies = resolve_policies(&policy_files, &space_ids, &sign_ids, &mut cx);
    if cx.diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(finish(cx.diags));
    }
    let Some((info, _)) = info else {
        return Err(finish(cx.diags));
    };
    let hash = set_hash(&policies);
    let spec = m::Spec {
        event: info,
        spaces,
        links,
        sessions,
        staff,
        signs,
        governance,
    };
    let warnings = finish(cx.diags);
    Ok(Loaded {
        spec,
        policies: m::PolicySet { hash, policies },
        warnings,
    })
}

/// The policy set's content hash: its policies' versions, in file order.
fn set_hash(policies: &[m::Policy]) -> String {
    hex(&Sha256::digest(
        policies
            .iter()
            .map(|p: &m::Policy| p.version.as_str())
            .collect::<Vec<_>>()
            .join(",")
            .as_bytes(),
    ))[..16]
        .to_string()
}

/// Every policy of every policy file, with duplicate ids named across files.
fn resolve_policies(
    files: &[(String, PoliciesFile)],
    spaces: &HashSet<&str>,
    signs: &HashSet<&str>,
    cx: &mut Ctx,
) -> Vec<m::Policy> {
    let mut policies = Vec::new();
    let mut seen = BTreeMap::new();
    for (file, pf) in files {
        for (i, p) in pf.policies.iter().enumerate() {
            if let Some(prev) = seen.insert(p.value.id.clone(), file.clone()) {
                cx.error(
                    file,
                    at(p),
                    format!("policies[{i}].id"),
                    format!("duplicate policy id {:?} (also in {prev})", p.value.id),
                );
            }
            if let Some(pol) = resolve_policy(file, i, p, spaces, signs, cx) {
                policies.push(pol);
            }
        }
    }
    policies
}

/// Checks a new `policies.yaml` text against a running spec, for a live
/// policy change: the whole set or nothing, with every error named.
pub fn policies_from_yaml(
    name: &str,
    text: &str,
    spec: &m::Spec,
) -> Result<m::PolicySet, Vec<Diagnostic>> {
    let mut cx = Ctx { diags: Vec::new() };
    let Some(file) = parse_yaml::<PoliciesFile>(name, text, &mut cx) else {
        return Err(finish(cx.diags));
    };
    let spaces: HashSet<&str> = spec.spaces.iter().map(|s| s.id.as_str()).collect();
    let signs: HashSet<&str> = spec.signs.iter().map(|s| s.id.as_str()).collect();
    let files = vec![(name.to_string(), file)];
    let policies = resolve_policies(&files, &spaces, &signs, &mut cx);
    if cx.diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(finish(cx.diags));
    }
    let hash = set_hash(&policies);
    Ok(m::PolicySet { hash, policies })
}

fn finish(mut d: Vec<Diagnostic>) -> Vec<Diagnostic> {
    d.sort();
    d.dedup();
    d
}

fn read_required<T: DeserializeOwned>(dir: &Path, name: &str, cx: &mut Ctx) -> Option<T> {
    match read_text(&dir.join(name)) {
        Ok(text) => parse_yaml(name, &text, cx),
        Err(e) => {
            cx.error(name, e.at, "", e.message);
            None
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn duration(
    file: &str,
    field: &str,
    v: &Option<Spanned<String>>,
    default: i64,
    cx: &mut Ctx,
) -> i64 {
    match v {
        None => default,
        Some(s) => match m::parse_duration(&s.value) {
            Ok(ms) => ms,
            Err(e) => {
                cx.error(file, at(s), field, e.to_string());
                default
            }
        },
    }
}

fn resolve_event(
    e: &EventFile,
    cx: &mut Ctx,
) -> Option<(m::EventInfo, (jiff::civil::Date, jiff::tz::TimeZone))> {
    let f = "event.yaml";
    let tz = match jiff::tz::TimeZone::get(&e.timezone.value) {
        Ok(tz) => Some(tz),
        Err(_) => {
            cx.error(
                f,
                at(&e.timezone),
                "timezone",
                format!("unknown IANA time zone {:?}", e.timezone.value),
            );
            None
        }
    };
    let date = match e.date.value.parse::<jiff::civil::Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            cx.error(
                f,
                at(&e.date),
                "date",
                format!("{:?} is not a date (YYYY-MM-DD)", e.date.value),
            );
            None
        }
    };
    let stale_after = duration(f, "stale_after", &e.stale_after, 240_000, cx);
    let confidence_half_life = duration(
        f,
        "confidence_half_life",
        &e.confidence_half_life,
        1_800_000,
        cx,
    );
    let dedup_window = duration(f, "dedup_window", &e.dedup_window, 900_000, cx);
    let dedup_max_keys = e
        .dedup_max_keys
        .as_ref()
        .map_or(DEDUP_MAX_KEYS, |k| k.value);
    if let Some(k) = &e.dedup_max_keys
        && !(1..=100_000_000).contains(&k.value)
    {
        cx.error(
            f,
            at(k),
            "dedup_max_keys",
            format!("must be from 1 to 100,000,000, got {dedup_max_keys}"),
        );
    }
    let skew_bound = duration(f, "skew_bound", &e.skew_bound, 120_000, cx);
    let tick = duration(f, "tick", &e.tick, 1_000, cx);
    if tick <= 0
        && let Some(t) = &e.tick
    {
        cx.error(f, at(t), "tick", "must be longer than zero");
    }
    let (tz, date) = (tz?, date?);
    let noon = tz.to_timestamp(date.at(12, 0, 0, 0)).ok()?;
    let utc_offset_s = tz.to_offset(noon).seconds();
    Some((
        m::EventInfo {
            id: e.id.clone(),
            name: e.name.clone(),
            timezone: e.timezone.value.clone(),
            utc_offset_s,
            stale_after,
            confidence_half_life,
            dedup_window,
            dedup_max_keys: dedup_max_keys.clamp(1, 100_000_000),
            skew_bound,
            tick: tick.max(1),
        },
        (date, tz),
    ))
}

/// The default bound on remembered `(source, id)` pairs: at about 36 bytes
/// a pair in each of the core and the snapshot follower, 2,000,000 keeps
/// both windows under 150 MB, and holds 15 minutes at 2,200 signals/s.
pub const DEDUP_MAX_KEYS: u64 = 2_000_000;

/// `HH:MM` as minutes of the day.
fn clock_minutes(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && text.len() == 5).then_some(h * 60 + m)
}

fn resolve_governance(g: Option<&GovernanceFile>, cx: &mut Ctx) -> m::Governance {
    let f = "event.yaml";
    let d = m::Governance::default();
    let Some(g) = g else {
        return d;
    };
    let max_redirect_fill = match &g.max_redirect_fill {
        None => d.max_redirect_fill,
        Some(v) if v.value > 0.0 && v.value <= 1.0 => v.value,
        Some(v) => {
            cx.error(
                f,
                at(v),
                "governance.max_redirect_fill",
                format!(
                    "{} is not a fill between 0 and 1 (0.9 means 90% full)",
                    v.value
                ),
            );
            d.max_redirect_fill
        }
    };
    let mut quiet_hours = Vec::new();
    for (i, q) in g.quiet_hours.iter().enumerate() {
        let field = format!("governance.quiet_hours[{i}]");
        let (from, to) = (clock_minutes(&q.value.from), clock_minutes(&q.value.to));
        if from.is_none() {
            cx.error(
                f,
                at(q),
                format!("{field}.from"),
                format!("{:?} is not a local time HH:MM", q.value.from),
            );
        }
        if to.is_none() {
            cx.error(
                f,
                at(q),
                format!("{field}.to"),
                format!("{:?} is not a local time HH:MM", q.value.to),
            );
        }
        let mut kinds = Vec::new();
        for k in &q.value.kinds {
            match m::ActionKind::parse(k) {
                Some(kind) => kinds.push(kind),
                None => cx.error(
                    f,
                    at(q),
                    format!("{field}.kinds"),
                    format!("unknown action kind {k:?}"),
                ),
            }
        }
        if kinds.is_empty() {
            kinds.push(m::ActionKind::Notify);
        }
        if let (Some(from_min), Some(to_min)) = (from, to) {
            if from_min == to_min {
                cx.error(f, at(q), field, "an empty window: `from` equals `to`");
            }
            quiet_hours.push(m::QuietHours {
                from_min,
                to_min,
                kinds,
            });
        }
    }
    let mut dur = |name: &str, v: &Option<Spanned<String>>, default: i64| {
        let ms = duration(f, &format!("governance.{name}"), v, default, cx);
        if ms <= 0 {
            if let Some(v) = v {
                cx.error(
                    f,
                    at(v),
                    format!("governance.{name}"),
                    "must be longer than zero",
                );
            }
            return default;
        }
        ms
    };
    let task_ack_timeout = dur("task_ack_timeout", &g.task_ack_timeout, d.task_ack_timeout);
    let alert_group_window = dur(
        "alert_group_window",
        &g.alert_group_window,
        d.alert_group_window,
    );
    m::Governance {
        max_notifications_per_hour: g.max_notifications_per_hour.unwrap_or(0),
        max_notifications_per_day: g.max_notifications_per_day.unwrap_or(0),
        max_redirect_fill,
        quiet_hours,
        max_tasks_per_staff: g
            .max_tasks_per_staff
            .unwrap_or(d.max_tasks_per_staff)
            .max(1),
        alert_ack_timeout: duration(
            f,
            "governance.alert_ack_timeout",
            &g.alert_ack_timeout,
            d.alert_ack_timeout,
            cx,
        )
        .max(0),
        task_ack_timeout,
        alert_group_window,
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn resolve_venue(v: &VenueFile, cx: &mut Ctx) -> (Vec<m::Space>, Vec<m::Link>) {
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

fn local_time(text: &str, day: &(jiff::civil::Date, jiff::tz::TimeZone)) -> Result<i64, String> {
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

fn resolve_sessions(
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

fn resolve_staff(file: &StaffFile, spaces: &[m::Space], cx: &mut Ctx) -> Vec<m::Staff> {
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

fn resolve_signs(file: &SignsFile, spaces: &HashSet<&str>, cx: &mut Ctx) -> Vec<m::Sign> {
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

/// Where a CEL error sits in the file: the expression's line plus its own offset.
fn cel_at(s: &Spanned<String>, e: &CheckError) -> (u64, u64) {
    let (l, c) = at(s);
    match e.at {
        Some((el, ec)) if el > 1 => (l + u64::from(el) - 1, u64::from(ec)),
        Some((_, ec)) => (l, c + u64::from(ec).saturating_sub(1)),
        None => (l, c),
    }
}

/// The warning for a constant part of an expression that fails at run time.
fn failure_message(condition: bool, f: &ConstantFailure) -> String {
    let what = if condition { "condition" } else { "parameter" };
    let effect = if condition {
        "the policy never fires"
    } else {
        "the action cannot be built"
    };
    if f.always {
        format!(
            "this {what} always fails at run time: {}, so {effect}",
            f.error
        )
    } else {
        format!(
            "a constant part of this {what} fails at run time: {}; only `&&`, `||` or `?:` can skip it",
            f.error
        )
    }
}

fn resolve_policy(
    file: &str,
    i: usize,
    sp: &Spanned<PolicyFile>,
    spaces: &HashSet<&str>,
    signs: &HashSet<&str>,
    cx: &mut Ctx,
) -> Option<m::Policy> {
    let p = &sp.value;
    let field = |x: &str| format!("policies[{i}].{x}");
    let errors_before = cx
        .diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if !valid_id(&p.id) {
        cx.error(
            file,
            at(sp),
            field("id"),
            format!("{:?} is not a valid id", p.id),
        );
    }
    if p.on.is_empty() {
        cx.error(
            file,
            at(sp),
            field("on"),
            "a policy needs at least one trigger",
        );
    }
    for (k, t) in p.on.iter().enumerate() {
        if t.value != "minute" && m::SignalType::parse(&t.value).is_none() {
            cx.error(
                file,
                at(t),
                field(&format!("on[{k}]")),
                format!(
                    "unknown trigger {:?}: use a signal type such as space.occupancy, or `minute`",
                    t.value
                ),
            );
        }
    }
    let scope_kind = match p.scope.kind.as_str() {
        "space" => m::ScopeKind::Space,
        "session" => m::ScopeKind::Session,
        other => {
            cx.error(
                file,
                at(sp),
                field("scope.kind"),
                format!("unknown scope kind {other:?}: use space or session"),
            );
            m::ScopeKind::Space
        }
    };
    let mut space_kinds = Vec::new();
    for k in &p.scope.space_kinds {
        match m::SpaceKind::ALL.iter().find(|x| x.as_str() == k) {
            Some(x) => space_kinds.push(*x),
            None => cx.error(
                file,
                at(sp),
                field("scope.space_kinds"),
                format!("unknown space kind {k:?}"),
            ),
        }
    }
    if scope_kind == m::ScopeKind::Space {
        for id in &p.scope.ids {
            if !spaces.contains(id.as_str()) {
                cx.error(
                    file,
                    at(sp),
                    field("scope.ids"),
                    format!("unknown space {id:?}"),
                );
            }
        }
    }
    let check = |s: &Spanned<String>, name: &str, cond: bool, cx: &mut Ctx| {
        let r = if cond {
            Expr::condition(&s.value)
        } else {
            Expr::any(&s.value)
        };
        match r {
            Err(e) => cx.error(file, cel_at(s, &e), field(name), e.to_string()),
            Ok(e) => {
                if let Some(f) = e.constant_failure() {
                    cx.warn(file, at(s), field(name), failure_message(cond, &f));
                }
            }
        }
    };
    check(&p.condition, "condition", true, cx);
    if let Some(r) = &p.rearm {
        check(r, "rearm", true, cx);
    }
    let mode = match p.mode.value.as_str() {
        "auto" => m::Mode::Auto,
        "approve" => m::Mode::Approve,
        "suggest" => m::Mode::Suggest,
        "off" => m::Mode::Off,
        other => {
            cx.error(
                file,
                at(&p.mode),
                field("mode"),
                format!("unknown mode {other:?}: use auto, approve, suggest or off"),
            );
            m::Mode::Off
        }
    };
    let (approval_timeout, on_timeout) = match &p.approval {
        None => (300_000, m::OnTimeout::Drop),
        Some(a) => {
            let t = duration(
                file,
                &field("approval.timeout"),
                &Some(a.timeout.clone_spanned()),
                300_000,
                cx,
            );
            let o = match a.on_timeout.as_str() {
                "drop" => m::OnTimeout::Drop,
                "escalate" => m::OnTimeout::Escalate,
                other => {
                    cx.error(
                        file,
                        at(&a.timeout),
                        field("approval.on_timeout"),
                        format!("unknown {other:?}: use drop or escalate"),
                    );
                    m::OnTimeout::Drop
                }
            };
            (t, o)
        }
    };
    let mut actions = Vec::new();
    for (k, a) in p.actions.iter().enumerate() {
        let af = &a.value;
        let afield = |x: &str| field(&format!("actions[{k}].{x}"));
        let kind = m::ActionKind::parse(&af.kind);
        if kind.is_none() {
            cx.error(
                file,
                at(a),
                afield("kind"),
                format!("unknown action kind {:?}", af.kind),
            );
        }
        let target = match &af.target {
            TargetFile::Ids { ids } => {
                for id in ids {
                    if !id.contains(':')
                        && !spaces.contains(id.as_str())
                        && !signs.contains(id.as_str())
                    {
                        cx.error(
                            file,
                            at(a),
                            afield("target.ids"),
                            format!("{id:?} is neither a space nor a sign"),
                        );
                    }
                }
                m::Target::Ids(ids.clone())
            }
            TargetFile::Named(n) => match n.as_str() {
                "space" => m::Target::Space,
                "session" => m::Target::Session,
                "space_signs" => m::Target::SpaceSigns,
                "zone_signs" => m::Target::ZoneSigns,
                "session_attendees" => m::Target::SessionAttendees,
                "operators" => m::Target::Operators,
                other => {
                    cx.error(file, at(a), afield("target"), format!("unknown target {other:?}: use space, session, space_signs, zone_signs, session_attendees, operators or {{ids: [...]}}"));
                    m::Target::Operators
                }
            },
        };
        for (name, src) in &af.params {
            check(src, &format!("actions[{k}].params.{name}"), false, cx);
        }
        let valid_for = duration(
            file,
            &afield("valid_for"),
            &Some(af.valid_for.clone_spanned()),
            600_000,
            cx,
        );
        if valid_for <= 0 {
            cx.error(
                file,
                at(&af.valid_for),
                afield("valid_for"),
                "must be longer than zero: an action with no validity can never be carried out",
            );
        }
        actions.push(m::ActionSpec {
            kind: kind.unwrap_or(m::ActionKind::Alert),
            target,
            params: af
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            valid_for,
        });
    }
    let hold = duration(file, &field("for"), &p.hold, 0, cx);
    let cooldown = duration(file, &field("cooldown"), &p.cooldown, 0, cx);
    let errors_after = cx
        .diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors_after > errors_before {
        return None;
    }
    let mut pol = m::Policy {
        id: p.id.clone(),
        version: String::new(),
        description: p.description.clone(),
        on: p.on.iter().map(|t| t.value.clone()).collect(),
        scope: m::Scope {
            kind: scope_kind,
            space_kinds,
            zones: p.scope.zones.clone(),
            ids: p.scope.ids.clone(),
        },
        condition: p.condition.value.clone(),
        hold,
        rearm: p.rearm.as_ref().map(|r| r.value.clone()),
        cooldown,
        priority: p.priority,
        mode,
        approval_timeout,
        on_timeout,
        allow_stale: p.allow_stale,
        actions,
    };
    let canonical = serde_json::to_vec(&pol).unwrap_or_default();
    pol.version = hex(&Sha256::digest(&canonical))[..12].to_string();
    Some(pol)
}

trait CloneSpanned {
    fn clone_spanned(&self) -> Self;
}

impl CloneSpanned for Spanned<String> {
    fn clone_spanned(&self) -> Self {
        Spanned::new(self.value.clone(), self.referenced, self.defined)
    }
}
