//! Human durations in spec files ("90s", "5m", "1h30m").

use thiserror::Error;

/// Why a duration string was refused.
#[derive(Debug, Error, PartialEq)]
#[error("invalid duration {text:?}: {reason} (write e.g. \"30s\", \"5m\", \"1h30m\")")]
pub struct DurationError {
    pub text: String,
    pub reason: &'static str,
}

/// Parses a duration into milliseconds. Units: `ms`, `s`, `m`, `h`; parts may be chained.
pub fn parse_duration(text: &str) -> Result<i64, DurationError> {
    let err = |reason| DurationError {
        text: text.to_string(),
        reason,
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(err("empty"));
    }
    if s == "0" {
        return Ok(0);
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: i64 = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(err("expected a number"));
        }
        let n: i64 = s[start..i].parse().map_err(|_| err("number too large"))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = match &s[ustart..i] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" => return Err(err("missing unit")),
            _ => return Err(err("unknown unit")),
        };
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| err("too large"))?;
    }
    Ok(total)
}

/// Formats milliseconds back into the shortest duration string.
pub fn format_duration(ms: i64) -> String {
    if ms % 3_600_000 == 0 && ms != 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 && ms != 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_chains() {
        assert_eq!(parse_duration("90s"), Ok(90_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
        assert_eq!(format_duration(300_000), "5m");
    }
}
