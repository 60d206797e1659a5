//! The text of a migration [`Plan`], as `bpe migrate` prints it and the TUI's
//! debug view shows it: one line per token, the work items, the variables, then
//! the verdict (each refusal on a line of its own). Every name and value passes
//! through `model::escape_name`.

use super::Plan;
use crate::model::escape_name;

/// The plan's lines (without newlines); `dry_run` chooses the last line of an
/// allowed plan (`dry run: nothing changed` or `migrated`).
pub fn plan_lines(p: &Plan, dry_run: bool) -> Vec<String> {
    let short = |h: &str| h.get(..19).unwrap_or(h).to_string();
    let mut out = vec![format!(
        "instance {}: \"{}\" {} -> \"{}\" {}",
        escape_name(&p.instance),
        escape_name(&p.from.name),
        short(&p.from.hash),
        escape_name(&p.to.name),
        short(&p.to.hash)
    )];
    for t in &p.tokens {
        let action = t
            .action
            .map(|(a, b)| format!(", manual action {a} -> {b}"))
            .unwrap_or_default();
        out.push(format!(
            "  token {}: \"{}\" (id {}) -> \"{}\" (id {}), {}{action}",
            t.token,
            escape_name(&t.from_activity),
            escape_name(&t.from_id),
            escape_name(&t.to_activity),
            escape_name(&t.to_id),
            t.phase
        ));
    }
    if !p.work_items.is_empty() {
        out.push(format!(
            "  work items: {}",
            escape_name(&p.work_items.join(", "))
        ));
    }
    if !p.removed_variables.is_empty() {
        out.push(format!(
            "  removed variables (values dropped): {}",
            escape_name(&p.removed_variables.join(", "))
        ));
    }
    for v in &p.added_variables {
        out.push(format!(
            "  new variable {} = {}",
            escape_name(&v.name),
            escape_name(&v.value.to_json().to_string())
        ));
    }
    if !p.refusals.is_empty() {
        out.push("refused, nothing changed:".to_string());
        for r in &p.refusals {
            out.push(format!("  - {}", escape_name(r)));
        }
    } else if dry_run {
        out.push("dry run: nothing changed".to_string());
    } else {
        out.push("migrated".to_string());
    }
    out
}
