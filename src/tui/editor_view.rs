//! Drawing the editor: diagram (or JSON source), optional outline, properties.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::editor::{EditorState, FieldEdit, Focus, outline, outline_width, properties_width};
use super::properties::{self, Row};
use super::screen::Ctx;
use super::theme::Theme;
use crate::edit::ElementRef;

pub fn view(st: &EditorState, cx: &Ctx, frame: &mut Frame, area: Rect) {
    let ed = st;
    let t = cx.theme;
    let pw = properties_width(area.width, cx.settings.properties_percent);
    let ow = if ed.show_outline {
        outline_width(area.width)
    } else {
        0
    };
    let [outline_area, main_area, props_area] = Layout::horizontal([
        Constraint::Length(ow),
        Constraint::Min(10),
        Constraint::Length(pw),
    ])
    .areas(area);
    if ed.show_outline {
        view_outline(ed, t, frame, outline_area);
    }
    if let Some(dv) = &ed.diff {
        super::diff_view_render::view(ed, dv, t, frame, main_area, props_area);
        return;
    }
    let mut title = vec![Span::styled(
        format!(" {} ", crate::model::escape_name(&ed.def.name)),
        t.title(),
    )];
    if ed.is_dirty() {
        title.push(Span::styled("● modified ", t.warning()));
    }
    if let Some(h) = ed.read_only() {
        title.push(Span::styled(format!("[read-only: {h}] "), t.error()));
    }
    let errors = ed
        .findings
        .iter()
        .filter(|f| f.level == super::lint::Level::Error)
        .count();
    let warnings = ed
        .findings
        .iter()
        .filter(|f| f.level == super::lint::Level::Warning)
        .count();
    if errors > 0 {
        title.push(Span::styled(format!("✗{errors} "), t.error()));
    }
    if warnings > 0 {
        title.push(Span::styled(format!("!{warnings} "), t.warning()));
    }
    if ed.show_source && ed.source_xml {
        title.push(Span::styled("(Waveset XML, read-only) ", t.dim()));
    } else if ed.show_source {
        title.push(Span::styled("(source, read-only) ", t.dim()));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if ed.focus == Focus::Diagram {
            t.focused_border()
        } else {
            t.border()
        })
        .title(Line::from(title));
    let inner = block.inner(main_area);
    frame.render_widget(block, main_area);
    if ed.show_source {
        view_source(ed, t, frame, inner);
    } else {
        let transition = match ed.selection {
            ElementRef::Transition(a, i) => Some((a, i)),
            _ => None,
        };
        let highlight = super::diagram::Highlight {
            activity: ed.selection.activity(),
            transition,
        };
        ed.diagram
            .render(frame.buffer_mut(), inner, ed.scroll, highlight, t);
        ed.diagram.mark_errors(
            frame.buffer_mut(),
            inner,
            ed.scroll,
            &super::lint::activities_with_errors(&ed.findings),
            t,
        );
    }
    view_properties(ed, t, frame, props_area);
}

fn view_outline(ed: &EditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let rows = outline(&ed.def);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if ed.focus == Focus::Outline {
            t.focused_border()
        } else {
            t.border()
        })
        .title(Span::styled(" Outline ", t.title()));
    let inner = block.inner(area);
    let pos = rows
        .iter()
        .position(|r| r.target == ed.selection)
        .unwrap_or(0);
    let offset = pos.saturating_sub(usize::from(inner.height).saturating_sub(1));
    let lines: Vec<Line> = rows
        .iter()
        .skip(offset)
        .take(usize::from(inner.height))
        .map(|r| {
            let indent = "  ".repeat(usize::from(r.depth));
            let text = format!("{indent}{}", r.text);
            if r.target == ed.selection {
                Line::styled(format!("▶{text}"), t.selected())
            } else {
                Line::raw(format!(" {text}"))
            }
        })
        .collect();
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The definition's JSON (as it would be saved) and the line range of `sel`.
pub fn source_lines(ed: &EditorState) -> (Vec<String>, std::ops::Range<usize>) {
    if ed.source_xml {
        // The export is whole-document; no element range to highlight in it.
        let xml = crate::waveset::export_definition(&ed.def);
        return (xml.lines().map(str::to_string).collect(), 0..0);
    }
    let text = crate::repo::to_json_bytes(&ed.def)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let range = element_lines(ed).unwrap_or(0..0);
    (lines, range)
}

