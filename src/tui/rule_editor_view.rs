//! Drawing the rule editor (`tui::rule_editor`): a title line, the arguments
//! table, the description, the body (a text area while edited, with its live
//! check under it) and the "used by" pane; the editor's own prompt and
//! questions on top. Never mutates; every name reaches the terminal through
//! `escape_name` (the table escapes its cells).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::action::Action as A;
use super::editor_fields::{InputError, check_expr, pretty_expr};
use super::keymap::Context as C;
use super::rule_editor::{Column, FieldInput, Pane, RuleEditorState, Then};
use super::screen::Ctx;
use super::table::{self, TableCell, TableView};
use super::theme::{Theme, pane_block};
use crate::edit::rule::RuleField;
use crate::model::escape_name;

pub fn view(r: &RuleEditorState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    view_title(r, t, frame, title);
    let used_w = (body.width * 3 / 10).clamp(24, 44);
    let [left, right] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(used_w)]).areas(body);
    let args_h = (r.doc.rule.arguments.len() as u16 + 3).clamp(4, (left.height / 3).max(4));
    let desc_h = if left.height >= 24 { 5 } else { 4 };
    let [args, desc, code] = Layout::vertical([
        Constraint::Length(args_h),
        Constraint::Length(desc_h),
        Constraint::Min(4),
    ])
    .areas(left);
    view_arguments(r, t, frame, args);
    view_description(r, t, frame, desc);
    view_body(r, t, frame, code);
    view_used_by(r, t, frame, right);
    if let Some(f) = r.editing.as_ref().filter(|f| is_argument(f.field)) {
        view_field_popup(f, t, frame, body);
    }
    if let Some(p) = &r.prompt {
        super::ask::view_prompt(p, t, frame, body);
    }
    if let Some(then) = &r.confirm {
        view_confirm(cx, r, then, frame, body);
    }
    if r.theirs.is_some() {
        view_conflict(cx, r, frame, body);
    }
}

fn is_argument(field: RuleField) -> bool {
    !matches!(
        field,
        RuleField::Body | RuleField::Description | RuleField::LocalScope
    )
}

