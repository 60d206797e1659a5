//! Reading an HR feed: CSV with a header row, or JSON lines (one object per line).
//!
//! Invariants:
//! - The feed is user input from outside the repository: it is opened without
//!   blocking (a FIFO is refused), must be a regular file of at most
//!   [`MAX_FEED_BYTES`], and is read as a stream (never whole into memory); a row
//!   longer than [`MAX_ROW_BYTES`] is a bad row, and a JSON line is never kept
//!   past that length while it is skipped.
//! - Rows are numbered from 1 and every message about a row starts with
//!   `row N: `. CSV: the header is row 1 and each record the next row (what a
//!   spreadsheet shows; blank lines, which the csv crate skips, are not counted).
//!   JSON lines: the row is the line number.
//! - A bad row is a [`Row::Bad`]: the rows after it are read all the same. Only
//!   a feed that cannot be read at all (or a CSV header that names no usable
//!   columns) stops the command.
//! - Which column feeds which input variable is decided once ([`Columns`]): a
//!   column named like an input variable feeds it, `--map COLUMN=VARIABLE` feeds
//!   another, `--map COLUMN=` ignores a column; any other column is an error
//!   (a misspelt column would otherwise start every case without its value).

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, bail};

use crate::expr::Value;
use crate::repo::did_you_mean;

/// The largest feed read (a day's joiners are far smaller).
pub const MAX_FEED_BYTES: u64 = 256 * 1024 * 1024;
/// The longest row (all its fields together).
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// How the feed is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

/// One row of the feed, mapped onto the workflow's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub row: u64,
    /// The key column's value (`--key`).
    pub key: Option<String>,
    pub inputs: BTreeMap<String, Value>,
}

/// A row as read: good, or bad with why (its message starts with `row N: `).
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Good(FeedRow),
    Bad {
        row: u64,
        key: Option<String>,
        message: String,
    },
}

/// What the command line says about columns.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// `--map COLUMN=VARIABLE`; `None` ignores the column.
    pub map: HashMap<String, Option<String>>,
    /// `--key COLUMN`.
    pub key: Option<String>,
    /// The workflow's input variables.
    pub inputs: Vec<String>,
    /// The workflow's name, for messages.
    pub workflow: String,
}

/// What one column is for.
#[derive(Debug, Clone, PartialEq)]
enum Use {
    Input(String),
    Ignored,
    Unknown(String),
}

impl Columns {
    /// Parse `--map COLUMN=VARIABLE` arguments and check each variable is an input.
    pub fn new(
        maps: &[String],
        key: Option<String>,
        inputs: Vec<String>,
        workflow: &str,
    ) -> anyhow::Result<Columns> {
        let mut map = HashMap::new();
        for m in maps {
            let Some((column, variable)) = m.split_once('=') else {
                bail!("--map expects COLUMN=VARIABLE, got '{m}'");
            };
            if column.is_empty() {
                bail!("--map expects COLUMN=VARIABLE, got '{m}' (no column)");
            }
            let variable = variable.trim();
            if !variable.is_empty() && !inputs.iter().any(|i| i == variable) {
                bail!(
                    "--map {column}={variable}: '{variable}' is not an input variable of '{workflow}'{}",
                    did_you_mean(variable, &inputs)
                );
            }
            let target = (!variable.is_empty()).then(|| variable.to_string());
            if map.insert(column.to_string(), target).is_some() {
                bail!("--map names column '{column}' twice");
            }
        }
        Ok(Columns {
            map,
            key,
            inputs,
            workflow: workflow.to_string(),
        })
    }

    fn use_of(&self, column: &str) -> Use {
        match self.map.get(column) {
            Some(Some(v)) => Use::Input(v.clone()),
            Some(None) => Use::Ignored,
            None if self.inputs.iter().any(|i| i == column) => Use::Input(column.to_string()),
            None if self.key.as_deref() == Some(column) => Use::Ignored,
            None => Use::Unknown(format!(
                "column '{column}' is not an input variable of '{}' (map it with --map {column}=VARIABLE, or ignore it with --map {column}=){}",
                self.workflow,
                did_you_mean(column, &self.inputs)
            )),
        }
    }
}

