//! The compact path of a case: the activities it entered, in order, with loops
//! run-length encoded, so that a case's record does not grow with its step count.
//!
//! Invariants:
//! - Expanding the entries (each `Loop` repeated `times` times) gives the activities
//!   entered, in order, after the first `dropped` ones.
//! - Appending costs a bounded amount of work (at most [`MAX_LOOP_LEN`] comparisons
//!   per check), and the path holds at most [`PATH_KEEP`] entries: when a path that
//!   does not repeat grows past it, the oldest entries are dropped and counted.

use serde::{Deserialize, Serialize};

/// The longest repeated sequence of activities folded into one loop entry.
pub const MAX_LOOP_LEN: usize = 8;

/// Entries a path holds; older ones are dropped (and counted in `dropped`).
pub const PATH_KEEP: usize = 1000;

/// One entry: an activity entered once, or a sequence entered `times` times in a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathEntry {
    Step(String),
    Loop {
        #[serde(rename = "loop")]
        activities: Vec<String>,
        times: u64,
    },
}

impl PathEntry {
    /// Activities this entry stands for (once each).
    fn seq(&self) -> &[String] {
        match self {
            PathEntry::Step(s) => std::slice::from_ref(s),
            PathEntry::Loop { activities, .. } => activities,
        }
    }

    /// How many activities this entry stands for.
    pub fn len(&self) -> u64 {
        match self {
            PathEntry::Step(_) => 1,
            PathEntry::Loop { activities, times } => activities.len() as u64 * times,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The path of a case (see the module documentation).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CompactPath {
    pub entries: Vec<PathEntry>,
    /// Activities entered before the first entry, no longer held.
    #[serde(default)]
    pub dropped: u64,
    /// Names of a loop's partial round, kept when the round completes for the next
    /// one (so counting a round allocates nothing). Not part of the path's value.
    #[serde(skip)]
    spare: Vec<String>,
}

impl PartialEq for CompactPath {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries && self.dropped == other.dropped
    }
}

impl Eq for CompactPath {}

impl CompactPath {
    /// A path of `entries`, after `dropped` activities no longer held.
    pub fn new(entries: Vec<PathEntry>, dropped: u64) -> CompactPath {
        CompactPath {
            entries,
            dropped,
            spare: Vec::new(),
        }
    }

    /// A path holding `names`, compacted as if appended one by one.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> CompactPath {
        let mut p = CompactPath::default();
        for n in names {
            p.push(n.as_ref());
        }
        p
    }

    /// Record that `name` was entered.
    pub fn push(&mut self, name: &str) {
        if self.continue_loop(name) {
            return;
        }
        self.entries.push(PathEntry::Step(name.to_string()));
        self.fold_repeat();
        if self.entries.len() > PATH_KEEP {
            let cut = self.entries.len() - PATH_KEEP;
            self.dropped += self.entries.drain(..cut).map(|e| e.len()).sum::<u64>();
        }
    }

    /// Total activities entered (held and dropped).
    pub fn total(&self) -> u64 {
        self.dropped + self.entries.iter().map(PathEntry::len).sum::<u64>()
    }

    /// The last `max` activities entered, expanded, oldest first.
    pub fn tail(&self, max: usize) -> Vec<String> {
        let mut out: Vec<&str> = Vec::new();
        'entries: for e in self.entries.iter().rev() {
            let (seq, times) = match e {
                PathEntry::Step(s) => (std::slice::from_ref(s), 1),
                PathEntry::Loop { activities, times } => (activities.as_slice(), *times),
            };
            for _ in 0..times {
                for a in seq.iter().rev() {
                    if out.len() >= max {
                        break 'entries;
                    }
                    out.push(a);
                }
            }
        }
        out.into_iter().rev().map(str::to_string).collect()
    }

    /// Readable form: `start -> (A -> B) x3 -> end`, with `… (N earlier) ->` first
    /// when older activities were dropped.
    pub fn render(&self) -> String {
        let mut parts = Vec::with_capacity(self.entries.len() + 1);
        if self.dropped > 0 {
            parts.push(format!("… ({} earlier)", self.dropped));
        }
        for e in &self.entries {
            parts.push(match e {
                PathEntry::Step(s) => s.clone(),
                PathEntry::Loop { activities, times } => {
                    format!("({}) x{times}", activities.join(" -> "))
                }
            });
        }
        parts.join(" -> ")
    }

