//! Walkable polygons to spaces. In a c3nav package `rooms/` are the
//! walkable insides of buildings (lecture rooms, corridors, stairwells) and
//! `outsides/` the walkable ground outside; neither has a name. Names come
//! from `arealocations/` (several titles may share one polygon: the room
//! code and the devrooms held there), matched to the walkable polygon they
//! cover; zones come from the `buildings/` footprint a space lies in.

use super::bundle::{Bundle, Level};
use super::geometry::{Pt, Shape, distance};
use super::{CAMPUS_ZONE, Kind, MapSpace, STANDING_M2_PER_PERSON, Venue};
use crate::text::{Ids, normalize, slugify, truncate_slug};
use crate::{ImportError, ImportOptions};

/// A named polygon and a walkable one are the same place when one holds
/// the other's centroid and the smaller has at least this share of the
/// larger's area (a car park inside the campus avenue is not the avenue).
const NAME_AREA_RATIO: f64 = 0.5;
/// Smaller walkable polygons are slivers, not spaces, m².
const MIN_AREA_M2: f64 = 0.5;
/// A space in no building footprint takes the nearest one's zone within this, m.
const NEAR_BUILDING_M: f64 = 15.0;
/// Longest outline written; longer ones are dropped (the spec allows 1,000 points).
const MAX_OUTLINE: usize = 1_000;

/// A walkable polygon of the map.
pub(super) struct Region<'a> {
    pub key: &'a str,
    pub level: &'a str,
    pub altitude: f64,
    pub shape: &'a Shape,
    pub centroid: Pt,
}

/// Titles sharing one polygon on one level.
struct Named<'a> {
    keys: Vec<&'a str>,
    level: &'a str,
    titles: Vec<String>,
    room: bool,
    shape: &'a Shape,
    area: f64,
    centroid: Pt,
}

/// The walkable regions, in the order spaces are made from them.
pub(super) fn regions<'a>(b: &'a Bundle, warnings: &mut Vec<String>) -> Vec<Region<'a>> {
    let mut out = Vec::new();
    for item in b.rooms.iter().chain(&b.outsides) {
        let Some(level) = b.levels.get(&item.level) else {
            warnings.push(format!(
                "{}: {}: level {:?} is not in levels/, skipped",
                b.file, item.key, item.level
            ));
            continue;
        };
        let area = item.shape.area();
        match item.shape.centroid() {
            Some(c) if area >= MIN_AREA_M2 => out.push(Region {
                key: &item.key,
                level: &item.level,
                altitude: level.altitude,
                shape: &item.shape,
                centroid: c,
            }),
            _ => warnings.push(format!(
                "{}: {}: {area:.2} m2, too small for a space, skipped",
                b.file, item.key
            )),
        }
    }
    out
}

