//! The per-user workspace of a repository, like the BPE's: debugger
//! breakpoints, watch expressions and the last inputs of each workflow's debug
//! run. One JSON file per repository in the data directory:
//! `<data dir>/workspaces/<slug of the canonical repository path>-<8 hex>.json`,
//! where the data directory is `$BPE_DATA_DIR` when set (tests), else
//! `ProjectDirs::from("", "", "bpe").data_dir()`. Saved atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::{BreakAt, Breakpoint};

pub const WORKSPACE_VERSION: u32 = 1;

/// A breakpoint as the user wrote it: `Activity`, `Activity#2` (second action)
/// or `From->To` (a transition), in `process` (any process when absent), with
/// an optional condition expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedBreakpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

impl SavedBreakpoint {
    /// Parse `AT [if CONDITION]`.
    pub fn parse(text: &str, process: Option<String>) -> Result<SavedBreakpoint, String> {
        let (at, condition) = match text.split_once(" if ") {
            Some((a, c)) => (a.trim(), Some(c.trim().to_string())),
            None => (text.trim(), None),
        };
        if at.is_empty() {
            return Err("name an activity, Activity#N or From->To".into());
        }
        if let Some(c) = &condition {
            crate::expr::parse(c).map_err(|e| format!("condition: {e}"))?;
        }
        let bp = SavedBreakpoint {
            process,
            at: at.to_string(),
            condition,
        };
        bp.to_engine()?;
        Ok(bp)
    }

    /// The engine's breakpoint.
    pub fn to_engine(&self) -> Result<Breakpoint, String> {
        let at = if let Some((from, to)) = self.at.split_once("->") {
            BreakAt::Transition {
                from: from.trim().to_string(),
                to: to.trim().to_string(),
            }
        } else if let Some((activity, n)) = self.at.rsplit_once('#') {
            let n: usize = n
                .trim()
                .parse()
                .map_err(|_| format!("'{n}' is not an action number (1, 2, …)"))?;
            if n == 0 {
                return Err("actions are numbered from 1".into());
            }
            BreakAt::Action {
                activity: activity.trim().to_string(),
                action: n - 1,
            }
        } else {
            BreakAt::Activity {
                activity: self.at.trim().to_string(),
            }
        };
        let condition = match &self.condition {
            Some(c) => Some(crate::expr::parse(c).map_err(|e| format!("condition: {e}"))?),
            None => None,
        };
        Ok(Breakpoint {
            process: self.process.clone(),
            at,
            condition,
        })
    }
}

impl std::fmt::Display for SavedBreakpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = &self.process {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}", self.at)?;
        if let Some(c) = &self.condition {
            write!(f, " if {c}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    #[serde(default)]
    pub format_version: u32,
    /// The canonical repository path, for people reading the file.
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub breakpoints: Vec<SavedBreakpoint>,
    #[serde(default)]
    pub watches: Vec<String>,
    /// Last debug-run inputs by workflow name (plain JSON values).
    #[serde(default)]
    pub inputs: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// `false` turns off the question before approving or rejecting a work item
    /// (absent: ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_decisions: Option<bool>,
}

/// The data directory: `$BPE_DATA_DIR`, else the platform's.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("BPE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "bpe").map(|p| p.data_dir().to_path_buf())
}

/// The workspace file of a repository.
pub fn file_for(root: &Path) -> Option<PathBuf> {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let text = canonical.to_string_lossy();
    let digest = Sha256::digest(text.as_bytes());
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut slug = crate::model::slug(&text);
    slug.truncate(80);
    Some(
        data_dir()?
            .join("workspaces")
            .join(format!("{slug}-{short}.json")),
    )
}

impl Workspace {
    /// Load the repository's workspace; a missing file is an empty workspace,
    /// an unreadable one is an error (and is left untouched).
    pub fn load(root: &Path) -> Result<Workspace, String> {
        let Some(path) = file_for(root) else {
            return Ok(Workspace::default());
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Workspace::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn save(&self, root: &Path) -> Result<PathBuf, String> {
        let path = file_for(root).ok_or("no data directory for the workspace")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut copy = self.clone();
        copy.format_version = WORKSPACE_VERSION;
        copy.repository = root
            .canonicalize()
            .unwrap_or_else(|_| root.to_path_buf())
            .to_string_lossy()
            .into_owned();
        crate::repo::save_json(&path, &copy).map_err(|e| e.to_string())?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakpoint_texts_parse_into_engine_breakpoints() {
        let b = SavedBreakpoint::parse("Manager Approval", None).unwrap();
        assert!(
            matches!(b.to_engine().unwrap().at, BreakAt::Activity { activity } if activity == "Manager Approval")
        );
        let b = SavedBreakpoint::parse("Manager Approval#3 if (eq $x 1)", None).unwrap();
        let e = b.to_engine().unwrap();
        assert!(matches!(e.at, BreakAt::Action { action: 2, .. }));
        assert!(e.condition.is_some());
        let b = SavedBreakpoint::parse("A -> B", Some("P".into())).unwrap();
        assert!(
            matches!(b.to_engine().unwrap().at, BreakAt::Transition { from, to } if from == "A" && to == "B")
        );
        assert!(SavedBreakpoint::parse("A#0", None).is_err());
        assert!(SavedBreakpoint::parse("A if (eq", None).is_err());
    }
}
