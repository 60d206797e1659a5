//! [`RepoCatalog`]: the definitions and rules of a repository for the store's runs.
//!
//! - A definition started by name is pinned (stored in `.bpe/cache/` unless cache
//!   writes are off) and compiled once for the catalog's life: its repository is a
//!   snapshot, so a name always means the same version.
//! - Every definition resolved for a subprocess is pinned and held with a shared run
//!   lock for as long as the catalog lives.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::catalog::{Catalog, compile_rules};
use super::compile::{Compiled, compile};
use super::store::{StoreError, io, locked};
use crate::expr::RuleDef;
use crate::model::{DefinitionRef, TaskDefinition};
use crate::repo::lock::{self, LockGuard, LockMode, LockTarget};
use crate::repo::{Repository, cache};

/// Definitions from the repository, pinned through the cache; rules compiled once.
/// Every definition resolved for a subprocess is stored in the cache and held with
/// a shared run lock for as long as the catalog lives.
pub struct RepoCatalog {
    repo: Repository,
    rules: BTreeMap<String, Arc<RuleDef>>,
    run_locks: Vec<LockGuard>,
    purpose: String,
    /// Store resolved definitions in the cache (not in a dry run, which writes nothing).
    write_cache: bool,
    /// Definitions started by name, pinned and compiled once for the catalog's life
    /// (its repository is a snapshot, so a name always means the same definition).
    pub(super) started: BTreeMap<String, Prepared>,
}

/// A definition ready to start cases of: what the store's `case_in` needs, made once.
pub(super) struct Prepared {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) dref: DefinitionRef,
    /// Stored in `.bpe/cache/` (not yet when pinned while cache writes were off).
    pub(super) cached: bool,
    pub(super) compiled: Result<Arc<Compiled>, String>,
}

impl RepoCatalog {
    pub fn new(repo: Repository, purpose: &str) -> RepoCatalog {
        let rules = compile_rules(repo.all_rules().iter()).into_iter().collect();
        RepoCatalog {
            repo,
            rules,
            run_locks: Vec::new(),
            purpose: purpose.to_string(),
            write_cache: true,
            started: BTreeMap::new(),
        }
    }

    /// For a dry run: subprocess definitions are pinned by reference only, never
    /// stored in the cache (they resolve from the repository's files by hash).
    pub fn without_cache_writes(mut self) -> RepoCatalog {
        self.write_cache = false;
        self
    }

    /// Switch cache writes on (apply) or off (dry run), as the debugger's mode changes.
    pub fn set_cache_writes(&mut self, on: bool) {
        self.write_cache = on;
    }

    /// Store `def` in the cache (or only compute its reference, see
    /// [`RepoCatalog::without_cache_writes`]).
    fn pin(&self, def: &TaskDefinition) -> Result<DefinitionRef, StoreError> {
        if self.write_cache {
            cache::store(&self.repo.root, def).map_err(io)
        } else {
            Ok(cache::reference(def))
        }
    }

    /// The definition named `name`, pinned (stored in the cache when cache writes are
    /// on) and compiled: the first time only, for as long as this catalog lives.
    pub(super) fn prepare(&mut self, name: &str) -> Result<&Prepared, StoreError> {
        let stored = self.started.get(name).is_some_and(|p| p.cached);
        if !stored {
            let def = &self
                .repo
                .definition(name)
                .ok_or_else(|| StoreError::NotFound(format!("no TaskDefinition named '{name}'")))?
                .value;
            let dref = self.pin(def)?;
            let prepared = match self.started.remove(name) {
                Some(p) => Prepared {
                    cached: self.write_cache,
                    ..p
                },
                None => Prepared {
                    id: def.id.clone(),
                    name: def.name.clone(),
                    cached: self.write_cache,
                    compiled: compile(def, dref.clone())
                        .map(Arc::new)
                        .map_err(|e| e.message),
                    dref,
                },
            };
            self.started.insert(name.to_string(), prepared);
        }
        Ok(&self.started[name])
    }

    pub fn repository(&self) -> &Repository {
        &self.repo
    }

    pub(super) fn hold_run_lock(&mut self, definition_id: &str) -> Result<(), StoreError> {
        let target = LockTarget::DefinitionRun(definition_id.to_string());
        if self
            .run_locks
            .iter()
            .any(|g| g.name() == target.lock_name())
        {
            return Ok(());
        }
        let g = lock::acquire(&self.repo.root, target, LockMode::Shared, &self.purpose)
            .map_err(|e| locked(&format!("definition {definition_id}"), e))?;
        self.run_locks.push(g);
        Ok(())
    }
}

impl Catalog for RepoCatalog {
    fn resolve(&mut self, name: &str) -> Result<(DefinitionRef, TaskDefinition), String> {
        let def = self
            .repo
            .definition(name)
            .map(|l| l.value.clone())
            .ok_or_else(|| format!("no TaskDefinition named '{name}'"))?;
        let r = self.pin(&def).map_err(|e| e.to_string())?;
        self.hold_run_lock(&def.id).map_err(|e| e.to_string())?;
        Ok((r, def))
    }

    fn load(&mut self, dref: &DefinitionRef) -> Result<TaskDefinition, String> {
        cache::load_in(&self.repo, dref).map_err(|e| e.to_string())
    }

    fn rule(&self, name: &str) -> Option<Arc<RuleDef>> {
        self.rules.get(name).cloned()
    }
}