/// Where the selected element's JSON lies in the pretty text: replace it by a
/// marker to find its first line, and count its own pretty lines.
fn element_lines(ed: &EditorState) -> Option<std::ops::Range<usize>> {
    if ed.selection == ElementRef::Definition {
        return None;
    }
    let mut value = serde_json::to_value(&ed.def).ok()?;
    let element = value.pointer(&ed.selection.pointer())?.clone();
    const MARK: &str = "\u{1}bpe-selected\u{1}";
    *value.pointer_mut(&ed.selection.pointer())? = serde_json::Value::String(MARK.into());
    let marked = serde_json::to_string_pretty(&value).ok()?;
    let start = marked
        .lines()
        .position(|l| l.contains("\\u0001bpe-selected"))?;
    let len = serde_json::to_string_pretty(&element).ok()?.lines().count();
    Some(start..start + len)
}

fn view_source(ed: &EditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let (lines, range) = source_lines(ed);
    let offset = range.start.saturating_sub(2);
    let offset = offset.min(lines.len().saturating_sub(usize::from(area.height)));
    let width = lines.len().to_string().len();
    let shown: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(offset)
        .take(usize::from(area.height))
        .map(|(i, l)| {
            let inside = range.contains(&i);
            let gutter = Span::styled(
                format!("{:>width$}{}", i + 1, if inside { "▌" } else { " " }),
                t.dim(),
            );
            let body = if inside {
                Span::styled(l.clone(), t.highlight())
            } else {
                Span::raw(l.clone())
            };
            Line::from(vec![gutter, body])
        })
        .collect();
    frame.render_widget(Paragraph::new(shown), area);
}

fn view_properties(ed: &EditorState, t: &Theme, frame: &mut Frame, area: Rect) {
    let focused = ed.focus == Focus::Properties || ed.editing.is_some();
    let kind = properties::kind_name(ed.selection);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            t.focused_border()
        } else {
            t.border()
        })
        .title(Span::styled(format!(" Properties: {kind} "), t.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (rows_area, edit_area) = match &ed.editing {
        Some(edit) => {
            let text_w = usize::from(inner.width.saturating_sub(2)).max(1);
            let lines = wrapped_rows(edit.input.lines(), text_w) as u16;
            let h = (lines + 2).clamp(3, inner.height.saturating_sub(5).max(3)) + 3;
            let [a, b] = Layout::vertical([Constraint::Min(1), Constraint::Length(h)]).areas(inner);
            (a, Some(b))
        }
        None => (inner, None),
    };
    let rows = ed.rows();
    let label_w = rows
        .iter()
        .filter_map(|r| match r {
            Row::Field(f) => Some(f.label.chars().count()),
            _ => None,
        })
        .max()
        .unwrap_or(4)
        .min(18)
        .min(usize::from(rows_area.width / 3).max(6));
    let height = usize::from(rows_area.height);
    let width = usize::from(rows_area.width).max(8);
    // Lines with the row they belong to: a finding wraps over several lines.
    let mut lines: Vec<(usize, Line)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let cursor = i == ed.prop_cursor && focused;
        let marker = if cursor { "▶" } else { " " };
        let line = match row {
            Row::Heading(h) => Line::styled(format!(" {h}"), t.label()),
            Row::Finding { level, text } => {
                let style = match level {
                    super::lint::Level::Error => t.error(),
                    super::lint::Level::Warning => t.warning(),
                    super::lint::Level::Info => t.dim(),
                };
                for (n, part) in wrap_chars(text, width.saturating_sub(4))
                    .into_iter()
                    .enumerate()
                {
                    let indent = if n == 0 { "  " } else { "    " };
                    lines.push((i, Line::styled(format!("{indent}{part}"), style)));
                }
                continue;
            }
            Row::Field(f) => {
                let value = if matches!(f.kind, properties::FieldKind::Expr { .. }) {
                    properties::short(&f.value, 200)
                } else {
                    f.value.replace('\n', " ")
                };
                let mut spans = vec![
                    Span::raw(marker.to_string()),
                    Span::styled(
                        format!("{:<label_w$} ", properties::short(&f.label, label_w)),
                        t.label(),
                    ),
                    Span::raw(value),
                ];
                if !f.hint.is_empty() {
                    spans.push(Span::styled(format!("  {}", f.hint), t.dim()));
                }
                if matches!(f.kind, properties::FieldKind::ReadOnly) {
                    spans[2] = Span::styled(spans[2].content.to_string(), t.dim());
                }
                Line::from(spans)
            }
            Row::Link { text, .. } => Line::raw(format!("{marker}  {text}")),
        };
        lines.push((
            i,
            if cursor {
                line.style(t.selected())
            } else {
                line
            },
        ));
    }
    let cursor_line = lines
        .iter()
        .position(|(row, _)| *row == ed.prop_cursor)
        .unwrap_or(0);
    let offset = cursor_line.saturating_sub(height.saturating_sub(2));
    let lines: Vec<Line> = lines
        .into_iter()
        .skip(offset)
        .take(height)
        .map(|(_, l)| l)
        .collect();
    frame.render_widget(Paragraph::new(lines), rows_area);
    if let (Some(edit), Some(edit_area)) = (&ed.editing, edit_area) {
        view_field_edit(edit, t, frame, edit_area);
    }
}

