//! Styles. The 16 named ANSI colours only (the user's palette decides what they
//! look like); with `NO_COLOR` set, no colour at all. Meaning is never carried by
//! colour alone: selection is reverse video plus a `▶` glyph, errors carry `✗`/`!`.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value (no-color.org).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    pub fn plain() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn normal(&self) -> Style {
        Style::new()
    }
    /// The selected row or box: reverse video (visible without colour).
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn focused_border(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn border(&self) -> Style {
        self.fg(Color::DarkGray)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn label(&self) -> Style {
        self.fg(Color::Blue)
    }
    pub fn edge(&self) -> Style {
        self.fg(Color::Gray)
    }
    pub fn back_edge(&self) -> Style {
        self.fg(Color::Magenta)
    }
    pub fn edge_label(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn marker(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
    pub fn highlight(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    /// A `$(var)` placeholder of an email template (bold without colour).
    pub fn placeholder(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// A placeholder no workflow sending the template declares: also underlined.
    pub fn placeholder_unknown(&self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn notice(&self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
}

/// A bordered pane with `title`, its border marked when it has the focus.
pub fn pane_block<'a>(t: &Theme, title: String, focused: bool) -> ratatui::widgets::Block<'a> {
    ratatui::widgets::Block::default()
        .borders(ratatui::widgets::Borders::ALL)
        .border_style(if focused {
            t.focused_border()
        } else {
            t.border()
        })
        .title(ratatui::text::Span::styled(title, t.title()))
}

/// `lines` wrapped (not trimmed) in an unfocused [`pane_block`] titled `title`:
/// the details pane of the browser, tasks, work items and debug view.
pub fn text_pane(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    t: &Theme,
    title: &str,
    lines: Vec<ratatui::text::Line<'_>>,
) {
    frame.render_widget(
        ratatui::widgets::Paragraph::new(lines)
            .block(pane_block(t, title.to_string(), false))
            .wrap(ratatui::widgets::Wrap { trim: false }),
        area,
    );
}
