//! The debugger's expression console (`:`): evaluate any expression in the
//! scope of the paused case — the variables the current token sees (action,
//! activity, process, a subprocess's externals), the repository's rules — and
//! see its value or its error. Up / Down recall earlier expressions.
//!
//! Invariants:
//! - Evaluating never changes the paused case: the case is snapshot before and
//!   restored after, so an assignment in the console is shown (as an effect)
//!   but not kept (`e` sets a variable for real). An expression cannot call a
//!   service, so the run's mode (dry run / apply) changes nothing here.
//! - History keeps the last [`HISTORY_KEEP`] distinct expressions, the results
//!   pane the last [`OUTPUT_KEEP`] entries; each result line is cut to a
//!   readable width.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::action::Action;
use super::ask::Prompt;
use super::debugger::Session;
use super::theme::Theme;
use super::view::centered;
use crate::model::escape_name;

/// Expressions remembered for Up / Down.
pub const HISTORY_KEEP: usize = 100;
/// Results shown.
pub const OUTPUT_KEEP: usize = 50;
/// Longest rendering of a result.
const RESULT_CHARS: usize = 400;

/// One evaluated expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub expr: String,
    /// The value as JSON, or the error.
    pub result: Result<String, String>,
    /// Assignments the expression made (not kept), as `name = value`.
    pub discarded: Vec<String>,
}

#[derive(Default)]
pub struct Console {
    /// The input line, while the console is open.
    pub input: Option<Prompt<()>>,
    pub history: Vec<String>,
    /// Position in `history` while recalling (Up / Down); `None`: a new line.
    pub recall: Option<usize>,
    pub output: Vec<Entry>,
}

impl Console {
    pub fn is_open(&self) -> bool {
        self.input.is_some()
    }

    pub fn open(&mut self) {
        self.recall = None;
        self.input = Some(Prompt::new(
            (),
            "Console — expression in the paused case's scope",
            "",
        ));
    }

    /// Enter / Esc while open. Returns false when the action is not the console's.
    pub fn update(&mut self, session: Option<&mut Session>, action: Action) -> bool {
        match action {
            Action::Cancel | Action::Back => {
                self.input = None;
                true
            }
            Action::Accept => {
                let text = self.input.as_ref().map(|p| p.text()).unwrap_or_default();
                if text.is_empty() {
                    return true;
                }
                let entry = match session {
                    Some(s) => evaluate(s, &text),
                    None => Entry {
                        expr: text.clone(),
                        result: Err("no paused case: start the run first (s or c)".into()),
                        discarded: Vec::new(),
                    },
                };
                self.remember(text);
                self.output.push(entry);
                if self.output.len() > OUTPUT_KEEP {
                    self.output.remove(0);
                }
                self.open();
                true
            }
            _ => false,
        }
    }

    fn remember(&mut self, text: String) {
        self.history.retain(|h| *h != text);
        self.history.push(text);
        if self.history.len() > HISTORY_KEEP {
            self.history.remove(0);
        }
    }

    /// Keys typed into the open console: Up / Down recall history, the rest edit the line.
    pub fn text_input(&mut self, key: KeyEvent) {
        let Some(p) = self.input.as_mut() else { return };
        let recalled = match key.code {
            KeyCode::Up if !self.history.is_empty() => {
                let i = self
                    .recall
                    .map_or(self.history.len() - 1, |i| i.saturating_sub(1));
                self.recall = Some(i);
                Some(self.history[i].clone())
            }
            KeyCode::Down if self.recall.is_some() => {
                let next = self
                    .recall
                    .map(|i| i + 1)
                    .filter(|i| *i < self.history.len());
                self.recall = next;
                Some(next.map(|i| self.history[i].clone()).unwrap_or_default())
            }
            KeyCode::Up | KeyCode::Down => None,
            _ => {
                if p.input.input(key) {
                    p.error = None;
                }
                return;
            }
        };
        if let Some(text) = recalled {
            *p = Prompt::new((), p.title.clone(), &text);
        }
    }
}

/// Evaluate `text` in the scope of the top frame's first token (where watches
/// are evaluated), leaving the case as it was.
pub fn evaluate(s: &mut Session, text: &str) -> Entry {
    let mut entry = Entry {
        expr: text.to_string(),
        result: Err(String::new()),
        discarded: Vec::new(),
    };
    let expr = match crate::expr::parse(text) {
        Ok(e) => e,
        Err(e) => {
            entry.result = Err(e.to_string());
            return entry;
        }
    };
    let (frame, token) = {
        let stack = s.case.call_stack();
        match stack.last() {
            Some(f) => (f.index, f.tokens.first().map(|t| t.id)),
            None => (0, None),
        }
    };
    let before = s.case.snapshot();
    let vars_before = s.case.state().clone();
    let r = s.case.evaluate(frame, token, &expr, &s.catalog);
    entry.discarded = changed_variables(&vars_before, s.case.state());
    s.case.restore(&before);
    entry.result = r.map(|v| v.to_json().to_string());
    entry
}

/// Variables whose value differs between two snapshots, as `name = value`.
fn changed_variables(
    before: &crate::engine::EngineState,
    after: &crate::engine::EngineState,
) -> Vec<String> {
    let mut out = Vec::new();
    for (fb, fa) in before.frames.iter().zip(&after.frames) {
        let maps = std::iter::once((&fb.vars, &fa.vars)).chain(
            fb.tokens
                .iter()
                .zip(&fa.tokens)
                .flat_map(|(tb, ta)| [(&tb.vars, &ta.vars), (&tb.action_vars, &ta.action_vars)]),
        );
        for (mb, ma) in maps {
            for (name, v) in ma {
                if mb.get(name) != Some(v) {
                    out.push(format!("{name} = {}", v.to_json()));
                }
            }
        }
    }
    out
}

fn cut(s: &str) -> String {
    let s = escape_name(s);
    if s.chars().count() > RESULT_CHARS {
        let c: String = s.chars().take(RESULT_CHARS).collect();
        format!("{c}…")
    } else {
        s.into_owned()
    }
}

/// The console popup: the last results above the input line.
pub fn view(c: &Console, t: &Theme, frame: &mut Frame, area: Rect) {
    let Some(p) = &c.input else { return };
    let h = area.height.saturating_sub(4).clamp(5, 20);
    let r = centered(area, area.width.saturating_sub(6).min(110), h);
    frame.render_widget(Clear, r);
    let block = super::theme::pane_block(t, format!(" {} ", p.title), true).title_bottom(
        Line::styled(" Enter evaluate · ↑↓ history · Esc close ", t.dim()),
    );
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let mut lines = Vec::new();
    for e in &c.output {
        lines.push(Line::from(vec![
            Span::styled("> ", t.dim()),
            Span::raw(cut(&e.expr)),
        ]));
        match &e.result {
            Ok(v) => lines.push(Line::raw(format!("= {}", cut(v)))),
            Err(m) => lines.push(Line::styled(format!("✗ {}", cut(m)), t.error())),
        }
        for d in &e.discarded {
            lines.push(Line::styled(
                format!("  (not kept) set {}", cut(d)),
                t.dim(),
            ));
        }
    }
    let room = inner.height.saturating_sub(1);
    let width = usize::from(inner.width.max(1));
    let total: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let total = u16::try_from(total).unwrap_or(u16::MAX);
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    let out_area = Rect {
        height: room,
        ..inner
    };
    frame.render_widget(para.scroll((total.saturating_sub(room), 0)), out_area);
    let field = Rect {
        y: inner.y + room,
        height: 1,
        ..inner
    };
    frame.render_widget(&p.input, field);
}
