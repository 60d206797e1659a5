//! Pairing the actions of two versions of an activity (actions have no ids).

use serde_json::Value as J;

use super::MAX_ALIGN_CELLS;

/// Pairs `(old index, new index)`: equal items aligned by a longest common
/// subsequence, then the rest paired in order between those anchors.
pub(super) fn align(old: &[J], new: &[J]) -> Vec<(usize, usize)> {
    let (n, m) = (old.len(), new.len());
    let mut anchors: Vec<(usize, usize)> = Vec::new();
    if n.saturating_mul(m) <= MAX_ALIGN_CELLS {
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if old[i] == new[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if old[i] == new[j] {
                anchors.push((i, j));
                i += 1;
                j += 1;
            } else if lcs[i + 1][j] >= lcs[i][j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    let mut pairs = Vec::new();
    let (mut pi, mut pj) = (0, 0);
    for &(ai, aj) in anchors.iter().chain(std::iter::once(&(n, m))) {
        for k in 0..(ai - pi).min(aj - pj) {
            pairs.push((pi + k, pj + k));
        }
        if ai < n {
            pairs.push((ai, aj));
        }
        (pi, pj) = (ai + 1, aj + 1);
    }
    pairs
}
