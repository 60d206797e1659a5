//! "Did you mean …?" for names typed by people.

/// Longest name, in bytes, that is compared with others: longer names (typed by
/// nobody, or hostile) get no suggestions and are never suggested, so the cost
/// of a comparison is bounded by `MAX_SUGGEST_BYTES²` however long the names.
pub const MAX_SUGGEST_BYTES: usize = 128;

/// The candidates closest to `name`, best first, at most three: those within
/// an edit distance of about a third of the name's length (case-insensitive),
/// and those that contain it or that it contains. Names longer than
/// [`MAX_SUGGEST_BYTES`] take no part.
pub fn suggest<S: AsRef<str>>(name: &str, candidates: &[S]) -> Vec<String> {
    if name.len() > MAX_SUGGEST_BYTES {
        return Vec::new();
    }
    let wanted = name.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .map(|c| c.as_ref())
        .filter(|c| c.len() <= MAX_SUGGEST_BYTES)
        .filter_map(|c| {
            let lower = c.to_lowercase();
            match bounded_distance(&wanted, &lower, limit) {
                Some(d) => Some((d, c)),
                None if !wanted.is_empty()
                    && (lower.contains(&wanted) || wanted.contains(&lower)) =>
                {
                    Some((limit + 1, c))
                }
                None => None,
            }
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// The one candidate nearest to `name` (case-insensitive edit distance of at
/// most a third of its length, at least 1), when close enough to be a typo.
/// Names longer than [`MAX_SUGGEST_BYTES`] take no part.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    if name.len() > MAX_SUGGEST_BYTES {
        return None;
    }
    let wanted = name.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(1);
    candidates
        .filter(|c| c.len() <= MAX_SUGGEST_BYTES)
        .filter_map(|c| bounded_distance(&wanted, &c.to_lowercase(), limit).map(|d| (d, c)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// [`edit_distance`] when it is at most `limit`; `None` without computing it
/// when the lengths alone differ by more.
fn bounded_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.abs_diff(lb) > limit {
        return None;
    }
    Some(edit_distance(a, b)).filter(|d| *d <= limit)
}

/// `; did you mean "A" or "B"?` — empty when there is nothing close.
pub fn did_you_mean<S: AsRef<str>>(name: &str, candidates: &[S]) -> String {
    let found = suggest(name, candidates);
    if found.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = found.iter().map(|s| format!("{s:?}")).collect();
    format!("; did you mean {}?", quoted.join(" or "))
}

/// Levenshtein distance over chars: O(|a|·|b|); callers bound the lengths.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggests_close_names_best_first() {
        let names = ["Onboard Employee", "Offboard Employee", "Change Password"];
        assert_eq!(
            suggest("Onbord Employee", &names),
            vec!["Onboard Employee", "Offboard Employee"]
        );
        assert_eq!(suggest("password", &names), vec!["Change Password"]);
        assert!(suggest("zzz", &names).is_empty());
        assert_eq!(
            did_you_mean("change pasword", &names),
            "; did you mean \"Change Password\"?"
        );
    }

    #[test]
    fn over_long_names_are_neither_compared_nor_suggested() {
        let long = "x".repeat(MAX_SUGGEST_BYTES + 1);
        let names = [long.as_str(), "Approve"];
        assert!(suggest(&long, &names).is_empty());
        assert_eq!(suggest("aprove", &names), vec!["Approve"]);
        assert_eq!(closest("Aprove", names.iter().copied()), Some("Approve"));
        let mut near = long.clone();
        near.pop();
        assert_eq!(closest(&near, names.iter().copied()), None);
        assert!(
            suggest(&near, &names).is_empty(),
            "a long candidate is not suggested"
        );
    }
}
