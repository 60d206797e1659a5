//! What `bpe launch` says when it ends: one result per feed row, grouped by
//! outcome, as a table or as JSON. Every value that came from the feed or the
//! repository reaches the terminal through `model::escape_name`.

use std::io::Write;

use serde::Serialize;

use crate::model::escape_name;

/// How a row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Completed,
    Suspended,
    Terminated,
    /// A bad row, a case that could not start, or a case that failed.
    Failed,
    /// Its key was launched before (see `record.rs`).
    Skipped,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Completed,
        Outcome::Suspended,
        Outcome::Terminated,
        Outcome::Failed,
        Outcome::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Suspended => "suspended",
            Outcome::Terminated => "terminated",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// A work item a suspended case created.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiting {
    pub id: String,
    pub owner: String,
    pub activity: String,
}

/// The result of one feed row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowResult {
    pub row: u64,
    pub key: Option<String>,
    pub outcome: Outcome,
    /// Whether this launch started a case for the row.
    pub launched: bool,
    /// The case: started now, or (skipped) by an earlier launch.
    pub instance: Option<String>,
    pub work_items: Vec<Waiting>,
    /// Why it failed, was skipped or terminated.
    pub reason: Option<String>,
}

impl RowResult {
    /// A row that started no case.
    pub fn not_launched(row: u64, key: Option<String>, outcome: Outcome, reason: String) -> Self {
        RowResult {
            row,
            key,
            outcome,
            launched: false,
            instance: None,
            work_items: Vec::new(),
            reason: Some(reason),
        }
    }
}

/// The whole launch.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub workflow: String,
    pub feed: String,
    pub dry_run: bool,
    pub rows: usize,
    pub launched: usize,
    pub counts: std::collections::BTreeMap<&'static str, usize>,
    pub results: Vec<RowResult>,
}

impl Summary {
    /// Results sorted by row, counted per outcome.
    pub fn new(workflow: &str, feed: &str, dry_run: bool, mut results: Vec<RowResult>) -> Self {
        results.sort_by_key(|r| r.row);
        let counts = Outcome::ALL
            .iter()
            .map(|o| {
                (
                    o.as_str(),
                    results.iter().filter(|r| r.outcome == *o).count(),
                )
            })
            .collect();
        Summary {
            workflow: workflow.to_string(),
            feed: feed.to_string(),
            dry_run,
            rows: results.len(),
            launched: results.iter().filter(|r| r.launched).count(),
            counts,
            results,
        }
    }

    pub fn failed(&self) -> usize {
        self.counts.get("failed").copied().unwrap_or(0)
    }

    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if json {
            serde_json::to_writer_pretty(&mut out, self)?;
            writeln!(out)?;
        } else {
            self.table(&mut out)?;
        }
        out.flush()?;
        Ok(())
    }

    /// A heading, then one section per outcome that has rows: `row`, `key`,
    /// `instance` columns and what there is to say (work items, reason).
    fn table(&self, out: &mut impl Write) -> std::io::Result<()> {
        let counts: Vec<String> = Outcome::ALL
            .iter()
            .filter_map(|o| {
                let n = self.counts[o.as_str()];
                (n > 0).then(|| format!("{n} {}", o.as_str()))
            })
            .collect();
        writeln!(
            out,
            "{}{} from {}: {} rows, {} launched{}{}",
            if self.dry_run { "dry run: " } else { "" },
            escape_name(&self.workflow),
            escape_name(&self.feed),
            self.rows,
            self.launched,
            if counts.is_empty() { "" } else { " — " },
            counts.join(", ")
        )?;
        let key_width = self
            .results
            .iter()
            .map(|r| {
                r.key
                    .as_deref()
                    .map_or(1, |k| escape_name(k).chars().count())
            })
            .max()
            .unwrap_or(1)
            .clamp(3, 24);
        for outcome in Outcome::ALL {
            let rows: Vec<&RowResult> = self
                .results
                .iter()
                .filter(|r| r.outcome == outcome)
                .collect();
            if rows.is_empty() {
                continue;
            }
            writeln!(out, "\n{} ({}):", outcome.as_str(), rows.len())?;
            writeln!(
                out,
                "  {:>6}  {:<key_width$}  {:<20}  detail",
                "row", "key", "instance"
            )?;
            for r in rows {
                let key = r.key.as_deref().map_or("-".into(), escape_name);
                let instance = r.instance.as_deref().map_or("-".into(), escape_name);
                writeln!(
                    out,
                    "  {:>6}  {:<key_width$}  {:<20}  {}",
                    r.row,
                    key,
                    instance,
                    detail(r)
                )?;
            }
        }
        Ok(())
    }
}

fn detail(r: &RowResult) -> String {
    let mut parts: Vec<String> = r
        .work_items
        .iter()
        .map(|w| {
            format!(
                "waiting: {} for {} at '{}'",
                escape_name(&w.id),
                escape_name(&w.owner),
                escape_name(&w.activity)
            )
        })
        .collect();
    if let Some(reason) = &r.reason {
        parts.push(escape_name(reason).into_owned());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_groups_rows_by_outcome_and_escapes_feed_values() {
        let results = vec![
            RowResult::not_launched(
                3,
                Some("E\u{1b}[2J".into()),
                Outcome::Failed,
                "row 3: 2 fields, but the header has 3".into(),
            ),
            RowResult {
                row: 2,
                key: Some("E1".into()),
                outcome: Outcome::Suspended,
                launched: true,
                instance: Some("ti-1".into()),
                work_items: vec![Waiting {
                    id: "wi-1".into(),
                    owner: "jsmith".into(),
                    activity: "Manager Approval".into(),
                }],
                reason: None,
            },
        ];
        let s = Summary::new("Onboard Employee", "joiners.csv", false, results);
        assert_eq!(s.failed(), 1);
        assert_eq!(s.launched, 1);
        let mut out = Vec::new();
        s.table(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.starts_with(
            "Onboard Employee from joiners.csv: 2 rows, 1 launched — 1 suspended, 1 failed\n"
        ));
        let suspended = text.find("suspended (1):").unwrap();
        let failed = text.find("failed (1):").unwrap();
        assert!(suspended < failed);
        assert!(text.contains("waiting: wi-1 for jsmith at 'Manager Approval'"));
        assert!(text.contains("E\\u{1b}[2J"), "{text}");
    }
}
