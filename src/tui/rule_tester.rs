//! The rule tester screen (`T` in the browser), the TUI twin of `bpe test-rule`:
//! pick a rule (its own list, `/` filters by name), fill its arguments, run it
//! in dry run (`r`), and see the value, the effects it would have had, errors
//! at their position and the evaluation trace as a tree that folds (`space`).
//!
//! Invariants:
//! - Runs go through [`crate::engine::Sandbox`], built from the repository
//!   loaded in `cx.repo` on every refresh: rules bind their arguments as in a
//!   running case (an empty value passes nothing, so the default applies; a
//!   locked argument cannot be edited). Nothing is written to the repository.
//! - Argument values are remembered per user and repository in
//!   `<workspace file>.rule-args.json` next to the debugger's workspace
//!   ([`super::workspace::file_for`]), written atomically; saving re-reads the
//!   file and replaces only the rule just run, so two sessions lose nothing
//!   but each other's value for that one rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ratatui::crossterm::event::KeyEvent;

use super::action::Action;
use super::app::Screen;
use super::ask::{self, Prompt};
use super::keymap::Context;
use super::screen::Ctx;
use super::screen::Request;
use crate::engine::{Evaluation, Sandbox};
use crate::model::Rule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Rules,
    Arguments,
    Trace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Filter,
    /// A value for the named argument.
    Argument(String),
}

/// The last run: which rule, with what, and its outcome.
pub struct RunResult {
    pub rule: String,
    /// The evaluation, or why the rule could not be called at all.
    pub outcome: Result<Evaluation, String>,
}

#[derive(Default)]
pub struct RuleTesterState {
    pub sandbox: Sandbox,
    pub filter: String,
    /// Index into [`RuleTesterState::visible`].
    pub selected: usize,
    pub focus: Focus,
    pub arg_selected: usize,
    /// Argument values (as typed) by rule, then argument name.
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    pub prompt: Option<Prompt<Ask>>,
    pub result: Option<RunResult>,
    /// Trace nodes folded (their descendants hidden).
    pub folded: BTreeSet<usize>,
    /// Index into the visible trace nodes.
    pub trace_selected: usize,
    /// Why the remembered values could not be read or written, once.
    pub store_problem: Option<String>,
}

