//! The browser's import dialog: a file path prompt, then a list of what the
//! Waveset document holds with the names that already exist marked, then
//! `y` (import all, replacing) / `s` (skip the existing ones) / Esc.
//!
//! Reading goes through [`crate::waveset::read_document`] + [`crate::waveset::import`]
//! and writing through [`crate::waveset::write_objects`], the same code as `bpe import`;
//! nothing is written before the user answers.

use std::path::PathBuf;

use crate::waveset::{self, ImportObject};

use super::app::{App, Overlay, PromptPurpose, refresh_screens};

/// What one document would import, shown in the overlay.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// The file as the user typed it (for notices).
    pub file: String,
    pub objects: Vec<ImportObject>,
    /// Per object: an object of that kind and name is already in the repository.
    pub existing: Vec<bool>,
    /// Warnings from the import (shown as a count; `bpe import` prints them).
    pub warnings: Vec<String>,
}

/// The file path prompt that starts an import (the browser's `i`).
pub fn prompt() -> Overlay {
    Overlay::Prompt(super::ask::Prompt::new(
        PromptPurpose::ImportFile,
        "Import a Waveset XML file (path)",
        "",
    ))
}

/// The path was typed: read and import the document; on success show the plan.
/// `Err` keeps the prompt open (empty path, file that cannot be opened).
pub fn file_accepted(app: &mut App, text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("type a file path (Esc cancels)".into());
    }
    // Relative to the directory bpe was started in, like the CLI.
    let path = std::env::current_dir()
        .map(|d| d.join(text))
        .unwrap_or_else(|_| PathBuf::from(text));
    let imported = waveset::read_document(&path).and_then(|t| waveset::import(&t));
    let imported = match imported {
        Ok(imported) => imported,
        Err(e) if e.line == 0 => return Err(format!("{text}: {}", e.message)),
        Err(e) => {
            app.error(format!(
                "{text}:{}:{}: {} (nothing imported)",
                e.line, e.column, e.message
            ));
            return Ok(());
        }
    };
    let warnings: Vec<String> = imported.warnings.iter().map(|w| w.to_string()).collect();
    let objects = ImportObject::all(imported);
    if objects.is_empty() {
        app.warn(format!("{text} holds nothing to import"));
        return Ok(());
    }
    if let Some(problem) = waveset::unsafe_names(&objects).first() {
        app.error(format!("{text}: {problem} (nothing imported)"));
        return Ok(());
    }
    if let Some((kind, name)) = waveset::duplicate_names(&objects).first() {
        app.error(format!(
            "{text}: {} \"{name}\" appears twice (nothing imported)",
            kind.dir_name()
        ));
        return Ok(());
    }
    let existing = objects
        .iter()
        .map(|o| o.existing(&app.repo).is_some())
        .collect();
    app.overlay = Some(Overlay::Import(ImportPlan {
        file: text.to_string(),
        objects,
        existing,
        warnings,
    }));
    Ok(())
}

/// The user answered: write everything (`replace`) or only the new objects.
pub fn confirmed(app: &mut App, plan: ImportPlan, replace: bool) {
    let skipped: Vec<String> = plan
        .objects
        .iter()
        .zip(&plan.existing)
        .filter(|(_, exists)| **exists && !replace)
        .map(|(o, _)| format!("\"{}\"", o.name()))
        .collect();
    let chosen: Vec<ImportObject> = plan
        .objects
        .into_iter()
        .zip(plan.existing)
        .filter(|(_, exists)| replace || !exists)
        .map(|(o, _)| o)
        .collect();
    if chosen.is_empty() {
        app.info(format!(
            "nothing imported from {}: skipped {}",
            plan.file,
            skipped.join(", ")
        ));
        return;
    }
    let first_definition = chosen.iter().find_map(|o| match o {
        ImportObject::Definition(d) => Some(d.name.clone()),
        _ => None,
    });
    let result = waveset::write_objects(&app.repo, chosen);
    // Reload as after a change on disk (this also updates an open workflow
    // that was replaced).
    super::sync::repository_changed(app);
    refresh_screens(app);
    match result {
        Ok(written) => {
            if let Some(name) = first_definition {
                app.browser.select_name(&app.repo, &name);
            }
            let done: Vec<String> = written
                .iter()
                .map(|w| {
                    format!(
                        "{} {} \"{}\"",
                        if w.replaced { "replaced" } else { "imported" },
                        w.kind.dir_name(),
                        w.name
                    )
                })
                .collect();
            let mut text = format!("from {}: {}", plan.file, done.join(", "));
            if !skipped.is_empty() {
                text.push_str(&format!("; skipped {}", skipped.join(", ")));
            }
            if !plan.warnings.is_empty() {
                text.push_str(&format!(
                    "; {} warning(s) (bpe import lists them)",
                    plan.warnings.len()
                ));
            }
            app.info(text);
        }
        Err(e) => app.error(format!("import from {} stopped: {e}", plan.file)),
    }
}
