//! Drawing the email template editor: the fields with their `$(var)`
//! placeholders highlighted (a placeholder no workflow sending the template
//! declares is underlined and marked `?`), the preview values, the workflows
//! that send it, and the preview message.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::action::Action;
use super::ask;
use super::keymap::Context;
use super::template_editor::{Ask, Focus, TemplateEditorState};
use super::theme::{Theme, pane_block};
use crate::edit::template::{Piece, TemplateField, is_supplied, pieces};
use crate::model::escape_name;

use std::collections::BTreeSet;

/// What the view needs besides the state.
pub struct ViewEnv<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a super::keymap::Keymap,
}

/// `text` as spans: placeholders styled (unknown ones as warnings), the rest `base`.
pub fn highlighted(
    text: &str,
    supplied: Option<&BTreeSet<String>>,
    t: &Theme,
    base: Style,
) -> Vec<Span<'static>> {
    pieces(text)
        .into_iter()
        .map(|p| match p {
            Piece::Text(s) => Span::styled(escape_name(s).into_owned(), base),
            Piece::Placeholder { text, name } => {
                let style = if is_supplied(name, supplied) {
                    t.placeholder()
                } else {
                    t.placeholder_unknown()
                };
                Span::styled(escape_name(text).into_owned(), style)
            }
        })
        .collect()
}

pub fn view(te: &TemplateEditorState, env: &ViewEnv<'_>, frame: &mut Frame, area: Rect) {
    let t = env.theme;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let mut spans = vec![
        Span::styled(" Template ", t.title()),
        Span::styled(escape_name(&te.doc.name).into_owned(), t.title()),
    ];
    if te.is_dirty() {
        spans.push(Span::styled(" [modified]", t.warning()));
    }
    if let Some(h) = te.read_only() {
        spans.push(Span::styled(
            format!(" [read-only: {}]", escape_name(h)),
            t.error(),
        ));
    }
    if te.theirs.is_some() {
        spans.push(Span::styled(" [changed on disk]", t.warning()));
    }
    spans.push(Span::styled(format!(" — {}", te.path.display()), t.dim()));
    frame.render_widget(Paragraph::new(Line::from(spans)), title);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    view_fields(te, t, frame, left);
    let vars = te.variables();
    let values_h = (vars.len().max(1) as u16 + 2).min(right.height / 3).max(3);
    let used_h = (te.used_by.len().max(1) as u16 + 2).min(5);
    let [values, used, preview] = Layout::vertical([
        Constraint::Length(values_h),
        Constraint::Length(used_h),
        Constraint::Min(3),
    ])
    .areas(right);
    view_values(te, &vars, t, frame, values);
    view_used_by(te, t, frame, used);
    view_preview(te, t, frame, preview);
    if let Some(p) = &te.value_prompt {
        ask::view_prompt(p, t, frame, area);
    }
    if let Some(q) = &te.ask {
        match q.purpose {
            Ask::Overwrite => ask::view_question(q, t, frame, area),
            Ask::Unsaved(_) => view_unsaved(q, env, frame, area),
        }
    }
}

fn view_unsaved(q: &ask::Question<Ask>, env: &ViewEnv<'_>, frame: &mut Frame, area: Rect) {
    let t = env.theme;
    let key = |a: Action| {
        env.keymap
            .key_for(Context::Confirm, a)
            .map(|k| k.to_string())
            .unwrap_or_default()
    };
    let mut lines: Vec<Line> = q.lines.iter().map(|l| Line::raw(l.clone())).collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(key(Action::Save), t.key()),
        Span::raw(" save   "),
        Span::styled(key(Action::Discard), t.key()),
        Span::raw(" discard changes   "),
        Span::styled(key(Action::Cancel), t.key()),
        Span::raw(" cancel"),
    ]));
    let r = super::view::centered(area, 60, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(pane_block(t, format!(" {} ", q.title), true)),
        r,
    );
}

