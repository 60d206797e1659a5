//! The popups in front of the screens and what their keys do: help, the
//! unsaved-changes question, the reload conflict, recovery copies, the one
//! prompt type, pickers, the import plan and the app's yes/no questions; and
//! quitting (which asks when a debug run is live or edits are unsaved).
//!
//! Invariant: an overlay gets every key first; it is taken out of the app
//! while its key is handled and put back unless the key closed it. The work a
//! popup's answer starts is done by the screen's own functions over a context
//! ([`App::with_editor`], [`App::with_debugger`]).

use super::action::Action;
use super::app::{AfterConfirm, App, AppAsk, Overlay, PromptPurpose, Screen};
use super::screen::{Request, ctx};
use super::{debugger, editor, sync, workitems};

pub fn request_quit(app: &mut App) {
    if let Some(d) = app.debugger.as_ref().filter(|d| d.is_live()) {
        let mode = if d.dry_run { "dry run" } else { "APPLY" };
        app.overlay = Some(Overlay::Question(super::ask::Question {
            purpose: AppAsk::QuitStoppingRun,
            title: "Quit".into(),
            lines: vec![
                format!(
                    "A debug run of {} is live ({mode}, {}).",
                    crate::model::escape_name(&d.definition.name),
                    d.stopped
                ),
                "Quit and stop it? Nothing pending is written.".into(),
            ],
        }));
        return;
    }
    quit_unless_unsaved(app);
}

fn quit_unless_unsaved(app: &mut App) {
    // The workflow and the rule editor share the app's question; an open
    // template asks its own after it.
    if app.editor.as_ref().is_some_and(|e| e.is_dirty())
        || app.rule_editor.as_ref().is_some_and(|r| r.is_dirty())
    {
        app.overlay = Some(Overlay::ConfirmUnsaved {
            then: AfterConfirm::Quit,
        });
    } else if let Some(te) = app.template_editor.as_mut().filter(|t| t.is_dirty()) {
        // The template editor asks its own question (and quits once answered).
        app.overlay = None;
        te.ask_unsaved(super::template_editor::Then::Quit);
        app.screen = Screen::TemplateEditor;
    } else {
        app.overlay = None;
        app.quit = true;
    }
}

