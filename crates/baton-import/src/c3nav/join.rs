//! A schedule's rooms joined to the map's. Schedules name rooms like
//! `K.1.105 (La Fontaine)`, `UD2.120 (Chavanne)` or `Janson`; the map titles
//! them `K1105`, `UD2120`, `Janson` (and by the devrooms of its year). Names
//! are compared with punctuation, spaces and case folded, whole, by the
//! part before the parentheses and by the part inside them; a key two map
//! spaces share matches neither. A room the map lacks keeps the star
//! venue's placement: a space of its own attached to a hub corridor of its
//! building (by the letters of its code), else to the map's largest one.

use super::{Kind, MapLink, MapSpace, Venue};
use crate::ImportOptions;
use crate::text::{Ids, normalize};
use std::collections::{BTreeMap, BTreeSet};

/// What the schedule import knows of one of its rooms.
#[derive(Debug, Clone)]
pub(crate) struct ScheduleRoom {
    pub name: String,
    pub id: String,
    pub capacity: u32,
    /// Capacity from the schedule or a capacities file, not assumed.
    pub known: bool,
    pub basis: String,
    pub area_m2: f64,
    /// The zone the schedule import gave it (`ud` for `UD2.120`, else `main`).
    pub zone: String,
    pub sessions: usize,
}

/// The space id each schedule room's sessions go to, and the match share.
#[derive(Debug, Clone)]
pub(crate) struct Joined {
    pub ids: Vec<String>,
    /// One line for the summary: the share of rooms (and sessions) matched.
    pub note: String,
}

/// `K.1.105 (La Fontaine)` → `k1105lafontaine`, `k1105`, `lafontaine`.
pub(crate) fn keys(name: &str) -> Vec<String> {
    let mut out = vec![normalize(name)];
    if let Some((before, rest)) = name.split_once('(') {
        out.push(normalize(before));
        out.push(normalize(rest.split(')').next().unwrap_or_default()));
    }
    let mut seen = BTreeSet::new();
    out.retain(|k| !k.is_empty() && seen.insert(k.clone()));
    out
}

