//! Ids, YAML scalars and comments. Baton ids allow ASCII letters, digits,
//! `-`, `_` and `.` only, so names are transliterated and slugified.

use std::collections::HashSet;

/// Lower-case ASCII slug: `Saal A - Lötstationen` becomes `saal-a-lotstationen`.
pub(crate) fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut out = String::with_capacity(ascii.len());
    let mut gap = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('-');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Cuts a slug to at most `max` bytes, at a `-` when one is in the second half.
pub(crate) fn truncate_slug(slug: &str, max: usize) -> String {
    if slug.len() <= max {
        return slug.to_string();
    }
    // Slugs are ASCII, so any byte index is a char boundary.
    let cut = &slug[..max];
    let cut = match cut.rfind('-') {
        Some(i) if i >= max / 2 => &cut[..i],
        _ => cut,
    };
    cut.trim_end_matches('-').to_string()
}

/// Letters, digits and punctuation folded away: how names are compared.
pub(crate) fn normalize(text: &str) -> String {
    deunicode::deunicode(text)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Hands out unique ids, suffixing `-2`, `-3`... on a clash.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    taken: HashSet<String>,
}

impl Ids {
    /// `base` if free, else `base-{hint}` (e.g. the source id), else `base-N`.
    pub fn claim(&mut self, base: &str, hint: Option<&str>) -> String {
        let base = if base.is_empty() { "x" } else { base };
        if self.taken.insert(base.to_string()) {
            return base.to_string();
        }
        if let Some(h) = hint.map(slugify).filter(|h| !h.is_empty()) {
            let cand = format!("{base}-{h}");
            if self.taken.insert(cand.clone()) {
                return cand;
            }
        }
        let mut n = 2u32;
        loop {
            let cand = format!("{base}-{n}");
            if self.taken.insert(cand.clone()) {
                return cand;
            }
            n += 1;
        }
    }
}

/// A YAML double-quoted scalar. Everything is escaped that YAML would read
/// as a line break or refuse as unprintable, so any title round-trips.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text made safe for one `# comment` line.
pub(crate) fn comment(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whitespace runs (titles in XML span lines) folded to single spaces.
pub(crate) fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Saal A - Lötstationen Station 1"),
            "saal-a-lotstationen-station-1"
        );
        assert_eq!(slugify("UD2.120 (Chavanne)"), "ud2-120-chavanne");
        assert_eq!(
            slugify("Camp2019-10386-opening_ceremony"),
            "camp2019-10386-opening-ceremony"
        );
        assert_eq!(slugify("  --  "), "");
        assert_eq!(truncate_slug("abc-defgh-ij", 10), "abc-defgh");
        assert_eq!(truncate_slug("abcdefghijkl", 5), "abcde");
        assert_eq!(normalize("K.1.105 (La Fontaine)"), "k1105lafontaine");
    }

    #[test]
    fn ids() {
        let mut ids = Ids::default();
        assert_eq!(ids.claim("talk", Some("12")), "talk");
        assert_eq!(ids.claim("talk", Some("12")), "talk-12");
        assert_eq!(ids.claim("talk", Some("12")), "talk-2");
        assert_eq!(ids.claim("talk", None), "talk-3");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a \"b\" \\ c\nd"), r#""a \"b\" \\ c\nd""#);
        assert_eq!(quote("x\u{2028}y\u{7}"), "\"x\\u2028y\\u0007\"");
        assert_eq!(comment("a\nb\u{2028}  c"), "a b c");
    }
}
