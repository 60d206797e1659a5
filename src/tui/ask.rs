//! The one-line prompt and the yes/no question the operations screens (tasks,
//! work items, debug view, debugger) use. Each screen keeps at most one of each
//! in its own state; while one is open the screen's contexts are `TextEdit` or
//! `Question`, so the keymap routes Enter/Esc/y/n to it.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_textarea::TextArea;

use super::theme::Theme;
use super::view::centered;

/// A one-line text field with a title and the last error.
pub struct Prompt<P> {
    pub purpose: P,
    pub title: String,
    pub input: TextArea<'static>,
    pub error: Option<String>,
}

impl<P> Prompt<P> {
    pub fn new(purpose: P, title: impl Into<String>, initial: &str) -> Prompt<P> {
        let mut input = TextArea::new(vec![initial.to_string()]);
        input.move_cursor(tui_textarea::CursorMove::End);
        Prompt {
            purpose,
            title: title.into(),
            input,
            error: None,
        }
    }

    pub fn text(&self) -> String {
        self.input.lines().join(" ").trim().to_string()
    }
}

/// A question that names what it is about; `y` does it, `n` does not.
pub struct Question<Q> {
    pub purpose: Q,
    pub title: String,
    pub lines: Vec<String>,
}

pub fn view_prompt<P>(prompt: &Prompt<P>, theme: &Theme, frame: &mut Frame, area: Rect) {
    let r = centered(area, 72, if prompt.error.is_some() { 6 } else { 5 });
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(Span::styled(format!(" {} ", prompt.title), theme.title()))
        .title_bottom(Line::styled(" Enter accept · Esc cancel ", theme.dim()));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let field = Rect {
        y: inner.y + 1,
        height: 1,
        ..inner
    };
    frame.render_widget(&prompt.input, field);
    if let Some(e) = &prompt.error {
        let msg = Rect {
            y: inner.y + 2,
            height: inner.height.saturating_sub(2),
            ..inner
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format!("✗ {e}"), theme.error())),
            msg,
        );
    }
}

pub fn view_question<Q>(q: &Question<Q>, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut lines: Vec<Line> = q.lines.iter().map(|l| Line::raw(l.clone())).collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("y", theme.key()),
        Span::raw(" yes   "),
        Span::styled("n", theme.key()),
        Span::raw(" no"),
    ]));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = centered(area, 76, h);
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(Span::styled(format!(" {} ", q.title), theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}

/// A duration in one coarse unit, so that redraws a second apart agree:
/// `<1m`, `42m`, `5h`, `3d`.
pub fn coarse(seconds: i64) -> String {
    let s = seconds.max(0);
    if s < 60 {
        "<1m".into()
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// Seconds from an RFC 3339 time to `now` (negative when it is in the future).
pub fn seconds_since(at: &str, now: DateTime<Utc>) -> Option<i64> {
    DateTime::parse_from_rfc3339(at).ok().map(|t| {
        now.signed_duration_since(t.with_timezone(&Utc))
            .num_seconds()
    })
}

/// Who holds an edit lock we could not take, for "read-only: being edited by
/// …": `user@host (pid …) since …` of the first live holder (or why the lock
/// could not be taken at all).
pub fn lock_holder(err: &crate::repo::lock::LockError) -> String {
    match err {
        crate::repo::lock::LockError::Held { holders, .. } => holders
            .iter()
            .find(|h| h.stale.is_none())
            .or(holders.first())
            .and_then(|h| h.holder.as_ref())
            .map(|h| format!("{}@{} (pid {}) since {}", h.user, h.host, h.pid, h.since))
            .unwrap_or_else(|| "another process".to_string()),
        e => format!("the edit lock could not be taken: {e}"),
    }
}

/// Who is using bpe: the one answer the core gives (environment, then `/etc/passwd`).
pub fn os_user() -> String {
    crate::repo::lock::current_user()
}

/// A value typed by the user: JSON when it parses, else the text itself.
pub fn parse_value(text: &str) -> crate::expr::Value {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(j) => crate::expr::Value::from_json(&j),
        Err(_) => crate::expr::Value::Str(text.to_string()),
    }
}

/// Repository services for the TUI: dry run or real, commands never allowed.
pub fn services(repo: &crate::repo::Repository, dry_run: bool) -> crate::services::RepoServices {
    let config = repo.config_or_default();
    crate::services::RepoServices::new(
        &repo.root,
        &config,
        crate::services::ServiceOptions {
            dry_run,
            allow_commands: false,
        },
    )
}