pub(crate) fn join(
    v: &mut Venue,
    rooms: &[ScheduleRoom],
    opts: &ImportOptions,
    warnings: &mut Vec<String>,
) -> Joined {
    let mut index: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (i, s) in v.spaces.iter().enumerate() {
        for t in &s.titles {
            for k in keys(t) {
                index.entry(k).or_default().insert(i);
            }
        }
    }
    let find = |name: &str| {
        keys(name).into_iter().find_map(|k| {
            index
                .get(&k)
                .filter(|set| set.len() == 1)
                .and_then(|set| set.first().copied())
        })
    };
    let mut ids = Ids::default();
    for s in &v.spaces {
        ids.claim(&s.id, None);
    }
    let mut out = Vec::with_capacity(rooms.len());
    let mut claimed: BTreeMap<usize, &str> = BTreeMap::new();
    let (mut matched, mut matched_sessions) = (0, 0);
    let mut missing = Vec::new();
    for r in rooms {
        let Some(i) = find(&r.name) else {
            out.push(None);
            missing.push(r);
            continue;
        };
        matched += 1;
        matched_sessions += r.sessions;
        let s = &mut v.spaces[i];
        if let Some(first) = claimed.get(&i) {
            warnings.push(format!(
                "{}: schedule rooms {first:?} and {:?} both match {:?}: their sessions share {}",
                v.file, r.name, s.name, s.id
            ));
        } else {
            claimed.insert(i, &r.name);
            let map_name = std::mem::replace(&mut s.name, r.name.clone());
            if !s.titles.contains(&map_name) {
                s.titles.insert(0, map_name);
            }
            if r.known {
                s.basis = format!("{}; the map's floor area is {:.0} m2", r.basis, s.area_m2);
                s.capacity = r.capacity;
            }
            s.seated = true;
            s.kind = if s.capacity >= opts.hall_from {
                Kind::Hall
            } else {
                Kind::Room
            };
        }
        s.sessions += r.sessions;
        out.push(Some(s.id.clone()));
    }

    // Rooms the map lacks: attached to a corridor of their building.
    let zones: BTreeSet<String> = v.spaces.iter().map(|s| s.zone.clone()).collect();
    let hub_in = |v: &Venue, zone: Option<&str>| {
        (0..v.spaces.len())
            .filter(|&i| v.spaces[i].kind.is_hub() && zone.is_none_or(|z| v.spaces[i].zone == z))
            .max_by(|&a, &b| {
                v.spaces[a]
                    .area_m2
                    .total_cmp(&v.spaces[b].area_m2)
                    .then(b.cmp(&a))
            })
    };
    let mut placed = Vec::new();
    let mut k = 0;
    for slot in out.iter_mut() {
        if slot.is_some() {
            continue;
        }
        let Some(r) = missing.get(k) else { break };
        k += 1;
        let zone = zones
            .iter()
            .filter(|z| r.zone.starts_with(z.as_str()) && z.as_str() != super::CAMPUS_ZONE)
            .max_by_key(|z| z.len())
            .cloned();
        let (hub, walk_s) = match zone.as_deref().and_then(|z| hub_in(v, Some(z))) {
            Some(h) => (Some(h), opts.walk_s),
            None => (
                hub_in(v, None).or(v.spaces.len().checked_sub(1)),
                opts.walk_s.saturating_mul(3),
            ),
        };
        let id = ids.claim(&r.id, None);
        v.spaces.push(MapSpace {
            id: id.clone(),
            name: r.name.clone(),
            kind: if r.capacity >= opts.hall_from {
                Kind::Hall
            } else {
                Kind::Room
            },
            capacity: r.capacity,
            area_m2: r.area_m2.max(1.0),
            zone: zone.unwrap_or_else(|| r.zone.clone()),
            seated: true,
            position: None,
            altitude: 0.0,
            outline: Vec::new(),
            basis: r.basis.clone(),
            titles: Vec::new(),
            source: "a schedule room not on the map".into(),
            sessions: r.sessions,
        });
        let me = v.spaces.len() - 1;
        if let Some(h) = hub {
            v.links.push(MapLink {
                a: me,
                b: h,
                walk_s,
                via: "ASSUMED: a room not on the map, attached to a corridor".into(),
            });
            v.assumed_links += 1;
            placed.push(format!("{} -> {} ({walk_s} s)", r.name, v.spaces[h].id));
        }
        *slot = Some(id);
    }
    if !missing.is_empty() {
        warnings.push(format!(
            "{}: {} of {} schedule rooms are not on the map, each attached to a corridor of its building (else the largest) by an ASSUMED walk: {}",
            v.file,
            missing.len(),
            rooms.len(),
            placed.join(", ")
        ));
    }
    let total_sessions: usize = rooms.iter().map(|r| r.sessions).sum();
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let note = format!(
        "venue map {}: {matched} of {} rooms matched ({:.0}%), holding {matched_sessions} of {total_sessions} sessions ({:.0}%)",
        v.file,
        rooms.len(),
        pct(matched, rooms.len()),
        pct(matched_sessions, total_sessions)
    );
    Joined {
        ids: out.into_iter().map(Option::unwrap_or_default).collect(),
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_names_fold_to_map_titles() {
        assert!(keys("K.1.105 (La Fontaine)").contains(&"k1105".to_string()));
        assert!(keys("UD2.120 (Chavanne)").contains(&"ud2120".to_string()));
        assert!(keys("H.1301 (Cornil)").contains(&"h1301".to_string()));
        assert!(keys("UB2.252A (Lameere)").contains(&normalize("UB2252A")));
        assert_eq!(keys("AW1.120"), vec!["aw1120".to_string()]);
        assert_eq!(keys("Janson"), keys("janson"));
        assert!(keys("()").is_empty());
    }
}
