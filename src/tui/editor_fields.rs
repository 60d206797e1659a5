//! The editor's in-place field editing: Enter on a properties row edits the
//! field (a textarea; expressions pretty-printed, checked as you type) or opens
//! the linked element; `r` renames. An invalid expression is never applied.

use tui_textarea::TextArea;

use super::action::Action;
use super::app::{Overlay, PickerPurpose};
use super::editor::*;
use super::properties::{self, FieldKind, Row};
use super::screen::Ctx;
use crate::edit::{Edit, ElementRef, FieldKey, Prop};

/// A syntax error in an expression being typed: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The live check of an expression being typed: a syntax error (blocking), or
/// else the first unknown function or misuse (wrong arity, missing attribute)
/// as a warning; both with their 1-based line and column. Empty text is fine
/// when `optional`. The workflow and rule editors check the same way.
pub fn check_expr(text: &str, optional: bool) -> (Option<InputError>, Option<InputError>) {
    if optional && text.trim().is_empty() {
        return (None, None);
    }
    match crate::expr::parse(text) {
        Ok(parsed) => {
            let warning = crate::validate::call_problems(text, &parsed)
                .into_iter()
                .next()
                .map(|(offset, message)| {
                    let (line, column) = crate::expr::line_column(text, offset);
                    InputError {
                        line,
                        column,
                        message,
                    }
                });
            (None, warning)
        }
        Err(e) => (
            Some(InputError {
                line: e.line,
                column: e.column,
                message: e.message,
            }),
            None,
        ),
    }
}

/// A property being edited in place.
pub struct FieldEdit {
    pub target: ElementRef,
    pub key: FieldKey,
    pub label: String,
    pub kind: FieldKind,
    pub input: TextArea<'static>,
    pub error: Option<InputError>,
    /// An expression that parses but calls an unknown function or misuses one
    /// (wrong arity, missing attribute): flagged while typing, not blocking.
    pub warning: Option<InputError>,
}

impl FieldEdit {
    pub fn text(&self) -> String {
        self.input.lines().join("\n")
    }

    /// Re-check an expression after each keystroke.
    pub fn check(&mut self) {
        self.warning = None;
        self.error = match self.kind {
            FieldKind::Expr { optional } => {
                let (error, warning) = check_expr(&self.text(), optional);
                self.warning = warning;
                error
            }
            FieldKind::Int => {
                let text = self.text();
                match text.trim().parse::<i64>() {
                    Ok(_) => None,
                    Err(_) => Some(InputError {
                        line: 1,
                        column: 1,
                        message: "a whole number".into(),
                    }),
                }
            }
            _ => None,
        };
    }
}

/// Enter on a row: edit the field, or open the linked element.
pub(super) fn edit_current(st: &mut EditorState, cx: &mut Ctx) {
    let ed = &mut *st;
    if ed.focus != Focus::Properties {
        ed.focus = Focus::Properties;
        ed.prop_cursor = first_selectable(&ed.rows());
        return;
    }
    let rows = ed.rows();
    match rows.get(ed.prop_cursor) {
        Some(Row::Field(field)) => start_field_edit(st, cx, field.clone()),
        Some(Row::Link { target, .. }) => {
            let target = *target;
            select(st, cx, target);
            {
                let ed = &mut *st;
                ed.prop_cursor = first_selectable(&ed.rows());
            }
        }
        _ => {}
    }
}

fn first_selectable(rows: &[Row]) -> usize {
    rows.iter().position(properties::selectable).unwrap_or(0)
}

pub(super) fn rename(st: &mut EditorState, cx: &mut Ctx) {
    let ed = &mut *st;
    let rows = ed.rows();
    let Some((i, field)) = rows.iter().enumerate().find_map(|(i, r)| match r {
        Row::Field(f) if f.key.is(Prop::Name) => Some((i, f.clone())),
        _ => None,
    }) else {
        cx.warn("this element has no name");
        return;
    };
    ed.focus = Focus::Properties;
    ed.prop_cursor = i;
    start_field_edit(st, cx, field);
}

pub(super) fn start_field_edit(st: &mut EditorState, cx: &mut Ctx, field: properties::Field) {
    let ed = &mut *st;
    if let Some(holder) = ed.read_only() {
        let msg = format!("read-only: being edited by {holder}");
        cx.error(msg);
        return;
    }
    let target = ed.selection;
    match &field.kind {
        FieldKind::ReadOnly => cx.warn(format!("{} cannot be changed", field.label)),
        FieldKind::Bool => {
            let value = if field.value == "true" {
                "false"
            } else {
                "true"
            };
            execute(
                st,
                cx,
                Edit::SetField {
                    target,
                    field: field.key.clone(),
                    value: value.into(),
                },
            );
        }
        FieldKind::Choice(options) => {
            let selected = options.iter().position(|o| *o == field.value).unwrap_or(0);
            cx.overlay(Overlay::Picker {
                purpose: PickerPurpose::Choice {
                    target,
                    key: field.key.clone(),
                },
                items: options.clone(),
                selected,
            });
        }
        kind => {
            let text = match kind {
                FieldKind::Expr { .. } => pretty_expr(&field.value),
                _ => field.value.clone(),
            };
            let input = text_area(&text);
            let mut edit = FieldEdit {
                target,
                key: field.key.clone(),
                label: field.label.clone(),
                kind: kind.clone(),
                input,
                error: None,
                warning: None,
            };
            edit.check();
            {
                let ed = &mut *st;
                ed.editing = Some(edit);
            }
        }
    }
}

/// A text area holding `text`, wrapping, the cursor at its end (the workflow
/// and rule editors' fields).
pub(super) fn text_area(text: &str) -> TextArea<'static> {
    let mut input = TextArea::new(
        text.lines()
            .map(str::to_string)
            .chain(text.is_empty().then(String::new))
            .collect(),
    );
    input.set_cursor_line_style(ratatui::style::Style::new());
    input.set_wrap_mode(tui_textarea::WrapMode::Glyph);
    input.move_cursor(tui_textarea::CursorMove::Bottom);
    input.move_cursor(tui_textarea::CursorMove::End);
    input
}

/// Expressions are edited pretty-printed (multi-line when long).
pub(super) fn pretty_expr(text: &str) -> String {
    match crate::expr::parse(text) {
        Ok(e) => crate::expr::print_pretty(&e, 60),
        Err(_) => text.to_string(),
    }
}

pub(super) fn update_field_edit(st: &mut EditorState, cx: &mut Ctx, action: Action) {
    let ed = &mut *st;
    let Some(edit) = ed.editing.as_mut() else {
        return;
    };
    match action {
        Action::Cancel => {
            ed.editing = None;
            cx.info("edit dropped");
        }
        Action::Newline => {
            if matches!(edit.kind, FieldKind::Expr { .. } | FieldKind::Text) {
                edit.input.insert_newline();
                edit.check();
            }
        }
        Action::Accept => {
            if let Some(err) = &edit.error {
                let msg = format!(
                    "not applied: {} at {}:{}: {}",
                    edit.label, err.line, err.column, err.message
                );
                cx.error(msg);
                return;
            }
            let value = edit.text();
            let (target, key) = (edit.target, edit.key.clone());
            if execute(
                st,
                cx,
                Edit::SetField {
                    target,
                    field: key,
                    value,
                },
            ) {
                st.editing = None;
            }
        }
        _ => {}
    }
}