impl RuleTesterState {
    /// Rules whose name contains the filter (case-insensitive), by name.
    pub fn visible(&self) -> Vec<&Rule> {
        let f = self.filter.to_lowercase();
        let mut out: Vec<&Rule> = self
            .sandbox
            .rules()
            .iter()
            .filter(|r| r.name.to_lowercase().contains(&f))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    pub fn current(&self) -> Option<&Rule> {
        self.visible().get(self.selected).copied()
    }

    /// The typed value of `arg` of `rule` (empty: not passed).
    pub fn value(&self, rule: &str, arg: &str) -> &str {
        self.values
            .get(rule)
            .and_then(|m| m.get(arg))
            .map_or("", String::as_str)
    }

    /// Visible trace node indices under the current folds.
    pub fn visible_trace(&self) -> Vec<usize> {
        match &self.result {
            Some(RunResult {
                outcome: Ok(ev), ..
            }) => ev.trace.visible(&self.folded),
            _ => Vec::new(),
        }
    }

    /// Rebuild from the repository in `cx.repo`, keeping the selection by name.
    pub fn refresh(&mut self, root: &Path, rules: Vec<Rule>) {
        let keep = self.current().map(|r| r.name.clone());
        self.sandbox = Sandbox::new(rules);
        if let Some(name) = keep {
            self.selected = self
                .visible()
                .iter()
                .position(|r| r.name == name)
                .unwrap_or(0);
        }
        self.clamp();
        match load_values(root) {
            Ok(v) => self.values = v,
            Err(e) => self.store_problem = Some(e),
        }
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        self.selected = self.selected.min(n.saturating_sub(1));
        let args = self.current().map_or(0, |r| r.arguments.len());
        self.arg_selected = self.arg_selected.min(args.saturating_sub(1));
    }
}

/// Where the remembered argument values of a repository live.
pub fn values_file(root: &Path) -> Option<PathBuf> {
    let ws = super::workspace::file_for(root)?;
    Some(ws.with_extension("rule-args.json"))
}

fn load_values(root: &Path) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let Some(path) = values_file(root) else {
        return Ok(BTreeMap::new());
    };
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Remember `rule`'s values: re-read the file, replace that rule's entry, save atomically.
fn save_values(root: &Path, rule: &str, values: &BTreeMap<String, String>) -> Result<(), String> {
    let path = values_file(root).ok_or("no data directory to remember the arguments in")?;
    let mut all = load_values(root)?;
    all.insert(rule.to_string(), values.clone());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::repo::save_json(&path, &all).map_err(|e| e.to_string())
}

pub fn contexts(st: &RuleTesterState, _cx: &Ctx) -> Vec<Context> {
    if st.prompt.is_some() {
        return vec![Context::TextEdit];
    }
    vec![
        Context::RuleTester,
        Context::Navigate,
        Context::Screens,
        Context::Global,
    ]
}

pub fn text_input(st: &mut RuleTesterState, _cx: &mut Ctx, key: KeyEvent) {
    if let Some(p) = st.prompt.as_mut()
        && p.input.input(key)
    {
        p.error = None;
    }
}

pub fn refresh(st: &mut RuleTesterState, cx: &mut Ctx) {
    let rules = cx.repo.all_rules();
    st.refresh(cx.root, rules);
    if let Some(p) = st.store_problem.take() {
        cx.warn(format!("remembered rule arguments not read: {p}"));
    }
}

pub fn update(st: &mut RuleTesterState, cx: &mut Ctx, action: Action) -> Vec<Request> {
    let rt = &mut *st;
    if let Some(p) = rt.prompt.take() {
        match action {
            Action::Accept => accept_prompt(st, p),
            Action::Cancel | Action::Back => {}
            _ => rt.prompt = Some(p),
        }
        return Vec::new();
    }
    match action {
        Action::Back => return vec![Request::Show(Screen::Browser)],
        Action::Filter => {
            let f = rt.filter.clone();
            rt.prompt = Some(Prompt::new(
                Ask::Filter,
                "Show rules whose name contains",
                &f,
            ));
        }
        Action::FocusNext => {
            rt.focus = match rt.focus {
                Focus::Rules => Focus::Arguments,
                Focus::Arguments if rt.result.is_some() => Focus::Trace,
                Focus::Arguments | Focus::Trace => Focus::Rules,
            }
        }
        Action::Up | Action::Down | Action::Top | Action::Bottom => move_selection(rt, action),
        Action::Edit => match rt.focus {
            Focus::Rules => rt.focus = Focus::Arguments,
            Focus::Arguments => edit_argument(st, cx),
            Focus::Trace => toggle_fold(rt),
        },
        Action::ToggleFold => toggle_fold(rt),
        Action::RunRule => run(st, cx),
        _ => {}
    }
    Vec::new()
}

fn move_selection(rt: &mut RuleTesterState, action: Action) {
    let (pos, len) = match rt.focus {
        Focus::Rules => (rt.selected, rt.visible().len()),
        Focus::Arguments => (
            rt.arg_selected,
            rt.current().map_or(0, |r| r.arguments.len()),
        ),
        Focus::Trace => (rt.trace_selected, rt.visible_trace().len()),
    };
    let last = len.saturating_sub(1);
    let next = match action {
        Action::Up => pos.saturating_sub(1),
        Action::Down => (pos + 1).min(last),
        Action::Top => 0,
        _ => last,
    };
    match rt.focus {
        Focus::Rules => {
            if next != rt.selected {
                rt.selected = next;
                rt.arg_selected = 0;
            }
        }
        Focus::Arguments => rt.arg_selected = next,
        Focus::Trace => rt.trace_selected = next,
    }
}

fn toggle_fold(rt: &mut RuleTesterState) {
    let visible = rt.visible_trace();
    let Some(&node) = visible.get(rt.trace_selected) else {
        return;
    };
    let has_children = matches!(&rt.result, Some(RunResult { outcome: Ok(ev), .. }) if ev.trace.has_children(node));
    if has_children && !rt.folded.remove(&node) {
        rt.folded.insert(node);
    }
}

fn edit_argument(st: &mut RuleTesterState, cx: &mut Ctx) {
    let rt = &mut *st;
    let Some(rule) = rt.current() else { return };
    let Some(arg) = rule.arguments.get(rt.arg_selected) else {
        return;
    };
    if arg.locked {
        let msg = format!(
            "argument '{}' is locked (Waveset locked='true'): its default always applies",
            arg.name
        );
        return cx.warn(msg);
    }
    let (rule_name, name) = (rule.name.clone(), arg.name.clone());
    let current = rt.value(&rule_name, &name).to_string();
    rt.prompt = Some(Prompt::new(
        Ask::Argument(name.clone()),
        format!("{name} = (JSON or text; empty: the default)"),
        &current,
    ));
}

fn accept_prompt(st: &mut RuleTesterState, p: Prompt<Ask>) {
    let rt = &mut *st;
    let text = p.text();
    match p.purpose {
        Ask::Filter => {
            rt.filter = text;
            rt.selected = 0;
            rt.clamp();
        }
        Ask::Argument(name) => {
            let Some(rule) = rt.current().map(|r| r.name.clone()) else {
                return;
            };
            let values = rt.values.entry(rule).or_default();
            if text.is_empty() {
                values.remove(&name);
            } else {
                values.insert(name, text);
            }
        }
    }
}

/// Run the selected rule with the typed values and remember them.
pub fn run(st: &mut RuleTesterState, cx: &mut Ctx) {
    let rt = &mut *st;
    let Some(rule) = rt.current().cloned() else {
        return cx.warn("no rule to run (the filter hides them all?)");
    };
    let typed = rt.values.get(&rule.name).cloned().unwrap_or_default();
    let args: Vec<_> = rule
        .arguments
        .iter()
        .filter(|a| !a.locked)
        .filter_map(|a| {
            typed
                .get(&a.name)
                .map(|v| (a.name.clone(), ask::parse_value(v)))
        })
        .collect();
    let outcome = rt
        .sandbox
        .test_rule(&rule.name, &args)
        .map_err(|e| e.to_string());
    let summary = match &outcome {
        Ok(ev) => match ev.error_text() {
            Some(e) => format!("failed: {e}"),
            None => "ran in dry run".to_string(),
        },
        Err(e) => e.clone(),
    };
    rt.result = Some(RunResult {
        rule: rule.name.clone(),
        outcome,
    });
    rt.folded.clear();
    rt.trace_selected = 0;
    let saved = save_values(cx.root, &rule.name, &typed);
    let msg = crate::model::escape_name(&format!("{}: {summary}", rule.name)).into_owned();
    match saved {
        Ok(()) => cx.info(msg),
        Err(e) => cx.warn(format!("{msg} (arguments not remembered: {e})")),
    }
}
