//! The lists of the tasks, work items and debug (cache, locks) screens as
//! tables: a header row, one row per item, columns as wide as their widest cell
//! so nothing is cut while the pane has room.
//!
//! Invariants: every cell's text is escaped (`model::escape_name`) before it
//! reaches the terminal, whatever the caller passed; when the columns do not
//! fit, only the widest ones are narrowed ([`fit_widths`]), down to a common
//! cap, so short columns (status, age, counts) stay whole; rows that are not
//! items (a file that failed to load) are drawn under the table across its
//! full width and are never selectable.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::theme::Theme;

/// Space between two columns.
pub const SPACING: u16 = 1;
/// Width of the selection mark (`▶`) before every row.
const MARK: u16 = 1;

/// One cell: its text (escaped when drawn) and style.
pub struct TableCell {
    pub text: String,
    pub style: Style,
}

impl TableCell {
    pub fn new(text: impl Into<String>, style: Style) -> TableCell {
        TableCell {
            text: text.into(),
            style,
        }
    }
    pub fn raw(text: impl Into<String>) -> TableCell {
        TableCell::new(text, Style::default())
    }
}

/// What to draw: headers, rows, the selected row, lines after the table.
pub struct TableView<'a> {
    pub headers: &'a [&'a str],
    pub rows: Vec<Vec<TableCell>>,
    pub selected: Option<usize>,
    /// Full-width lines under the table (unloadable files), never selected.
    pub trailer: Vec<Line<'static>>,
}

/// `text` cut to at most `max` display columns (wide characters count two).
pub fn clip(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = Span::raw(c.to_string()).width();
        if used + w > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

fn width(text: &str) -> u16 {
    u16::try_from(Span::raw(text).width()).unwrap_or(u16::MAX)
}

fn escaped(text: &str) -> Cow<'_, str> {
    crate::model::escape_name(text)
}

/// Column widths for content of `natural` widths in `available` columns
/// (spacing included): unchanged when they fit; otherwise every column wider
/// than a common cap is cut to it, the cap being the largest that fits.
pub fn fit_widths(natural: &[u16], available: u16) -> Vec<u16> {
    let n = natural.len() as u16;
    let room = available.saturating_sub(SPACING * n.saturating_sub(1));
    let total: u32 = natural.iter().map(|&w| u32::from(w)).sum();
    if total <= u32::from(room) {
        return natural.to_vec();
    }
    // The largest cap with sum(min(w, cap)) <= room (binary search over 0..=max).
    let max = natural.iter().copied().max().unwrap_or(0);
    let fits = |cap: u16| -> bool {
        natural.iter().map(|&w| u32::from(w.min(cap))).sum::<u32>() <= u32::from(room)
    };
    let (mut lo, mut hi) = (0u16, max);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    let mut out: Vec<u16> = natural.iter().map(|&w| w.min(lo)).collect();
    // Hand what the cap leaves over to the cut columns, left to right.
    let mut left = room.saturating_sub(out.iter().sum());
    for (o, &w) in out.iter_mut().zip(natural) {
        if left == 0 {
            break;
        }
        if *o < w {
            *o += 1;
            left -= 1;
        }
    }
    out
}

/// Draw `view` inside `block` in `area`.
pub fn render(frame: &mut Frame, area: Rect, block: Block<'_>, view: TableView<'_>, t: &Theme) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let trailer_h = (view.trailer.len() as u16).min(inner.height.saturating_sub(2));
    let [table_area, trailer_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(trailer_h)]).areas(inner);
    let cols = view.headers.len();
    let mut natural: Vec<u16> = view.headers.iter().map(|h| width(h)).collect();
    for row in &view.rows {
        for (i, c) in row.iter().enumerate().take(cols) {
            natural[i] = natural[i].max(width(&escaped(&c.text)));
        }
    }
    let widths = fit_widths(&natural, table_area.width.saturating_sub(MARK));
    let header = Row::new(
        view.headers
            .iter()
            .map(|h| Cell::from(Span::styled(h.to_string(), t.dim()))),
    );
    let rows: Vec<Row> = view
        .rows
        .into_iter()
        .map(|r| {
            Row::new(
                r.into_iter()
                    .map(|c| Cell::from(Span::styled(escaped(&c.text).into_owned(), c.style))),
            )
        })
        .collect();
    let table = Table::new(rows, widths.iter().map(|&w| Constraint::Length(w)))
        .header(header)
        .column_spacing(SPACING)
        .row_highlight_style(t.selected())
        .highlight_symbol("▶")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut state = TableState::default().with_selected(view.selected);
    frame.render_stateful_widget(table, table_area, &mut state);
    if trailer_h > 0 {
        frame.render_widget(Paragraph::new(view.trailer), trailer_area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_that_fit_keep_their_width() {
        assert_eq!(fit_widths(&[10, 20, 5], 37), vec![10, 20, 5]);
        assert_eq!(fit_widths(&[10, 20, 5], 100), vec![10, 20, 5]);
    }

    #[test]
    fn only_the_widest_columns_are_cut_and_the_room_is_used() {
        // 36 columns for 10+30+5 (+2 spacing): room 34, cap 19 would be 10+19+5 = 34.
        assert_eq!(fit_widths(&[10, 30, 5], 36), vec![10, 19, 5]);
        // Two wide columns share the cut.
        let w = fit_widths(&[40, 40, 4], 50);
        assert_eq!(w.iter().sum::<u16>(), 48);
        assert_eq!(w[2], 4);
        assert!(w[0].abs_diff(w[1]) <= 1, "{w:?}");
    }

    #[test]
    fn no_room_gives_zero_widths_not_a_panic() {
        assert_eq!(fit_widths(&[10, 10], 0), vec![0, 0]);
        assert_eq!(fit_widths(&[], 10), Vec::<u16>::new());
    }
}
