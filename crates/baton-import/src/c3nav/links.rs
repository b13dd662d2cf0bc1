//! Walking links: through each door between the two walkable areas it
//! touches, through each level connector between the areas it joins on its
//! levels, and between areas of one level that share an edge (an open
//! floor). Then an assumed entrance, and assumed campus paths to whatever
//! part of the map no door reaches, so the venue is one connected graph.
//!
//! A link's walk is the straight-line distance from one space's centroid to
//! the door (or connector) and on to the other's, at [`WALK_M_PER_S`], plus
//! [`STAIR_S_PER_M`] per metre of height between levels.

use super::bundle::Bundle;
use super::geometry::{Pt, dist, distance};
use super::spaces::Region;
use super::{
    CAMPUS_ZONE, DETOUR, ENTRANCE_PEOPLE, Kind, MapLink, MapSpace, STAIR_S_PER_M, Venue,
    WALK_M_PER_S,
};
use std::collections::BTreeMap;

/// A door or level connector touches a walkable area within this, m.
const TOUCH_M: f64 = 0.1;
/// Walkable areas of one level this close share an edge: one open floor, m.
const OPEN_M: f64 = 0.01;

/// Whole seconds, at least 1.
pub(super) fn secs(s: f64) -> u32 {
    if s.is_finite() {
        s.ceil().clamp(1.0, f64::from(u32::MAX)) as u32
    } else {
        1
    }
}

pub(super) fn build(b: &Bundle, regions: &[Region], v: &mut Venue, warnings: &mut Vec<String>) {
    let file = &b.file;
    let pos: Vec<Pt> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            v.spaces
                .get(i)
                .and_then(|s| s.position)
                .unwrap_or(r.centroid)
        })
        .collect();
    let mut best: BTreeMap<(usize, usize), (u32, String)> = BTreeMap::new();
    let mut add = |a: usize, c: usize, s: f64, via: String| {
        if a == c {
            return;
        }
        let key = (a.min(c), a.max(c));
        let s = secs(s);
        match best.get(&key) {
            Some((old, _)) if *old <= s => {}
            _ => {
                best.insert(key, (s, via));
            }
        }
    };

    for d in &b.doors {
        let Some(at) = d.shape.centroid() else {
            continue;
        };
        let mut touching: Vec<(f64, usize)> = regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.level == d.level)
            .map(|(i, r)| (distance(&d.shape, r.shape), i))
            .filter(|(dd, _)| *dd <= TOUCH_M)
            .collect();
        touching.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        if touching.len() < 2 {
            warnings.push(format!(
                "{file}: {}: a door touching {} walkable area(s) of level {}, not two: no link",
                d.key,
                touching.len(),
                d.level
            ));
            continue;
        }
        for (n, &(_, i)) in touching.iter().enumerate() {
            for &(_, j) in &touching[n + 1..] {
                let m = dist(pos[i], at) + dist(at, pos[j]);
                add(i, j, m / WALK_M_PER_S, format!("door {}", d.key));
            }
        }
    }

    for c in &b.connectors {
        let Some(at) = c.shape.centroid() else {
            continue;
        };
        let mut ends = Vec::new();
        for level in &c.levels {
            let end = regions
                .iter()
                .enumerate()
                .filter(|(_, r)| r.level == level.as_str())
                .map(|(i, r)| (!r.shape.contains(at), distance(&c.shape, r.shape), i))
                .filter(|e| e.1 <= TOUCH_M)
                .min_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)).then(x.2.cmp(&y.2)));
            if let Some((_, _, i)) = end {
                ends.push(i);
            }
        }
        if ends.len() < 2 {
            warnings.push(format!(
                "{file}: {}: a level connector touching walkable areas on {} of its levels ({}): no link",
                c.key,
                ends.len(),
                c.levels.join(", ")
            ));
            continue;
        }
        for w in ends.windows(2) {
            let (i, j) = (w[0], w[1]);
            let climb = (regions[i].altitude - regions[j].altitude).abs();
            let m = dist(pos[i], at) + dist(at, pos[j]);
            add(
                i,
                j,
                m / WALK_M_PER_S + climb * STAIR_S_PER_M,
                format!("level connector {} ({climb:.0} m up or down)", c.key),
            );
        }
    }

    for i in 0..regions.len() {
        for j in i + 1..regions.len() {
            if regions[i].level == regions[j].level
                && distance(regions[i].shape, regions[j].shape) <= OPEN_M
            {
                add(
                    i,
                    j,
                    dist(pos[i], pos[j]) / WALK_M_PER_S,
                    "open: the areas share an edge".into(),
                );
            }
        }
    }

    v.links = best
        .into_iter()
        .map(|((a, c), (walk_s, via))| MapLink {
            a,
            b: c,
            walk_s,
            via,
        })
        .collect();
    entrance(b, v, warnings);
    connect(v, warnings);
}