/// Spaces from the walkable regions (same order, same indices), no links yet.
pub(super) fn build(
    b: &Bundle,
    regions: &[Region],
    opts: &ImportOptions,
    warnings: &mut Vec<String>,
) -> Result<Venue, ImportError> {
    if regions.is_empty() {
        return Err(ImportError::Parse {
            file: b.file.clone(),
            at: "rooms/, outsides/".into(),
            message: "no walkable area with a known level: nothing to import".into(),
        });
    }
    let named = named(b, warnings);
    let names = match_names(regions, &named);
    for (g, n) in named.iter().enumerate() {
        if !names.contains(&Some(g)) {
            warnings.push(format!(
                "{}: {} ({}): over no walkable room or outside of level {} (or not the most of one), not imported",
                b.file,
                n.keys.join(", "),
                n.titles.join(" / "),
                n.level
            ));
        }
    }
    let is_outdoor = |key: &str| key.starts_with("outsides/");
    let mut ids = Ids::default();
    let mut spaces = Vec::new();
    for (r, name) in regions.iter().zip(&names) {
        let n = name.map(|g| &named[g]);
        let level = b.levels.get(r.level);
        let outdoor = is_outdoor(r.key);
        let (kind, seated) = classify(r, n, level, outdoor);
        let shape = match n {
            Some(n) if kind == Kind::Room => n.shape,
            _ => r.shape,
        };
        let area = shape.area();
        let position = shape.centroid().unwrap_or(r.centroid);
        let zone = if outdoor {
            CAMPUS_ZONE.to_string()
        } else {
            zone_of(b, position, r)
        };
        let (capacity, basis) = if seated {
            let seats = ((area / opts.m2_per_person).floor() as u32).max(1);
            (
                seats,
                format!(
                    "floor area {area:.0} m2 on the map at {} m2 a seat",
                    opts.m2_per_person
                ),
            )
        } else {
            let people = ((area / STANDING_M2_PER_PERSON).floor() as u32).max(1);
            (
                people,
                format!(
                    "floor area {area:.0} m2 on the map at {STANDING_M2_PER_PERSON} m2 a person"
                ),
            )
        };
        let kind = match kind {
            Kind::Room if seated && capacity >= opts.hall_from => Kind::Hall,
            k => k,
        };
        let titles = n.map(|n| n.titles.clone()).unwrap_or_default();
        let stem = stem(r.key);
        let name = match (seated, titles.first()) {
            (true, _) => code_title(&titles)
                .map(|t| t.to_ascii_uppercase())
                .or_else(|| titles.first().cloned())
                .unwrap_or_else(|| stem.to_string()),
            (false, Some(t)) => t.clone(),
            (false, None) if !generated(stem) => stem.to_string(),
            (false, None) => format!("{} ({zone}, level {})", capitalised(kind), r.level),
        };
        let base = if seated || generated(stem) {
            slugify(&name)
        } else {
            slugify(stem)
        };
        let base = truncate_slug(if base.is_empty() { "space" } else { &base }, 64);
        let mut outline = shape.outline();
        if outline.len() > MAX_OUTLINE {
            warnings.push(format!(
                "{}: {}: outline of {} points, more than {MAX_OUTLINE}: left out",
                b.file,
                r.key,
                outline.len()
            ));
            outline.clear();
        }
        let mut source = r.key.to_string();
        if let Some(n) = n {
            source = format!("{source}; named by {}", n.keys.join(", "));
        }
        spaces.push(MapSpace {
            id: ids.claim(&base, None),
            name,
            kind,
            capacity,
            area_m2: area.max(1.0),
            zone,
            seated,
            position: Some(position),
            altitude: r.altitude,
            outline,
            basis,
            titles,
            source,
            sessions: 0,
        });
    }
    Ok(Venue {
        file: b.file.clone(),
        name: b.name.clone(),
        date: b.date.clone(),
        spaces,
        links: Vec::new(),
        assumed_links: 0,
        m2_per_seat: opts.m2_per_person,
    })
}

/// Named rooms and areas, grouped by identical polygons; points of interest
/// (stands, info desks) mark spots, not spaces, and are counted in one warning.
fn named<'a>(b: &'a Bundle, warnings: &mut Vec<String>) -> Vec<Named<'a>> {
    let mut out: Vec<Named<'a>> = Vec::new();
    let mut pois = 0;
    for l in &b.locations {
        match l.kind.as_str() {
            "room" | "area" => {}
            "poi" => {
                pois += 1;
                continue;
            }
            other => {
                warnings.push(format!(
                    "{}: {}: location_type {other:?} is not room, area or poi, skipped",
                    b.file, l.key
                ));
                continue;
            }
        }
        if l.titles.is_empty() {
            warnings.push(format!("{}: {}: no title, skipped", b.file, l.key));
            continue;
        }
        let room = l.kind == "room";
        if let Some(g) = out
            .iter_mut()
            .find(|g| g.level == l.level && *g.shape == l.shape)
        {
            g.keys.push(&l.key);
            g.room |= room;
            for t in &l.titles {
                if !g.titles.contains(t) {
                    g.titles.push(t.clone());
                }
            }
            continue;
        }
        let Some(centroid) = l.shape.centroid() else {
            continue;
        };
        out.push(Named {
            keys: vec![&l.key],
            level: &l.level,
            titles: l.titles.clone(),
            room,
            shape: &l.shape,
            area: l.shape.area(),
            centroid,
        });
    }
    if pois > 0 {
        warnings.push(format!(
            "{}: {pois} point(s) of interest (arealocations of type poi: stands, desks) not imported: they mark spots, not spaces",
            b.file
        ));
    }
    out
}

/// For each region, the named polygon it is (best area ratio first, one
/// region per name).
fn match_names(regions: &[Region], named: &[Named]) -> Vec<Option<usize>> {
    let mut cands = Vec::new();
    for (i, r) in regions.iter().enumerate() {
        let ra = r.shape.area();
        for (g, n) in named.iter().enumerate() {
            if n.level != r.level || !(n.shape.contains(r.centroid) || r.shape.contains(n.centroid))
            {
                continue;
            }
            let ratio = ra.min(n.area) / ra.max(n.area);
            if ratio >= NAME_AREA_RATIO {
                cands.push((ratio, i, g));
            }
        }
    }
    cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut out = vec![None; regions.len()];
    let mut taken = vec![false; named.len()];
    for (_, i, g) in cands {
        if out[i].is_none() && !taken[g] {
            out[i] = Some(g);
            taken[g] = true;
        }
    }
    out
}

