//! The email template editor's edits, its `$(var)` placeholders and the
//! workflows that use a template. The preview is not rendered here: it is
//! `RepoServices::preview_mail`, the notify service's own composition.
//!
//! Invariants: a template keeps a name; placeholders are found by
//! `services::placeholders`, the scan `render_template` renders by.

use std::collections::BTreeSet;

use crate::expr::Expr;
use crate::model::{ActionKind, EmailTemplate, TaskDefinition};
use crate::repo::Repository;

use super::{Document, EditError, fail};

/// One editable field of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateField {
    Description,
    From,
    To,
    Cc,
    Subject,
    Body,
}

impl TemplateField {
    pub const ALL: [TemplateField; 6] = [
        TemplateField::Description,
        TemplateField::From,
        TemplateField::To,
        TemplateField::Cc,
        TemplateField::Subject,
        TemplateField::Body,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TemplateField::Description => "description",
            TemplateField::From => "from",
            TemplateField::To => "to",
            TemplateField::Cc => "cc",
            TemplateField::Subject => "subject",
            TemplateField::Body => "body",
        }
    }

    pub fn value(self, t: &EmailTemplate) -> &str {
        match self {
            TemplateField::Description => &t.description,
            TemplateField::From => &t.from,
            TemplateField::To => &t.to,
            TemplateField::Cc => &t.cc,
            TemplateField::Subject => &t.subject,
            TemplateField::Body => &t.body,
        }
    }

    fn value_mut(self, t: &mut EmailTemplate) -> &mut String {
        match self {
            TemplateField::Description => &mut t.description,
            TemplateField::From => &mut t.from,
            TemplateField::To => &mut t.to,
            TemplateField::Cc => &mut t.cc,
            TemplateField::Subject => &mut t.subject,
            TemplateField::Body => &mut t.body,
        }
    }
}

/// An edit of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateEdit {
    /// One field set from its text.
    Set { field: TemplateField, value: String },
    /// The whole template replaced (a recovery copy restored); it keeps its
    /// name and id, and its fields are checked as `Set` checks them. `why`
    /// starts the status sentence.
    Replace {
        template: Box<EmailTemplate>,
        why: &'static str,
    },
}

impl TemplateEdit {
    /// `Set` of `field` to `value`.
    pub fn set(field: TemplateField, value: impl Into<String>) -> TemplateEdit {
        TemplateEdit::Set {
            field,
            value: value.into(),
        }
    }
}

/// `value` if `field` may hold it: header fields are one line (a line break
/// would end the header) and the subject is not blank.
fn checked(field: TemplateField, value: &str) -> Result<String, EditError> {
    match field {
        TemplateField::Subject | TemplateField::From | TemplateField::To | TemplateField::Cc
            if value.contains(['\r', '\n']) =>
        {
            fail(format!("{} is one line", field.label()))
        }
        TemplateField::Subject if value.trim().is_empty() => fail("a template needs a subject"),
        _ => Ok(value.to_string()),
    }
}

impl Document for EmailTemplate {
    type Edit = TemplateEdit;
    type Selection = TemplateField;

    fn apply_edit(&mut self, edit: &TemplateEdit) -> Result<TemplateField, EditError> {
        match edit {
            TemplateEdit::Set { field, value } => {
                *field.value_mut(self) = checked(*field, value)?;
                Ok(*field)
            }
            TemplateEdit::Replace { template, .. } => {
                if template.name != self.name || template.id != self.id {
                    return fail(format!(
                        "a template keeps its name: {} is not {}",
                        crate::model::escape_name(&template.name),
                        crate::model::escape_name(&self.name)
                    ));
                }
                for field in TemplateField::ALL {
                    checked(field, field.value(template))?;
                }
                // Select the first field that changes.
                let first = TemplateField::ALL
                    .into_iter()
                    .find(|f| f.value(self) != f.value(template))
                    .unwrap_or(TemplateField::Subject);
                *self = (**template).clone();
                Ok(first)
            }
        }
    }

