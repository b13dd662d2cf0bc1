//! Turns a conference's published schedule into a Baton event directory
//! (`event.yaml`, `venue.yaml`, `sessions.yaml`, `policies.yaml`) that
//! `baton check` accepts.
//!
//! Readers:
//! - c3voc / frab / pretalx `schedule.json` (days → rooms → events), and the
//!   newer c3voc "schedule2" JSON (a flat `events` list, rooms with capacities);
//! - frab / pentabarf `schedule.xml`, the room-grouped layout and the older one
//!   with events directly under `<day>`. XML is read with `roxmltree`.
//!
//! A c3nav map package (bundled into one JSON object) gives the venue:
//! [`import_c3nav`] makes a venue-only event of it, and
//! [`ImportOptions::venue_map`] puts a schedule's sessions into its rooms
//! instead of the assumed star of links.
//!
//! Real files break their own schemas in small ways, so import is tolerant:
//! what cannot be used is skipped and said in [`Imported::warnings`]; only a
//! file that cannot be read or parsed at all is an [`ImportError`]. Schedules
//! say nothing of the venue beyond room names (and sometimes seats), so the
//! generated `venue.yaml` states its assumptions in comments at its top.
//!
//! ```no_run
//! use baton_import::{Format, ImportOptions, import_schedule, write_dir};
//! let opts = ImportOptions { timezone: Some("Europe/Brussels".into()), ..ImportOptions::default() };
//! let imported = import_schedule("fosdem.xml".as_ref(), Format::Auto, &opts)?;
//! for w in &imported.warnings { eprintln!("warning: {w}"); }
//! write_dir(&imported, "events/fosdem".as_ref())?;
//! println!("{}", imported.summary);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod assemble;
mod attendance;
mod c3nav;
mod capacities;
mod json;
mod model;
mod text;
mod xml;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Which reader to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// JSON if the file starts with `{` or `[`, XML if with `<`.
    #[default]
    Auto,
    /// c3voc/frab/pretalx `schedule.json` or c3voc schedule2.
    Json,
    /// frab/pentabarf `schedule.xml`.
    Xml,
}

impl std::str::FromStr for Format {
    type Err = String;

    /// `auto`, `json` (also `pretalx`, `c3voc`), `xml` (also `frab`, `pentabarf`).
    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Format::Auto),
            "json" | "pretalx" | "c3voc" => Ok(Format::Json),
            "xml" | "frab" | "pentabarf" => Ok(Format::Xml),
            other => Err(format!(
                "unknown schedule format {other:?}: use auto, json (pretalx, c3voc) or xml (frab, pentabarf)"
            )),
        }
    }
}

/// What the schedule does not say and the user may.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Room sizes for rooms the schedule gives none, from one of:
    /// - a CSV with a header: name columns are those whose header mentions
    ///   `name`, `room`, `key`, `title`, `slug`, `id` or `guid` (a cell may
    ///   list several names split by `;` or `|`); seats from a
    ///   `capacity`/`seats` column, floor area (m²) from a column mentioning
    ///   `area`, and an optional `zone`/`building` column;
    /// - a c3voc JSON room list (`{"rooms": [...]}`, a bare list, or a whole
    ///   schedule), matched by guid, slug or name.
    ///
    /// Names match with case and punctuation folded, also by the part before
    /// or inside parentheses (`UD2.120 (Chavanne)` matches `Chavanne`); a part
    /// two rows share matches neither. A zone given here wins over the
    /// schedule-derived one; seats in the schedule win over the file.
    pub capacities: Option<PathBuf>,
    /// Floor area per seated person, m²: turns a floor area into seats and a
    /// seat count into `area_m2`. Default 1.2 (about 1 m² a seat plus stage
    /// and aisles, as in the example event).
    pub m2_per_person: f64,
    /// Seats assumed for a room with no capacity anywhere (a warning lists them). Default 100.
    pub default_capacity: u32,
    /// IANA time zone. Overrides the file's own (with a warning when they
    /// differ), so a file that names the wrong zone can be corrected; used as
    /// the zone when the file names none.
    pub timezone: Option<String>,
    /// Walking seconds assumed between a room and its zone's largest room
    /// (three times this between zones). Default 60.
    pub walk_s: u32,
    /// Capacity from which a room becomes a `hall` rather than a `room`. Default 300.
    pub hall_from: u32,
    /// Add one corridor per zone (its size assumed, warned) and link the
    /// zone's rooms through it, so the twin has hallways where crowds wait
    /// at doors. Off by default: spaces then are exactly the schedule's rooms.
    pub hallways: bool,
    /// A c3nav map package of the venue (the package's files bundled into
    /// one JSON object, gzipped or not): its rooms, corridors, doors and
    /// stairs replace the assumed star of links. Schedule rooms are joined
    /// to the map's by name (`K.1.105 (La Fontaine)` to `K1105`); the share
    /// matched is in the summary, the rooms not matched in a warning, and
    /// those keep a space of their own, attached to a corridor by an
    /// assumed walk. See [`import_c3nav`] for the mapping.
    pub venue_map: Option<PathBuf>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            capacities: None,
            m2_per_person: 1.2,
            default_capacity: 100,
            timezone: None,
            walk_s: 60,
            hall_from: 300,
            hallways: false,
            venue_map: None,
        }
    }
}

