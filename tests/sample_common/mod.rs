//! Shared by the `sample_*` integration tests: where the sample repository is and
//! how to enumerate every expression it contains, with a label saying where it is.

#![allow(dead_code)]

use std::path::PathBuf;

use bpe::model::{ActionKind, TaskDefinition, Variable};
use bpe::repo::Repository;

pub fn sample_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-repository")
}

/// The sample repository, asserting that every file loaded.
pub fn open_sample() -> Repository {
    let repo = Repository::open(sample_root()).expect("sample-repository opens");
    assert!(
        repo.errors.is_empty(),
        "sample files failed to load: {:#?}",
        repo.errors
    );
    repo
}

/// One expression and where it lives, e.g. `Onboard Employee / Manager Approval / action 2 / owner`.
pub struct Located {
    pub at: String,
    pub text: String,
}

fn push_vars(out: &mut Vec<Located>, at: &str, vars: &[Variable]) {
    for v in vars {
        if let Some(value) = &v.value {
            out.push(Located {
                at: format!("{at} / variable {}", v.name),
                text: value.clone(),
            });
        }
    }
}

/// Every expression of a definition: variable initial values, action conditions,
/// expressions, arguments, owners and requests, command argv, transition conditions.
pub fn definition_expressions(def: &TaskDefinition) -> Vec<Located> {
    let mut out = Vec::new();
    let name = &def.name;
    push_vars(&mut out, name, &def.process.variables);
    for activity in &def.process.activities {
        let at = format!("{name} / {}", activity.name);
        push_vars(&mut out, &at, &activity.variables);
        for (i, action) in activity.actions.iter().enumerate() {
            let at = format!("{at} / action {}", i + 1);
            push_vars(&mut out, &at, &action.variables);
            if let Some(c) = &action.condition {
                out.push(Located {
                    at: format!("{at} / condition"),
                    text: c.clone(),
                });
            }
            match &action.kind {
                ActionKind::Expression { expression } => out.push(Located {
                    at: format!("{at} / expression"),
                    text: expression.clone(),
                }),
                ActionKind::Service { arguments, .. }
                | ActionKind::Subprocess { arguments, .. } => {
                    for a in arguments {
                        out.push(Located {
                            at: format!("{at} / argument {}", a.name),
                            text: a.value.clone(),
                        });
                    }
                }
                ActionKind::Manual(m) => {
                    for o in &m.owners {
                        out.push(Located {
                            at: format!("{at} / owner"),
                            text: o.clone(),
                        });
                    }
                    if let Some(r) = &m.request {
                        out.push(Located {
                            at: format!("{at} / request"),
                            text: r.clone(),
                        });
                    }
                }
                ActionKind::Command(c) => {
                    for a in &c.argv {
                        out.push(Located {
                            at: format!("{at} / argv"),
                            text: a.clone(),
                        });
                    }
                }
                ActionKind::Unsupported { .. } => {}
            }
        }
        for t in &activity.transitions {
            if let Some(c) = &t.condition {
                out.push(Located {
                    at: format!("{at} / transition to {}", t.to),
                    text: c.clone(),
                });
            }
        }
    }
    out
}

/// Every expression in the repository: definitions, rule bodies and rule argument defaults.
pub fn all_expressions(repo: &Repository) -> Vec<Located> {
    let mut out = Vec::new();
    for d in &repo.definitions {
        out.extend(definition_expressions(&d.value));
    }
    for r in &repo.rules {
        let rule = &r.value;
        out.push(Located {
            at: format!("rule {} / body", rule.name),
            text: rule.body.clone(),
        });
        for a in &rule.arguments {
            if let Some(v) = &a.value {
                out.push(Located {
                    at: format!("rule {} / argument {}", rule.name, a.name),
                    text: v.clone(),
                });
            }
        }
    }
    out
}
