//! `bpe export REPO NAME [--rule | --email-template | --library] [--out FILE]`: one object as
//! Waveset XML (see docs/waveset.md).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::repo::{did_you_mean, save_atomic};
use crate::waveset;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Object name (exact): a TaskDefinition unless --rule or --email-template.
    pub name: String,
    /// NAME is a Rule.
    #[arg(long, conflicts_with_all = ["email_template", "library"])]
    pub rule: bool,
    /// NAME is an EmailTemplate.
    #[arg(long, conflicts_with = "library")]
    pub email_template: bool,
    /// NAME is a rule library (a Configuration object holding a Library).
    #[arg(long)]
    pub library: bool,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;
    let (kind, xml, names): (&str, Option<String>, Vec<&str>) = if args.rule {
        (
            "Rule",
            repo.rules
                .iter()
                .find(|r| r.value.name == args.name)
                .map(|r| waveset::export_rule(&r.value)),
            repo.rules.iter().map(|r| r.value.name.as_str()).collect(),
        )
    } else if args.library {
        (
            "rule library",
            repo.libraries
                .iter()
                .find(|l| l.value.name == args.name)
                .map(|l| waveset::export_library(&l.value)),
            repo.libraries
                .iter()
                .map(|l| l.value.name.as_str())
                .collect(),
        )
    } else if args.email_template {
        (
            "EmailTemplate",
            repo.email_templates
                .iter()
                .find(|t| t.value.name == args.name)
                .map(|t| waveset::export_email_template(&t.value)),
            repo.email_templates
                .iter()
                .map(|t| t.value.name.as_str())
                .collect(),
        )
    } else {
        (
            "TaskDefinition",
            repo.definition(&args.name)
                .map(|d| waveset::export_definition(&d.value)),
            repo.definitions
                .iter()
                .map(|d| d.value.name.as_str())
                .collect(),
        )
    };
    let Some(xml) = xml else {
        anyhow::bail!(
            "no {kind} named {:?} in {}{}",
            args.name,
            args.repo.display(),
            did_you_mean(&args.name, &names)
        );
    };
    match &args.out {
        Some(path) => {
            check_out_path(&args.repo, path)?;
            save_atomic(path, xml.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(xml.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--out` must name a file in an existing directory (none is created), and
/// never one of the repository's data files or directories: XML written there
/// would replace a repository object or be read as a broken one.
fn check_out_path(repo: &std::path::Path, path: &std::path::Path) -> anyhow::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !parent.is_dir() {
        anyhow::bail!(
            "cannot write {}: directory {} does not exist",
            path.display(),
            parent.display()
        );
    }
    if path.is_dir() {
        anyhow::bail!("cannot write {}: it is a directory", path.display());
    }
    if let Some(place) = crate::repo::confine::data_location(repo, path) {
        anyhow::bail!(
            "cannot write {}: it is inside the repository's data ({place}); export to a file outside it",
            path.display()
        );
    }
    Ok(())
}
