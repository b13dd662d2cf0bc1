//! Plane geometry on the map's local metres: polygon area (shoelace),
//! centroid, point-in-polygon and the distance between two shapes. Nothing
//! here recurses or panics; degenerate input gives zero areas and `None`
//! centroids, which the callers skip with a warning.

/// A point, `[x, y]` in metres.
pub(super) type Pt = [f64; 2];

/// One polygon: an outer ring and its holes, each ring without the closing
/// point (the first point is not repeated at the end).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Poly {
    pub outer: Vec<Pt>,
    pub holes: Vec<Vec<Pt>>,
}

/// A GeoJSON `Polygon` (one) or `MultiPolygon` (several).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Shape {
    pub polys: Vec<Poly>,
}

/// Twice the signed area of a ring (positive counter-clockwise).
fn ring_cross(ring: &[Pt]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// Area of a ring by the shoelace formula, m².
pub(super) fn ring_area(ring: &[Pt]) -> f64 {
    (ring_cross(ring) / 2.0).abs()
}

impl Poly {
    /// Outer area less the holes', m².
    pub fn area(&self) -> f64 {
        (ring_area(&self.outer) - self.holes.iter().map(|h| ring_area(h)).sum::<f64>()).max(0.0)
    }

    fn contains(&self, p: Pt) -> bool {
        ring_contains(&self.outer, p) && !self.holes.iter().any(|h| ring_contains(h, p))
    }

    fn rings(&self) -> impl Iterator<Item = &Vec<Pt>> {
        std::iter::once(&self.outer).chain(self.holes.iter())
    }
}

impl Shape {
    pub fn area(&self) -> f64 {
        self.polys.iter().map(Poly::area).sum()
    }

    /// Area-weighted centroid; the mean of the outer vertices when the
    /// area is (nearly) zero; `None` when there are no points.
    pub fn centroid(&self) -> Option<Pt> {
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for ring in self.polys.iter().flat_map(Poly::rings) {
            // Holes count against the area whatever their winding.
            let sign = if self.polys.iter().any(|p| std::ptr::eq(&p.outer, ring)) {
                1.0
            } else {
                -1.0
            };
            let orient = if ring_cross(ring) < 0.0 { -1.0 } else { 1.0 };
            let n = ring.len();
            for i in 0..n {
                let (p, q) = (ring[i], ring[(i + 1) % n]);
                let c = (p[0] * q[1] - q[0] * p[1]) * sign * orient;
                a += c;
                cx += (p[0] + q[0]) * c;
                cy += (p[1] + q[1]) * c;
            }
        }
        if a.abs() > 1e-9 {
            let c = [cx / (3.0 * a), cy / (3.0 * a)];
            if c.iter().all(|v| v.is_finite()) {
                return Some(c);
            }
        }
        let pts: Vec<Pt> = self.polys.iter().flat_map(|p| p.outer.clone()).collect();
        if pts.is_empty() {
            return None;
        }
        let n = pts.len() as f64;
        Some([
            pts.iter().map(|p| p[0]).sum::<f64>() / n,
            pts.iter().map(|p| p[1]).sum::<f64>() / n,
        ])
    }

    pub fn contains(&self, p: Pt) -> bool {
        self.polys.iter().any(|poly| poly.contains(p))
    }

    /// The outer ring of the largest polygon: what a floor plan draws.
    pub fn outline(&self) -> Vec<Pt> {
        self.polys
            .iter()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
            .map(|p| p.outer.clone())
            .unwrap_or_default()
    }

    fn edges(&self) -> impl Iterator<Item = (Pt, Pt)> + '_ {
        self.polys.iter().flat_map(Poly::rings).flat_map(|r| {
            let n = r.len();
            (0..n).map(move |i| (r[i], r[(i + 1) % n]))
        })
    }

    fn points(&self) -> impl Iterator<Item = Pt> + '_ {
        self.polys.iter().flat_map(Poly::rings).flatten().copied()
    }
}

/// Even-odd rule.
fn ring_contains(ring: &[Pt], p: Pt) -> bool {
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Straight-line distance, m.
pub(super) fn dist(a: Pt, b: Pt) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

fn point_segment(p: Pt, a: Pt, b: Pt) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    dist(p, [a[0] + t * dx, a[1] + t * dy])
}

fn orient(a: Pt, b: Pt, c: Pt) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn segments_cross(a: Pt, b: Pt, c: Pt, d: Pt) -> bool {
    let (o1, o2) = (orient(a, b, c), orient(a, b, d));
    let (o3, o4) = (orient(c, d, a), orient(c, d, b));
    o1 * o2 < 0.0 && o3 * o4 < 0.0
}

fn segment_segment(a: Pt, b: Pt, c: Pt, d: Pt) -> f64 {
    if segments_cross(a, b, c, d) {
        return 0.0;
    }
    point_segment(a, c, d)
        .min(point_segment(b, c, d))
        .min(point_segment(c, a, b))
        .min(point_segment(d, a, b))
}

/// Shortest distance between two shapes, m: 0 when they touch or overlap.
pub(super) fn distance(s: &Shape, t: &Shape) -> f64 {
    if s.points().any(|p| t.contains(p)) || t.points().any(|p| s.contains(p)) {
        return 0.0;
    }
    let mut best = f64::INFINITY;
    for (a, b) in s.edges() {
        for (c, d) in t.edges() {
            best = best.min(segment_segment(a, b, c, d));
            if best == 0.0 {
                return 0.0;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Shape {
        Shape {
            polys: vec![Poly {
                outer: vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                holes: vec![],
            }],
        }
    }

    #[test]
    fn area_centroid_distance() {
        let r = rect(0.0, 0.0, 4.0, 2.0);
        assert!((r.area() - 8.0).abs() < 1e-9);
        assert_eq!(r.centroid(), Some([2.0, 1.0]));
        assert!(r.contains([1.0, 1.0]) && !r.contains([5.0, 1.0]));
        assert!((distance(&r, &rect(5.0, 0.0, 6.0, 1.0)) - 1.0).abs() < 1e-9);
        assert_eq!(distance(&r, &rect(4.0, 0.0, 6.0, 1.0)), 0.0);
        // A cross: no vertex inside the other, the edges cross.
        assert_eq!(
            distance(&rect(-1.0, 0.5, 5.0, 1.5), &rect(1.0, -1.0, 2.0, 3.0)),
            0.0
        );
        let holed = Shape {
            polys: vec![Poly {
                outer: rect(0.0, 0.0, 4.0, 4.0).polys[0].outer.clone(),
                holes: vec![rect(1.0, 1.0, 2.0, 2.0).polys[0].outer.clone()],
            }],
        };
        assert!((holed.area() - 15.0).abs() < 1e-9);
        assert!(!holed.contains([1.5, 1.5]));
        let c = holed.centroid().unwrap_or([0.0, 0.0]);
        assert!(c[0] > 2.0 && c[1] > 2.0, "{c:?}");
        let empty = Shape { polys: vec![] };
        assert_eq!(empty.centroid(), None);
        assert_eq!(empty.area(), 0.0);
    }
}
