use crate::model::escape_name;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::open_repository;

use crate::engine::{self, store};
use crate::expr::Value;
use crate::model::ExecMode;
use crate::repo::Repository;
use crate::services::{Effect, RepoServices, ServiceOptions, Services};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// TaskDefinition name (exact).
    pub name: String,
    /// Set an input variable; VALUE is JSON when it parses, else a string.
    #[arg(long = "set", value_name = "VAR=VALUE")]
    pub set: Vec<String>,
    /// A JSON object of input variables.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Record every side effect without applying it.
    #[arg(long)]
    pub dry_run: bool,
    /// Allow command actions (the repository must enable them too).
    #[arg(long)]
    pub allow_commands: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Run an `execMode: async` definition in this process, until it completes,
    /// suspends, terminates or fails, instead of in the background.
    #[arg(long, alias = "wait")]
    pub foreground: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = open_repository(&args.repo)?;
    let def = super::find_definition(&repo, &args.name)?;
    let def = &def.value;
    if args.foreground && def.exec_mode == ExecMode::Async && !def.sync_control_allowed {
        bail!(
            "'{}' runs in the background only: it has execMode async and syncControlAllowed false, \
             so --foreground is refused",
            args.name
        );
    }
    let background = def.exec_mode == ExecMode::Async && !args.foreground && !args.dry_run;
    let mut inputs = BTreeMap::new();
    if let Some(path) = &args.input {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let Some(obj) = json.as_object() else {
            bail!("{} must hold a JSON object of variables", path.display());
        };
        for (k, v) in obj {
            inputs.insert(k.clone(), Value::from_json(v));
        }
    }
    inputs.extend(parse_sets(&args.set)?);
    if background {
        let started = super::detached::spawn(&args.repo, &args.name, &inputs, args.allow_commands)
            .with_context(|| format!("cannot run '{}'", args.name))?;
        print_started(&args.name, &started, args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut services = services_for(&repo, args.dry_run, args.allow_commands);
    let opts = store::RunOptions {
        purpose: "bpe run".to_string(),
        dry_run: args.dry_run,
        ..Default::default()
    };
    let report = store::start(&args.repo, &args.name, &inputs, &mut services, &opts)
        .with_context(|| format!("cannot run '{}'", args.name))?;
    print_report(&report, services.effects(), args.dry_run, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// What `bpe run` prints for a case that runs on in the background.
fn print_started(name: &str, started: &super::detached::Started, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "instance": started.instance,
            "name": name,
            "status": "running",
            "async": true,
            "pid": started.pid,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{name} {} running in the background (execMode async, pid {}); follow it with bpe tasks",
            started.instance, started.pid
        )?;
    }
    Ok(())
}

/// The repository's services with the runner's options.
pub fn services_for(repo: &Repository, dry_run: bool, allow_commands: bool) -> RepoServices {
    let config = repo.config_or_default();
    RepoServices::new(
        &repo.root,
        &config,
        ServiceOptions {
            dry_run,
            allow_commands,
        },
    )
}

/// `VAR=VALUE` pairs; VALUE is JSON when it parses as JSON, else the text itself.
pub fn parse_sets(sets: &[String]) -> anyhow::Result<BTreeMap<String, Value>> {
    parse_pairs("--set", "VAR", sets)
}

/// `NAME=VALUE` pairs given with `flag` (`what` names NAME in messages); VALUE as in [`parse_sets`].
pub fn parse_pairs(
    flag: &str,
    what: &str,
    sets: &[String],
) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for s in sets {
        let Some((name, value)) = s.split_once('=') else {
            bail!("{flag} expects {what}=VALUE, got '{s}'");
        };
        let name = name.trim();
        if name.is_empty() {
            bail!("{flag} expects {what}=VALUE, got '{s}' (no name)");
        }
        let v = match serde_json::from_str::<serde_json::Value>(value) {
            Ok(j) => Value::from_json(&j),
            Err(_) => Value::Str(value.to_string()),
        };
        out.insert(name.to_string(), v);
    }
    Ok(out)
}

