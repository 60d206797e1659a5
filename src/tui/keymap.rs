//! Key bindings as data. The default table ships in `assets/keymap.json`
//! (embedded); a user file (`<config dir>/keymap.json`) overrides it binding by
//! binding. The footer, the `?` help and `docs/keys.md` are all generated from
//! the one [`Keymap`].

use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};

use super::action::Action;

pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.json");

/// Where a binding applies. The app asks with a stack of contexts, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Global,
    Navigate,
    Browser,
    Filter,
    Editor,
    Properties,
    TextEdit,
    Help,
    Confirm,
    Conflict,
    Recovery,
    Picker,
    Screens,
    Tasks,
    WorkItems,
    DebugView,
    Debugger,
    DebuggerWaiting,
    Question,
    Import,
    Reports,
    RuleTester,
    DiffView,
    TemplateEditor,
    TemplateFields,
    TemplateValues,
    TemplateUsedBy,
    TemplateBody,
    RuleEditor,
}

impl Context {
    pub const ALL: [Context; 29] = [
        Context::Global,
        Context::Navigate,
        Context::Browser,
        Context::Filter,
        Context::Editor,
        Context::Properties,
        Context::TextEdit,
        Context::Help,
        Context::Confirm,
        Context::Conflict,
        Context::Recovery,
        Context::Picker,
        Context::Screens,
        Context::Tasks,
        Context::WorkItems,
        Context::DebugView,
        Context::Debugger,
        Context::DebuggerWaiting,
        Context::Question,
        Context::Import,
        Context::Reports,
        Context::RuleTester,
        Context::DiffView,
        Context::TemplateEditor,
        Context::TemplateFields,
        Context::TemplateValues,
        Context::TemplateUsedBy,
        Context::TemplateBody,
        Context::RuleEditor,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Navigate => "Moving around",
            Context::Browser => "Workflows browser",
            Context::Filter => "Typing a filter",
            Context::Editor => "Editor",
            Context::Properties => "Properties pane",
            Context::TextEdit => "Editing a property",
            Context::Help => "Help",
            Context::Confirm => "Questions",
            Context::Conflict => "Changed on disk",
            Context::Recovery => "Recovery copies",
            Context::Picker => "Choosing from a list",
            Context::Screens => "Switching screens",
            Context::Tasks => "Tasks",
            Context::WorkItems => "Work items",
            Context::DebugView => "Debug view",
            Context::Debugger => "Debugger",
            Context::DebuggerWaiting => "Debugger, the run waits on a work item",
            Context::Question => "Yes/no questions",
            Context::Import => "Import dialog",
            Context::Reports => "Reports",
            Context::RuleTester => "Rule tester",
            Context::DiffView => "Diff view (editor =)",
            Context::TemplateEditor => "Email template editor",
            Context::TemplateFields => "Template fields",
            Context::TemplateValues => "Template preview values",
            Context::TemplateUsedBy => "Workflows that send the template",
            Context::TemplateBody => "Typing a template body (Enter is a new line)",
            Context::RuleEditor => "Rule editor",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Navigate => "navigate",
            Context::Browser => "browser",
            Context::Filter => "filter",
            Context::Editor => "editor",
            Context::Properties => "properties",
            Context::TextEdit => "text_edit",
            Context::Help => "help",
            Context::Confirm => "confirm",
            Context::Conflict => "conflict",
            Context::Recovery => "recovery",
            Context::Picker => "picker",
            Context::Screens => "screens",
            Context::Tasks => "tasks",
            Context::WorkItems => "work_items",
            Context::DebugView => "debug_view",
            Context::Debugger => "debugger",
            Context::DebuggerWaiting => "debugger_waiting",
            Context::Question => "question",
            Context::Import => "import",
            Context::Reports => "reports",
            Context::RuleTester => "rule_tester",
            Context::DiffView => "diff_view",
            Context::TemplateEditor => "template_editor",
            Context::TemplateFields => "template_fields",
            Context::TemplateValues => "template_values",
            Context::TemplateUsedBy => "template_used_by",
            Context::TemplateBody => "template_body",
            Context::RuleEditor => "rule_editor",
        }
    }

    fn from_key(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.key() == s)
    }
}

