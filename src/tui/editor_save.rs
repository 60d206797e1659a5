//! Saving the editor's working copy: refused while read-only, while an
//! expression does not parse, or while a run holds the definition (naming the
//! run); otherwise written atomically under the exclusive run lock.

use crate::model::TaskDefinition;
use crate::repo::SaveError;
use crate::repo::lock::LockError;

use super::editor::EditorState;
use super::recovery;
use super::screen::Ctx;

/// Every expression of the definition that does not parse: (where, error).
pub fn invalid_expressions(def: &TaskDefinition) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut check = |place: String, text: &str| {
        if let Err(e) = crate::expr::parse(text) {
            out.push((place, format!("{}:{}: {}", e.line, e.column, e.message)));
        }
    };
    for v in &def.process.variables {
        if let Some(x) = &v.value {
            check(format!("variable {}", v.name), x);
        }
    }
    for act in &def.process.activities {
        for v in &act.variables {
            if let Some(x) = &v.value {
                check(format!("{} variable {}", act.name, v.name), x);
            }
        }
        for (i, t) in act.transitions.iter().enumerate() {
            if let Some(c) = &t.condition {
                check(format!("{} transition {} → {}", act.name, i + 1, t.to), c);
            }
        }
        for (i, x) in act.actions.iter().enumerate() {
            let place = |what: &str| format!("{} action {} {what}", act.name, i + 1);
            if let Some(c) = &x.condition {
                check(place("condition"), c);
            }
            for v in &x.variables {
                if let Some(e) = &v.value {
                    check(place(&format!("variable {}", v.name)), e);
                }
            }
            match &x.kind {
                crate::model::ActionKind::Expression { expression } => {
                    check(place("expression"), expression)
                }
                crate::model::ActionKind::Service { arguments, .. }
                | crate::model::ActionKind::Subprocess { arguments, .. } => {
                    for a in arguments {
                        check(place(&format!("argument {}", a.name)), &a.value);
                    }
                }
                crate::model::ActionKind::Manual(m) => {
                    for o in &m.owners {
                        check(place("owner"), o);
                    }
                    if let Some(r) = &m.request {
                        check(place("request"), r);
                    }
                }
                crate::model::ActionKind::Command(c) => {
                    for a in &c.argv {
                        check(place("argv"), a);
                    }
                }
                crate::model::ActionKind::Unsupported { .. } => {}
            }
        }
    }
    out
}

/// `s`: save, but ask first when validation finds errors, naming the first
/// (the file would load, but `bpe validate` and a run would trip over it).
pub fn request_save(st: &mut EditorState, cx: &mut Ctx) {
    let ed = &*st;
    let errors: Vec<&super::lint::Finding> = ed
        .findings
        .iter()
        .filter(|f| f.level == super::lint::Level::Error)
        .collect();
    let Some(first) = errors.first() else {
        save(st, cx);
        return;
    };
    // A save that would be refused anyway says why at once.
    if ed.read_only().is_some() || !invalid_expressions(&ed.def).is_empty() {
        save(st, cx);
        return;
    }
    let lines = vec![
        format!(
            "{} has {} validation error(s); the first:",
            crate::model::escape_name(&ed.def.name),
            errors.len()
        ),
        format!("✗ {}", crate::model::escape_name(&first.text)),
        "Save anyway?".into(),
    ];
    cx.overlay(super::app::Overlay::Question(super::ask::Question {
        purpose: super::app::AppAsk::SaveWithErrors,
        title: "Save with errors".into(),
        lines,
    }));
}

/// Save the working copy. Refused when read-only, while any expression is
/// invalid, or while a run holds the definition (naming it). True when saved.
pub fn save(st: &mut EditorState, cx: &mut Ctx) -> bool {
    let ed = &mut *st;
    if let Some(holder) = ed.read_only() {
        let msg = format!("not saved: read-only, being edited by {holder}");
        cx.error(msg);
        return false;
    }
    let invalid = invalid_expressions(&ed.def);
    if let Some((place, err)) = invalid.first() {
        let msg = format!(
            "not saved: {} invalid expression(s); {place}: {err}",
            invalid.len()
        );
        cx.error(msg);
        return false;
    }
    // Atomic, under the exclusive run lock: refused while a run reads it.
    let result = crate::repo::save_definition_file(cx.root, &ed.path, &ed.def).map(drop);
    match result {
        Ok(()) => {
            ed.disk = Some(ed.def.clone());
            ed.stack.mark_saved();
            recovery::remove(cx.root, &ed.path);
            let name = ed.def.name.clone();
            let path = ed.path.clone();
            cx.info(format!("saved {name} to {}", path.display()));
            // The app re-reads the repository and lays the workflow out again
            // (its findings depend on the repository).
            cx.request(super::screen::Request::Reload);
            true
        }
        Err(SaveError::Locked(LockError::Held { holders, .. })) => {
            let who: Vec<String> = holders.iter().map(|h| h.to_string()).collect();
            cx.error(format!(
                "not saved: a run holds this workflow: {}",
                who.join("; ")
            ));
            false
        }
        Err(e) => {
            cx.error(format!("not saved: {e}"));
            false
        }
    }
}
