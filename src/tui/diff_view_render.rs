//! Drawing the editor's diff mode (`tui::diff_view`): the diagram of the
//! working copy with removed activities added, each changed box marked by a
//! sign and a style (`+` added, `~` changed, `-` removed: the sign carries the
//! meaning, colour only repeats it), a legend, and the change list in place of
//! the properties pane. Never mutates.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::diagram::{BoxMark, Highlight};
use super::diff_view::{DiffView, Mark};
use super::editor::EditorState;
use super::theme::Theme;
use crate::diff::ChangeKind;
use crate::model::escape_name;

/// The sign of a mark.
pub fn sign(m: Mark) -> char {
    match m {
        Mark::Added => '+',
        Mark::Changed => '~',
        Mark::Removed => '-',
    }
}

/// Draw the diagram pane (`main`) and the change list (`side`).
pub fn view(ed: &EditorState, dv: &DiffView, t: &Theme, frame: &mut Frame, main: Rect, side: Rect) {
    let mut title = vec![Span::styled(
        format!(" {} ", escape_name(&ed.def.name)),
        t.title(),
    )];
    if ed.is_dirty() {
        title.push(Span::styled("● modified ", t.warning()));
    }
    title.push(Span::styled(
        format!("diff: {} → working copy ", dv.label),
        t.dim(),
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Line::from(title));
    let inner = block.inner(main);
    frame.render_widget(block, main);
    let [diagram_area, legend_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let highlight = Highlight {
        activity: dv.selected_box(),
        transition: None,
    };
    dv.diagram
        .render(frame.buffer_mut(), diagram_area, dv.scroll, highlight, t);
    let marks: Vec<BoxMark> = dv
        .marks
        .iter()
        .map(|&(activity, m)| {
            let style = mark_style(m, t);
            BoxMark {
                activity,
                sign: sign(m),
                sign_style: style.add_modifier(Modifier::BOLD),
                border: (Some(activity) != dv.selected_box()).then_some(style),
                inside: (m == Mark::Removed && Some(activity) != dv.selected_box())
                    .then_some(style.add_modifier(Modifier::CROSSED_OUT)),
            }
        })
        .collect();
    dv.diagram
        .mark_boxes(frame.buffer_mut(), diagram_area, dv.scroll, &marks);
    let legend = Line::from(vec![
        Span::styled("+ added", mark_style(Mark::Added, t)),
        Span::raw("  "),
        Span::styled("~ changed", mark_style(Mark::Changed, t)),
        Span::raw("  "),
        Span::styled(
            "- removed (shown without its incoming transitions)",
            mark_style(Mark::Removed, t),
        ),
    ]);
    frame.render_widget(Paragraph::new(legend), legend_area);
    view_changes(dv, t, frame, side);
}

/// The style of a line of the diff's text form, by its sign (`+` added, `-`
/// removed, anything else plain).
pub fn line_style(line: &str, t: &Theme) -> ratatui::style::Style {
    match line.chars().next() {
        Some('+') => t.ok(),
        Some('-') => t.error(),
        _ => t.normal(),
    }
}

fn mark_style(m: Mark, t: &Theme) -> ratatui::style::Style {
    match m {
        Mark::Added => t.ok(),
        Mark::Changed => t.warning(),
        Mark::Removed => t.error(),
    }
}

/// The rows of the change list at `width` columns: each change's lines (its
/// sub-expression lines indented), wrapped, with the index of the change they
/// belong to. Every row starts with a marker column.
pub fn change_rows(dv: &DiffView, width: usize) -> Vec<(usize, String)> {
    let mut rows = Vec::new();
    for (i, c) in dv.diff.changes.iter().enumerate() {
        for line in crate::diff::render_change(c).lines() {
            let indent = line.len() - line.trim_start().len() + 2;
            let parts =
                super::editor_view::wrap_chars(line.trim_start(), width.saturating_sub(indent + 1));
            for (n, part) in parts.into_iter().enumerate() {
                let pad = if n == 0 { indent - 2 } else { indent };
                rows.push((i, format!("{}{part}", " ".repeat(pad))));
            }
        }
    }
    rows
}

fn view_changes(dv: &DiffView, t: &Theme, frame: &mut Frame, area: Rect) {
    let n = dv.diff.changes.len();
    let block = super::theme::pane_block(t, format!(" Changes ({n}) from {} ", dv.label), true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if n == 0 {
        frame.render_widget(
            Paragraph::new(format!("no differences from {}", dv.label)).style(t.dim()),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    let rows = change_rows(dv, width);
    let first = rows
        .iter()
        .position(|(i, _)| *i == dv.selected)
        .unwrap_or(0);
    let last = rows
        .iter()
        .rposition(|(i, _)| *i == dv.selected)
        .unwrap_or(first);
    // Keep the whole selected change in sight, a line of context above it.
    let offset = first
        .saturating_sub(1)
        .min((last + 1).saturating_sub(height));
    let lines: Vec<Line> = rows
        .iter()
        .skip(offset)
        .take(height)
        .map(|(i, text)| {
            let selected = *i == dv.selected;
            let marker = if selected && !text.starts_with(' ') {
                "▶"
            } else {
                " "
            };
            let text = super::table::clip(&format!("{marker}{text}"), width);
            let change = &dv.diff.changes[*i];
            let style = match change.change {
                ChangeKind::Added => t.ok(),
                ChangeKind::Removed => t.error(),
                ChangeKind::Renamed | ChangeKind::Changed => t.normal(),
            };
            if selected {
                Line::styled(text, t.selected())
            } else {
                Line::styled(text, style)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
