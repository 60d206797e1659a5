//! The case journal: what happened to every case, as JSON lines under
//! `journal/YYYY-MM.jsonl` in the repository (one file per UTC month of the
//! event), kept whatever `resultLimit` removes. `bpe report` reads it.
//!
//! Invariants:
//! - One event is one line, appended with a single `write` on a file opened
//!   `O_APPEND` inside the repository boundary (`repo::confine::append`): lines of
//!   concurrent writers never interleave, and a reader sees whole lines or a torn
//!   last line it skips, never a mix.
//! - A line is at most [`MAX_LINE`] bytes: a case's output values that would make
//!   it longer are replaced by a note saying so.
//! - Dry runs write nothing here (the engine and the services only journal what
//!   they apply).
//! - Reading never fails on a bad line: it is skipped and reported with its
//!   file and line number; a file larger than the reader's budget is refused
//!   with a clear error instead of being read into memory (it is streamed).
//!
//! The format is documented in docs/format.md ("Case journal") with a JSON Schema
//! (`docs/journal.schema.json`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::model::DefinitionRef;

/// The journal directory, relative to the repository root.
pub const DIR: &str = "journal";
/// The longest line written or read.
pub const MAX_LINE: usize = 256 * 1024;
/// The version of the line format.
pub const VERSION: u32 = 1;

/// Which workflow an event belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    pub id: String,
    pub name: String,
}

impl From<&DefinitionRef> for Workflow {
    fn from(d: &DefinitionRef) -> Self {
        Workflow {
            id: d.id.clone(),
            name: d.name.clone(),
        }
    }
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Line format version ([`VERSION`]).
    pub v: u32,
    /// When it happened (RFC 3339, UTC).
    pub at: String,
    pub instance: String,
    pub workflow: Workflow,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum Event {
    /// A case was started (not in a dry run).
    #[serde(rename_all = "camelCase")]
    CaseStarted { owner: String },
    /// A manual action created a work item.
    #[serde(rename_all = "camelCase")]
    WorkItemCreated {
        item: String,
        owner: String,
        activity: String,
        /// The manual action's name ("" when it has none).
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_at: Option<String>,
    },
    /// Somebody completed a work item.
    #[serde(rename_all = "camelCase")]
    WorkItemCompleted {
        item: String,
        owner: String,
        activity: String,
        action: String,
        /// `approve`, `reject`, or whatever the form set; "" when none.
        decision: String,
        /// When the item was created (so latency needs no other line).
        created: String,
        /// Who completed it (the OS user running bpe).
        by: String,
    },
    /// A work item was given to another owner.
    #[serde(rename_all = "camelCase")]
    WorkItemForwarded {
        item: String,
        from: String,
        to: String,
        activity: String,
        action: String,
    },
    /// A work item's timeout passed: its action ended with `WF_ACTION_TIMEOUT`.
    #[serde(rename_all = "camelCase")]
    WorkItemTimedOut {
        item: String,
        owner: String,
        activity: String,
        action: String,
        created: String,
    },
    /// A segregation-of-duties check found conflicts.
    #[serde(rename_all = "camelCase")]
    SodViolation {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        account: String,
        violations: Vec<String>,
    },
    /// A case stopped for good.
    #[serde(rename_all = "camelCase")]
    CaseEnded {
        /// `completed`, `terminated` or `failed`.
        status: String,
        steps: i64,
        /// From the case's start (RFC 3339).
        started: String,
        duration_ms: i64,
        /// Where the case stood when it ended (failures are counted per activity).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        activities: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The variables the definition marks `output`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        outputs: BTreeMap<String, serde_json::Value>,
    },
}

impl Event {
    /// The event's name as it appears in the line.
    pub fn name(&self) -> &'static str {
        match self {
            Event::CaseStarted { .. } => "caseStarted",
            Event::WorkItemCreated { .. } => "workItemCreated",
            Event::WorkItemCompleted { .. } => "workItemCompleted",
            Event::WorkItemForwarded { .. } => "workItemForwarded",
            Event::WorkItemTimedOut { .. } => "workItemTimedOut",
            Event::SodViolation { .. } => "sodViolation",
            Event::CaseEnded { .. } => "caseEnded",
        }
    }
}

