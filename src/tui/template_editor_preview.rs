//! The template editor's preview: its values table (typed as JSON or text,
//! remembered per user and repository in the settings file) and the message
//! rendered from them by `RepoServices::preview_mail` in dry run, the notify
//! service's own composition (nothing is written).

use std::collections::BTreeMap;
use std::path::Path;

use super::ask::Prompt;
use super::screen::Request;
use super::template_editor::{Env, TemplateEditorState};
use crate::edit::template::variables;

impl TemplateEditorState {
    /// Render the preview again (after any change to the template, a draft or a value).
    pub(super) fn render_preview_at(&mut self, root: &Path) {
        let t = self.effective();
        let names = variables(&t);
        self.value_row = self.value_row.min(names.len().saturating_sub(1));
        let Some(config) = &self.config else {
            self.preview = Err("no repository.json: the notify service has no settings".into());
            return;
        };
        let vars: BTreeMap<String, crate::expr::Value> = self
            .values
            .iter()
            .filter(|(k, _)| names.contains(k))
            .map(|(k, v)| (k.clone(), super::ask::parse_value(v)))
            .collect();
        let services = crate::services::RepoServices::new(
            root,
            config,
            crate::services::ServiceOptions {
                dry_run: true,
                allow_commands: false,
            },
        );
        let now = self.clock.unwrap_or_else(chrono::Utc::now);
        self.preview = services.preview_mail(&t, &vars, now).map_err(|e| e.message);
    }

    pub(super) fn start_value(&mut self) {
        let Some(name) = self.variables().get(self.value_row).cloned() else {
            return;
        };
        let current = self.values.get(&name).cloned().unwrap_or_default();
        self.value_prompt = Some(Prompt::new(
            name.clone(),
            format!("$({name}) = (JSON or text; empty: unset)"),
            &current,
        ));
    }

    pub(super) fn value_accepted(&mut self, env: Env<'_>, p: Prompt<String>) -> Vec<Request> {
        let text = p.text();
        self.set_value(env, &p.purpose, &text)
    }

    /// Set (or with "" clear) a preview value; remember the values in the settings file.
    pub(super) fn set_value(&mut self, env: Env<'_>, name: &str, text: &str) -> Vec<Request> {
        if text.is_empty() {
            self.values.remove(name);
        } else {
            self.values.insert(name.to_string(), text.to_string());
        }
        self.render_preview_at(env.root);
        let remembered: BTreeMap<String, String> = self
            .values
            .iter()
            .filter(|(k, _)| self.variables().contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if env.settings.template_values(env.root, &self.doc.name) == remembered {
            return Vec::new();
        }
        vec![Request::RememberTemplateValues {
            template: self.doc.name.clone(),
            values: remembered,
        }]
    }
}
