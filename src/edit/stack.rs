//! The one command stack: undo puts back the exact document an edit started
//! from, redo applies the edit again; a saved point drives the dirty marker.
//! Generic over the edited document ([`Document`]): a workflow, a rule, an
//! email template each have their edits and their selection.
//!
//! Invariants: an edit that changes nothing is not recorded; a new edit after
//! undo drops the redo history; `is_dirty` is false exactly when the document
//! is the one last saved (or loaded).

use crate::model::TaskDefinition;

use super::{Edit, EditError, ElementRef};

/// Something edited through a [`CommandStack`].
pub trait Document: Clone + PartialEq {
    /// One edit of the document.
    type Edit: Clone;
    /// What the editor selects after an edit (and after its undo).
    type Selection: Copy;

    /// Apply `edit`; on success, what to select. On error `self` is unchanged.
    fn apply_edit(&mut self, edit: &Self::Edit) -> Result<Self::Selection, EditError>;

    /// The past-tense sentence for the status line, from the document as it
    /// was before the edit (the same for the edit, its undo and its redo).
    fn done_text(edit: &Self::Edit, before: &Self) -> String;
}

impl Document for TaskDefinition {
    type Edit = Edit;
    type Selection = ElementRef;

    fn apply_edit(&mut self, edit: &Edit) -> Result<ElementRef, EditError> {
        edit.apply(self)
    }

    fn done_text(edit: &Edit, before: &TaskDefinition) -> String {
        super::report::done(edit, before)
    }
}

struct Done<D: Document> {
    edit: D::Edit,
    before: D,
    selection_before: D::Selection,
    selection_after: D::Selection,
}

/// Undo/redo history of one open document, with the saved point for the dirty marker.
pub struct CommandStack<D: Document = TaskDefinition> {
    done: Vec<Done<D>>,
    undone: Vec<Done<D>>,
    /// `done.len()` when last saved; `None` once that state can no longer be reached.
    saved_at: Option<usize>,
}

impl<D: Document> Default for CommandStack<D> {
    fn default() -> Self {
        CommandStack::new()
    }
}

impl<D: Document> CommandStack<D> {
    pub fn new() -> CommandStack<D> {
        CommandStack {
            done: Vec::new(),
            undone: Vec::new(),
            saved_at: Some(0),
        }
    }

    /// Apply `edit`; on success it can be undone. Returns what to select.
    pub fn execute(
        &mut self,
        doc: &mut D,
        edit: D::Edit,
        selection: D::Selection,
    ) -> Result<D::Selection, EditError> {
        let before = doc.clone();
        let after = doc.apply_edit(&edit)?;
        if *doc == before {
            return Ok(after);
        }
        if self.saved_at.is_some_and(|s| s > self.done.len()) {
            self.saved_at = None;
        }
        self.undone.clear();
        self.done.push(Done {
            edit,
            before,
            selection_before: selection,
            selection_after: after,
        });
        Ok(after)
    }

    /// Undo the last edit: `doc` becomes exactly what it was before it.
    pub fn undo(&mut self, doc: &mut D) -> Option<(String, D::Selection)> {
        let done = self.done.pop()?;
        let after = std::mem::replace(doc, done.before.clone());
        let text = D::done_text(&done.edit, &done.before);
        let sel = done.selection_before;
        self.undone.push(Done {
            before: after,
            ..done
        });
        Some((text, sel))
    }

    /// Redo the last undone edit.
    pub fn redo(&mut self, doc: &mut D) -> Option<(String, D::Selection)> {
        let undone = self.undone.pop()?;
        let before = std::mem::replace(doc, undone.before.clone());
        let text = D::done_text(&undone.edit, &before);
        let sel = undone.selection_after;
        self.done.push(Done { before, ..undone });
        Some((text, sel))
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }
    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }
    pub fn is_dirty(&self) -> bool {
        self.saved_at != Some(self.done.len())
    }
    pub fn mark_saved(&mut self) {
        self.saved_at = Some(self.done.len());
    }
    /// After taking the disk version: history no longer applies.
    pub fn reset(&mut self) {
        *self = CommandStack::new();
    }
    /// After keeping a version that differs from disk: dirty until saved.
    pub fn mark_unsaved(&mut self) {
        self.saved_at = None;
    }
}
