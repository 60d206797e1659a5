//! Keeping the TUI in step with the repository on disk, for every screen:
//! re-reading it (after a save, a store operation or a change seen by the
//! watcher), the open workflow's reload or conflict (keep mine / take theirs),
//! restoring a recovery copy, and a terminal resize. The conflict dialog shows
//! the semantic diff of mine against theirs ([`conflict_lines`]).
//!
//! Invariants: the open workflow's working copy is never replaced while it has
//! unsaved edits without the user's answer (the conflict overlay); taking theirs
//! is one undoable edit; every reload keeps the browser's selection by name.

use crate::model::TaskDefinition;
use crate::repo::{Repository, parse_file};

use super::app::{App, Overlay};
use super::linediff::DiffLine;
use super::{editor, recovery};
use crate::edit::Edit;

/// The terminal is now `cols`x`rows`: keep what depends on the size in step
/// (the editor's scroll keeps the selection in sight, also behind other screens).
pub fn resized(app: &mut App, cols: u16, rows: u16) {
    app.size = (cols, rows);
    app.editor_changed();
}

/// Re-read the repository after a store operation and refresh every screen
/// (at once, for the code that goes on with the fresh data; an update that is
/// done asks with [`super::screen::Request::Reload`] instead).
pub fn reload(app: &mut App) {
    reload_repository(app);
    super::app::refresh_screens(app);
}

/// Re-read the repository (after a save or a change on disk); keep the browser's selection.
pub fn reload_repository(app: &mut App) {
    match Repository::open(&app.root) {
        Ok(repo) => {
            let name = app.browser.selected_name(&app.repo);
            app.repo = repo;
            // Newer than what a background load brings ([`App::finish_loading`]).
            app.loading = None;
            app.browser.refresh(&app.repo);
            // Findings depend on the repository too (subprocesses, rules, templates).
            if let Some(ed) = app.editor.as_mut() {
                ed.laid_out = None;
            }
            if let Some(name) = name {
                app.browser.select_name(&app.repo, &name);
            }
        }
        Err(e) => app.error(format!("cannot re-read the repository: {e}")),
    }
}

/// Something changed under the repository: reload, and deal with the open workflow.
pub fn repository_changed(app: &mut App) {
    reload_repository(app);
    let root = app.root.clone();
    if let Some(te) = app.template_editor.as_mut()
        && let Some(notice) = te.repository_changed(&root, &app.repo)
    {
        app.notice = Some(notice);
    }
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let on_disk = if root.join(&ed.path).exists() {
        Some(parse_file::<TaskDefinition>(&root, &ed.path))
    } else {
        None
    };
    match on_disk {
        None => {
            if ed.disk.is_some() {
                ed.disk = None;
                let msg = format!(
                    "{} was deleted on disk; s saves it again",
                    ed.path.display()
                );
                app.editor_changed();
                app.warn(msg);
            }
        }
        Some(Err(e)) => {
            let msg = format!("the file on disk no longer loads ({e}); your copy is kept");
            app.warn(msg);
        }
        Some(Ok(theirs)) => {
            if ed.disk.as_ref() == Some(&theirs) || ed.theirs.as_ref() == Some(&theirs) {
                return;
            }
            if !ed.is_dirty() {
                ed.def = theirs.clone();
                ed.disk = Some(theirs);
                ed.stack.reset();
                let name = ed.def.name.clone();
                app.editor_changed();
                app.info(format!("reloaded {name}: it changed on disk"));
            } else if ed.def == theirs {
                ed.disk = Some(theirs);
                app.editor_changed();
            } else {
                ed.conflict_diff = conflict_lines(&ed.def, &theirs);
                ed.conflict_scroll = 0;
                ed.theirs = Some(theirs);
                app.overlay = Some(Overlay::Conflict);
            }
        }
    }
}

/// What the conflict dialog shows: the semantic diff of mine against theirs
/// (`crate::diff`, as `bpe diff` and the diff view show it), one
/// [`DiffLine::Semantic`] per line; the JSON line diff only when the semantic
/// diff finds nothing although the two differ (a difference it cannot name).
pub fn conflict_lines(mine: &TaskDefinition, theirs: &TaskDefinition) -> Vec<DiffLine> {
    let semantic = crate::diff::diff(mine, theirs);
    if !semantic.is_empty() {
        let text = crate::diff::render_text(&semantic);
        let mut lines: Vec<DiffLine> = text
            .lines()
            .take(super::linediff::MAX_LINES)
            .map(|l| DiffLine::Semantic(l.to_string()))
            .collect();
        let total = text.lines().count();
        if total > lines.len() {
            lines.push(DiffLine::Skipped(total - lines.len()));
        }
        return lines;
    }
    let json = |d: &TaskDefinition| {
        crate::repo::to_json_bytes(d)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    super::linediff::diff(&json(mine), &json(theirs), 2)
}

/// Conflict: keep the working copy (still unsaved; saving overwrites theirs).
pub fn keep_mine(app: &mut App) {
    if let Some(ed) = app.editor.as_mut() {
        if let Some(theirs) = ed.theirs.take() {
            ed.disk = Some(theirs);
        }
        app.editor_changed();
        app.info("kept your version (unsaved): s saves it over the one on disk");
    }
}

/// Conflict: take the disk version; your edits stay reachable with undo.
pub fn take_theirs(app: &mut App) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    let Some(theirs) = ed.theirs.take() else {
        return;
    };
    let selection = ed.selection;
    let _ = ed.stack.execute(
        &mut ed.def,
        Edit::Replace(Box::new(theirs.clone())),
        selection,
    );
    ed.disk = Some(theirs);
    ed.stack.mark_saved();
    app.editor_changed();
    app.info("took the version on disk (u brings yours back)");
}

/// Open the workflow of a recovery copy with the copy applied as an (undoable)
/// edit (a rule's copy opens in the rule editor, `app_editor::restore_rule_recovery`,
/// a template's in the template editor, `app_editor::restore_template_recovery`).
pub fn restore_recovery(app: &mut App, copy: recovery::RecoveryCopy) {
    let definition = match copy.object {
        recovery::Recovered::Definition(d) => d,
        recovery::Recovered::Rule(rule) => {
            return super::app_editor::restore_rule_recovery(app, copy.path, rule);
        }
        recovery::Recovered::EmailTemplate(t) => {
            return super::app_editor::restore_template_recovery(app, copy.path, t);
        }
    };
    let root = app.root.clone();
    let disk = if root.join(&copy.path).exists() {
        parse_file::<TaskDefinition>(&root, &copy.path).ok()
    } else {
        None
    };
    let base = disk.clone().unwrap_or_else(|| definition.clone());
    super::app_editor::open_definition(app, copy.path.clone(), base, disk);
    let Some(ed) = app.editor.as_ref() else {
        return;
    };
    if let Some(holder) = ed.read_only() {
        let msg = format!(
            "cannot restore {} now: it is being edited by {holder} (the copy is kept)",
            definition.name
        );
        app.error(msg);
        return;
    }
    let name = definition.name.clone();
    if ed.def != definition {
        app.with_editor(|ed, cx| editor::execute(ed, cx, Edit::Replace(Box::new(definition))));
    } else {
        app.editor_changed();
    }
    app.info(format!(
        "restored unsaved edits of {name} (s saves, u undoes the restore)"
    ));
}
