//! A real attendee list (`attendees.csv` in the event directory), used by
//! the twin instead of a generated population.
//!
//! Columns, by header (case-insensitive; only `id` is required):
//! `id`, `interests` (tracks, split by `;` or `|`), `sessions` (bookmarked
//! session ids, same split), `arrival` (local `HH:MM`), `app` and `badge`
//! (yes/no, true/false, 1/0). What a row leaves out is drawn from the
//! person's random stream as for a generated attendee.

use crate::world::World;
use baton_model::Millis;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    /// Track indices in the world.
    pub interests: Vec<u16>,
    /// Bookmarked sessions of the simulated day, by world index.
    pub sessions: Vec<u32>,
    pub arrival: Option<Millis>,
    pub app: Option<bool>,
    pub badge: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub people: Vec<Person>,
    /// Unknown tracks or sessions, skipped, each naming file and line.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}:{line}: `{column}`: {message}")]
    Cell {
        file: String,
        line: u64,
        column: String,
        message: String,
    },
    /// Every bad cell of the file (up to [`MAX_ERRORS`]), one per line, as
    /// `baton check` reports every problem of a spec at once.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Cells(Vec<RosterError>),
}

/// Bad cells reported from one file at most; the rest are counted.
pub const MAX_ERRORS: usize = 100;

fn yes_no(s: &str) -> Option<Option<bool>> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Some(None),
        "yes" | "y" | "true" | "1" => Some(Some(true)),
        "no" | "n" | "false" | "0" => Some(Some(false)),
        _ => None,
    }
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', '|']).map(str::trim).filter(|x| !x.is_empty())
}

pub fn parse(text: &str, file: &str, world: &World) -> Result<Roster, RosterError> {
    let mut rd = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = rd
        .headers()
        .map_err(|e| RosterError::File {
            file: file.into(),
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let Some(id_col) = col("id") else {
        return Err(RosterError::File {
            file: file.into(),
            message: "the header has no `id` column".into(),
        });
    };
    let (ints, sess, arr, app, badge) = (
        col("interests"),
        col("sessions"),
        col("arrival"),
        col("app"),
        col("badge"),
    );
    let mut out = Roster::default();
    let mut seen = HashSet::new();
    let mut errors: Vec<RosterError> = Vec::new();
    let mut more = 0usize;
    for rec in rd.records() {
        let rec = rec.map_err(|e| RosterError::File {
            file: file.into(),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |c: Option<usize>| c.and_then(|i| rec.get(i)).unwrap_or("");
        let bad = |column: &str, message: String| RosterError::Cell {
            file: file.into(),
            line,
            column: column.into(),
            message,
        };
        let mut row_errors = Vec::new();
        let id = cell(Some(id_col)).to_string();
        if id.is_empty() {
            row_errors.push(bad("id", "is empty".into()));
        } else if !seen.insert(id.clone()) {
            row_errors.push(bad("id", format!("{id:?} is listed twice")));
        }
        let mut interests = Vec::new();
        for t in split(cell(ints)) {
            match world.tracks.iter().position(|x| x.eq_ignore_ascii_case(t)) {
                Some(i) => interests.push(i as u16),
                None => out.warnings.push(format!(
                    "{file}:{line}: `interests`: no track {t:?} on the simulated day, skipped"
                )),
            }
        }
        let mut sessions = Vec::new();
        for s in split(cell(sess)) {
            match world.session_index.get(s) {
                Some(&i) => sessions.push(i),
                None => out.warnings.push(format!(
                    "{file}:{line}: `sessions`: no session {s:?} on the simulated day, skipped"
                )),
            }
        }
        sessions.sort_by_key(|&s| (world.sessions[s as usize].start, s));
        sessions.dedup();
        let arrival = match cell(arr) {
            "" => None,
            t => {
                let at = world.local(t);
                if at.is_none() {
                    row_errors.push(bad("arrival", format!("{t:?} is not a local HH:MM")));
                }
                at
            }
        };
        let app = yes_no(cell(app)).unwrap_or_else(|| {
            row_errors.push(bad("app", format!("{:?} is not yes or no", cell(app))));
            None
        });
        let badge = yes_no(cell(badge)).unwrap_or_else(|| {
            row_errors.push(bad("badge", format!("{:?} is not yes or no", cell(badge))));
            None
        });
        if !row_errors.is_empty() {
            for e in row_errors {
                if errors.len() < MAX_ERRORS {
                    errors.push(e);
                } else {
                    more += 1;
                }
            }
            continue;
        }
        out.people.push(Person {
            id,
            interests,
            sessions,
            arrival,
            app,
            badge,
        });
    }
    if more > 0 {
        errors.push(RosterError::File {
            file: file.into(),
            message: format!("{more} more bad cell(s) not shown"),
        });
    }
    match errors.len() {
        0 => {}
        1 => return Err(errors.remove(0)),
        _ => return Err(RosterError::Cells(errors)),
    }
    if out.people.is_empty() {
        return Err(RosterError::File {
            file: file.into(),
            message: "lists nobody".into(),
        });
    }
    Ok(out)
}
