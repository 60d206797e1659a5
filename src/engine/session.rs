//! A case opened for interactive stepping (the debugger). Re-exported by [`super::store`].
//!
//! Invariant: a session holds the same locks as a run (the definitions' run locks and,
//! unless it is a dry run, the instance lock) for as long as it lives, and a dry-run
//! session writes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::case::Case;
use super::store::{
    RepoCatalog, RunOptions, StoreError, instance_path, io, new_case, open_case, persist,
    result_limit,
};
use crate::expr::Value;
use crate::model::WorkItem;
use crate::repo::lock::LockGuard;

/// A case opened for interactive stepping (the debugger): the instance lock and the
/// definition run locks are held for as long as the session lives; the host steps
/// the case through [`Session::parts`] and writes it with [`Session::persist`].
pub struct Session {
    root: PathBuf,
    case: Case,
    catalog: RepoCatalog,
    /// `None` for a dry run (nothing is written).
    lock: Option<LockGuard>,
    created: Vec<WorkItem>,
    journaled: Journaled,
}

/// What of this session's case is in the case journal already.
#[derive(Debug, Default)]
struct Journaled {
    started: bool,
    ended: bool,
}

impl Session {
    /// Start a case of `name` without running it. With `opts.dry_run` no lock is
    /// taken on the instance and [`Session::persist`] writes nothing.
    pub fn start(
        root: &Path,
        name: &str,
        inputs: &BTreeMap<String, Value>,
        opts: &RunOptions,
    ) -> Result<Session, StoreError> {
        let (mut case, catalog, lock) = new_case(root, name, inputs, opts)?;
        case.options.ignore_execution_limit = true;
        Ok(Session {
            root: root.to_path_buf(),
            case,
            catalog,
            lock,
            created: Vec::new(),
            journaled: Journaled::default(),
        })
    }

    /// Open an unfinished instance for stepping (refused while another runner holds it).
    pub fn resume(root: &Path, instance_id: &str, purpose: &str) -> Result<Session, StoreError> {
        let (mut case, catalog, lock) = open_case(root, instance_id, purpose)?;
        case.options.ignore_execution_limit = true;
        Ok(Session {
            root: root.to_path_buf(),
            case,
            catalog,
            lock: Some(lock),
            created: Vec::new(),
            // A resumed case was journaled as started by whoever started it.
            journaled: Journaled {
                started: true,
                ended: false,
            },
        })
    }

    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The case and the catalog, to build a [`Runtime`] and step:
    /// `let (case, catalog) = s.parts(); case.step(&mut Runtime { services, catalog }, g)`.
    pub fn parts(&mut self) -> (&mut Case, &mut RepoCatalog) {
        (&mut self.case, &mut self.catalog)
    }

    /// Work items created since the session started (also in a dry run).
    pub fn created_work_items(&mut self) -> &[WorkItem] {
        if self.lock.is_none() {
            self.created.extend(self.case.take_outbox().created);
        }
        &self.created
    }

    /// Write the TaskInstance and new work items (nothing in a dry run). A finished
    /// case with `resultLimit: 0` has its instance file removed.
    pub fn persist(&mut self) -> Result<(), StoreError> {
        if self.lock.is_none() {
            self.created.extend(self.case.take_outbox().created);
            return Ok(());
        }
        persist(&self.root, &mut self.case, &mut self.created)?;
        if !self.journaled.started {
            super::journal::case_started(&self.root, &mut self.case)?;
            self.journaled.started = true;
        }
        let inst = self.case.to_instance();
        if inst.status.is_finished() && !self.journaled.ended {
            super::journal::case_ended(&self.root, &self.case, &inst)?;
            self.journaled.ended = true;
        }
        if inst.status.is_finished()
            && result_limit(&inst, self.catalog.repository(), &self.root) == Some(0)
        {
            match std::fs::remove_file(instance_path(&self.root, &inst)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }
}
