//! Problems between the files of a repository, found after each kind is
//! parsed: duplicate ids and names, names with unsafe characters, and library
//! rules whose callable names clash. Each is a [`LoadError`] positioned at the
//! key in the later file; the objects stay loaded.

use std::collections::HashMap;
use std::path::Path;

use super::parse::{bound_message, find_key};
use super::{LoadError, Loaded};
use crate::model::{ObjectKind, Rule, RuleLibrary};
use crate::repo::save::RepoObject;

/// What duplicate and unsafe-name checks need of an object: its kind, id and
/// name. Every [`RepoObject`] has them; so has a definition's summary (the index).
pub(in crate::repo) trait Identified {
    const KIND: ObjectKind;
    fn object_id(&self) -> Option<&str>;
    fn object_name(&self) -> Option<&str>;
}

impl<T: RepoObject> Identified for T {
    const KIND: ObjectKind = <T as RepoObject>::KIND;
    fn object_id(&self) -> Option<&str> {
        RepoObject::object_id(self)
    }
    fn object_name(&self) -> Option<&str> {
        RepoObject::object_name(self)
    }
}

/// How the message of a load error about a name with control characters
/// starts (validation reports those as E014).
pub const UNSAFE_NAME: &str = "unsafe name:";

/// One [`LoadError`] per object whose name (a User's accountId) holds a
/// character names may not contain ([`crate::model::is_unsafe_char`]). The
/// object stays loaded; every printer escapes it.
pub(in crate::repo) fn report_unsafe_names<T: Identified>(
    root: &Path,
    loaded: &[Loaded<T>],
    errors: &mut Vec<LoadError>,
) {
    let (key, value): (&str, fn(&T) -> Option<&str>) = if T::KIND == ObjectKind::User {
        ("accountId", |v| v.object_id())
    } else {
        ("name", |v| v.object_name())
    };
    for l in loaded {
        let Some(name) = value(&l.value) else {
            continue;
        };
        if let Some((_, c)) = crate::model::name_problem(name) {
            errors.push(duplicate_error(
                root,
                &l.path,
                key,
                &format!(
                    "{UNSAFE_NAME} {key} {} contains {}; names may not contain control characters",
                    bound_message(&format!("\"{}\"", crate::model::escape_name(name))),
                    crate::model::describe_char(c)
                ),
            ));
        }
    }
}

/// One [`LoadError`] per later file that repeats an id or a name of an earlier
/// one (in path order), naming both files. Both objects stay loaded.
pub(in crate::repo) fn report_duplicates<T: Identified>(
    root: &Path,
    loaded: &[Loaded<T>],
    errors: &mut Vec<LoadError>,
) {
    let kind = T::KIND.dir_name();
    let id_key = if T::KIND == ObjectKind::User {
        "accountId"
    } else {
        "id"
    };
    let mut ids: HashMap<&str, &Path> = HashMap::new();
    let mut names: HashMap<&str, &Path> = HashMap::new();
    for l in loaded {
        if let Some(id) = l.value.object_id() {
            if let Some(first) = ids.get(id) {
                errors.push(duplicate_error(
                    root,
                    &l.path,
                    id_key,
                    &format!(
                        "duplicate {kind} {id_key} {id:?}: also in {}",
                        first.display()
                    ),
                ));
            } else {
                ids.insert(id, &l.path);
            }
        }
        if let Some(name) = l.value.object_name() {
            if let Some(first) = names.get(name) {
                errors.push(duplicate_error(
                    root,
                    &l.path,
                    "name",
                    &format!(
                        "duplicate {kind} name {name:?}: also in {}",
                        first.display()
                    ),
                ));
            } else {
                names.insert(name, &l.path);
            }
        }
    }
}

/// A library rule whose callable name (`Library:Rule`) is taken by a `Rule/` object
/// or by an earlier rule of the same library: a load error on the library file
/// (callers could not tell which one they get).
pub(super) fn report_library_rule_clashes(
    root: &Path,
    rules: &[Loaded<Rule>],
    libraries: &[Loaded<RuleLibrary>],
    errors: &mut Vec<LoadError>,
) {
    let plain: HashMap<&str, &Path> = rules
        .iter()
        .map(|r| (r.value.name.as_str(), r.path.as_path()))
        .collect();
    for l in libraries {
        let mut seen = std::collections::HashSet::new();
        for r in &l.value.rules {
            let qualified = format!("{}:{}", l.value.name, r.name);
            let message = if !seen.insert(r.name.as_str()) {
                format!(
                    "duplicate rule name {:?} in rule library {:?}",
                    r.name, l.value.name
                )
            } else if let Some(other) = plain.get(qualified.as_str()) {
                format!(
                    "library rule {qualified:?} has the name of the Rule in {}",
                    other.display()
                )
            } else {
                continue;
            };
            errors.push(duplicate_error(root, &l.path, "rules", &message));
        }
    }
}

/// Positioned at the key in the file (re-read: duplicates are rare).
/// The message is bounded ([`bound_message`]): names can be huge.
fn duplicate_error(root: &Path, rel: &Path, key: &str, message: &str) -> LoadError {
    let (line, column) = crate::repo::confine::read(root, rel)
        .map(|bytes| find_key(&bytes, key))
        .unwrap_or((0, 0));
    LoadError {
        path: rel.to_path_buf(),
        line,
        column,
        message: bound_message(message),
    }
}