    /// The trailing single steps after the last loop entry, when they spell that loop
    /// once more: count the round. The partial round is kept as single steps until
    /// it is complete.
    fn continue_loop(&mut self, name: &str) -> bool {
        let n = self.entries.len();
        let start = n.saturating_sub(MAX_LOOP_LEN + 1);
        let Some(li) = (start..n)
            .rev()
            .find(|&i| matches!(self.entries[i], PathEntry::Loop { .. }))
        else {
            return false;
        };
        let tail = &self.entries[li + 1..];
        let seq = self.entries[li].seq();
        let k = tail.len();
        if k >= seq.len() || seq[k] != name {
            return false;
        }
        let matches = tail
            .iter()
            .zip(seq)
            .all(|(e, s)| matches!(e, PathEntry::Step(t) if t == s));
        if !matches {
            return false;
        }
        if k + 1 < seq.len() {
            // Part of another round: keep as a step for now.
            let mut step = self.spare.pop().unwrap_or_default();
            step.clear();
            step.push_str(name);
            self.entries.push(PathEntry::Step(step));
            return true;
        }
        for e in self.entries.drain(li + 1..) {
            if let PathEntry::Step(s) = e {
                self.spare.push(s);
            }
        }
        if let PathEntry::Loop { times, .. } = &mut self.entries[li] {
            *times += 1;
        }
        true
    }

    /// The last 2k single steps repeat a k-long sequence: fold them into a loop.
    fn fold_repeat(&mut self) {
        let n = self.entries.len();
        for k in 1..=MAX_LOOP_LEN.min(n / 2) {
            let (a, b) = (&self.entries[n - 2 * k..n - k], &self.entries[n - k..]);
            let steps = |s: &[PathEntry]| s.iter().all(|e| matches!(e, PathEntry::Step(_)));
            if a == b && steps(a) {
                let activities: Vec<String> = b
                    .iter()
                    .filter_map(|e| match e {
                        PathEntry::Step(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                self.entries.truncate(n - 2 * k);
                self.entries.push(PathEntry::Loop {
                    activities,
                    times: 2,
                });
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(p: &CompactPath) -> Vec<String> {
        p.tail(usize::MAX)
    }

    #[test]
    fn a_two_activity_loop_is_one_entry() {
        let mut names = vec!["start".to_string()];
        for _ in 0..1000 {
            names.push("A".into());
            names.push("B".into());
        }
        names.push("end".into());
        let p = CompactPath::from_names(&names);
        assert_eq!(
            p.entries,
            vec![
                PathEntry::Step("start".into()),
                PathEntry::Loop {
                    activities: vec!["A".into(), "B".into()],
                    times: 1000
                },
                PathEntry::Step("end".into()),
            ]
        );
        assert_eq!(expand(&p), names);
        assert_eq!(p.render(), "start -> (A -> B) x1000 -> end");
        assert_eq!(
            serde_json::to_value(&p.entries).unwrap(),
            serde_json::json!(["start", {"loop": ["A", "B"], "times": 1000}, "end"])
        );
    }

    #[test]
    fn a_path_without_repeats_stays_plain_and_expands_back() {
        let names = ["start", "A", "B", "C", "A", "end"];
        let p = CompactPath::from_names(&names);
        assert_eq!(p.entries.len(), 6);
        assert_eq!(expand(&p), names);
    }

    #[test]
    fn a_partial_round_and_a_break_out_expand_exactly() {
        // A B A B A C: two rounds, then a partial third that leaves the loop.
        let names = ["A", "B", "A", "B", "A", "C", "A", "C", "A", "C"];
        let p = CompactPath::from_names(&names);
        assert_eq!(expand(&p), names);
        assert!(p.entries.len() < names.len());
    }

    #[test]
    fn a_path_that_never_repeats_is_bounded_and_counts_what_it_dropped() {
        let names: Vec<String> = (0..3 * PATH_KEEP).map(|i| format!("A{i}")).collect();
        let p = CompactPath::from_names(&names);
        assert_eq!(p.entries.len(), PATH_KEEP);
        assert_eq!(p.dropped, 2 * PATH_KEEP as u64);
        assert_eq!(p.total(), names.len() as u64);
        assert_eq!(expand(&p), names[2 * PATH_KEEP..].to_vec());
        assert!(p.render().starts_with("… (2000 earlier) -> A2000"));
    }
}
