//! Means with 95% intervals over seeds, and paired differences.
//!
//! Runs under two policy sets share each seed's random streams (common
//! random numbers), so the comparison is on per-seed differences: their
//! mean and Student-t interval. A difference is significant when its
//! interval excludes zero.

use serde::Serialize;

/// A mean and its two-sided 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    /// Seeds with a value (a KPI can be undefined in some runs).
    pub n: usize,
}

/// Two-sided 97.5% quantiles of Student's t for 1..=30 degrees of freedom
/// (standard tables); above 30 the normal 1.96 is within 2%.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

pub fn t975(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df - 1],
        _ => 1.96,
    }
}

/// Mean and 95% interval of the finite values.
pub fn estimate(values: &[f64]) -> Estimate {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return Estimate {
            mean: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            n,
        };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Estimate {
            mean,
            lo: mean,
            hi: mean,
            n,
        };
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t975(n - 1) * (var / n as f64).sqrt();
    Estimate {
        mean,
        lo: mean - half,
        hi: mean + half,
        n,
    }
}

/// Per-seed differences `a - b`, over the seeds where both are defined.
pub fn paired(a: &[f64], b: &[f64]) -> Estimate {
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| x - y)
        .collect();
    estimate(&d)
}

impl Estimate {
    /// The interval excludes zero (and there are at least two pairs).
    pub fn significant(&self) -> bool {
        self.n >= 2 && self.lo.is_finite() && (self.lo > 0.0 || self.hi < 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_known_sample() {
        // Mean 3, sample sd sqrt(2.5), n 5: half width 2.776 * sqrt(2.5/5).
        let e = estimate(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((e.mean - 3.0).abs() < 1e-12);
        let half = 2.776 * (0.5f64).sqrt();
        assert!((e.hi - 3.0 - half).abs() < 1e-9, "{e:?}");
        assert_eq!(e.n, 5);
    }

    #[test]
    fn pairing_removes_shared_noise() {
        // Big differences between seeds, a steady -1 between the sets.
        let a = [10.0, 50.0, 90.0, 130.0];
        let b = [11.0, 51.2, 90.8, 131.0];
        let d = paired(&a, &b);
        assert!(d.significant(), "{d:?}");
        assert!(d.hi < 0.0);
        // Unpaired intervals overlap completely.
        let ea = estimate(&a);
        let eb = estimate(&b);
        assert!(ea.hi > eb.lo && eb.hi > ea.lo);
    }

    #[test]
    fn undefined_values_are_skipped() {
        let e = estimate(&[f64::NAN, 2.0, 4.0]);
        assert_eq!(e.n, 2);
        assert!((e.mean - 3.0).abs() < 1e-12);
        assert!(!paired(&[1.0, f64::NAN], &[0.0, 1.0]).significant());
    }
}