/// The format a feed is read as: `--format`, else by extension (`.csv`;
/// `.jsonl`, `.ndjson`, `.json`), else JSON lines when its first non-blank
/// byte is `{`.
pub fn detect(path: &Path, first: &[u8]) -> Format {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("csv") => Format::Csv,
        Some("jsonl" | "ndjson" | "json") => Format::Jsonl,
        _ if first.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => Format::Jsonl,
        _ => Format::Csv,
    }
}

/// Open a feed for reading: a regular file of at most [`MAX_FEED_BYTES`],
/// opened without blocking on a FIFO. Returns the file and its size.
pub fn open(path: &Path) -> anyhow::Result<(File, u64)> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .with_context(|| format!("cannot read feed {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read feed {}", path.display()))?;
    if !meta.is_file() {
        bail!("feed {} is not a regular file", path.display());
    }
    if meta.len() > MAX_FEED_BYTES {
        bail!(
            "feed {} is {} bytes; the most bpe reads is {MAX_FEED_BYTES}",
            path.display(),
            meta.len()
        );
    }
    Ok((file, meta.len()))
}

/// Rows of a feed, one at a time.
pub struct Reader {
    inner: Inner,
    columns: Columns,
}

enum Inner {
    Csv {
        reader: csv::Reader<std::io::Take<File>>,
        /// What each header column is for.
        uses: Vec<Use>,
        headers: Vec<String>,
        key_index: Option<usize>,
        record: csv::ByteRecord,
        /// Records read, the header included: the next row's number.
        records: u64,
    },
    Jsonl {
        reader: BufReader<std::io::Take<File>>,
        line: u64,
        buf: Vec<u8>,
    },
}

impl Reader {
    /// Start reading `file`: for CSV the header is read and checked here (an
    /// unknown column, a missing `--map`/`--key` column or a repeated one stops
    /// the command, since every row would be wrong).
    pub fn new(file: File, format: Format, columns: Columns) -> anyhow::Result<Reader> {
        // A file that grows while it is read still ends at the bound.
        let file = file.take(MAX_FEED_BYTES + 1);
        let inner = match format {
            Format::Jsonl => Inner::Jsonl {
                reader: BufReader::new(file),
                line: 0,
                buf: Vec::new(),
            },
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(false)
                    .from_reader(file);
                let mut header = csv::ByteRecord::new();
                if !reader
                    .read_byte_record(&mut header)
                    .context("feed header")?
                {
                    bail!("the feed is empty: a CSV feed starts with a header row");
                }
                let headers: Vec<String> = header
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let f = f.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(f);
                        String::from_utf8(f.to_vec())
                            .map(|s| s.trim().to_string())
                            .map_err(|_| anyhow::anyhow!("row 1: column {} is not UTF-8", i + 1))
                    })
                    .collect::<anyhow::Result<_>>()?;
                let uses = check_header(&headers, &columns)?;
                let key_index = columns
                    .key
                    .as_ref()
                    .and_then(|k| headers.iter().position(|h| h == k));
                Inner::Csv {
                    reader,
                    uses,
                    headers,
                    key_index,
                    record: csv::ByteRecord::new(),
                    records: 1,
                }
            }
        };
        Ok(Reader { inner, columns })
    }

    /// The next row, `Ok(None)` at the end; `Err` when the feed cannot be read on.
    pub fn next_row(&mut self) -> anyhow::Result<Option<Row>> {
        match &mut self.inner {
            Inner::Csv {
                reader,
                uses,
                headers,
                key_index,
                record,
                records,
            } => {
                *records += 1;
                let row = *records;
                match reader.read_byte_record(record) {
                    Ok(false) => {
                        check_bound(reader.position().byte())?;
                        return Ok(None);
                    }
                    Ok(true) => {}
                    Err(e) => match e.kind() {
                        csv::ErrorKind::Io(_) => {
                            return Err(anyhow::anyhow!("cannot read the feed: {e}"));
                        }
                        _ => return Ok(Some(bad(row, None, format!("not CSV: {e}")))),
                    },
                }
                check_bound(reader.position().byte())?;
                Ok(Some(csv_row(row, record, uses, headers, *key_index)))
            }
            Inner::Jsonl { reader, line, buf } => loop {
                *line += 1;
                buf.clear();
                let n = (&mut *reader)
                    .take(MAX_ROW_BYTES as u64 + 1)
                    .read_until(b'\n', buf)
                    .context("cannot read the feed")?;
                if n == 0 {
                    return Ok(None);
                }
                if buf.len() > MAX_ROW_BYTES && buf.last() != Some(&b'\n') {
                    // Skip the rest of the line without keeping it.
                    skip_line(reader)?;
                    return Ok(Some(bad(
                        *line,
                        None,
                        format!("longer than {MAX_ROW_BYTES} bytes"),
                    )));
                }
                if buf.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                return Ok(Some(json_row(*line, buf, &self.columns)));
            },
        }
    }
}

