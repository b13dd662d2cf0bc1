//! Walking times over the venue graph, computed once per spec.

use baton_model::Spec;
use std::collections::HashMap;

/// Seconds assumed between two spaces with no walking path between them:
/// large enough that any connected option wins, small enough to add safely.
pub const UNREACHABLE_S: u32 = 3_600;

/// All-pairs shortest walking times, in seconds, by space index.
#[derive(Debug, Clone, Default)]
pub struct WalkTimes {
    n: usize,
    secs: Vec<u32>,
}

impl WalkTimes {
    /// Dijkstra from every space over the symmetric links. Venues have tens to
    /// hundreds of spaces, so the table is small and lookups are O(1).
    pub fn new(spec: &Spec) -> WalkTimes {
        let n = spec.spaces.len();
        let idx: HashMap<&str, usize> = spec
            .spaces
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut adj: Vec<Vec<(usize, u32)>> = vec![Vec::new(); n];
        for l in &spec.links {
            if let (Some(&a), Some(&b)) = (idx.get(l.from.as_str()), idx.get(l.to.as_str())) {
                adj[a].push((b, l.walk_s));
                adj[b].push((a, l.walk_s));
            }
        }
        for a in &mut adj {
            a.sort_unstable();
        }
        let mut secs = vec![UNREACHABLE_S; n * n];
        for start in 0..n {
            let reached =
                pathfinding::directed::dijkstra::dijkstra_all(&start, |&v| adj[v].to_vec());
            secs[start * n + start] = 0;
            for (v, (_, cost)) in reached {
                secs[start * n + v] = cost.min(UNREACHABLE_S);
            }
        }
        WalkTimes { n, secs }
    }

    pub fn secs(&self, from: u32, to: u32) -> u32 {
        let (f, t) = (from as usize, to as usize);
        if f >= self.n || t >= self.n {
            return UNREACHABLE_S;
        }
        self.secs[f * self.n + t]
    }
}
