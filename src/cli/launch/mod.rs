//! `bpe launch REPO NAME --from FEED`: one case of a workflow per row of an HR
//! feed (CSV or JSON lines), run by parallel workers.
//!
//! - The feed is read as a stream ([`feed`]); its columns are checked once
//!   against the workflow's input variables, and each row on its own: a bad row
//!   is reported (`row N: …`) and never stops the others.
//! - With `--key COLUMN` a launch is idempotent: each key starts one case, ever
//!   ([`record`]); a key launched before is skipped, a key repeated in the feed
//!   is a bad row (the first row wins).
//! - Each case goes through `store::begin_in` and `store::drive`, the path
//!   `bpe run` takes (run lock, instance lock, instance written before the first
//!   step, work items written); each worker keeps one catalog for its cases, so
//!   the repository is read once, and the services of every case share one
//!   read cache of `User/`, `Role/`, `Policy/` and `EmailTemplate/`
//!   (`services::read_cache`: a snapshot is used only while its directory is
//!   unchanged, and the launch's own writes drop it).
//! - Each worker's writes form a group commit (`repo::group_commit`): files are
//!   fsynced before their rename as always, directory and appended-line syncs are
//!   done once per [`GROUP_ROWS`] rows, and a row is reported only once its
//!   commit succeeded. The key record's appends share their syncs
//!   ([`record::Appender`]).
//! - `execMode: async` definitions run in the launch's own workers like the
//!   others: the launch already runs apart from whoever asked for it.
//! - A progress bar goes to stderr only when stderr is a terminal; the summary
//!   ([`report`]) goes to stdout. Exit 1 when any row failed, 2 when the launch
//!   could not run at all.

pub mod feed;
pub mod record;
pub mod report;

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Seek};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, mpsc};

use anyhow::Context;

use super::open_repository;
use crate::engine::store::{self, RepoCatalog, RunOptions, StoreError};
use crate::model::{InstanceStatus, TaskDefinition};
use crate::repo::Repository;
use crate::repo::group_commit::{Deferral, GroupCommit};
use crate::services::ReadCache;
use feed::{Columns, FeedRow, Format, Row};
use record::{Entry, Record};
use report::{Outcome, RowResult, Summary, Waiting};

