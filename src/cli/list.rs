use crate::model::escape_name;
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::repo::LoadError;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// List the rules instead: the Rule objects and every rule of every rule
    /// library (Configuration/*.json) under the `Library:Rule` name callers use.
    #[arg(long)]
    pub rules: bool,
}

/// Lists the TaskDefinitions (sorted by name); files that failed to load are
/// reported on stderr as `path:line:col: error: …`. Exit 0 even then: listing
/// worked (`bpe validate` is the command that fails on problems).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.rules {
        return run_rules(args);
    }
    // Summaries through the definition index: only changed files are read.
    super::housekeeping(&args.repo);
    let overview = crate::repo::Repository::open_overview(&args.repo)
        .with_context(|| format!("cannot open repository {}", args.repo.display()))?;
    let repo = &overview.repo;
    let mut defs: Vec<_> = overview.definitions.iter().collect();
    defs.sort_by(|a, b| a.value.name.cmp(&b.value.name).then(a.path.cmp(&b.path)));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let rows: Vec<serde_json::Value> = defs
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.value.name,
                    "id": d.value.id,
                    "path": d.path,
                    "activities": d.value.activities,
                    "description": d.value.description,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        let rows: Vec<[String; 4]> = defs
            .iter()
            .map(|d| {
                [
                    d.value.name.clone(),
                    d.value.id.clone(),
                    d.value.activities.to_string(),
                    d.path.display().to_string(),
                ]
            })
            .collect();
        write_table(&mut out, ["NAME", "ID", "ACTIVITIES", "PATH"], &rows)?;
    }
    out.flush()?;
    print_load_errors(&args.repo, &repo.errors);
    Ok(ExitCode::SUCCESS)
}

/// `bpe list --rules`: every callable rule, sorted by the name callers use.
fn run_rules(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;
    // (callable name, library, arguments, file)
    let mut rows: Vec<(String, String, Vec<String>, String)> = Vec::new();
    for r in &repo.rules {
        let names = r.value.arguments.iter().map(|a| a.name.clone()).collect();
        rows.push((
            r.value.name.clone(),
            String::new(),
            names,
            r.path.display().to_string(),
        ));
    }
    for l in &repo.libraries {
        for r in l.value.qualified_rules() {
            let names = r.arguments.iter().map(|a| a.name.clone()).collect();
            rows.push((
                r.name,
                l.value.name.clone(),
                names,
                l.path.display().to_string(),
            ));
        }
    }
    rows.sort();
    let mut out = std::io::stdout().lock();
    if args.json {
        let json: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, library, arguments, path)| {
                serde_json::json!({
                    "name": name,
                    "library": if library.is_empty() { None } else { Some(library) },
                    "arguments": arguments,
                    "path": path,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else {
        let table: Vec<[String; 4]> = rows
            .into_iter()
            .map(|(name, library, arguments, path)| {
                let library = if library.is_empty() {
                    "-".to_string()
                } else {
                    library
                };
                [name, library, arguments.join(","), path]
            })
            .collect();
        write_table(&mut out, ["NAME", "LIBRARY", "ARGUMENTS", "PATH"], &table)?;
    }
    out.flush()?;
    print_load_errors(&args.repo, &repo.errors);
    Ok(ExitCode::SUCCESS)
}

/// `path:line:col: error: message` per load error, paths joined to the
/// repository argument so editors and terminals can jump to them.
pub fn print_load_errors(root: &Path, errors: &[LoadError]) {
    let mut err = std::io::stderr().lock();
    for e in errors {
        let _ = writeln!(
            err,
            "{}:{}:{}: error: {}",
            escape_name(&root.join(&e.path).display().to_string()),
            e.line,
            e.column,
            escape_name(&e.message)
        );
    }
}

/// A plain left-aligned table; the last column is not padded. Every cell is
/// escaped ([`escape_name`]): tables show names and holder records that come
/// from files.
pub fn write_table<const N: usize>(
    out: &mut impl Write,
    header: [&str; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| row.clone().map(|cell| escape_name(&cell).into_owned()))
        .collect();
    let rows = rows.as_slice();
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: Vec<&str>| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(header.to_vec())?;
    for row in rows {
        line(row.iter().map(String::as_str).collect())?;
    }
    Ok(())
}

/// `42s`, `5m`, `3h`, `2d`.
pub fn format_age(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}
