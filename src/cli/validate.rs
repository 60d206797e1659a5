use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::repo::Repository;
use crate::validate::{self, Finding};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;
    let findings = validate::validate_repository(&repo);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let array: Vec<serde_json::Value> = findings.iter().map(Finding::to_json).collect();
        serde_json::to_writer_pretty(&mut stdout, &array)?;
        writeln!(stdout)?;
    } else {
        for f in &findings {
            writeln!(stdout, "{}", crate::model::escape_name(&f.to_string()))?;
        }
    }
    stdout.flush()?;
    let (errors, warnings, infos) = validate::summarize(&findings);
    eprintln!("{}", summary(errors, warnings, infos, file_count(&repo)));
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `3 errors, 2 warnings in 41 files`.
fn summary(errors: usize, warnings: usize, infos: usize, files: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut s = format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if infos > 0 {
        s.push_str(&format!(", {infos} info"));
    }
    s.push_str(&format!(" in {}", plural(files, "file")));
    s
}

/// Files examined: every loaded object, every file that failed, and repository.json.
fn file_count(repo: &Repository) -> usize {
    let mut paths: BTreeSet<&std::path::Path> = BTreeSet::new();
    paths.extend(repo.definitions.iter().map(|l| l.path.as_path()));
    paths.extend(repo.rules.iter().map(|l| l.path.as_path()));
    paths.extend(repo.libraries.iter().map(|l| l.path.as_path()));
    paths.extend(repo.email_templates.iter().map(|l| l.path.as_path()));
    paths.extend(repo.users.iter().map(|l| l.path.as_path()));
    paths.extend(repo.roles.iter().map(|l| l.path.as_path()));
    paths.extend(repo.policies.iter().map(|l| l.path.as_path()));
    paths.extend(repo.instances.iter().map(|l| l.path.as_path()));
    paths.extend(repo.work_items.iter().map(|l| l.path.as_path()));
    paths.extend(repo.errors.iter().map(|e| e.path.as_path()));
    let config = std::path::Path::new("repository.json");
    if repo.config.is_some() {
        paths.insert(config);
    }
    paths.len()
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summary_line() {
        assert_eq!(summary(3, 2, 0, 41), "3 errors, 2 warnings in 41 files");
        assert_eq!(summary(1, 1, 2, 1), "1 error, 1 warning, 2 info in 1 file");
    }
}