/// The most workers `--jobs` may ask for.
pub const MAX_JOBS: usize = 64;
/// Rows a worker runs between two group commits (see [`Launch::worker`]).
pub const GROUP_ROWS: usize = 32;
/// Directories whose files a case writes, its first instance write included, wait
/// for one sync round at the case's end (`repo::group_commit`, deferred renames).
pub const DEFERRED_DIRS: &[&str] = &["TaskInstance", "WorkItem", "Outbox"];
/// Directories whose files' appended lines (the case's journal lines) wait for that
/// round too, after its renames. Any other write of the case (a user saved, an audit
/// line, a command run) makes the round happen first.
pub const DEFERRED_APPENDS: &[&str] = &["journal"];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskDefinition name (exact).
    pub name: String,
    /// The feed: CSV with a header row, or JSON lines (one object per line).
    #[arg(long = "from", value_name = "FEED")]
    pub from: PathBuf,
    /// Feed COLUMN into input VARIABLE (`--map COLUMN=` ignores the column).
    /// A column named like an input variable feeds it without a map.
    #[arg(long = "map", value_name = "COLUMN=VARIABLE")]
    pub map: Vec<String>,
    /// A column that identifies a row (an employee number): each key starts one
    /// case, ever; re-running the feed skips the keys launched before.
    #[arg(long, value_name = "COLUMN")]
    pub key: Option<String>,
    /// Cases run at once (default: 4 per core, at most 64).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// The feed's format (default: by extension, else by its first byte).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Run every row with every side effect recorded, not applied; nothing is written.
    #[arg(long)]
    pub dry_run: bool,
    /// Allow command actions (the repository must enable them too).
    #[arg(long)]
    pub allow_commands: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = open_repository(&args.repo)?;
    let def = super::find_definition(&repo, &args.name)?.value.clone();
    let columns = Columns::new(&args.map, args.key.clone(), input_names(&def), &def.name)?;
    let (mut file, _) = feed::open(&args.from)?;
    let format = match args.format {
        Some(f) => f,
        None => {
            let mut first = [0u8; 256];
            let n = file.read(&mut first).context("cannot read the feed")?;
            file.rewind().context("cannot read the feed")?;
            feed::detect(&args.from, &first[..n])
        }
    };
    let mut reader = feed::Reader::new(file, format, columns)
        .with_context(|| format!("feed {}", args.from.display()))?;
    let record = match &args.key {
        Some(_) => Some(Record::open(&args.repo, &def.id, args.dry_run)?),
        None => None,
    };
    let bar = progress_bar(&args.from, format);
    let jobs = args
        .jobs
        .unwrap_or_else(|| 4 * std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, MAX_JOBS);
    let launch = Launch {
        root: &args.repo,
        name: &def.name,
        base: catalog_base(repo),
        dry_run: args.dry_run,
        allow_commands: args.allow_commands,
        record: Mutex::new(record),
        appender: record::Appender::default(),
        results: Mutex::new(Vec::new()),
        bar: &bar,
        reads: Arc::new(ReadCache::new()),
    };
    let fed = launch.run(&mut reader, jobs);
    bar.finish_and_clear();
    let record = launch
        .record
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(r) = &record
        && !args.dry_run
    {
        r.save()?;
    }
    fed?;
    let results = launch
        .results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    let summary = Summary::new(
        &def.name,
        &args.from.display().to_string(),
        args.dry_run,
        results,
    );
    summary.print(args.json)?;
    Ok(if summary.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The workflow's input variables (process level, `input: true`).
fn input_names(def: &TaskDefinition) -> Vec<String> {
    def.process
        .variables
        .iter()
        .filter(|v| v.input)
        .map(|v| v.name.clone())
        .collect()
}

/// What each worker's catalog needs of the repository: its definitions, rules
/// and settings, without the instances and work items (which a launch adds to).
fn catalog_base(mut repo: Repository) -> Repository {
    repo.instances = Vec::new();
    repo.work_items = Vec::new();
    repo
}

/// A bar on stderr when it is a terminal, over the feed's row count; hidden otherwise.
fn progress_bar(path: &Path, format: Format) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let total = feed::count_rows(path, format).unwrap_or(0);
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} rows  {per_sec}  eta {eta}  {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// One launch in progress: what the workers share.
struct Launch<'a> {
    root: &'a Path,
    name: &'a str,
    base: Repository,
    dry_run: bool,
    allow_commands: bool,
    /// The key record (`--key`), under this mutex in the process and its own
    /// lock between processes.
    record: Mutex<Option<Record>>,
    /// Appends to the record, their syncs shared by the workers.
    appender: record::Appender,
    results: Mutex<Vec<RowResult>>,
    bar: &'a indicatif::ProgressBar,
    /// The services' reads of `User/`, `Role/`, `Policy/`, `EmailTemplate/`,
    /// shared by every case of the launch (`services::read_cache`).
    reads: Arc<ReadCache>,
}

