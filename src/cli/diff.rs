//! `bpe diff REPO A [B] [--json]`: the semantic diff of two versions of a
//! TaskDefinition (`crate::diff`). Exit 0 when equal, 1 when different, 2 when
//! a version cannot be read. Format: `docs/diff.md`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::diff::{self, source};
use crate::model::escape_name;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Old version: a definition name, a timestamped copy, a cached version
    /// (hash or prefix), a file inside the repository, or NAME@REV (git).
    pub a: String,
    /// New version (same forms); default: the current file of A's definition.
    pub b: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;
    let old = source::resolve(&repo, &args.a).map_err(anyhow::Error::msg)?;
    let new = match &args.b {
        Some(b) => source::resolve(&repo, b),
        None => source::counterpart(&repo, &old),
    }
    .map_err(anyhow::Error::msg)?;
    let d = diff::diff(&old.definition, &new.definition);
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = serde_json::json!({
            "equal": d.is_empty(),
            "old": old,
            "new": new,
            "changes": d.changes,
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        writeln!(out, "--- {}", describe(&old))?;
        writeln!(out, "+++ {}", describe(&new))?;
        if d.is_empty() {
            writeln!(out, "no differences")?;
        } else {
            out.write_all(diff::render_text(&d).as_bytes())?;
        }
    }
    Ok(if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `"Onboard Employee" (file TaskDefinition/onboard-employee.json, sha256:1a2b3c4d5e6f)`.
fn describe(v: &source::Version) -> String {
    let origin = match &v.origin {
        source::Origin::File => "file".to_string(),
        source::Origin::Cache => "cache".to_string(),
        source::Origin::Path => "path".to_string(),
        source::Origin::Git => format!(
            "git {}",
            v.commit
                .as_deref()
                .map(|c| c.get(..12).unwrap_or(c))
                .unwrap_or("")
        ),
    };
    format!(
        "\"{}\" ({origin} {}, {})",
        escape_name(&v.name),
        escape_name(&v.path.to_string_lossy()),
        v.hash.get(..19).unwrap_or(&v.hash)
    )
}