impl Record {
    pub fn new(at: DateTime<Utc>, instance: &str, workflow: Workflow, event: Event) -> Record {
        Record {
            v: VERSION,
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            instance: instance.to_string(),
            workflow,
            event,
        }
    }

    /// `at` parsed (records with an unparsable `at` are rejected when read).
    pub fn time(&self) -> Option<DateTime<Utc>> {
        parse_time(&self.at)
    }

    /// The journal file this record belongs in, relative to the root.
    pub fn file(&self) -> PathBuf {
        let t = self.time().unwrap_or_else(Utc::now);
        month_file(t)
    }

    /// The line to append (with its newline). Output values that would make it
    /// longer than [`MAX_LINE`] are replaced by a note.
    pub fn line(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).unwrap_or_default();
        if bytes.len() >= MAX_LINE
            && let Event::CaseEnded { outputs, .. } = &self.event
            && !outputs.is_empty()
        {
            let mut slim = self.clone();
            if let Event::CaseEnded { outputs, .. } = &mut slim.event {
                let names: Vec<String> = outputs.keys().cloned().collect();
                outputs.clear();
                outputs.insert(
                    "_omitted".into(),
                    serde_json::Value::String(format!(
                        "outputs {} too large for the journal",
                        names.join(", ")
                    )),
                );
            }
            bytes = serde_json::to_vec(&slim).unwrap_or_default();
        }
        bytes.push(b'\n');
        bytes
    }
}

/// `journal/YYYY-MM.jsonl` for a moment.
pub fn month_file(t: DateTime<Utc>) -> PathBuf {
    Path::new(DIR).join(format!("{:04}-{:02}.jsonl", t.year(), t.month()))
}