    fn done_text(edit: &TemplateEdit, before: &EmailTemplate) -> String {
        let name = crate::model::escape_name(&before.name);
        match edit {
            TemplateEdit::Set { field, .. } => {
                format!("set {} of template {name}", field.label())
            }
            TemplateEdit::Replace { why, .. } => format!("{why} of template {name}"),
        }
    }
}

/// Every placeholder name the template uses (from, to, cc, subject, body), sorted, once each.
pub fn variables(t: &EmailTemplate) -> Vec<String> {
    let fields = [&t.from, &t.to, &t.cc, &t.subject, &t.body];
    let names: BTreeSet<String> = fields
        .iter()
        .flat_map(|text| crate::services::placeholders(text))
        .map(|(_, name)| name.to_string())
        .filter(|n| !n.is_empty())
        .collect();
    names.into_iter().collect()
}

/// Whether a workflow has a notify action whose `template` argument is the
/// literal name (or id) of `t`.
pub fn workflow_uses(def: &TaskDefinition, t: &EmailTemplate) -> bool {
    def.process
        .activities
        .iter()
        .flat_map(|a| &a.actions)
        .any(|x| match &x.kind {
            ActionKind::Service { op, arguments } if op == "notify" => {
                arguments.iter().filter(|a| a.name == "template").any(|a| {
                    matches!(crate::expr::parse(&a.value),
                        Ok(Expr::Str(s)) if s == t.name || s == t.id)
                })
            }
            _ => false,
        })
}

/// The names of the workflows that send `t`, sorted.
pub fn used_by(repo: &Repository, t: &EmailTemplate) -> Vec<String> {
    let mut out: Vec<String> = repo
        .definitions
        .iter()
        .filter(|d| workflow_uses(&d.value, t))
        .map(|d| d.value.name.clone())
        .collect();
    out.sort_by_key(|n| n.to_lowercase());
    out
}

/// One piece of a template field's text, for highlighting: plain text or a
/// `$(name)` placeholder (exactly the spans `render_template` replaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Placeholder { text: &'a str, name: &'a str },
}

/// `text` cut into plain text and placeholders, in order; joined they give `text` back.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut copied = 0;
    for (range, name) in crate::services::placeholders(text) {
        if range.start > copied {
            out.push(Piece::Text(&text[copied..range.start]));
        }
        out.push(Piece::Placeholder {
            text: &text[range.clone()],
            name,
        });
        copied = range.end;
    }
    if copied < text.len() {
        out.push(Piece::Text(&text[copied..]));
    }
    out
}

/// The names the workflows that send `t` can supply to its placeholders:
/// every variable they declare (process, activity and action variables) and
/// the extra arguments of their notify actions for `t` (the scopes
/// `render_template` reads besides the `variables` map, whose keys an
/// expression computes). `None` when no workflow sends `t`: nothing to check.
pub fn supplied_names(repo: &Repository, t: &EmailTemplate) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    let mut any = false;
    for d in repo
        .definitions
        .iter()
        .filter(|d| workflow_uses(&d.value, t))
    {
        any = true;
        let p = &d.value.process;
        names.extend(p.variables.iter().map(|v| v.name.clone()));
        for act in &p.activities {
            names.extend(act.variables.iter().map(|v| v.name.clone()));
            for x in &act.actions {
                names.extend(x.variables.iter().map(|v| v.name.clone()));
                if let ActionKind::Service { op, arguments } = &x.kind
                    && op == "notify"
                {
                    names.extend(
                        arguments
                            .iter()
                            .filter(|a| !["template", "to", "cc", "variables"].contains(&&*a.name))
                            .map(|a| a.name.clone()),
                    );
                }
            }
        }
    }
    any.then_some(names)
}

/// Whether a placeholder `name` (dotted names reach into a map: its first
/// part counts) is one of `supplied`; always true when there is nothing to check.
pub fn is_supplied(name: &str, supplied: Option<&BTreeSet<String>>) -> bool {
    let base = name.split('.').next().unwrap_or(name);
    supplied.is_none_or(|s| s.contains(base))
}
