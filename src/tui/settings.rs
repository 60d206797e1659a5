//! Per-user TUI settings kept between sessions: `settings.json` in the user's
//! config directory (next to the keymap override, `directories::ProjectDirs`),
//! written atomically (`repo::save_atomic`) whenever a setting changes.
//!
//! Invariants: a missing file means the defaults; a file that does not parse is
//! reported once and the defaults are used (it is not overwritten until a
//! setting changes); values are clamped to their range on load, so a hand-edited
//! file cannot make a pane vanish.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The properties pane's share of the editor's width, in percent.
pub const PROPERTIES_PERCENT_DEFAULT: u16 = 35;
pub const PROPERTIES_PERCENT_MIN: u16 = 20;
pub const PROPERTIES_PERCENT_MAX: u16 = 70;
/// What one `<` / `>` changes.
pub const PROPERTIES_PERCENT_STEP: u16 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Share of the editor's width given to the properties pane (the diagram
    /// gets the rest, minus the outline when shown).
    pub properties_percent: u16,
    /// The template editor's preview values: by repository (its root path),
    /// then template name, then variable name, as typed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub template_values: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            properties_percent: PROPERTIES_PERCENT_DEFAULT,
            template_values: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// `<config dir>/bpe/settings.json`, when the platform has a config directory.
    pub fn user_file() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "bpe").map(|d| d.config_dir().join("settings.json"))
    }

    /// Read `path`; the defaults when it does not exist, the defaults and a
    /// message when it cannot be read or parsed.
    pub fn load(path: Option<&Path>) -> (Settings, Option<String>) {
        let Some(path) = path else {
            return (Settings::default(), None);
        };
        match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice::<Settings>(&bytes) {
                Ok(s) => (s.clamped(), None),
                Err(e) => (
                    Settings::default(),
                    Some(format!("settings ignored: {}: {e}", path.display())),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Settings::default(), None),
            Err(e) => (
                Settings::default(),
                Some(format!("settings ignored: {}: {e}", path.display())),
            ),
        }
    }

    /// Write to `path` atomically (creating the directory).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        crate::repo::save_atomic(path, &bytes).map_err(|e| e.to_string())
    }

    fn clamped(mut self) -> Settings {
        self.properties_percent = self
            .properties_percent
            .clamp(PROPERTIES_PERCENT_MIN, PROPERTIES_PERCENT_MAX);
        self
    }

    /// The remembered preview values of template `name` in the repository at `root`.
    pub fn template_values(&self, root: &Path, name: &str) -> BTreeMap<String, String> {
        self.template_values
            .get(&repo_key(root))
            .and_then(|m| m.get(name))
            .cloned()
            .unwrap_or_default()
    }

    /// Remember `values` for template `name` of the repository at `root`
    /// (an empty map forgets it); whether anything changed.
    pub fn set_template_values(
        &mut self,
        root: &Path,
        name: &str,
        values: &BTreeMap<String, String>,
    ) -> bool {
        let key = repo_key(root);
        if values.is_empty() {
            let Some(repo) = self.template_values.get_mut(&key) else {
                return false;
            };
            let removed = repo.remove(name).is_some();
            if repo.is_empty() {
                self.template_values.remove(&key);
            }
            return removed;
        }
        let repo = self.template_values.entry(key).or_default();
        if repo.get(name) == Some(values) {
            return false;
        }
        repo.insert(name.to_string(), values.clone());
        true
    }

    /// Change the properties pane's share by `steps` (negative: narrower);
    /// whether it changed (false at either end of the range).
    pub fn resize_properties(&mut self, steps: i16) -> bool {
        let next = (i32::from(self.properties_percent)
            + i32::from(steps) * i32::from(PROPERTIES_PERCENT_STEP))
        .clamp(
            i32::from(PROPERTIES_PERCENT_MIN),
            i32::from(PROPERTIES_PERCENT_MAX),
        ) as u16;
        let changed = next != self.properties_percent;
        self.properties_percent = next;
        changed
    }
}

/// A repository's key in the settings: its canonical root path.
fn repo_key(root: &Path) -> String {
    std::fs::canonicalize(root)
        .unwrap_or_else(|_| root.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_the_defaults_and_a_saved_file_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/bpe/settings.json");
        assert_eq!(Settings::load(Some(&path)), (Settings::default(), None));
        let mut s = Settings::default();
        assert!(s.resize_properties(2));
        s.save(&path).unwrap();
        assert_eq!(Settings::load(Some(&path)).0.properties_percent, 45);
    }

    #[test]
    fn out_of_range_values_are_clamped_and_garbage_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"propertiesPercent": 1000}"#).unwrap();
        assert_eq!(Settings::load(Some(&path)).0.properties_percent, 70);
        std::fs::write(&path, "{not json").unwrap();
        let (s, err) = Settings::load(Some(&path));
        assert_eq!(s, Settings::default());
        assert!(err.unwrap().contains("settings ignored"));
    }

    #[test]
    fn template_values_are_kept_per_repository_and_template_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let mut s = Settings::default();
        let values: BTreeMap<String, String> =
            [("firstName".to_string(), "Ada".to_string())].into();
        assert!(s.set_template_values(&a, "Welcome", &values));
        assert!(!s.set_template_values(&a, "Welcome", &values));
        assert_eq!(s.template_values(&a, "Welcome"), values);
        assert!(s.template_values(&b, "Welcome").is_empty());
        assert!(s.template_values(&a, "Other").is_empty());
        let path = dir.path().join("settings.json");
        s.save(&path).unwrap();
        let (back, err) = Settings::load(Some(&path));
        assert_eq!(err, None);
        assert_eq!(back.template_values(&a, "Welcome"), values);
        assert!(s.set_template_values(&a, "Welcome", &BTreeMap::new()));
        assert!(s.template_values.is_empty());
    }

    #[test]
    fn resizing_stops_at_both_ends() {
        let mut s = Settings::default();
        while s.resize_properties(1) {}
        assert_eq!(s.properties_percent, PROPERTIES_PERCENT_MAX);
        assert!(!s.resize_properties(1));
        while s.resize_properties(-1) {}
        assert_eq!(s.properties_percent, PROPERTIES_PERCENT_MIN);
    }
}