impl Launch<'_> {
    /// Read the feed on this thread and hand good rows to `jobs` workers.
    /// Returns when every row has its result, or the feed could not be read on
    /// (the rows read before still ran).
    fn run(&self, reader: &mut feed::Reader, jobs: usize) -> anyhow::Result<()> {
        let (tx, rx) = mpsc::sync_channel::<FeedRow>(jobs * 2);
        let rx = Mutex::new(rx);
        std::thread::scope(|s| {
            for _ in 0..jobs {
                s.spawn(|| self.worker(&rx));
            }
            let mut seen: HashMap<String, u64> = HashMap::new();
            let read = loop {
                let row = match reader.next_row() {
                    Ok(Some(row)) => row,
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                };
                match row {
                    Row::Bad { row, key, message } => {
                        self.done(RowResult::not_launched(row, key, Outcome::Failed, message));
                    }
                    Row::Good(row) => {
                        if let Some(result) = self.claim(&row, &mut seen) {
                            self.done(result);
                        } else if tx.send(row).is_err() {
                            break Ok(());
                        }
                    }
                }
            };
            drop(tx);
            read
        })
    }

    /// `None` when the row is to run; else its result (skipped: launched before;
    /// failed: its key repeats an earlier row of this feed).
    fn claim(&self, row: &FeedRow, seen: &mut HashMap<String, u64>) -> Option<RowResult> {
        let key = row.key.as_ref()?;
        if let Some(first) = seen.get(key) {
            return Some(RowResult::not_launched(
                row.row,
                Some(key.clone()),
                Outcome::Failed,
                format!(
                    "row {}: key '{}' repeats row {first}",
                    row.row,
                    crate::repo::bound_message(key)
                ),
            ));
        }
        seen.insert(key.clone(), row.row);
        let record = lock(&self.record);
        let earlier = record.as_ref()?.get(key)?;
        Some(RowResult {
            row: row.row,
            key: Some(key.clone()),
            outcome: Outcome::Skipped,
            launched: false,
            instance: Some(earlier.instance.clone()),
            work_items: Vec::new(),
            reason: Some(format!(
                "launched before (row {}, {})",
                earlier.row, earlier.status
            )),
        })
    }

    fn done(&self, result: RowResult) {
        lock(&self.results).push(result);
        self.bar.inc(1);
    }

    /// Run rows until the feed is done, with one catalog for all of them. A
    /// panic in one case (a bug) fails that row only; the worker goes on with a
    /// fresh catalog.
    ///
    /// The worker's writes are grouped ([`GroupCommit`]): its cases' directories
    /// and appended files are synced once per [`GROUP_ROWS`] rows (or when no row
    /// waits), and a row's result is reported only after that commit.
    fn worker(&self, rx: &Mutex<mpsc::Receiver<FeedRow>>) {
        let mut catalog = self.catalog();
        let group = GroupCommit::begin();
        // Resolved once for all the worker's cases; none in a dry run (no writes).
        let deferral = match self.dry_run {
            true => None,
            false => Deferral::new(self.root, DEFERRED_DIRS, DEFERRED_APPENDS).ok(),
        };
        let mut uncommitted: Vec<RowResult> = Vec::new();
        loop {
            if uncommitted.len() >= GROUP_ROWS {
                self.commit(&group, &mut uncommitted);
            }
            let next = lock(rx).try_recv();
            let row = match next {
                Ok(row) => row,
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) => {
                    // No row waits: make the finished ones durable before waiting.
                    self.commit(&group, &mut uncommitted);
                    match lock(rx).recv() {
                        Ok(row) => row,
                        Err(_) => break,
                    }
                }
            };
            let run = std::panic::AssertUnwindSafe(|| {
                self.launch_row(&mut catalog, &group, deferral.as_ref(), &row)
            });
            let result = std::panic::catch_unwind(run).unwrap_or_else(|_| {
                // What the case wrote becomes visible, as without deferral; the
                // next case's first write is not deferred.
                let _ = group.end_deferring();
                catalog = self.catalog();
                RowResult::not_launched(
                    row.row,
                    row.key.clone(),
                    Outcome::Failed,
                    format!("row {}: internal error (bpe panicked, see above)", row.row),
                )
            });
            uncommitted.push(result);
        }
        self.commit(&group, &mut uncommitted);
    }

    /// Sync what the rows in `uncommitted` wrote, then report them. A launched
    /// row whose writes could not be synced fails (its files exist, but a power
    /// failure could take them).
    fn commit(&self, group: &GroupCommit, uncommitted: &mut Vec<RowResult>) {
        if uncommitted.is_empty() {
            return;
        }
        if let Err(e) = group.commit() {
            for r in uncommitted.iter_mut().filter(|r| r.launched) {
                r.outcome = Outcome::Failed;
                r.reason = Some(format!(
                    "row {}: its case was written but not synced to disk: {}",
                    r.row,
                    crate::repo::bound_message(&e.to_string())
                ));
            }
        }
        for r in uncommitted.drain(..) {
            self.done(r);
        }
    }

    fn catalog(&self) -> RepoCatalog {
        let catalog = RepoCatalog::new(self.base.clone(), "bpe launch");
        if self.dry_run {
            catalog.without_cache_writes()
        } else {
            catalog
        }
    }

    /// Start and drive the case of one row.
    fn launch_row(
        &self,
        catalog: &mut RepoCatalog,
        group: &GroupCommit,
        deferral: Option<&Deferral>,
        row: &FeedRow,
    ) -> RowResult {
        let opts = RunOptions {
            purpose: "bpe launch".to_string(),
            dry_run: self.dry_run,
            ..Default::default()
        };
        let mut services = super::run::services_for(&self.base, self.dry_run, self.allow_commands)
            .with_read_cache(self.reads.clone());
        let failed = |instance: Option<String>, why: String| RowResult {
            launched: instance.is_some(),
            instance,
            ..RowResult::not_launched(
                row.row,
                row.key.clone(),
                Outcome::Failed,
                format!("row {}: {}", row.row, crate::repo::bound_message(&why)),
            )
        };
        // From its first write to its end, the case's files and journal lines wait
        // for one round (see `repo::group_commit`, deferred renames), made before its
        // instance lock is freed: a kill before it leaves nothing of the case but its
        // key `starting`, which the next launch forgets and launches again.
        if let Some(d) = deferral {
            group.defer(d);
        }
        let mut instance = String::new();
        let begun = store::begin_in(catalog, self.name, &row.inputs, &opts, |case| {
            instance = case.id().to_string();
            self.record_start(row, case.id())
        });
        let (case, guard) = match begun {
            Ok(b) => b,
            Err(e) => {
                let why = match group.end_deferring() {
                    Ok(()) => e.to_string(),
                    Err(f) => format!("{e}; {f}"),
                };
                return failed(None, why);
            }
        };
        let driven = store::drive(self.root, case, catalog, &mut services, guard.as_ref());
        let flushed = group.end_deferring();
        drop(guard);
        let report = match driven {
            Ok(r) => r,
            Err(e) => return failed(Some(instance), e.to_string()),
        };
        if let Err(e) = flushed {
            return failed(
                Some(instance),
                format!("its case was written but not synced to disk: {e}"),
            );
        }
        let inst = &report.instance;
        let outcome = match inst.status {
            InstanceStatus::Completed => Outcome::Completed,
            InstanceStatus::Suspended => Outcome::Suspended,
            InstanceStatus::Terminated => Outcome::Terminated,
            InstanceStatus::Failed | InstanceStatus::Running => Outcome::Failed,
        };
        self.record_end(row, &inst.id, inst.status.as_str(), report.kept);
        RowResult {
            row: row.row,
            key: row.key.clone(),
            outcome,
            launched: true,
            instance: Some(inst.id.clone()),
            work_items: report
                .work_items
                .iter()
                .map(|w| Waiting {
                    id: w.id.clone(),
                    owner: w.owner.clone(),
                    activity: w.activity.clone(),
                })
                .collect(),
            reason: inst.reason.as_ref().map(|r| crate::repo::bound_message(r)),
        }
    }

    /// Before the case's instance is written: its key, `starting`, synced to the
    /// record (nothing in a dry run or without `--key`). The line is appended
    /// outside the mutex, so the workers' syncs overlap.
    fn record_start(&self, row: &FeedRow, instance: &str) -> Result<(), StoreError> {
        let (Some(key), false) = (&row.key, self.dry_run) else {
            return Ok(());
        };
        let Some((root, rel)) = lock(&self.record).as_ref().map(Record::location) else {
            return Ok(());
        };
        let entry = Entry {
            key: key.clone(),
            row: row.row,
            instance: instance.to_string(),
            status: record::STARTING.to_string(),
        };
        self.appender
            .append(&root, &rel, &entry)
            .map_err(|e| StoreError::Io(format!("cannot record key '{key}': {e}")))?;
        if let Some(r) = lock(&self.record).as_mut() {
            r.remember(entry);
        }
        Ok(())
    }

    /// After the case stopped: its status. Appended at once only when its
    /// instance file is gone (`resultLimit: 0`), since a `starting` line without
    /// an instance would read as never started; else kept for the final rewrite.
    fn record_end(&self, row: &FeedRow, instance: &str, status: &str, kept: bool) {
        let (Some(key), false) = (&row.key, self.dry_run) else {
            return;
        };
        let mut record = lock(&self.record);
        let Some(r) = record.as_mut() else {
            return;
        };
        let entry = Entry {
            key: key.clone(),
            row: row.row,
            instance: instance.to_string(),
            status: status.to_string(),
        };
        if !kept {
            let (root, rel) = r.location();
            if let Err(e) = self.appender.append(&root, &rel, &entry) {
                eprintln!(
                    "bpe: warning: row {}: cannot record key '{}': {e}",
                    row.row,
                    crate::model::escape_name(key)
                );
            }
        }
        r.remember(entry);
    }
}

/// A mutex's data, also after a worker panicked holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
