//! `bpe eval REPO 'EXPR'`: evaluate an expression against a repository's rules
//! in dry run (see `engine::Sandbox`) and print its value, its effects and, with
//! `--json`, the evaluation trace. Exit 1 when the expression does not parse or
//! its evaluation fails (the error with its position), 2 on usage errors.
//! Reads the repository only: no housekeeping, nothing written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::engine::{Evaluation, Sandbox};
use crate::expr::{ParseError, location_json};
use crate::model::escape_name;
use crate::repo::Repository;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory (its rules are callable).
    pub repo: PathBuf,
    /// The expression, in the text syntax.
    pub expr: String,
    /// Set a variable the expression sees; VALUE is JSON when it parses, else a string.
    #[arg(long = "set", value_name = "VAR=VALUE")]
    pub set: Vec<String>,
    /// Print JSON (value, effects, trace) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let vars = super::run::parse_sets(&args.set)?;
    let sandbox = open_sandbox(&args.repo)?;
    let mut out = std::io::stdout().lock();
    match sandbox.eval_text(&args.expr, vars) {
        Ok(ev) => print_evaluation(&mut out, &ev, args.json),
        Err(e) => print_syntax_error(&mut out, "expression", &e, args.json),
    }
}

/// The repository's rules, read without housekeeping (a dry run writes nothing).
pub(super) fn open_sandbox(root: &Path) -> anyhow::Result<Sandbox> {
    let repo = Repository::open_except_definitions(root)
        .with_context(|| format!("cannot open repository {}", root.display()))?;
    Ok(Sandbox::new(repo.all_rules()))
}

/// Print an evaluation; exit 1 when it failed.
pub(super) fn print_evaluation(
    out: &mut impl Write,
    ev: &Evaluation,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if json {
        let effects: Vec<_> = ev
            .effects
            .iter()
            .map(|(name, v)| serde_json::json!({"kind": "set", "variable": name, "value": v.to_json()}))
            .collect();
        let mut doc = serde_json::json!({
            "ok": ev.value.is_ok(),
            "dryRun": true,
            "effects": effects,
            "traceLines": ev.trace_lines,
            "trace": ev.trace.to_json(),
        });
        match &ev.value {
            Ok(v) => doc["value"] = v.to_json(),
            Err(e) => {
                doc["error"] = serde_json::json!({"message": e.message});
                if let Some(at) = &ev.error_at {
                    doc["error"]["at"] = location_json(at);
                }
            }
        }
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        if let Ok(v) = &ev.value {
            writeln!(out, "value: {}", escape_name(&v.to_string()))?;
        }
        if ev.effects.is_empty() {
            writeln!(out, "effects: none (dry run)")?;
        } else {
            writeln!(out, "effects (dry run, not applied):")?;
            for (name, v) in &ev.effects {
                writeln!(
                    out,
                    "  set {} = {}",
                    escape_name(name),
                    escape_name(&v.to_string())
                )?;
            }
        }
        for line in &ev.trace_lines {
            writeln!(out, "trace: {}", escape_name(line))?;
        }
        if let Some(text) = ev.error_text() {
            eprintln!("error: {}", escape_name(&text));
        }
    }
    Ok(if ev.value.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Print a syntax error of `source` with its position; exit 1.
pub(super) fn print_syntax_error(
    out: &mut impl Write,
    source: &str,
    e: &ParseError,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if json {
        let doc = serde_json::json!({
            "ok": false,
            "dryRun": true,
            "error": {
                "message": e.message,
                "at": {"source": source, "line": e.line, "column": e.column},
            },
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        eprintln!("error: {} {e}", escape_name(source));
    }
    Ok(ExitCode::from(1))
}