/// Consume the rest of a line, a bounded chunk at a time.
fn skip_line(reader: &mut BufReader<std::io::Take<File>>) -> anyhow::Result<()> {
    loop {
        let chunk = reader.fill_buf().context("cannot read the feed")?;
        if chunk.is_empty() {
            return Ok(());
        }
        if let Some(i) = chunk.iter().position(|b| *b == b'\n') {
            reader.consume(i + 1);
            return Ok(());
        }
        let n = chunk.len();
        reader.consume(n);
    }
}

fn check_bound(bytes: u64) -> anyhow::Result<()> {
    if bytes > MAX_FEED_BYTES {
        bail!("the feed grew past {MAX_FEED_BYTES} bytes while it was read");
    }
    Ok(())
}

fn bad(row: u64, key: Option<String>, why: String) -> Row {
    Row::Bad {
        row,
        key,
        message: format!("row {row}: {}", crate::repo::bound_message(&why)),
    }
}

/// What each header column is for; errors name row 1.
fn check_header(headers: &[String], columns: &Columns) -> anyhow::Result<Vec<Use>> {
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            bail!("row 1: column {} has no name", i + 1);
        }
        if headers[..i].contains(h) {
            bail!("row 1: column '{h}' appears twice");
        }
    }
    let mut missing: Vec<&String> = columns
        .map
        .keys()
        .filter(|c| !headers.contains(c))
        .collect();
    missing.sort();
    if let Some(c) = missing.first() {
        bail!(
            "--map {c}=…: the feed has no column '{c}'{}",
            did_you_mean(c, headers)
        );
    }
    if let Some(k) = &columns.key
        && !headers.contains(k)
    {
        bail!(
            "--key {k}: the feed has no column '{k}'{}",
            did_you_mean(k, headers)
        );
    }
    let uses: Vec<Use> = headers.iter().map(|h| columns.use_of(h)).collect();
    let mut fed: HashMap<&str, &str> = HashMap::new();
    for (h, u) in headers.iter().zip(&uses) {
        match u {
            Use::Unknown(why) => bail!("row 1: {why}"),
            Use::Input(v) => {
                if let Some(other) = fed.insert(v, h) {
                    bail!("row 1: columns '{other}' and '{h}' both feed input '{v}'");
                }
            }
            Use::Ignored => {}
        }
    }
    Ok(uses)
}

/// A CSV cell as a value: empty is null; a cell that starts with `[` or `{` and
/// parses as JSON is that list or map; anything else is the text itself.
pub fn cell_value(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    if (text.starts_with('[') || text.starts_with('{'))
        && let Ok(j) = serde_json::from_str::<serde_json::Value>(text)
    {
        return Value::from_json(&j);
    }
    Value::Str(text.to_string())
}

fn csv_row(
    row: u64,
    record: &csv::ByteRecord,
    uses: &[Use],
    headers: &[String],
    key_index: Option<usize>,
) -> Row {
    let key = key_index
        .and_then(|i| record.get(i))
        .map(|k| String::from_utf8_lossy(k).trim().to_string());
    if record.as_slice().len() > MAX_ROW_BYTES {
        return bad(row, key, format!("longer than {MAX_ROW_BYTES} bytes"));
    }
    if record.len() != headers.len() {
        return bad(
            row,
            key,
            format!(
                "{} fields, but the header has {}",
                record.len(),
                headers.len()
            ),
        );
    }
    let mut inputs = BTreeMap::new();
    for ((field, header), u) in record.iter().zip(headers).zip(uses) {
        let Ok(text) = std::str::from_utf8(field) else {
            return bad(row, key, format!("column '{header}' is not UTF-8"));
        };
        if let Use::Input(var) = u {
            inputs.insert(var.clone(), cell_value(text));
        }
    }
    finish_row(row, key, inputs)
}

