//! A line diff of two texts, the reload conflict dialog's fallback when the
//! semantic diff cannot name a difference ("mine" against
//! "theirs"): common prefix and suffix are skipped, the middle is aligned by a
//! longest common subsequence, and only changed lines with a little context
//! are kept.
//!
//! Invariants: bounded time and memory whatever the input — the LCS table is
//! used only while the middle is at most [`MAX_CELLS`] cells (else the middle
//! is shown as removed then added), and at most [`MAX_LINES`] lines are
//! returned (the last one says how many were left out).

/// Largest LCS table (lines of mine x lines of theirs, after prefix/suffix).
pub const MAX_CELLS: usize = 2_000_000;
/// Most lines returned.
pub const MAX_LINES: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// In both (context).
    Same(String),
    /// Only in mine.
    Mine(String),
    /// Only in theirs.
    Theirs(String),
    /// Unchanged lines left out, or output cut at [`MAX_LINES`].
    Skipped(usize),
    /// A line of the semantic diff (`crate::diff::render_text`), which the
    /// conflict dialog shows in place of the line diff (`sync::conflict_lines`).
    Semantic(String),
}

/// The diff of `mine` against `theirs` with `context` unchanged lines around
/// each change. Empty when the texts are equal.
pub fn diff(mine: &str, theirs: &str, context: usize) -> Vec<DiffLine> {
    let a: Vec<&str> = mine.lines().collect();
    let b: Vec<&str> = theirs.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    // Full edit script: (kind, line) with 0 same, 1 mine, 2 theirs.
    let mut script: Vec<(u8, &str)> = a[..prefix].iter().map(|l| (0, *l)).collect();
    script.extend(middle(am, bm));
    script.extend(a[a.len() - suffix..].iter().map(|l| (0, *l)));
    if script.iter().all(|(k, _)| *k == 0) {
        return Vec::new();
    }
    // Keep changes and `context` lines around them.
    let n = script.len();
    let mut keep = vec![false; n];
    for (i, (k, _)) in script.iter().enumerate() {
        if *k != 0 {
            let lo = i.saturating_sub(context);
            let hi = (i + context + 1).min(n);
            keep[lo..hi].iter_mut().for_each(|x| *x = true);
        }
    }
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, (k, line)) in script.into_iter().enumerate() {
        if !keep[i] {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push(DiffLine::Skipped(skipped));
            skipped = 0;
        }
        out.push(match k {
            0 => DiffLine::Same(line.to_string()),
            1 => DiffLine::Mine(line.to_string()),
            _ => DiffLine::Theirs(line.to_string()),
        });
    }
    if skipped > 0 {
        out.push(DiffLine::Skipped(skipped));
    }
    if out.len() > MAX_LINES {
        let left = out.len() - (MAX_LINES - 1);
        out.truncate(MAX_LINES - 1);
        out.push(DiffLine::Skipped(left));
    }
    out
}

/// Align the changed middle: LCS when the table is small enough, else all of
/// mine removed then all of theirs added.
fn middle<'t>(a: &[&'t str], b: &[&'t str]) -> Vec<(u8, &'t str)> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > MAX_CELLS || n == 0 || m == 0 {
        let mut out: Vec<(u8, &str)> = a.iter().map(|l| (1, *l)).collect();
        out.extend(b.iter().map(|l| (2, *l)));
        return out;
    }
    // lcs[i][j] = LCS length of a[i..] and b[j..], row-major (n+1)x(m+1).
    let w = m + 1;
    let mut lcs = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n + m);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((0, a[i]));
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
            out.push((1, a[i]));
            i += 1;
        } else {
            out.push((2, b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| (1, *l)));
    out.extend(b[j..].iter().map(|l| (2, *l)));
    out
}

#[cfg(test)]
mod tests {
    use super::DiffLine::*;
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert!(diff("a\nb\n", "a\nb\n", 2).is_empty());
    }

    #[test]
    fn a_changed_line_shows_mine_then_theirs_with_context() {
        let mine = "1\n2\n3\nmine\n5\n6\n7\n";
        let theirs = "1\n2\n3\ntheirs\n5\n6\n7\n";
        assert_eq!(
            diff(mine, theirs, 1),
            vec![
                Skipped(2),
                Same("3".into()),
                Mine("mine".into()),
                Theirs("theirs".into()),
                Same("5".into()),
                Skipped(2),
            ]
        );
    }

    #[test]
    fn insertions_are_aligned_not_shown_as_a_rewrite() {
        let d = diff("a\nb\nc\nd\n", "a\nb\nx\nc\nd\n", 0);
        assert_eq!(d, vec![Skipped(2), Theirs("x".into()), Skipped(2)]);
    }

    #[test]
    fn huge_inputs_stay_bounded() {
        let mine: String = (0..5000).map(|i| format!("m{i}\n")).collect();
        let theirs: String = (0..5000).map(|i| format!("t{i}\n")).collect();
        let d = diff(&mine, &theirs, 2);
        assert_eq!(d.len(), MAX_LINES);
        assert_eq!(d.last(), Some(&Skipped(10_000 - (MAX_LINES - 1))));
    }
}