/// One key with its modifiers, as written in the keymap: `q`, `J`, `?`, `ctrl-s`,
/// `alt-enter`, `enter`, `esc`, `tab`, `backtab`, `up`, `pgdn`, `f5`, `space`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeySpec {
    pub fn parse(text: &str) -> Result<KeySpec, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "insert" => KeyCode::Insert,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" => KeyCode::PageUp,
            "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            s if s.starts_with('f')
                && s.len() > 1
                && s[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                let n: u8 = s[1..]
                    .parse()
                    .map_err(|_| format!("bad function key {s:?}"))?;
                if !(1..=12).contains(&n) {
                    return Err(format!("bad function key {s:?}"));
                }
                KeyCode::F(n)
            }
            s => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        // Control combinations arrive lower-case from terminals.
                        if ctrl {
                            KeyCode::Char(c.to_ascii_lowercase())
                        } else {
                            KeyCode::Char(c)
                        }
                    }
                    _ => return Err(format!("unknown key {text:?}")),
                }
            }
        };
        Ok(KeySpec { code, ctrl, alt })
    }

    pub fn matches(&self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        if ctrl != self.ctrl || alt != self.alt {
            return false;
        }
        match (self.code, event.code) {
            // Shift is part of the character itself ('J', '?').
            (KeyCode::Char(a), KeyCode::Char(b)) => {
                if self.ctrl {
                    a.eq_ignore_ascii_case(&b)
                } else {
                    a == b
                }
            }
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub action: Action,
    pub keys: Vec<KeySpec>,
}

/// The whole table: contexts in file order, bindings in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    pub contexts: Vec<(Context, Vec<Binding>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    pub source: String,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for KeymapError {}

impl Keymap {
    /// The embedded default table.
    pub fn default_keymap() -> Keymap {
        // The embedded table is checked by a unit test; an error here is a build defect.
        Keymap::parse(DEFAULT_KEYMAP, "assets/keymap.json").unwrap_or(Keymap {
            contexts: Vec::new(),
        })
    }

    /// Parse a keymap file: `{ "<context>": { "<action>": ["key", ...], ... }, ... }`.
    pub fn parse(text: &str, source: &str) -> Result<Keymap, KeymapError> {
        let err = |message: String| KeymapError {
            source: source.to_string(),
            message,
        };
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| err(format!("line {} column {}: {e}", e.line(), e.column())))?;
        let obj = json
            .as_object()
            .ok_or_else(|| err("expected an object of contexts".into()))?;
        let mut contexts = Vec::new();
        for (ctx_name, bindings) in obj {
            let context = Context::from_key(ctx_name)
                .ok_or_else(|| err(format!("unknown context {ctx_name:?}")))?;
            let bindings = bindings
                .as_object()
                .ok_or_else(|| err(format!("{ctx_name}: expected an object of actions")))?;
            let mut list = Vec::new();
            for (action_name, keys) in bindings {
                let action: Action =
                    serde_json::from_value(serde_json::Value::String(action_name.clone()))
                        .map_err(|_| err(format!("{ctx_name}: unknown action {action_name:?}")))?;
                let keys: Vec<String> = serde_json::from_value(keys.clone()).map_err(|_| {
                    err(format!("{ctx_name}.{action_name}: expected a list of keys"))
                })?;
                let keys = keys
                    .iter()
                    .map(|k| {
                        KeySpec::parse(k).map_err(|m| err(format!("{ctx_name}.{action_name}: {m}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                list.push(Binding { action, keys });
            }
            contexts.push((context, list));
        }
        Ok(Keymap { contexts })
    }

    /// Replace (or add) every binding the override names; the rest stay.
    pub fn merge(&mut self, user: Keymap) {
        for (ctx, bindings) in user.contexts {
            let pos = match self.contexts.iter().position(|(c, _)| *c == ctx) {
                Some(p) => p,
                None => {
                    self.contexts.push((ctx, Vec::new()));
                    self.contexts.len() - 1
                }
            };
            let list = &mut self.contexts[pos].1;
            for b in bindings {
                match list.iter_mut().find(|x| x.action == b.action) {
                    Some(x) => x.keys = b.keys,
                    None => list.push(b),
                }
            }
        }
    }

    /// The default table with the user's file (if any) merged on top.
    /// A broken user file is reported and ignored.
    pub fn load(user_file: Option<&Path>) -> (Keymap, Option<KeymapError>) {
        let mut map = Keymap::default_keymap();
        let Some(path) = user_file else {
            return (map, None);
        };
        match std::fs::read_to_string(path) {
            Ok(text) => match Keymap::parse(&text, &path.display().to_string()) {
                Ok(user) => {
                    map.merge(user);
                    (map, None)
                }
                Err(e) => (map, Some(e)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (map, None),
            Err(e) => (
                map,
                Some(KeymapError {
                    source: path.display().to_string(),
                    message: e.to_string(),
                }),
            ),
        }
    }

    /// `<config dir>/keymap.json` (`directories`: `ProjectDirs::from("", "", "bpe")`).
    pub fn user_file() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "bpe").map(|d| d.config_dir().join("keymap.json"))
    }

    pub fn bindings(&self, ctx: Context) -> &[Binding] {
        self.contexts
            .iter()
            .find(|(c, _)| *c == ctx)
            .map(|(_, b)| b.as_slice())
            .unwrap_or(&[])
    }

    /// The action bound to `event` in the first context (of `stack`) that binds it.
    pub fn lookup(&self, stack: &[Context], event: &KeyEvent) -> Option<Action> {
        stack.iter().find_map(|ctx| {
            self.bindings(*ctx)
                .iter()
                .find(|b| b.keys.iter().any(|k| k.matches(event)))
                .map(|b| b.action)
        })
    }

    /// The first key bound to `action` in `ctx`, for hints ("press s to save").
    pub fn key_for(&self, ctx: Context, action: Action) -> Option<KeySpec> {
        self.bindings(ctx)
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first().copied())
    }

    /// Footer hints for a context stack: first key and short name of each
    /// non-movement action, most specific context first, no duplicates.
    pub fn hints(&self, stack: &[Context]) -> Vec<(String, &'static str)> {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for ctx in stack {
            for b in self.bindings(*ctx) {
                if b.action.is_movement() || seen.contains(&b.action) {
                    continue;
                }
                if let Some(k) = b.keys.first() {
                    seen.push(b.action);
                    out.push((k.to_string(), b.action.short()));
                }
            }
        }
        out
    }

    /// [`Keymap::hints`] with the focus keys (panes, views) first, so a narrow
    /// footer never drops them.
    pub fn hints_focus_first(&self, stack: &[Context]) -> Vec<(String, &'static str)> {
        let focus: Vec<&'static str> = stack
            .iter()
            .flat_map(|c| self.bindings(*c))
            .filter(|b| b.action.is_focus())
            .map(|b| b.action.short())
            .collect();
        let (mut first, rest): (Vec<_>, Vec<_>) = self
            .hints(stack)
            .into_iter()
            .partition(|(_, what)| focus.contains(what));
        first.extend(rest);
        first
    }

    /// `docs/keys.md`, generated from the table.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "# Keys\n\n\
             Generated from `assets/keymap.json` (the default keymap) by `bpe`; a test keeps it in step.\n\
             Override any binding in `keymap.json` in your configuration directory (on Linux\n\
             `~/.config/bpe/keymap.json`): same format, only the bindings you change, e.g.\n\
             `{ \"editor\": { \"save\": [\"ctrl-s\", \"s\"] } }`. The `?` help screen shows the merged table.\n\n\
             Key names: a character (`q`, `J`, `?`), `enter esc tab backtab backspace delete insert up down left\n\
             right pgup pgdn home end space f1`…`f12`, with `ctrl-` / `alt-` prefixes. Every action has a letter\n\
             key; function keys are extras (unreliable over some SSH clients).\n",
        );
        for (ctx, bindings) in &self.contexts {
            out.push_str(&format!(
                "\n## {}\n\n| keys | action | what it does |\n|---|---|---|\n",
                ctx.title()
            ));
            for b in bindings {
                let keys: Vec<String> = b.keys.iter().map(|k| format!("`{k}`")).collect();
                let name = serde_json::to_value(b.action)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "| {} | `{}` | {} |\n",
                    keys.join(" "),
                    name,
                    b.action.description()
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventKind;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new_with_kind(code, modifiers, KeyEventKind::Press)
    }

    #[test]
    fn default_keymap_parses() {
        let map = Keymap::parse(DEFAULT_KEYMAP, "default").expect("default keymap");
        assert!(map.contexts.len() >= 10);
    }

    #[test]
    fn every_action_has_a_letter_key() {
        let map = Keymap::default_keymap();
        for (ctx, bindings) in &map.contexts {
            for b in bindings {
                let has_plain = b.keys.iter().any(|k| !matches!(k.code, KeyCode::F(_)));
                assert!(has_plain, "{ctx:?}.{:?} only has function keys", b.action);
            }
        }
    }

    #[test]
    fn lookup_respects_context_order_and_shift() {
        let map = Keymap::default_keymap();
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(
            map.lookup(&[Context::Browser, Context::Global], &q),
            Some(Action::Quit)
        );
        // Typing a filter: q is text, not quit.
        assert_eq!(map.lookup(&[Context::Filter], &q), None);
        let big_j = key(KeyCode::Char('J'), KeyModifiers::SHIFT);
        assert_eq!(
            map.lookup(&[Context::Editor], &big_j),
            Some(Action::MoveLater)
        );
        let ctrl_s = key(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(
            map.lookup(&[Context::TextEdit], &ctrl_s),
            Some(Action::Accept)
        );
    }

    #[test]
    fn user_override_replaces_only_named_bindings() {
        let mut map = Keymap::default_keymap();
        let user = Keymap::parse(r#"{"editor": {"save": ["ctrl-w"]}}"#, "user").unwrap();
        map.merge(user);
        let s = key(KeyCode::Char('s'), KeyModifiers::NONE);
        let cw = key(KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(map.lookup(&[Context::Editor], &cw), Some(Action::Save));
        assert_ne!(map.lookup(&[Context::Editor], &s), Some(Action::Save));
        let u = key(KeyCode::Char('u'), KeyModifiers::NONE);
        assert_eq!(map.lookup(&[Context::Editor], &u), Some(Action::Undo));
    }

    #[test]
    fn bad_files_are_errors_with_a_reason() {
        assert!(
            Keymap::parse(r#"{"nowhere": {}}"#, "x")
                .unwrap_err()
                .message
                .contains("unknown context")
        );
        assert!(
            Keymap::parse(r#"{"editor": {"fly": ["x"]}}"#, "x")
                .unwrap_err()
                .message
                .contains("unknown action")
        );
        assert!(Keymap::parse(r#"{"editor": {"save": ["ctrl-"]}}"#, "x").is_err());
        assert!(Keymap::parse(r#"{"editor": {"save": ["f13"]}}"#, "x").is_err());
    }

    #[test]
    fn docs_keys_md_is_generated_from_the_keymap() {
        let generated = Keymap::default_keymap().markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/keys.md");
        if std::env::var_os("BPE_UPDATE_DOCS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/keys.md is out of date: run `BPE_UPDATE_DOCS=1 cargo test --lib tui::keymap`"
        );
    }
}