fn json_row(row: u64, line: &[u8], columns: &Columns) -> Row {
    let obj = match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(o)) => o,
        Ok(_) => return bad(row, None, "not a JSON object".to_string()),
        Err(e) => return bad(row, None, format!("not JSON: {e}")),
    };
    let key = match &columns.key {
        None => None,
        Some(k) => match obj.get(k) {
            Some(serde_json::Value::String(s)) => Some(s.trim().to_string()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(serde_json::Value::Null) | None => {
                return bad(row, None, format!("key field '{k}' is missing"));
            }
            Some(_) => {
                return bad(
                    row,
                    None,
                    format!("key field '{k}' must be a string or a number"),
                );
            }
        },
    };
    let mut inputs = BTreeMap::new();
    for (field, value) in &obj {
        match columns.use_of(field) {
            Use::Input(var) => {
                if inputs
                    .insert(var.clone(), Value::from_json(value))
                    .is_some()
                {
                    return bad(row, key, format!("two fields feed input '{var}'"));
                }
            }
            Use::Ignored => {}
            Use::Unknown(why) => return bad(row, key, why),
        }
    }
    finish_row(row, key, inputs)
}

/// The checks every row passes whatever its format: a non-empty key, values
/// within the engine's bounds.
fn finish_row(row: u64, key: Option<String>, inputs: BTreeMap<String, Value>) -> Row {
    if key.as_deref() == Some("") {
        return bad(row, key, "the key column is empty".to_string());
    }
    for (name, value) in &inputs {
        if let Err(e) = crate::engine::check_storable(value) {
            return bad(row, key, format!("input '{name}': {e}"));
        }
    }
    Row::Good(FeedRow { row, key, inputs })
}