fn view_title(r: &RuleEditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = vec![
        Span::styled(
            format!(" Rule {} ", escape_name(&r.callable_name())),
            t.title(),
        ),
        Span::styled(
            escape_name(&r.path.display().to_string()).into_owned(),
            t.dim(),
        ),
    ];
    if let Some(l) = &r.library {
        spans.push(Span::styled(
            format!(
                " (rule {} of {} of library {})",
                l.index + 1,
                l.count,
                escape_name(&l.name)
            ),
            t.dim(),
        ));
    }
    if r.is_dirty() {
        spans.push(Span::styled(" ● modified", t.warning()));
    }
    if r.doc.rule.local_scope {
        spans.push(Span::styled(" localScope", t.dim()));
    }
    if let Some(h) = r.read_only() {
        spans.push(Span::styled(
            format!(" read-only: edited by {h}"),
            t.error(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn view_arguments(r: &RuleEditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = r.pane == Pane::Arguments;
    let title = format!(" Arguments ({}) ", r.doc.rule.arguments.len());
    let block = pane_block(t, title, focused);
    if r.doc.rule.arguments.is_empty() {
        frame.render_widget(
            Paragraph::new("No arguments (a adds one).")
                .style(t.dim())
                .block(block),
            area,
        );
        return;
    }
    let rows = r
        .doc
        .rule
        .arguments
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let cell = |col: Column, text: String| {
                let here = focused && i == r.arg_row && col == r.column;
                let style = if here { t.highlight() } else { t.normal() };
                // The cursor's cell is marked in text too (meaning never by colour alone).
                let text = if here { format!("[{text}]") } else { text };
                TableCell::new(text, style)
            };
            vec![
                cell(Column::Name, a.name.clone()),
                cell(Column::Default, a.value.clone().unwrap_or_default()),
                cell(Column::Locked, if a.locked { "yes" } else { "no" }.into()),
                cell(Column::Comment, a.comment.clone()),
            ]
        })
        .collect();
    let headers: Vec<&str> = Column::ALL.iter().map(|c| c.header()).collect();
    table::render(
        frame,
        area,
        block,
        TableView {
            headers: &headers,
            rows,
            selected: Some(r.arg_row),
            trailer: Vec::new(),
        },
        t,
    );
}

fn view_description(r: &RuleEditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let block = pane_block(t, " Description ".into(), r.pane == Pane::Description);
    if let Some(f) = r
        .editing
        .as_ref()
        .filter(|f| f.field == RuleField::Description)
    {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(&f.input, inner);
        return;
    }
    let text = if r.doc.rule.description.is_empty() {
        Line::styled("(none: Enter writes one)", t.dim())
    } else {
        Line::raw(escape_name(&r.doc.rule.description).into_owned())
    };
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
        area,
    );
}

fn check_line(
    error: Option<&InputError>,
    warning: Option<&InputError>,
    t: &Theme,
) -> Line<'static> {
    match (error, warning) {
        (Some(e), _) => Line::styled(
            format!("✗ {}:{} {}", e.line, e.column, escape_name(&e.message)),
            t.error(),
        ),
        (None, Some(w)) => Line::styled(
            format!("! {}:{} {}", w.line, w.column, escape_name(&w.message)),
            t.warning(),
        ),
        (None, None) => Line::styled("✓ parses; every function known", t.ok()),
    }
}

fn view_body(r: &RuleEditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let editing = r.editing.as_ref().filter(|f| f.field == RuleField::Body);
    let title = if editing.is_some() {
        " Body — editing (Enter applies, Esc drops) "
    } else {
        " Body "
    };
    let block = pane_block(t, title.into(), r.pane == Pane::Body);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [text_area, check] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    match editing {
        Some(f) => {
            frame.render_widget(&f.input, text_area);
            frame.render_widget(
                Paragraph::new(check_line(f.error.as_ref(), f.warning.as_ref(), t)),
                check,
            );
        }
        None => {
            let body = pretty_expr(&r.doc.rule.body);
            let lines: Vec<Line> = body
                .lines()
                .map(|l| Line::raw(escape_name(l).into_owned()))
                .collect();
            frame.render_widget(Paragraph::new(lines), text_area);
            let (e, w) = check_expr(&r.doc.rule.body, false);
            frame.render_widget(Paragraph::new(check_line(e.as_ref(), w.as_ref(), t)), check);
        }
    }
}

fn view_used_by(r: &RuleEditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = r.pane == Pane::UsedBy;
    let block = pane_block(t, format!(" Used by ({}) ", r.used_by.len()), focused);
    if r.used_by.is_empty() {
        frame.render_widget(
            Paragraph::new("No workflow or rule calls this rule.")
                .style(t.dim())
                .wrap(Wrap { trim: false })
                .block(block),
            area,
        );
        return;
    }
    let items: Vec<ListItem> = r
        .used_by
        .iter()
        .map(|u| {
            let kind = if u.workflow { "workflow " } else { "rule     " };
            ListItem::new(Line::from(vec![
                Span::styled(kind, t.dim()),
                Span::raw(escape_name(&u.name).into_owned()),
            ]))
        })
        .collect();
    let mut state = ListState::default().with_selected(focused.then_some(r.used_row));
    let list = List::new(items)
        .block(block)
        .highlight_style(t.selected())
        .highlight_symbol("▶");
    frame.render_stateful_widget(list, area, &mut state);
}

/// An argument field being typed into: a popup over the screen with its check.
fn view_field_popup(f: &FieldInput, t: &Theme, frame: &mut Frame, area: Rect) {
    let lines = f.input.lines().len() as u16;
    let h = (lines + 2 + u16::from(f.expr)).clamp(3, area.height);
    let r = super::view::centered(area, 72, h + 2);
    frame.render_widget(Clear, r);
    let block = pane_block(t, format!(" {} ", f.label), true)
        .title_bottom(Line::styled(" Enter apply · Esc drop ", t.dim()));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [input, check] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(u16::from(f.expr))]).areas(inner);
    frame.render_widget(&f.input, input);
    if f.expr {
        frame.render_widget(
            Paragraph::new(check_line(f.error.as_ref(), f.warning.as_ref(), t)),
            check,
        );
    }
}

fn key(cx: &Ctx, ctx: C, action: A) -> String {
    cx.keymap
        .key_for(ctx, action)
        .map(|k| k.to_string())
        .unwrap_or_else(|| "?".into())
}

fn view_confirm(cx: &Ctx, r: &RuleEditorState, then: &Then, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let what = match then {
        Then::Close => "before closing".to_string(),
        Then::Jump(u) => format!("before opening rule {}", escape_name(&u.name)),
    };
    let lines = vec![
        Line::raw(format!(
            "Rule {} has unsaved changes.",
            escape_name(r.name())
        )),
        Line::raw(format!("Save them {what}?")),
        Line::raw(""),
        Line::from(vec![
            Span::styled(key(cx, C::Confirm, A::Save), t.key()),
            Span::raw(" save   "),
            Span::styled(key(cx, C::Confirm, A::Discard), t.key()),
            Span::raw(" discard changes   "),
            Span::styled(key(cx, C::Confirm, A::Cancel), t.key()),
            Span::raw(" cancel"),
        ]),
    ];
    super::view::popup(frame, area, " Unsaved changes ", lines, 60, cx.theme);
}

fn view_conflict(cx: &Ctx, r: &RuleEditorState, frame: &mut Frame, area: Rect) {
    let t = cx.theme;
    let lines = vec![
        Line::raw(format!(
            "Rule {} changed on disk while you have unsaved edits.",
            escape_name(r.name())
        )),
        Line::raw("Nothing is overwritten until you choose:"),
        Line::raw(""),
        Line::from(vec![
            Span::styled(key(cx, C::Conflict, A::KeepMine), t.key()),
            Span::raw(" keep mine (save to overwrite theirs)"),
        ]),
        Line::from(vec![
            Span::styled(key(cx, C::Conflict, A::TakeTheirs), t.key()),
            Span::raw(" take theirs (undo brings mine back)"),
        ]),
    ];
    super::view::popup(frame, area, " Changed on disk ", lines, 72, cx.theme);
}
