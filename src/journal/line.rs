//! Reading the journal fast, for counting: each line parsed into a flat,
//! borrowing [`Line`] (no tag dispatch, no copies of unescaped text), and the
//! month files read in parallel, one worker per core, each folding its lines
//! into its own partial result.
//!
//! Invariant: a line [`visit_lines`] hands on is exactly one [`super::Record`]
//! would accept (same `v`, same `at`, same required fields per event); the rest
//! are reported as bad lines, in file order, like [`super::visit`] does.

use std::borrow::Cow;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{BadLine, VERSION, month_files, month_overlaps, parse_time, read_raw};

/// What happened, as a type (the `event` of a line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventKind {
    CaseStarted,
    WorkItemCreated,
    WorkItemCompleted,
    WorkItemForwarded,
    WorkItemTimedOut,
    SodViolation,
    CaseEnded,
}

/// The workflow of a line, borrowed.
#[derive(Debug, Deserialize)]
pub struct LineWorkflow<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

/// One journal line as the report reads it: the fields it counts, borrowed from
/// the line where no escape had to be undone. Fields a kind of event does not have
/// are `None`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line<'a> {
    pub v: u32,
    #[serde(borrow)]
    pub at: Cow<'a, str>,
    #[serde(borrow)]
    pub instance: Cow<'a, str>,
    #[serde(borrow)]
    pub workflow: LineWorkflow<'a>,
    pub event: EventKind,
    #[serde(borrow, default)]
    pub owner: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub activity: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub action: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub decision: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub created: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub reason: Option<Cow<'a, str>>,
    #[serde(default)]
    pub duration_ms: Option<i64>,
    #[serde(borrow, default)]
    pub activities: Option<Vec<Cow<'a, str>>>,
}

impl Line<'_> {
    /// What a [`super::Record`] of this kind requires but the line lacks.
    fn missing(&self) -> Option<&'static str> {
        let need: &[(&'static str, bool)] = match self.event {
            EventKind::CaseStarted => &[("owner", self.owner.is_some())],
            EventKind::WorkItemCreated => &[
                ("owner", self.owner.is_some()),
                ("activity", self.activity.is_some()),
                ("action", self.action.is_some()),
            ],
            EventKind::WorkItemCompleted => &[
                ("owner", self.owner.is_some()),
                ("activity", self.activity.is_some()),
                ("action", self.action.is_some()),
                ("decision", self.decision.is_some()),
                ("created", self.created.is_some()),
            ],
            EventKind::WorkItemTimedOut => &[
                ("owner", self.owner.is_some()),
                ("activity", self.activity.is_some()),
                ("action", self.action.is_some()),
                ("created", self.created.is_some()),
            ],
            EventKind::CaseEnded => &[
                ("status", self.status.is_some()),
                ("durationMs", self.duration_ms.is_some()),
            ],
            EventKind::WorkItemForwarded | EventKind::SodViolation => &[],
        };
        need.iter().find(|(_, ok)| !ok).map(|(name, _)| *name)
    }
}

/// Fold every line in `[since, until)` (either end open) of the month files
/// that overlap the period into partial results, the months split into as many
/// consecutive runs as there are cores, each run read by its own thread with a
/// partial made by `init`. Returns the partials in month order and the bad lines
/// (with their `file:line`) in file order.
pub fn visit_lines<P: Send>(
    root: &Path,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    init: impl Fn() -> P + Sync,
    fold: impl Fn(&mut P, Line<'_>, DateTime<Utc>) + Sync,
) -> std::io::Result<(Vec<P>, Vec<BadLine>)> {
    let files: Vec<_> = month_files(root)?
        .into_iter()
        .filter(|(y, m, _)| month_overlaps(*y, *m, since, until))
        .map(|(_, _, rel)| rel)
        .collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, files.len().max(1));
    let per = files.len().div_ceil(workers).max(1);
    let results: Vec<std::io::Result<(P, Vec<BadLine>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per)
            .map(|chunk| {
                let (init, fold) = (&init, &fold);
                scope.spawn(move || -> std::io::Result<(P, Vec<BadLine>)> {
                    let mut partial = init();
                    let mut bad = Vec::new();
                    for rel in chunk {
                        let path = crate::repo::confine::resolve(root, rel)?;
                        let file = crate::repo::confine::open_regular_file(&path)?;
                        read_raw(file, rel, &mut bad, |text, report| {
                            let line = match serde_json::from_slice::<Line<'_>>(text) {
                                Ok(l) => l,
                                Err(e) => return report(format!("column {}: {e}", e.column())),
                            };
                            let Some(t) = parse_time(&line.at) else {
                                return report(format!("'at' is not a time: {}", line.at));
                            };
                            if line.v > VERSION {
                                return report(format!(
                                    "line format {} is newer than this bpe reads ({VERSION})",
                                    line.v
                                ));
                            }
                            if let Some(field) = line.missing() {
                                return report(format!("missing field `{field}`"));
                            }
                            if since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u) {
                                fold(&mut partial, line, t);
                            }
                        })?;
                    }
                    Ok((partial, bad))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a journal reader panicked")))
            })
            .collect()
    });
    let mut partials = Vec::with_capacity(results.len());
    let mut bad = Vec::new();
    for r in results {
        let (p, b) = r?;
        partials.push(p);
        bad.extend(b);
    }
    if partials.is_empty() {
        partials.push(init());
    }
    Ok((partials, bad))
}