/// The JSON object `run` and `complete` print.
pub fn report_json(
    report: &store::RunReport,
    effects: &[Effect],
    dry_run: bool,
) -> serde_json::Value {
    let inst = &report.instance;
    let path = engine::instance_path(inst);
    serde_json::json!({
        "instance": inst.id,
        "name": inst.name,
        "definition": inst.definition,
        "status": inst.status.as_str(),
        "reason": inst.reason,
        "steps": inst.steps,
        "variables": inst.variables,
        "path": path.entries,
        "pathDropped": path.dropped,
        "visits": inst.visits,
        "workItems": report.work_items.iter().map(|w| w.id.clone()).collect::<Vec<_>>(),
        "pendingWorkItems": report.work_items.iter().map(|w| serde_json::json!({
            "id": w.id,
            "owner": w.owner,
            "activity": w.activity,
            "request": w.request,
            "timeoutAt": w.timeout_at,
        })).collect::<Vec<_>>(),
        "result": {
            "items": inst.result.items,
            "errors": inst.result.errors,
            "messages": inst.result.messages,
            "trace": inst.result.trace,
        },
        "effects": effects,
        "dryRun": dry_run,
        "kept": report.kept,
    })
}

/// Print a run's outcome as JSON or as a readable summary.
pub fn print_report(
    report: &store::RunReport,
    effects: &[Effect],
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report_json(report, effects, dry_run))?;
        writeln!(out)?;
        return Ok(());
    }
    let inst = &report.instance;
    write!(
        out,
        "{} {} {}",
        escape_name(&inst.name),
        escape_name(&inst.id),
        inst.status.as_str()
    )?;
    if let Some(r) = &inst.reason {
        write!(out, ": {}", escape_name(r))?;
    }
    writeln!(out, " ({} steps)", inst.steps)?;
    if dry_run {
        writeln!(out, "dry run: nothing was written")?;
    }
    let path = engine::instance_path(inst).render();
    writeln!(out, "path: {}", escape_name(&path))?;
    for w in &report.work_items {
        write!(
            out,
            "waiting: work item {} for {} at '{}'",
            escape_name(&w.id),
            escape_name(&w.owner),
            escape_name(&w.activity)
        )?;
        if let Some(t) = &w.timeout_at {
            write!(out, " (times out {t})")?;
        }
        writeln!(out)?;
    }
    let shown: Vec<_> = inst
        .variables
        .iter()
        .filter(|(k, _)| !k.starts_with("WF_"))
        .collect();
    if !shown.is_empty() {
        writeln!(out, "variables:")?;
        for (k, v) in shown {
            writeln!(
                out,
                "  {} = {}",
                escape_name(k),
                escape_name(&v.to_string())
            )?;
        }
    }
    for (k, v) in &inst.result.items {
        let v = v.to_string();
        writeln!(out, "result {} = {}", escape_name(k), escape_name(&v))?;
    }
    for m in &inst.result.messages {
        writeln!(out, "message: {}", escape_name(&m.to_string()))?;
    }
    for e in &inst.result.errors {
        writeln!(out, "error: {}", escape_name(&e.to_string()))?;
    }
    for t in &inst.result.trace {
        writeln!(out, "trace: {}", escape_name(&t.to_string()))?;
    }
    for e in effects {
        let verb = if e.applied { "did" } else { "would" };
        let summary = e.summary.to_string();
        writeln!(
            out,
            "{verb}: {} {}",
            escape_name(&e.op),
            escape_name(&summary)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 10: a work item completed with `--set APPROVED=true` holds a
    /// Boolean, and `(eq $APPROVED "true")` is true as it is in Waveset (a
    /// Java Boolean compared with the string "true").
    #[test]
    fn set_true_is_a_boolean_equal_to_the_string_true() {
        let m = parse_sets(&["APPROVED=true".into(), "REJECTED=false".into()]).unwrap();
        assert_eq!(m["APPROVED"], Value::Bool(true));
        assert!(crate::expr::loose_eq(
            &m["APPROVED"],
            &Value::Str("true".into())
        ));
        assert!(!crate::expr::loose_eq(
            &m["APPROVED"],
            &Value::Str("false".into())
        ));
        assert!(crate::expr::loose_eq(
            &m["REJECTED"],
            &Value::Str("false".into())
        ));
        assert!(!m["REJECTED"].is_true());
        assert_eq!(m["APPROVED"].to_json(), serde_json::json!(true));
    }

    #[test]
    fn set_values_are_json_when_they_parse() {
        let m = parse_sets(&[
            "a=42".into(),
            "b=Ada".into(),
            "c=[\"x\"]".into(),
            "d=a=b".into(),
        ])
        .unwrap();
        assert_eq!(m["a"], Value::Int(42));
        assert_eq!(m["b"], Value::Str("Ada".into()));
        assert_eq!(m["c"], Value::List(vec![Value::Str("x".into())]));
        assert_eq!(m["d"], Value::Str("a=b".into()));
        assert!(parse_sets(&["novalue".into()]).is_err());
    }
}
