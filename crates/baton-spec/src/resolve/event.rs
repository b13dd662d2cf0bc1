//! The event's day, clock and governance (event.yaml).

use super::*;

pub(super) fn resolve_event(
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
pub(super) fn clock_minutes(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && text.len() == 5).then_some(h * 60 + m)
}

pub(super) fn resolve_governance(g: Option<&GovernanceFile>, cx: &mut Ctx) -> m::Governance {
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
    let move_confirm_within = dur(
        "move_confirm_within",
        &g.move_confirm_within,
        d.move_confirm_within,
    );
    let move_min_notice = duration(
        f,
        "governance.move_min_notice",
        &g.move_min_notice,
        d.move_min_notice,
        cx,
    )
    .max(0);
    m::Governance {
        move_min_notice,
        move_confirm_within,
        max_moves_per_hour: g.max_moves_per_hour.unwrap_or(d.max_moves_per_hour),
        move_confirm_roles: g
            .move_confirm_roles
            .clone()
            .unwrap_or_else(|| d.move_confirm_roles.clone()),
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