/// Rows in a feed, counted ahead for the progress bar (CSV: records after the
/// header; JSON lines: non-blank lines). Reads the file once more; bounded like it.
pub fn count_rows(path: &Path, format: Format) -> anyhow::Result<u64> {
    let (file, _) = open(path)?;
    let file = file.take(MAX_FEED_BYTES + 1);
    match format {
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(true)
                .from_reader(file);
            let mut record = csv::ByteRecord::new();
            let mut n = 0;
            while let Ok(true) = reader.read_byte_record(&mut record) {
                n += 1;
            }
            Ok(n)
        }
        Format::Jsonl => {
            let mut reader = BufReader::new(file);
            let mut n = 0;
            let mut blank = true;
            loop {
                let chunk = reader.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                for b in chunk {
                    if *b == b'\n' {
                        n += u64::from(!blank);
                        blank = true;
                    } else if !b.is_ascii_whitespace() {
                        blank = false;
                    }
                }
                let len = chunk.len();
                reader.consume(len);
            }
            Ok(n + u64::from(!blank))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn columns(maps: &[&str], key: Option<&str>) -> Columns {
        Columns::new(
            &maps.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            key.map(str::to_string),
            vec!["firstName".into(), "lastName".into(), "roles".into()],
            "Onboard",
        )
        .unwrap()
    }

    fn rows(text: &[u8], format: Format, cols: Columns) -> anyhow::Result<Vec<Row>> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text).unwrap();
        let (file, _) = open(f.path())?;
        let mut r = Reader::new(file, format, cols)?;
        let mut out = Vec::new();
        while let Some(row) = r.next_row()? {
            out.push(row);
        }
        Ok(out)
    }

    fn message(r: &Row) -> &str {
        match r {
            Row::Bad { message, .. } => message,
            Row::Good(_) => panic!("a good row: {r:?}"),
        }
    }

    #[test]
    fn csv_rows_map_onto_inputs_with_their_line_numbers() {
        let text = b"id,firstName,surname,roles\nE1,Ada,Lovelace,\"[\"\"dev\"\"]\"\n\nE2,Alan,,x\n";
        let got = rows(
            text,
            Format::Csv,
            columns(&["surname=lastName"], Some("id")),
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        let Row::Good(a) = &got[0] else { panic!() };
        assert_eq!(a.row, 2);
        assert_eq!(a.key.as_deref(), Some("E1"));
        assert_eq!(a.inputs["lastName"], Value::Str("Lovelace".into()));
        assert_eq!(
            a.inputs["roles"],
            Value::List(vec![Value::Str("dev".into())])
        );
        assert!(!a.inputs.contains_key("id"));
        let Row::Good(b) = &got[1] else { panic!() };
        // Line 3 is blank: no row; the next record is row 3.
        assert_eq!(b.row, 3);
        assert_eq!(b.inputs["lastName"], Value::Null);
        assert_eq!(b.inputs["roles"], Value::Str("x".into()));
    }

    #[test]
    fn a_bad_csv_row_names_its_row_and_the_next_rows_still_read() {
        let text = b"id,firstName,lastName\nE1,Ada\nE2,\xff,B\n,Alan,Turing\nE4,Grace,Hopper\n";
        let got = rows(text, Format::Csv, columns(&[], Some("id"))).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(message(&got[0]), "row 2: 2 fields, but the header has 3");
        assert_eq!(message(&got[1]), "row 3: column 'firstName' is not UTF-8");
        assert_eq!(message(&got[2]), "row 4: the key column is empty");
        assert!(matches!(&got[3], Row::Good(r) if r.row == 5));
    }

    #[test]
    fn an_unknown_csv_column_stops_before_any_row_with_a_suggestion() {
        let e = rows(
            b"fristName,lastName\nA,B\n",
            Format::Csv,
            columns(&[], None),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.starts_with("row 1: column 'fristName' is not an input"),
            "{e}"
        );
        assert!(e.contains("\"firstName\""), "{e}");
        // Ignored explicitly, it is fine.
        let ok = rows(
            b"fristName,lastName\nA,B\n",
            Format::Csv,
            columns(&["fristName="], None),
        )
        .unwrap();
        assert_eq!(ok.len(), 1);
        let e = rows(b"lastName\nB\n", Format::Csv, columns(&[], Some("id")))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("--key id: the feed has no column 'id'"), "{e}");
        let e = Columns::new(&["a=lastNme".into()], None, vec!["lastName".into()], "W")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'lastNme' is not an input variable of 'W'"),
            "{e}"
        );
    }

    #[test]
    fn json_lines_rows_are_checked_one_by_one() {
        let long = format!("{{\"firstName\":\"{}\"}}\n", "x".repeat(MAX_ROW_BYTES));
        let mut text = Vec::new();
        text.extend_from_slice(b"{\"id\":\"E1\",\"firstName\":\"Ada\",\"roles\":[\"a\"]}\n");
        text.extend_from_slice(b"[1]\n");
        text.extend_from_slice(b"{\"id\":\"E3\",\"fistName\":\"A\"}\n");
        text.extend_from_slice(long.as_bytes());
        text.extend_from_slice(b"{\"firstName\":\"B\"}\n");
        text.extend_from_slice(b"\n{\"id\":7,\"lastName\":\"C\"}");
        let got = rows(&text, Format::Jsonl, columns(&[], Some("id"))).unwrap();
        assert_eq!(got.len(), 6);
        let Row::Good(a) = &got[0] else { panic!() };
        assert_eq!(a.inputs["roles"], Value::List(vec![Value::Str("a".into())]));
        assert_eq!(message(&got[1]), "row 2: not a JSON object");
        assert!(message(&got[2]).starts_with("row 3: column 'fistName'"));
        assert_eq!(
            message(&got[3]),
            format!("row 4: longer than {MAX_ROW_BYTES} bytes")
        );
        assert_eq!(message(&got[4]), "row 5: key field 'id' is missing");
        let Row::Good(f) = &got[5] else { panic!() };
        assert_eq!((f.row, f.key.as_deref()), (7, Some("7")));
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&text).unwrap();
        assert_eq!(count_rows(file.path(), Format::Jsonl).unwrap(), 6);
    }

    #[test]
    fn the_format_follows_the_extension_then_the_first_byte() {
        assert_eq!(detect(Path::new("a.csv"), b"{"), Format::Csv);
        assert_eq!(detect(Path::new("a.ndjson"), b"x"), Format::Jsonl);
        assert_eq!(detect(Path::new("feed"), b"  {\"a\":1}"), Format::Jsonl);
        assert_eq!(detect(Path::new("feed"), b"a,b"), Format::Csv);
    }

    #[test]
    fn a_fifo_or_directory_is_not_a_feed() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let e = open(&fifo).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
