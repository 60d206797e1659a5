//! "Did you mean …?" for names typed by people.

/// The candidates closest to `name`, best first, at most three: those within
/// an edit distance of about a third of the name's length (case-insensitive),
/// and those that contain it or that it contains.
pub fn suggest<S: AsRef<str>>(name: &str, candidates: &[S]) -> Vec<String> {
    let wanted = name.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .map(|c| c.as_ref())
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let d = edit_distance(&wanted, &lower);
            if d <= limit {
                Some((d, c))
            } else if !wanted.is_empty() && (lower.contains(&wanted) || wanted.contains(&lower)) {
                Some((limit + 1, c))
            } else {
                None
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

/// `; did you mean "A" or "B"?` — empty when there is nothing close.
pub fn did_you_mean<S: AsRef<str>>(name: &str, candidates: &[S]) -> String {
    let found = suggest(name, candidates);
    if found.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = found.iter().map(|s| format!("{s:?}")).collect();
    format!("; did you mean {}?", quoted.join(" or "))
}

/// Levenshtein distance over chars.
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
}
