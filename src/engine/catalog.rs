//! Where the engine finds definitions (for subprocesses and resumption) and rules.
//! The engine never reads files itself: a repository-backed catalog lives in
//! [`super::store`], an in-memory one here for tests and tools.

use std::collections::HashMap;
use std::sync::Arc;

use crate::expr::{self, RuleDef};
use crate::model::{DefinitionRef, Rule, TaskDefinition, content_hash};

/// Definitions by name (the current version, pinned) and by exact reference, and rules.
pub trait Catalog {
    /// The current definition named `name`, with the reference that pins this exact
    /// version (the implementation makes sure [`Catalog::load`] can find it later).
    fn resolve(&mut self, name: &str) -> Result<(DefinitionRef, TaskDefinition), String>;
    /// Exactly the version `dref` names.
    fn load(&mut self, dref: &DefinitionRef) -> Result<TaskDefinition, String>;
    /// A rule, compiled for the evaluator.
    fn rule(&self, name: &str) -> Option<Arc<RuleDef>>;
}

/// The reference pinning `def`: its id, name and content hash.
pub fn definition_ref(def: &TaskDefinition) -> DefinitionRef {
    DefinitionRef {
        id: def.id.clone(),
        name: def.name.clone(),
        hash: content_hash(def),
    }
}

/// Compile repository rules for the evaluator; a rule whose body or argument
/// default does not parse is left out (calling it reports an unknown rule).
pub fn compile_rules<'a>(
    rules: impl IntoIterator<Item = &'a Rule>,
) -> HashMap<String, Arc<RuleDef>> {
    let mut out = HashMap::new();
    for r in rules {
        let Ok(mut body) = expr::parse(&r.body) else {
            continue;
        };
        let mut args = Vec::new();
        let mut ok = true;
        // Locked arguments (Waveset `locked='true'`) are not parameters: the body
        // starts by binding each to its default, over whatever the caller passed.
        let mut locked = Vec::new();
        for a in &r.arguments {
            if a.locked {
                let default = match a.value.as_deref().map(expr::parse) {
                    Some(Ok(e)) => e,
                    Some(Err(_)) => {
                        ok = false;
                        continue;
                    }
                    None => expr::Expr::Null,
                };
                locked.push(expr::Expr::Call(expr::Call {
                    name: "defvar".to_string(),
                    attrs: vec![("name".to_string(), a.name.clone())],
                    args: vec![default],
                }));
                continue;
            }
            match &a.value {
                Some(t) => match expr::parse(t) {
                    Ok(e) => args.push((a.name.clone(), Some(e))),
                    Err(_) => ok = false,
                },
                None => args.push((a.name.clone(), None)),
            }
        }
        if !locked.is_empty() {
            locked.push(body);
            body = expr::Expr::Call(expr::Call {
                name: "block".to_string(),
                attrs: Vec::new(),
                args: locked,
            });
        }
        if ok {
            out.insert(
                r.name.clone(),
                Arc::new(RuleDef {
                    name: r.name.clone(),
                    args,
                    body,
                    local_scope: r.local_scope,
                }),
            );
        }
    }
    out
}

/// Definitions and rules held in memory. Every version ever resolved stays loadable.
#[derive(Debug, Default, Clone)]
pub struct MemoryCatalog {
    current: Vec<TaskDefinition>,
    versions: HashMap<String, TaskDefinition>,
    rules: HashMap<String, Arc<RuleDef>>,
}

impl MemoryCatalog {
    pub fn new(definitions: Vec<TaskDefinition>, rules: &[Rule]) -> MemoryCatalog {
        let mut c = MemoryCatalog {
            current: Vec::new(),
            versions: HashMap::new(),
            rules: compile_rules(rules),
        };
        for d in definitions {
            c.insert(d);
        }
        c
    }

    /// Add or replace (by name) a definition; older versions stay loadable by hash.
    pub fn insert(&mut self, def: TaskDefinition) -> DefinitionRef {
        let r = definition_ref(&def);
        self.versions.insert(r.hash.clone(), def.clone());
        self.current.retain(|d| d.name != def.name);
        self.current.push(def);
        r
    }

    pub fn remove(&mut self, name: &str) {
        self.current.retain(|d| d.name != name);
    }
}

impl Catalog for MemoryCatalog {
    fn resolve(&mut self, name: &str) -> Result<(DefinitionRef, TaskDefinition), String> {
        let def = self
            .current
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| format!("no TaskDefinition named '{name}'"))?;
        Ok((definition_ref(def), def.clone()))
    }

    fn load(&mut self, dref: &DefinitionRef) -> Result<TaskDefinition, String> {
        self.versions.get(&dref.hash).cloned().ok_or_else(|| {
            format!(
                "definition '{}' version {} is not available",
                dref.name, dref.hash
            )
        })
    }

    fn rule(&self, name: &str) -> Option<Arc<RuleDef>> {
        self.rules.get(name).cloned()
    }
}
