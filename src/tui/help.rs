//! The `?` help popup, generated from the keymap (the same table as the footer
//! and `docs/keys.md`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::App;
use super::keymap::Keymap;
use super::theme::Theme;

/// Every binding as lines: contexts in the order the app is using them first.
pub fn lines(
    keymap: &Keymap,
    theme: &Theme,
    first: &[super::keymap::Context],
) -> Vec<Line<'static>> {
    let mut order: Vec<super::keymap::Context> = first.to_vec();
    for (ctx, _) in &keymap.contexts {
        if !order.contains(ctx) {
            order.push(*ctx);
        }
    }
    let mut out = Vec::new();
    for ctx in order {
        let bindings = keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(ctx.title().to_string(), theme.title()));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            out.push(Line::from(vec![
                Span::styled(format!("  {:<22}", keys.join(" ")), theme.key()),
                Span::raw(b.action.description().to_string()),
            ]));
        }
    }
    out
}

pub fn view(app: &App, frame: &mut Frame, area: Rect, scroll: u16) {
    let w = area.width.saturating_sub(4).min(86);
    let h = area.height.saturating_sub(2);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    // The contexts that apply under the popup come first.
    let under = app.screen_contexts();
    let all = lines(&app.keymap, &app.theme, &under);
    let max_scroll = (all.len() as u16).saturating_sub(h.saturating_sub(2));
    let scroll = scroll.min(max_scroll);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.focused_border())
        .title(Span::styled(
            " Help: keys (from the keymap) ",
            app.theme.title(),
        ))
        .title_bottom(Line::styled(" ↑↓ scroll · Esc close ", app.theme.dim()));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(all).block(block).scroll((scroll, 0)), popup);
}
