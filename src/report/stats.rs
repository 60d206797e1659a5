//! Distributions of durations: count, p50, p90 and max by the nearest-rank
//! method (the p-th percentile of n sorted samples is the ⌈p·n/100⌉-th).

use serde::Serialize;

/// Milliseconds collected for one figure.
#[derive(Debug, Default, Clone)]
pub struct Samples(Vec<i64>);

impl Samples {
    pub fn push(&mut self, ms: i64) {
        self.0.push(ms.max(0));
    }

    /// Add another set's samples.
    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The summary; `None` without samples.
    pub fn summary(&mut self) -> Option<Summary> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        Some(Summary {
            count: self.0.len(),
            p50_ms: nearest_rank(&self.0, 50),
            p90_ms: nearest_rank(&self.0, 90),
            max_ms: *self.0.last().unwrap_or(&0),
        })
    }

    /// The raw samples, sorted by [`Samples::summary`] (for histograms).
    pub fn values(&self) -> &[i64] {
        &self.0
    }
}

/// A distribution's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub count: usize,
    pub p50_ms: i64,
    pub p90_ms: i64,
    pub max_ms: i64,
}

/// The `p`-th percentile of `sorted` (non-empty) by nearest rank.
pub fn nearest_rank(sorted: &[i64], p: usize) -> i64 {
    let n = sorted.len();
    let rank = (p * n).div_ceil(100).clamp(1, n);
    sorted[rank - 1]
}

/// The cycle-time histogram's buckets: a label and the upper bound (excluded)
/// in milliseconds; the last bucket has no upper bound.
pub const CYCLE_BUCKETS: [(&str, i64); 7] = [
    ("<1h", HOUR),
    ("1-4h", 4 * HOUR),
    ("4-8h", 8 * HOUR),
    ("8-24h", 24 * HOUR),
    ("1-3d", 72 * HOUR),
    ("3-7d", 168 * HOUR),
    (">=7d", i64::MAX),
];

const HOUR: i64 = 3_600_000;

/// How many of `values` fall in each of [`CYCLE_BUCKETS`].
pub fn histogram(values: &[i64]) -> Vec<usize> {
    let mut out = vec![0; CYCLE_BUCKETS.len()];
    for &v in values {
        let i = CYCLE_BUCKETS
            .iter()
            .position(|(_, upper)| v < *upper)
            .unwrap_or(CYCLE_BUCKETS.len() - 1);
        out[i] += 1;
    }
    out
}

/// A duration for people: `850ms`, `42s`, `3m 05s`, `2h 10m`, `3d 4h`.
pub fn human(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        _ if ms < 1000 => format!("{ms}ms"),
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 50), 5);
        assert_eq!(nearest_rank(&v, 90), 9);
        assert_eq!(nearest_rank(&[7], 50), 7);
        assert_eq!(nearest_rank(&[7], 90), 7);
        let mut s = Samples::default();
        for x in [30, 10, 20] {
            s.push(x);
        }
        assert_eq!(
            s.summary(),
            Some(Summary {
                count: 3,
                p50_ms: 20,
                p90_ms: 30,
                max_ms: 30
            })
        );
        assert_eq!(Samples::default().summary(), None);
    }

    #[test]
    fn histogram_buckets_exclude_their_upper_bound() {
        let h = histogram(&[0, HOUR - 1, HOUR, 5 * HOUR, 24 * HOUR, 30 * 24 * HOUR]);
        assert_eq!(h, vec![2, 1, 1, 0, 1, 0, 1]);
        assert_eq!(histogram(&[]).iter().sum::<usize>(), 0);
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(850), "850ms");
        assert_eq!(human(42_000), "42s");
        assert_eq!(human(185_000), "3m 05s");
        assert_eq!(human(7_800_000), "2h 10m");
        assert_eq!(human(273_600_000), "3d 4h");
    }
}