/// The map draws no entrance: one is assumed on the campus edge of the
/// largest outdoor area (else of the largest circulation space).
fn entrance(b: &Bundle, v: &mut Venue, warnings: &mut Vec<String>) {
    let largest = |want: &dyn Fn(&MapSpace) -> bool| {
        (0..v.spaces.len())
            .filter(|&i| want(&v.spaces[i]))
            .max_by(|&x, &y| {
                v.spaces[x]
                    .area_m2
                    .total_cmp(&v.spaces[y].area_m2)
                    .then(y.cmp(&x))
            })
    };
    let Some(hub) = largest(&|s| s.kind == Kind::Outdoor)
        .or_else(|| largest(&|s| !s.seated))
        .or_else(|| largest(&|_| true))
    else {
        return;
    };
    let h = &v.spaces[hub];
    let hub_pos = h.position.unwrap_or([0.0, 0.0]);
    let [[x0, y0], [x1, y1]] = b.bounds.unwrap_or_else(|| bbox(&v.spaces));
    let edge = |p: &Pt| {
        (p[0] - x0)
            .min(x1 - p[0])
            .min(p[1] - y0)
            .min(y1 - p[1])
            .abs()
    };
    let at = h
        .outline
        .iter()
        .min_by(|p, q| edge(p).total_cmp(&edge(q)))
        .copied()
        .unwrap_or(hub_pos);
    let mut id = "entrance".to_string();
    while v.spaces.iter().any(|s| s.id == id) {
        id.push_str("-2");
    }
    warnings.push(format!(
        "{}: the map draws no entrance: added {id} (kind entrance) on the campus edge of {:?}, ASSUMED {ENTRANCE_PEOPLE} people on {ENTRANCE_PEOPLE} m2",
        b.file, h.name
    ));
    let walk = dist(at, hub_pos) / WALK_M_PER_S;
    let hub_name = h.name.clone();
    let altitude = h.altitude;
    v.spaces.push(MapSpace {
        id,
        name: "Campus entrance".into(),
        kind: Kind::Entrance,
        capacity: ENTRANCE_PEOPLE,
        area_m2: f64::from(ENTRANCE_PEOPLE),
        zone: CAMPUS_ZONE.into(),
        seated: false,
        position: Some(at),
        altitude,
        outline: Vec::new(),
        basis: format!(
            "ASSUMED: the map draws no entrance; {ENTRANCE_PEOPLE} people on {ENTRANCE_PEOPLE} m2"
        ),
        titles: Vec::new(),
        source: format!("assumed, on the edge of {hub_name}"),
        sessions: 0,
    });
    v.links.push(MapLink {
        a: v.spaces.len() - 1,
        b: hub,
        walk_s: secs(walk),
        via: "assumed: from the gate to the middle of the area".into(),
    });
    v.assumed_links += 1;
}

fn bbox(spaces: &[MapSpace]) -> [[f64; 2]; 2] {
    let pts = spaces
        .iter()
        .flat_map(|s| s.outline.iter().chain(s.position.iter()));
    let mut b = [[f64::INFINITY; 2], [f64::NEG_INFINITY; 2]];
    for p in pts {
        for k in 0..2 {
            b[0][k] = b[0][k].min(p[k]);
            b[1][k] = b[1][k].max(p[k]);
        }
    }
    if b[0][0].is_finite() {
        b
    } else {
        [[0.0; 2]; 2]
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Joins each part of the map no door reaches to the part with the
/// entrance (the last space), by an assumed path between the nearest two
/// spaces: the straight line times [`DETOUR`], warned.
pub(super) fn connect(v: &mut Venue, warnings: &mut Vec<String>) {
    let n = v.spaces.len();
    if n == 0 {
        return;
    }
    let mut parent: Vec<usize> = (0..n).collect();
    for l in &v.links {
        let (a, b) = (find(&mut parent, l.a), find(&mut parent, l.b));
        parent[a] = b;
    }
    let main = n - 1;
    // Each round joins one part, so this ends within n rounds.
    for _ in 0..n {
        let root = find(&mut parent, main);
        let Some(first) = (0..n).find(|&i| find(&mut parent, i) != root) else {
            return;
        };
        let part_root = find(&mut parent, first);
        let part: Vec<usize> = (0..n)
            .filter(|&i| find(&mut parent, i) == part_root)
            .collect();
        let rest: Vec<usize> = (0..n).filter(|&i| find(&mut parent, i) == root).collect();
        // The quickest pair: horizontal detour plus the climb between levels.
        let mut best: Option<(f64, f64, usize, usize)> = None;
        for &i in &part {
            for &j in &rest {
                let (a, b) = (&v.spaces[i], &v.spaces[j]);
                if let (Some(p), Some(q)) = (a.position, b.position) {
                    let d = dist(p, q);
                    let s =
                        d * DETOUR / WALK_M_PER_S + (a.altitude - b.altitude).abs() * STAIR_S_PER_M;
                    if best.is_none_or(|b| s < b.0) {
                        best = Some((s, d, i, j));
                    }
                }
            }
        }
        let (s, d, i, j) = best.unwrap_or((1.0, 0.0, first, main));
        let names: Vec<&str> = part
            .iter()
            .take(6)
            .map(|&k| v.spaces[k].id.as_str())
            .collect();
        warnings.push(format!(
            "{}: {} space(s) reached by no door or level connector of the map ({}{}): linked {} to {} by an ASSUMED path ({d:.0} m x {DETOUR}, plus any climb)",
            v.file,
            part.len(),
            names.join(", "),
            if part.len() > names.len() { ", …" } else { "" },
            v.spaces[i].id,
            v.spaces[j].id
        ));
        v.links.push(MapLink {
            a: i,
            b: j,
            walk_s: secs(s),
            via: "ASSUMED path: the map has no door or connector here".into(),
        });
        v.assumed_links += 1;
        parent[part_root] = root;
    }
}