/// An action while an overlay is up; what else should happen comes back as requests.
pub fn update_overlay(app: &mut App, action: Action) -> Vec<Request> {
    let Some(overlay) = app.overlay.take() else {
        return Vec::new();
    };
    let mut requests = Vec::new();
    match overlay {
        Overlay::Help { scroll } => {
            let scroll = match action {
                Action::Back | Action::Help => return requests,
                Action::Up => scroll.saturating_sub(1),
                Action::Down => scroll.saturating_add(1),
                Action::PageUp => scroll.saturating_sub(app.size.1 / 2),
                Action::PageDown => scroll.saturating_add(app.size.1 / 2),
                Action::Top => 0,
                Action::Bottom => u16::MAX / 2,
                _ => scroll,
            };
            app.overlay = Some(Overlay::Help { scroll });
        }
        Overlay::ConfirmUnsaved { then } => match action {
            Action::Save => {
                // Quitting saves the open rule too; the workflow editor saves its own.
                let quit = then == AfterConfirm::Quit;
                let rule_saved = !quit || super::app_editor::save_rule_if_dirty(app);
                if rule_saved
                    && ((quit && app.editor.is_none())
                        || app.with_editor(editor::save).unwrap_or(false))
                {
                    finish_after_confirm(app, then);
                }
            }
            Action::Discard => {
                if then == AfterConfirm::Quit
                    && let Some(r) = app.rule_editor.as_mut()
                {
                    r.drop_changes(&app.root);
                }
                if let Some(ed) = &app.editor {
                    super::recovery::remove(&app.root, &ed.path);
                }
                let root = &app.root;
                if let Some(ed) = app.editor.as_mut() {
                    editor::drop_changes(ed, root);
                }
                finish_after_confirm(app, then);
            }
            Action::Cancel => {}
            _ => app.overlay = Some(Overlay::ConfirmUnsaved { then }),
        },
        Overlay::Conflict => match action {
            Action::KeepMine => sync::keep_mine(app),
            Action::TakeTheirs => sync::take_theirs(app),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                if let Some(ed) = app.editor.as_mut() {
                    editor::scroll_conflict_diff(ed, action);
                }
                app.overlay = Some(Overlay::Conflict);
            }
            _ => app.overlay = Some(Overlay::Conflict),
        },
        Overlay::Recovery {
            mut copies,
            selected,
        } => match action {
            Action::Back => {}
            Action::Up => {
                app.overlay = Some(Overlay::Recovery {
                    selected: selected.saturating_sub(1),
                    copies,
                })
            }
            Action::Down => {
                let selected = (selected + 1).min(copies.len().saturating_sub(1));
                app.overlay = Some(Overlay::Recovery { copies, selected });
            }
            Action::Restore if selected < copies.len() => {
                let (_, copy) = copies.remove(selected);
                sync::restore_recovery(app, copy);
            }
            Action::Discard if selected < copies.len() => {
                let (file, copy) = copies.remove(selected);
                let _ = std::fs::remove_file(&file);
                app.info(format!(
                    "discarded the recovery copy of {}",
                    crate::model::escape_name(copy.object.name())
                ));
                if !copies.is_empty() {
                    let selected = selected.min(copies.len() - 1);
                    app.overlay = Some(Overlay::Recovery { copies, selected });
                }
            }
            _ => app.overlay = Some(Overlay::Recovery { copies, selected }),
        },
        Overlay::Prompt(mut prompt) => match action {
            Action::Cancel => {}
            Action::Accept => {
                let text = prompt.text();
                let answer = match prompt.purpose {
                    PromptPurpose::ImportFile => super::import::file_accepted(app, &text),
                    purpose => app
                        .with_editor(|ed, cx| editor::prompt_accepted(ed, cx, purpose, &text))
                        .unwrap_or(Ok(())),
                };
                if let Err(message) = answer {
                    prompt.error = Some(message);
                    app.overlay = Some(Overlay::Prompt(prompt));
                }
            }
            _ => app.overlay = Some(Overlay::Prompt(prompt)),
        },
        Overlay::Picker {
            purpose,
            items,
            selected,
        } => {
            let last = items.len().saturating_sub(1);
            let page = usize::from(app.size.1 / 2).max(1);
            let selected = match action {
                Action::Cancel | Action::Back => return requests,
                Action::Accept => {
                    app.with_editor(|ed, cx| editor::picker_accepted(ed, cx, purpose, selected));
                    return requests;
                }
                Action::Up => selected.saturating_sub(1),
                Action::Down => (selected + 1).min(last),
                Action::PageUp => selected.saturating_sub(page),
                Action::PageDown => (selected + page).min(last),
                Action::Top => 0,
                Action::Bottom => last,
                _ => selected,
            };
            app.overlay = Some(Overlay::Picker {
                purpose,
                items,
                selected,
            });
        }
        Overlay::Import(plan) => match action {
            Action::Yes => super::import::confirmed(app, plan, true),
            Action::Skip => super::import::confirmed(app, plan, false),
            Action::Cancel => app.info(format!("import of {} cancelled", plan.file)),
            _ => app.overlay = Some(Overlay::Import(plan)),
        },
        Overlay::Question(q) => match (action, &q.purpose) {
            (Action::Yes, AppAsk::QuitStoppingRun) => {
                if let Some(d) = app.debugger.as_mut() {
                    debugger::stop(d);
                }
                quit_unless_unsaved(app);
            }
            (Action::Yes, AppAsk::SaveWithErrors) => {
                app.with_editor(editor::save);
            }
            (Action::Yes, AppAsk::Decide { item, decision }) => {
                let mut cx = ctx!(app);
                if workitems::current_id(&app.work_items).as_deref() == Some(item.as_str()) {
                    requests = workitems::complete(&mut app.work_items, &mut cx, decision);
                    let mut said = cx.into_requests();
                    said.append(&mut requests);
                    requests = said;
                } else {
                    app.warn(format!("{item} is no longer selected; nothing was decided"));
                }
            }
            (Action::Yes, AppAsk::DecideInRun { item, decision }) => {
                app.with_debugger(|d, cx| debugger::decide_now(d, cx, item, decision));
            }
            (Action::No, AppAsk::Decide { item, .. } | AppAsk::DecideInRun { item, .. }) => {
                app.info(format!("{item}: nothing decided"))
            }
            (Action::No, _) => {}
            _ => app.overlay = Some(Overlay::Question(q)),
        },
    }
    requests
}

fn finish_after_confirm(app: &mut App, then: AfterConfirm) {
    match then {
        // An open template may have unsaved edits too: ask about them next.
        AfterConfirm::Quit => quit_unless_unsaved(app),
        AfterConfirm::Close => super::app_editor::close_now(app),
    }
}
