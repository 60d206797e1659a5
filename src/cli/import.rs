//! `bpe import REPO FILE... [--replace]`: Waveset XML into the repository.
//!
//! All files are read and imported first; if any fails, or any object would
//! overwrite an existing one without `--replace`, nothing is written (exit 1).
//! `--replace` saves over the existing object's file and keeps its id, exactly
//! like an edit saved from the editor (running instances keep their pinned
//! version through the definition cache).

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::model::{EmailTemplate, ObjectKind, Rule, TaskDefinition, new_id, slug};
use crate::repo::{Repository, save_json};
use crate::waveset::{self, MAX_INPUT_BYTES};

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

/// One imported object, with the file it came from.
enum Object {
    Definition(TaskDefinition),
    Rule(Rule),
    Template(EmailTemplate),
}

impl Object {
    fn kind(&self) -> ObjectKind {
        match self {
            Object::Definition(_) => ObjectKind::TaskDefinition,
            Object::Rule(_) => ObjectKind::Rule,
            Object::Template(_) => ObjectKind::EmailTemplate,
        }
    }
    fn name(&self) -> &str {
        match self {
            Object::Definition(d) => &d.name,
            Object::Rule(r) => &r.name,
            Object::Template(t) => &t.name,
        }
    }
    fn id(&self) -> &str {
        match self {
            Object::Definition(d) => &d.id,
            Object::Rule(r) => &r.id,
            Object::Template(t) => &t.id,
        }
    }
    fn set_id(&mut self, id: String) {
        match self {
            Object::Definition(d) => d.id = id,
            Object::Rule(r) => r.id = id,
            Object::Template(t) => t.id = id,
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = super::open_repository(&args.repo)?;

    let mut failed = false;
    let mut objects: Vec<(PathBuf, Object)> = Vec::new();
    for file in &args.files {
        let text = match read_document(file) {
            Ok(t) => t,
            Err(message) => {
                eprintln!("{}:{message}", file.display());
                failed = true;
                continue;
            }
        };
        match waveset::import(&text) {
            Ok(imported) => {
                for w in &imported.warnings {
                    eprintln!("{}:{w}", file.display());
                }
                objects.extend(
                    imported
                        .definitions
                        .into_iter()
                        .map(|d| (file.clone(), Object::Definition(d))),
                );
                objects.extend(
                    imported
                        .rules
                        .into_iter()
                        .map(|r| (file.clone(), Object::Rule(r))),
                );
                objects.extend(
                    imported
                        .email_templates
                        .into_iter()
                        .map(|t| (file.clone(), Object::Template(t))),
                );
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

    // Names must be unique per kind: within the import, and against the repository
    // unless --replace.
    let mut seen: HashSet<(ObjectKind, String)> = HashSet::new();
    for (file, object) in &objects {
        let key = (object.kind(), object.name().to_string());
        if !seen.insert(key) {
            eprintln!(
                "{}: error: {} \"{}\" is imported twice",
                file.display(),
                object.kind().dir_name(),
                object.name()
            );
            failed = true;
        }
        if existing(&repo, object).is_some() && !args.replace {
            eprintln!(
                "{}: error: {} \"{}\" already exists in the repository (use --replace to overwrite it)",
                file.display(),
                object.kind().dir_name(),
                object.name()
            );
            failed = true;
        }
    }
    if failed {
        eprintln!("nothing imported");
        return Ok(ExitCode::from(1));
    }

    // Ids: a replaced object keeps its id; an imported id already used by another
    // object of the repository (or of this import) is renewed.
    let mut used_ids: HashSet<(ObjectKind, String)> = HashSet::new();
    for d in &repo.definitions {
        used_ids.insert((ObjectKind::TaskDefinition, d.value.id.clone()));
    }
    for r in &repo.rules {
        used_ids.insert((ObjectKind::Rule, r.value.id.clone()));
    }
    for t in &repo.email_templates {
        used_ids.insert((ObjectKind::EmailTemplate, t.value.id.clone()));
    }
    for (file, object) in &mut objects {
        if let Some((id, _)) = existing(&repo, object) {
            object.set_id(id);
            continue;
        }
        let key = (object.kind(), object.id().to_string());
        if used_ids.contains(&key) {
            let prefix = match object.kind() {
                ObjectKind::TaskDefinition => "td",
                ObjectKind::Rule => "rule",
                _ => "et",
            };
            let fresh = new_id(prefix);
            eprintln!(
                "{}: note: id \"{}\" of {} \"{}\" is already used in the repository; the import gets id \"{fresh}\"",
                file.display(),
                object.id(),
                object.kind().dir_name(),
                object.name()
            );
            object.set_id(fresh);
        }
        used_ids.insert((object.kind(), object.id().to_string()));
    }

    let mut written_paths: HashSet<PathBuf> = HashSet::new();
    for (_, object) in &objects {
        let replacing = existing(&repo, object).is_some();
        let path = match object {
            Object::Definition(d) => repo
                .save_definition(d)
                .with_context(|| format!("cannot save TaskDefinition \"{}\"", d.name))?,
            Object::Rule(r) => {
                let path = match existing(&repo, object) {
                    Some((_, p)) => p,
                    None => free_path(&repo.root, ObjectKind::Rule, &r.name, &written_paths),
                };
                save_json(&path, r).with_context(|| format!("cannot save Rule \"{}\"", r.name))?;
                path
            }
            Object::Template(t) => {
                let path = match existing(&repo, object) {
                    Some((_, p)) => p,
                    None => free_path(
                        &repo.root,
                        ObjectKind::EmailTemplate,
                        &t.name,
                        &written_paths,
                    ),
                };
                save_json(&path, t)
                    .with_context(|| format!("cannot save EmailTemplate \"{}\"", t.name))?;
                path
            }
        };
        let rel = path.strip_prefix(&repo.root).unwrap_or(&path).to_path_buf();
        println!(
            "{} {} \"{}\" -> {}",
            if replacing { "replaced" } else { "imported" },
            object.kind().dir_name(),
            object.name(),
            rel.display()
        );
        written_paths.insert(path);
    }
    Ok(ExitCode::SUCCESS)
}

/// The id and absolute file of the repository object of the same kind and name.
fn existing(repo: &Repository, object: &Object) -> Option<(String, PathBuf)> {
    let name = object.name();
    match object {
        Object::Definition(_) => repo
            .definitions
            .iter()
            .find(|d| d.value.name == name)
            .map(|d| (d.value.id.clone(), repo.root.join(&d.path))),
        Object::Rule(_) => repo
            .rules
            .iter()
            .find(|r| r.value.name == name)
            .map(|r| (r.value.id.clone(), repo.root.join(&r.path))),
        Object::Template(_) => repo
            .email_templates
            .iter()
            .find(|t| t.value.name == name)
            .map(|t| (t.value.id.clone(), repo.root.join(&t.path))),
    }
}

/// `<Kind>/<slug(name)>.json`, with `-2`, `-3`, … when that file exists already.
fn free_path(root: &Path, kind: ObjectKind, name: &str, written: &HashSet<PathBuf>) -> PathBuf {
    let stem = slug(name);
    let dir = root.join(kind.dir_name());
    let mut n = 1;
    loop {
        let file = if n == 1 {
            format!("{stem}.json")
        } else {
            format!("{stem}-{n}.json")
        };
        let path = dir.join(file);
        if !path.exists() && !written.contains(&path) {
            return path;
        }
        n += 1;
    }
}

/// Read a document as UTF-8, refusing files over the import limit before reading them.
/// The error text follows the file name: `:L:C: error: …` or ` error: …`.
fn read_document(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!(" error: cannot open: {e}"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_INPUT_BYTES as u64 {
        return Err(format!(
            " error: file is {len} bytes; the import limit is {MAX_INPUT_BYTES} bytes"
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // Read at most one byte past the limit, in case the file grew meanwhile.
    file.take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!(" error: cannot read: {e}"))?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(format!(
            " error: file is over the import limit of {MAX_INPUT_BYTES} bytes"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = String::from_utf8_lossy(&bytes[..valid]);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{line}:{column}: error: not UTF-8 (convert the file to UTF-8)")
    })
}
