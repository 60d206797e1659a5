//! `bpe import REPO FILE... [--replace]`: Waveset XML into the repository.
//!
//! All files are read and imported first; if any fails, or any object would
//! overwrite an existing one without `--replace`, nothing is written (exit 1).
//! `--replace` saves over the existing object's file and keeps its id, exactly
//! like an edit saved from the editor (running instances keep their pinned
//! version through the definition cache). The writing itself is
//! [`crate::waveset::write_objects`], shared with the TUI's import dialog.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::escape_name;
use crate::waveset::{self, ImportObject};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository directory.
    pub repo: PathBuf,
    /// Waveset XML files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Replace objects whose name already exists (keeping their file and id).
    #[arg(long)]
    pub replace: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;

    let mut failed = false;
    let mut objects: Vec<(PathBuf, ImportObject)> = Vec::new();
    for file in &args.files {
        let imported = waveset::read_document(file).and_then(|text| waveset::import(&text));
        match imported {
            Ok(imported) => {
                for w in &imported.warnings {
                    eprintln!("{}:{}", file.display(), escape_name(&w.to_string()));
                }
                objects.extend(
                    ImportObject::all(imported)
                        .into_iter()
                        .map(|o| (file.clone(), o)),
                );
            }
            Err(e) if e.line == 0 => {
                eprintln!("{}: error: {}", file.display(), escape_name(&e.message));
                failed = true;
            }
            Err(e) => {
                eprintln!(
                    "{}:{}:{}: error: {}",
                    file.display(),
                    e.line,
                    e.column,
                    e.message
                );
                failed = true;
            }
        }
    }

    // Names reach terminals: no control characters (rule E014).
    for (file, object) in &objects {
        for problem in waveset::unsafe_names(std::slice::from_ref(object)) {
            eprintln!("{}: error: {problem}", file.display());
            failed = true;
        }
    }
    // Names must be unique per kind: within the import, and against the repository
    // unless --replace.
    let only: Vec<ImportObject> = objects.iter().map(|(_, o)| o.clone()).collect();
    for (kind, name) in waveset::duplicate_names(&only) {
        let file = objects
            .iter()
            .rev()
            .find(|(_, o)| o.kind() == kind && o.name() == name)
            .map(|(f, _)| f.display().to_string())
            .unwrap_or_default();
        eprintln!(
            "{file}: error: {} \"{}\" is imported twice",
            kind.dir_name(),
            escape_name(&name)
        );
        failed = true;
    }
    for (file, object) in &objects {
        if object.existing(&repo).is_some() && !args.replace {
            eprintln!(
                "{}: error: {} \"{}\" already exists in the repository (use --replace to overwrite it)",
                file.display(),
                object.kind().dir_name(),
                escape_name(object.name())
            );
            failed = true;
        }
    }
    if failed {
        eprintln!("nothing imported");
        return Ok(ExitCode::from(1));
    }

    let files: Vec<PathBuf> = objects.iter().map(|(f, _)| f.clone()).collect();
    let written = waveset::write_objects(&repo, only)?;
    for (w, file) in written.iter().zip(&files) {
        if let Some((old, new)) = &w.renewed_id {
            eprintln!(
                "{}: note: id \"{old}\" of {} \"{}\" is already used in the repository; the import gets id \"{new}\"",
                file.display(),
                w.kind.dir_name(),
                escape_name(&w.name)
            );
        }
        writeln!(
            std::io::stdout(),
            "{} {} \"{}\" -> {}",
            if w.replaced { "replaced" } else { "imported" },
            w.kind.dir_name(),
            escape_name(&w.name),
            escape_name(&w.path.display().to_string())
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