/// Kind and whether seated: a named `room` is a talk room unless its titles
/// say corridor, stair, WC or cloakroom; intermediate levels are stairs.
fn classify(r: &Region, n: Option<&Named>, level: Option<&Level>, outdoor: bool) -> (Kind, bool) {
    let mut words: Vec<String> = Vec::new();
    for t in n.map(|n| n.titles.as_slice()).unwrap_or_default() {
        words.extend(
            t.split(|c: char| !c.is_ascii_alphanumeric())
                .map(str::to_ascii_lowercase),
        );
    }
    words.extend(
        stem(r.key)
            .split(|c: char| !c.is_ascii_alphanumeric())
            .map(str::to_ascii_lowercase),
    );
    let has = |w: &str| words.iter().any(|x| x.starts_with(w));
    let intermediate = level.is_some_and(|l| l.intermediate);
    if intermediate || has("stair") {
        return (Kind::Stairway, false);
    }
    if outdoor {
        return (Kind::Outdoor, false);
    }
    if has("corridor") || has("hallway") {
        return (Kind::Corridor, false);
    }
    if n.is_some_and(|n| n.room) {
        let service = has("wc") || has("toilet") || has("cloak");
        return (Kind::Room, !service);
    }
    if has("hall") || has("foyer") || has("lobby") {
        return (Kind::Foyer, false);
    }
    (Kind::Corridor, false)
}

/// The building whose footprint holds the point, on the same level first,
/// then any level (upper floors are often not drawn), then the nearest one
/// within [`NEAR_BUILDING_M`]; else the campus.
fn zone_of(b: &Bundle, p: Pt, r: &Region) -> String {
    let alt = |level: &str| b.levels.get(level).map_or(f64::INFINITY, |l| l.altitude);
    let holding = b
        .buildings
        .iter()
        .filter(|x| x.shape.contains(p))
        .min_by(|x, y| {
            let dx = (alt(&x.level) - r.altitude).abs();
            let dy = (alt(&y.level) - r.altitude).abs();
            dx.total_cmp(&dy).then(x.key.cmp(&y.key))
        });
    let near = || {
        b.buildings
            .iter()
            .map(|x| (distance(&x.shape, r.shape), x))
            .filter(|(d, _)| *d <= NEAR_BUILDING_M)
            .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.key.cmp(&y.1.key)))
            .map(|(_, x)| x)
    };
    holding
        .or_else(near)
        .map(|x| building_zone(&x.key))
        .unwrap_or_else(|| CAMPUS_ZONE.to_string())
}

/// `buildings/h-1.json` (H, level 1) → `h`; a generated key → `building-546029`.
pub(super) fn building_zone(key: &str) -> String {
    let s = stem(key);
    if generated(s) {
        return format!("building-{}", s.get(..6).unwrap_or(s));
    }
    let s = match s.rsplit_once('-') {
        Some((head, tail)) if !head.is_empty() && tail.chars().all(|c| c.is_ascii_digit()) => head,
        _ => s,
    };
    let z = slugify(s);
    if z.is_empty() {
        CAMPUS_ZONE.to_string()
    } else {
        z
    }
}

/// `rooms/h1308.json` → `h1308`.
fn stem(key: &str) -> &str {
    let s = key.rsplit('/').next().unwrap_or(key);
    s.strip_suffix(".json").unwrap_or(s)
}

/// A c3nav-generated key (PHP `uniqid`: 13 hex digits), not a name.
fn generated(stem: &str) -> bool {
    stem.len() >= 10 && stem.chars().all(|c| c.is_ascii_hexdigit())
}

/// The title that is a room code (`K1105`, `h1301`, `UB2252A`): letters then a digit.
fn code_title(titles: &[String]) -> Option<&String> {
    titles.iter().find(|t| {
        let n = normalize(t);
        let letters = n.chars().take_while(char::is_ascii_alphabetic).count();
        (1..=3).contains(&letters)
            && n.chars().nth(letters).is_some_and(|c| c.is_ascii_digit())
            && !t.contains(' ')
    })
}

fn capitalised(k: Kind) -> String {
    let s = k.as_str();
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_zones() {
        assert_eq!(building_zone("buildings/h-1.json"), "h");
        assert_eq!(building_zone("buildings/f3-0.json"), "f3");
        assert_eq!(building_zone("buildings/AX.json"), "ax");
        assert_eq!(
            building_zone("buildings/546029d263678.json"),
            "building-546029"
        );
        assert!(generated("5455eb6d2d2d9") && !generated("h1-main-corridor"));
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            code_title(&t(&["Miscellaneous, Building Room", "K1105"])).map(String::as_str),
            Some("K1105")
        );
        assert_eq!(code_title(&t(&["Janson", "Keynotes Room"])), None);
    }
}
