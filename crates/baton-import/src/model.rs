//! What both readers produce: a schedule as the file states it, before any
//! Baton-specific decisions (time zone, ids, capacities) are taken.

use jiff::civil;
use jiff::tz::Offset;
use jiff::{Timestamp, fmt::temporal::Pieces};

/// A schedule as read, format-neutral.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    pub title: Option<String>,
    pub acronym: Option<String>,
    /// The IANA name the file states, unchecked.
    pub time_zone: Option<String>,
    /// The conference start as stated (a date, or a date-time that may carry an offset).
    pub start: Option<When>,
    /// The first `<day date=...>` / `days[0].date`, a fallback for the event date.
    pub first_day: Option<civil::Date>,
    /// Rooms the file declares, in file order (some never hold a session).
    pub rooms: Vec<Room>,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Room {
    pub name: String,
    pub slug: Option<String>,
    pub guid: Option<String>,
    /// Seats, when the file states them.
    pub capacity: Option<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct Event {
    /// Where the event sits in the file, for warnings: `line 12` or a JSON path.
    pub at: String,
    pub id: Option<String>,
    pub guid: Option<String>,
    pub slug: Option<String>,
    pub title: String,
    pub track: Option<String>,
    pub kind: Option<String>,
    pub language: Option<String>,
    pub room: String,
    pub start: When,
    pub length: Length,
    pub persons: Vec<String>,
}

/// A point in time as a schedule writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum When {
    /// An absolute time with the offset it was written in.
    Instant(Timestamp, Offset),
    /// A wall-clock time in the event's (not yet known) time zone.
    Local(civil::DateTime),
    /// A bare date.
    Date(civil::Date),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Length {
    Minutes(i64),
    Until(When),
}

impl When {
    /// Parses `2024-12-27T10:30:00+01:00`, `2024-12-27T10:30`, `...Z` or `2024-12-27`.
    pub fn parse(text: &str) -> Option<When> {
        let text = text.trim();
        let pieces = Pieces::parse(text).ok()?;
        let date = pieces.date();
        let Some(time) = pieces.time() else {
            return Some(When::Date(date));
        };
        let civil = date.to_datetime(time);
        match pieces.to_numeric_offset() {
            Some(offset) => offset
                .to_timestamp(civil)
                .ok()
                .map(|ts| When::Instant(ts, offset)),
            None => Some(When::Local(civil)),
        }
    }
}

/// A duration as frab and c3voc write it: `00:30`, `1:30`, `01:30:00`, or ISO `PT1H30M`.
pub(crate) fn parse_duration_minutes(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.starts_with(['P', 'p']) {
        let span: jiff::Span = text.parse().ok()?;
        let secs = span
            .total((jiff::Unit::Second, jiff::civil::date(2000, 1, 1)))
            .ok()?;
        return Some((secs / 60.0).ceil() as i64);
    }
    let parts: Vec<&str> = text.split(':').collect();
    // u32 parts keep the sums below far inside i64: no overflow on silly input.
    let num = |s: &str| s.trim().parse::<u32>().ok().map(i64::from);
    match parts.as_slice() {
        [h, m] => Some(num(h)? * 60 + num(m)?),
        [h, m, s] => Some(num(h)? * 60 + num(m)? + (num(s)? + 59) / 60),
        [d, h, m, s] => Some(num(d)? * 1440 + num(h)? * 60 + num(m)? + (num(s)? + 59) / 60),
        _ => None,
    }
}

/// `HH:MM` or `HH:MM:SS` as a time of day.
pub(crate) fn parse_clock(text: &str) -> Option<civil::Time> {
    let text = text.trim();
    let (h, rest) = text.split_once(':')?;
    let (m, s) = match rest.split_once(':') {
        Some((m, s)) => (m, s),
        None => (rest, "0"),
    };
    let (h, m, s): (i8, i8, i8) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    civil::Time::new(h, m, s, 0).ok()
}

/// A local start from a day's date and a clock time, moved to the next
/// calendar day when it is earlier than the day change (frab days run past
/// midnight: a 01:00 talk on the `2024-12-27` day is on the 28th).
pub(crate) fn local_on_day(
    day: civil::Date,
    clock: civil::Time,
    day_change: Option<civil::Time>,
) -> Option<When> {
    let date = match day_change {
        Some(change) if clock < change => day.tomorrow().ok()?,
        _ => day,
    };
    Some(When::Local(date.to_datetime(clock)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_minutes("00:30"), Some(30));
        assert_eq!(parse_duration_minutes("1:30"), Some(90));
        assert_eq!(parse_duration_minutes("01:00:00"), Some(60));
        assert_eq!(parse_duration_minutes("00:00:30"), Some(1));
        assert_eq!(parse_duration_minutes("PT1H5M"), Some(65));
        assert_eq!(parse_duration_minutes(""), None);
        assert_eq!(parse_duration_minutes("-1:00"), None);
        assert_eq!(parse_duration_minutes("ab:cd"), None);
        assert_eq!(
            parse_duration_minutes("4294967295:4294967295:4294967295:4294967295"),
            Some(4_294_967_295 * 1440 + 4_294_967_295 * 60 + 4_294_967_295 + 71_582_789)
        );
    }

    #[test]
    fn whens() {
        let w = When::parse("2024-12-27T10:30:00+01:00");
        let Some(When::Instant(ts, off)) = w else {
            panic!("{w:?}")
        };
        assert_eq!(off.seconds(), 3600);
        assert_eq!(ts.to_string(), "2024-12-27T09:30:00Z");
        assert!(matches!(
            When::parse("2024-12-27T09:30:00Z"),
            Some(When::Instant(_, o)) if o.seconds() == 0
        ));
        assert!(matches!(
            When::parse("2024-12-27T09:30"),
            Some(When::Local(_))
        ));
        assert!(matches!(When::parse("2024-12-27"), Some(When::Date(_))));
        assert_eq!(When::parse("yesterday"), None);
    }

    #[test]
    fn past_midnight() {
        let day = civil::date(2024, 12, 27);
        let change = parse_clock("06:00");
        let w = local_on_day(day, civil::time(1, 0, 0, 0), change);
        assert_eq!(
            w,
            Some(When::Local(civil::date(2024, 12, 28).at(1, 0, 0, 0)))
        );
        assert_eq!(parse_clock("09:00:00"), Some(civil::time(9, 0, 0, 0)));
        assert_eq!(parse_clock("25:00"), None);
    }
}