/// Parse an RFC 3339 time to UTC.
///
/// The form bpe writes (`2026-11-30T14:52:52.541Z`, with or without the
/// milliseconds) is read directly; any other RFC 3339 form through chrono.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    parse_utc_fast(s.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.mmm]Z`, or `None` for anything else.
fn parse_utc_fast(b: &[u8]) -> Option<DateTime<Utc>> {
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let ms = match b.len() {
        20 => 0,
        24 if b[19] == b'.' => num(20..23)?,
        _ => return None,
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if *b.last()? != b'Z' {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = date.and_hms_milli_opt(num(11..13)?, num(14..16)?, num(17..19)?, ms)?;
    Some(time.and_utc())
}

/// Append one record to its month's file inside `root`.
pub fn append(root: &Path, record: &Record) -> std::io::Result<()> {
    crate::repo::confine::append(root, &record.file(), &record.line())
}

/// A line that could not be read, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLine {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// What [`read`] found.
#[derive(Debug, Default)]
pub struct Journal {
    /// Records in file order (months ascending, lines in order).
    pub records: Vec<Record>,
    /// Lines skipped, with their position.
    pub bad: Vec<BadLine>,
}

/// Read every record in `[since, until)` (either end open) into memory; see [`visit`].
pub fn read(
    root: &Path,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> std::io::Result<Journal> {
    let mut records = Vec::new();
    let bad = visit(root, since, until, |r| records.push(r))?;
    Ok(Journal { records, bad })
}

/// Hand every record in `[since, until)` (either end open) to `f`, in order
/// (months ascending, lines in order), reading only the month files that overlap
/// the period. Lines are streamed, each at most [`MAX_LINE`] bytes; a longer or
/// unparsable line, or one whose `at` is not a time, is skipped and returned with
/// its position.
pub fn visit(
    root: &Path,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    mut f: impl FnMut(Record),
) -> std::io::Result<Vec<BadLine>> {
    let mut bad = Vec::new();
    for (y, m, rel) in month_files(root)? {
        if !month_overlaps(y, m, since, until) {
            continue;
        }
        let path = crate::repo::confine::resolve(root, &rel)?;
        let file = crate::repo::confine::open_regular_file(&path)?;
        read_lines(file, &rel, &mut bad, |r| {
            if let Some(t) = r.time()
                && since.is_none_or(|s| t >= s)
                && until.is_none_or(|u| t < u)
            {
                f(r)
            }
        })?;
    }
    Ok(bad)
}

/// The month files under `journal/`, oldest first.
pub(crate) fn month_files(root: &Path) -> std::io::Result<Vec<(i32, u32, PathBuf)>> {
    let dir = Path::new(DIR);
    let resolved = match crate::repo::confine::resolve(root, dir) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let entries = match std::fs::read_dir(&resolved) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut months = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some((y, m)) = parse_month_name(&name) {
            months.push((y, m, dir.join(name)));
        }
    }
    months.sort();
    Ok(months)
}

/// When the journal begins: the time of the first readable line of its oldest
/// month file (`None` for an empty or missing journal). Lines are appended as
/// things happen, so that is its earliest record to within a writer's delay.
pub fn first_time(root: &Path) -> std::io::Result<Option<DateTime<Utc>>> {
    for (_, _, rel) in month_files(root)? {
        let path = crate::repo::confine::resolve(root, &rel)?;
        let file = crate::repo::confine::open_regular_file(&path)?;
        let mut first = None;
        let mut bad = Vec::new();
        read_raw(file, &rel, &mut bad, |text, _| {
            if first.is_none()
                && let Ok(line) = serde_json::from_slice::<Line<'_>>(text)
            {
                first = parse_time(&line.at);
            }
        })?;
        if first.is_some() {
            return Ok(first);
        }
    }
    Ok(None)
}

fn read_lines(
    file: std::fs::File,
    rel: &Path,
    bad_lines: &mut Vec<BadLine>,
    mut f: impl FnMut(Record),
) -> std::io::Result<()> {
    read_raw(
        file,
        rel,
        bad_lines,
        |text, bad| match serde_json::from_slice::<Record>(text) {
            Ok(r) if r.time().is_none() => bad(format!("'at' is not a time: {}", r.at)),
            Ok(r) if r.v > VERSION => bad(format!(
                "line format {} is newer than this bpe reads ({VERSION})",
                r.v
            )),
            Ok(r) => f(r),
            Err(e) => bad(format!("column {}: {e}", e.column())),
        },
    )
}

/// Hand every non-blank line of `file` (without its newline) to `f`, with a way
/// to report it bad. Lines longer than [`MAX_LINE`] and a torn last line are
/// reported here; their bytes are never handed on.
pub(crate) fn read_raw(
    file: std::fs::File,
    rel: &Path,
    bad_lines: &mut Vec<BadLine>,
    mut f: impl FnMut(&[u8], &mut dyn FnMut(String)),
) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        buf.clear();
        n += 1;
        // Read at most MAX_LINE + 1 bytes of this line; drain the rest of a longer one.
        let got = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if got == 0 {
            break;
        }
        let mut bad = |message: String| {
            bad_lines.push(BadLine {
                file: rel.to_path_buf(),
                line: n,
                message,
            })
        };
        if buf.last() != Some(&b'\n') {
            if buf.len() > MAX_LINE {
                let mut skip = Vec::new();
                reader.read_until(b'\n', &mut skip)?;
                bad(format!("line longer than {MAX_LINE} bytes"));
                continue;
            }
            // A torn last line (a writer killed mid-write, or one writing now).
            bad("incomplete last line".into());
            break;
        }
        let text = &buf[..buf.len() - 1];
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        f(text, &mut bad);
    }
    Ok(())
}

/// `2026-11.jsonl` -> (2026, 11).
fn parse_month_name(name: &str) -> Option<(i32, u32)> {
    let stem = name.strip_suffix(".jsonl")?;
    let (y, m) = stem.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some((y, m))
}

pub(crate) fn month_overlaps(
    y: i32,
    m: u32,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> bool {
    let key = y * 12 + m as i32;
    let month_of = |t: DateTime<Utc>| t.year() * 12 + t.month() as i32;
    since.is_none_or(|s| key >= month_of(s)) && until.is_none_or(|u| key <= month_of(u))
}

mod line;
pub use line::{EventKind, Line, visit_lines};

#[cfg(test)]
mod tests;