/// An imported event directory, not yet written.
#[derive(Debug, Clone)]
pub struct Imported {
    /// File name (`event.yaml`, ...) to YAML text.
    pub files: BTreeMap<String, String>,
    /// Everything skipped or assumed, each naming the file and where in it.
    pub warnings: Vec<String>,
    /// One line for the user: what was imported.
    pub summary: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `at` is a line (`line 12, column 3`) or a JSON path.
    #[error("{file}: {at}: {message}")]
    Parse {
        file: String,
        at: String,
        message: String,
    },
    #[error("{0}")]
    Options(String),
    #[error("{file}: nothing to import: no rooms and no usable sessions")]
    Empty { file: String },
}

/// Reads `input` (gzipped or not) and builds the event directory's files.
pub fn import_schedule(
    input: &Path,
    format: Format,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    let bytes = std::fs::read(input).map_err(|source| ImportError::Read {
        path: input.to_path_buf(),
        source,
    })?;
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| input.display().to_string());
    import_bytes(&bytes, &name, format, opts)
}

/// Like [`import_schedule`] for a schedule already in memory (e.g. fetched);
/// `name` is what messages call it. Gzip is recognised by its magic bytes.
pub fn import_bytes(
    bytes: &[u8],
    name: &str,
    format: Format,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    check_options(opts)?;
    let mut warnings = Vec::new();
    let mut unzipped = Vec::new();
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut unzipped)
            .map_err(|e| ImportError::Parse {
                file: name.to_string(),
                at: "gzip stream".into(),
                message: e.to_string(),
            })?;
        &unzipped[..]
    } else {
        bytes
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(e) => {
            warnings.push(format!(
                "{name}: not valid UTF-8 (first bad byte at offset {}); bad bytes replaced",
                e.valid_up_to()
            ));
            String::from_utf8_lossy(bytes)
        }
    };
    let text = text.trim_start_matches('\u{feff}');
    let format = match format {
        Format::Auto => sniff(text).ok_or_else(|| ImportError::Parse {
            file: name.to_string(),
            at: "line 1".into(),
            message: "neither JSON (starts with `{`) nor XML (starts with `<`)".into(),
        })?,
        f => f,
    };
    let (schedule, label) = match format {
        Format::Xml => (xml::read(text, name, &mut warnings)?, "frab/pentabarf XML"),
        _ => (json::read(text, name, &mut warnings)?, "c3voc/pretalx JSON"),
    };
    assemble::assemble(schedule, name, label, opts, warnings)
}

/// A venue-only event directory from a c3nav map package (`event.yaml`
/// with a placeholder date, `venue.yaml`, and empty `sessions.yaml` and
/// `policies.yaml`). The package's walkable polygons become spaces with
/// floor areas, outlines and positions, zoned by building: named rooms are
/// seated (one seat per `m2_per_person` m², a `hall` from `hall_from`
/// seats), corridors, foyers, stairways and outdoor areas hold one person a
/// m². Doors, level connectors and shared edges become links, walked at
/// 1.0 m/s plus 4 s per metre of height; an entrance is assumed, and parts
/// of the map no door reaches are joined by assumed paths, all warned.
/// `timezone` is written into `event.yaml` (UTC, warned, when not given).
pub fn import_c3nav(input: &Path, opts: &ImportOptions) -> Result<Imported, ImportError> {
    check_options(opts)?;
    c3nav::import_venue(input, opts)
}

fn sniff(text: &str) -> Option<Format> {
    match text.trim_start().chars().next()? {
        '{' | '[' => Some(Format::Json),
        '<' => Some(Format::Xml),
        _ => None,
    }
}

fn check_options(opts: &ImportOptions) -> Result<(), ImportError> {
    if !(opts.m2_per_person.is_finite() && opts.m2_per_person > 0.0) {
        return Err(ImportError::Options(format!(
            "m2_per_person must be a positive number, got {}",
            opts.m2_per_person
        )));
    }
    if let Some(tz) = &opts.timezone
        && jiff::tz::TimeZone::get(tz).is_err()
    {
        return Err(ImportError::Options(format!(
            "unknown IANA time zone {tz:?} (e.g. Europe/Berlin)"
        )));
    }
    Ok(())
}

/// Writes the files into `out` (created if missing). Refuses, before writing
/// anything, if any of them already exists there: an import must not replace
/// a hand-edited event. See [`write_dir_replacing`].
pub fn write_dir(imported: &Imported, out: &Path) -> std::io::Result<()> {
    for name in imported.files.keys() {
        let p = out.join(name);
        if p.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} already exists; not replacing it", p.display()),
            ));
        }
    }
    write_dir_replacing(imported, out)
}

/// Writes the files into `out`, replacing files of the same names. Other
/// files there (staff, signs, policies/) are left alone.
pub fn write_dir_replacing(imported: &Imported, out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    for (name, text) in &imported.files {
        std::fs::write(out.join(name), text)?;
    }
    Ok(())
}