fn view_field_edit(edit: &FieldEdit, t: &Theme, frame: &mut Frame, area: Rect) {
    let [box_area, msg_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if edit.error.is_some() {
            t.error()
        } else {
            t.focused_border()
        })
        .title(Span::styled(format!(" {} ", edit.label), t.title()));
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    frame.render_widget(&edit.input, inner);
    let msg = match &edit.error {
        Some(e) => {
            // Mark the error's cell in the (glyph-wrapped, scrolled) text.
            let w = usize::from(inner.width).max(1);
            let (row, col) = (e.line.saturating_sub(1), e.column.saturating_sub(1));
            let lines = edit.input.lines();
            let above = wrapped_rows(&lines[..row.min(lines.len())], w);
            let screen_row =
                (above + col / w).checked_sub(usize::from(edit.input.scroll_offset().0));
            if let Some(screen_row) = screen_row.filter(|r| *r < usize::from(inner.height)) {
                let pos = (inner.x + (col % w) as u16, inner.y + screen_row as u16);
                if let Some(cell) = frame.buffer_mut().cell_mut(pos) {
                    if cell.symbol() == " " {
                        cell.set_char('◆');
                    }
                    cell.set_style(t.error().add_modifier(
                        ratatui::style::Modifier::UNDERLINED | ratatui::style::Modifier::REVERSED,
                    ));
                }
            }
            vec![Line::styled(
                format!("✗ {}:{} {}", e.line, e.column, e.message),
                t.error(),
            )]
        }
        None => match &edit.warning {
            Some(w) => vec![
                Line::styled(
                    format!("! {}:{} {}", w.line, w.column, w.message),
                    t.warning(),
                ),
                Line::styled("Enter applies anyway · Esc cancels", t.dim()),
            ],
            None => vec![Line::styled(
                "✓ Enter applies · Alt-Enter new line · Esc cancels",
                t.dim(),
            )],
        },
    };
    frame.render_widget(
        Paragraph::new(msg)
            .wrap(Wrap { trim: false })
            .style(Style::new()),
        msg_area,
    );
}

/// `text` cut into pieces of at most `width` characters, at spaces where possible.
pub(super) fn wrap_chars(text: &str, width: usize) -> Vec<String> {
    let width = width.max(4);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let (lw, ww) = (line.chars().count(), word.chars().count());
        if lw > 0 && lw + 1 + ww > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            line = line.chars().skip(width).collect();
            out.push(head);
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// Screen rows of text lines wrapped at `width` characters (at least one per line).
fn wrapped_rows(lines: &[String], width: usize) -> usize {
    lines
        .iter()
        .map(|l| l.chars().count().div_ceil(width.max(1)).max(1))
        .sum()
}