/// The fields pane: one line per header field, then the body. The field
/// being typed shows the draft with its cursor.
fn view_fields(te: &TemplateEditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = te.focus == Focus::Fields;
    let block = pane_block(t, " Fields (e edit) ".into(), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let supplied = te.supplied.as_ref();
    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor_line = None;
    for field in TemplateField::ALL {
        let selected = focused && te.field == field;
        let marker = if selected { "▶" } else { " " };
        let label = Span::styled(
            format!("{marker}{:<12}", field.label()),
            if selected { t.selected() } else { t.label() },
        );
        let draft = te.draft.as_ref().filter(|d| d.field == field);
        let text_lines: Vec<String> = match draft {
            Some(d) => d.input.lines().to_vec(),
            None => field
                .value(&te.doc)
                .split('\n')
                .map(str::to_string)
                .collect(),
        };
        let (row, col) = draft.map_or((usize::MAX, 0), |d| {
            let c = d.input.cursor();
            (c.0, c.1)
        });
        if field == TemplateField::Body {
            lines.push(Line::from(label));
            for (i, l) in text_lines.iter().enumerate() {
                if i == row {
                    cursor_line = Some(lines.len());
                }
                lines.push(with_cursor(
                    l,
                    (i == row).then_some(col),
                    supplied,
                    t,
                    "  ",
                    width.saturating_sub(2),
                ));
            }
        } else {
            let l = text_lines.join(" ");
            if row == 0 {
                cursor_line = Some(lines.len());
            }
            let mut line = with_cursor(
                &l,
                (row == 0).then_some(col),
                supplied,
                t,
                "",
                width.saturating_sub(13),
            );
            line.spans.insert(0, label);
            lines.push(line);
        }
    }
    // Keep the cursor in sight: scroll so its line is the last one shown.
    let height = inner.height as usize;
    let scroll = cursor_line.map_or(0, |c| (c + 1).saturating_sub(height));
    let para = Paragraph::new(lines).scroll((scroll as u16, 0));
    let para = if te.draft.is_some() {
        para
    } else {
        para.wrap(Wrap { trim: false })
    };
    frame.render_widget(para, inner);
}

/// One line of text with its placeholders highlighted and, when typing in it,
/// the cursor as a reversed cell at character `cursor`.
fn with_cursor(
    text: &str,
    cursor: Option<usize>,
    supplied: Option<&BTreeSet<String>>,
    t: &Theme,
    indent: &str,
    width: usize,
) -> Line<'static> {
    let mut spans = vec![Span::raw(indent.to_string())];
    let Some(col) = cursor else {
        spans.extend(highlighted(text, supplied, t, Style::default()));
        return Line::from(spans);
    };
    // Typing past the pane's edge: show the tail, so the cursor stays in sight.
    let skip = (col + 1).saturating_sub(width.max(2));
    if skip > 0 {
        let tail: String = text.chars().skip(skip + 1).collect();
        spans.push(Span::styled("…", t.dim()));
        let rest = with_cursor(&tail, Some(col - skip - 1), supplied, t, "", usize::MAX);
        spans.extend(rest.spans.into_iter().skip(1));
        return Line::from(spans);
    }
    // Split the highlighted spans at the cursor's character.
    let mut seen = 0usize;
    let mut placed = false;
    for span in highlighted(text, supplied, t, Style::default()) {
        let n = span.content.chars().count();
        if !placed && col < seen + n {
            let at = col - seen;
            let chars: Vec<char> = span.content.chars().collect();
            let before: String = chars[..at].iter().collect();
            let under: String = chars[at..=at].iter().collect();
            let after: String = chars[at + 1..].iter().collect();
            spans.push(Span::styled(before, span.style));
            spans.push(Span::styled(under, span.style.patch(t.selected())));
            spans.push(Span::styled(after, span.style));
            placed = true;
        } else {
            spans.push(span);
        }
        seen += n;
    }
    if !placed {
        spans.push(Span::styled(" ", t.selected()));
    }
    Line::from(spans)
}

fn view_values(
    te: &TemplateEditorState,
    vars: &[String],
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let focused = te.focus == Focus::Values;
    let block = pane_block(t, " Preview values (e set, x clear) ".into(), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = Vec::new();
    if vars.is_empty() {
        lines.push(Line::styled("no $(var) placeholders", t.dim()));
    }
    let width = vars
        .iter()
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for (i, name) in vars.iter().enumerate() {
        let selected = focused && i == te.value_row;
        let known = is_supplied(name, te.supplied.as_ref());
        let mark = if known { " " } else { "?" };
        let value = te.values.get(name).map(String::as_str);
        let style = if selected {
            t.selected()
        } else {
            Style::default()
        };
        let mut spans = vec![
            Span::styled(if selected { "▶" } else { " " }, style),
            Span::styled(
                format!("{mark}{:<width$} ", escape_name(name)),
                if known {
                    t.placeholder()
                } else {
                    t.placeholder_unknown()
                },
            ),
        ];
        spans.push(match value {
            Some(v) => Span::styled(escape_name(v).into_owned(), style),
            None => Span::styled("(unset)", t.dim()),
        });
        lines.push(Line::from(spans));
    }
    if vars.iter().any(|n| !is_supplied(n, te.supplied.as_ref())) {
        lines.push(Line::styled(
            "? no workflow sending it declares this variable",
            t.warning(),
        ));
    }
    let skip = (te.value_row + 1).saturating_sub(inner.height as usize);
    frame.render_widget(Paragraph::new(lines).scroll((skip as u16, 0)), inner);
}

fn view_used_by(te: &TemplateEditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = te.focus == Focus::UsedBy;
    let block = pane_block(
        t,
        format!(" Used by {} (Enter opens) ", te.used_by.len()),
        focused,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = Vec::new();
    if te.used_by.is_empty() {
        lines.push(Line::styled("no workflow sends this template", t.dim()));
    }
    for (i, (name, _)) in te.used_by.iter().enumerate() {
        let selected = focused && i == te.used_row;
        lines.push(Line::styled(
            format!("{}{}", if selected { "▶" } else { " " }, escape_name(name)),
            if selected {
                t.selected()
            } else {
                Style::default()
            },
        ));
    }
    let skip = (te.used_row + 1).saturating_sub(inner.height as usize);
    frame.render_widget(Paragraph::new(lines).scroll((skip as u16, 0)), inner);
}

fn view_preview(te: &TemplateEditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let block = pane_block(
        t,
        " Preview: the message notify writes (PgUp/PgDn) ".into(),
        false,
    );
    let lines: Vec<Line> = match &te.preview {
        Ok(text) => text
            .split("\r\n")
            .skip(te.preview_scroll)
            .map(|l| Line::raw(escape_name(l).into_owned()))
            .collect(),
        Err(e) => vec![Line::styled(format!("✗ {}", escape_name(e)), t.error())],
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_styled_and_undeclared_ones_marked_as_warnings() {
        let t = Theme { color: true };
        let declared: BTreeSet<String> = ["firstName".to_string()].into();
        let spans = highlighted(
            "Hi $(firstName) $(nick)\u{1b}",
            Some(&declared),
            &t,
            Style::default(),
        );
        let parts: Vec<(&str, Style)> = spans.iter().map(|s| (&*s.content, s.style)).collect();
        assert_eq!(
            parts,
            [
                ("Hi ", Style::default()),
                ("$(firstName)", t.placeholder()),
                (" ", Style::default()),
                ("$(nick)", t.placeholder_unknown()),
                ("\\u{1b}", Style::default()),
            ]
        );
        assert_ne!(t.placeholder(), t.placeholder_unknown());
        // Without colour the two still differ (underline), and from plain text.
        let plain = Theme::plain();
        assert_ne!(plain.placeholder(), plain.placeholder_unknown());
        assert_ne!(plain.placeholder(), Style::default());
        // No workflow sends it: nothing to warn about.
        let spans = highlighted("$(nick)", None, &t, Style::default());
        assert_eq!(spans[0].style, t.placeholder());
    }
}
