//! Variable paths (`name`, `a.b.c`, `list[#0].x`, `accounts[type=vms].name`;
//! the grammar is in [`crate::expr::path`]) read and written through the
//! evaluator's locals or the [`Env`](super::Env).

use super::{Evaluator, Flow, R, fail};
use crate::expr::path::{PathError, parse_path, set_in, walk};
use crate::expr::value::Value;

/// The error for a path that cannot be used, naming its start (not all of it:
/// it may be thousands of characters long).
fn path_failure(function: &str, path: &str, e: &PathError) -> Flow {
    let head: String = path.chars().take(40).collect();
    let more = if head.len() < path.len() { "…" } else { "" };
    fail(function, format!("variable path '{head}{more}': {e}"))
}

impl Evaluator<'_> {
    /// Read a variable path (`name`, `a.b.c`, `list[0].x`) and charge the budget for the size of the copy,
    /// so values cannot grow exponentially (`(set name="l" (list $l $l))` in a
    /// loop) or nest without bound within one evaluation.
    pub(super) fn read(&mut self, path: &str) -> R {
        let v = self.read_path(path)?;
        match &v {
            Value::Null | Value::Int(_) | Value::Bool(_) => {}
            other => {
                let units = weight(other, self.remaining.saturating_add(1)).map_err(|()| {
                    fail(
                        "ref",
                        format!(
                            "${path} holds lists or maps nested deeper than {MAX_VALUE_DEPTH} levels"
                        ),
                    )
                })?;
                self.charge("ref", units)?;
            }
        }
        Ok(v)
    }

    fn read_path(&self, path: &str) -> R {
        if !path.contains(['.', '[']) {
            return Ok(self.root_value(path));
        }
        match parse_path(path) {
            Ok((root, segs)) if self.root_exists(root) => Ok(match self.local_index(root) {
                Some(i) => walk(&self.locals[i].1, &segs).unwrap_or_default(),
                None => {
                    let root_val = self.env_var(root).unwrap_or_default();
                    walk(&root_val, &segs).unwrap_or_default()
                }
            }),
            Err(e) if e.too_deep => Err(path_failure("ref", path, &e)),
            // A variable whose name itself contains dots or brackets.
            _ => Ok(self.root_value(path)),
        }
    }

    /// Assign a variable path: locals first, else the Env.
    pub(super) fn write_path(
        &mut self,
        function: &str,
        path: &str,
        value: Value,
    ) -> Result<(), Flow> {
        if path.is_empty() {
            return Err(fail(function, "empty variable name"));
        }
        let whole_exists = path.contains(['.', '[']) && self.root_exists(path);
        let (root, segs) = match parse_path(path) {
            _ if whole_exists => (path, Vec::new()),
            Ok(parts) => parts,
            Err(e) if e.too_deep => return Err(path_failure(function, path, &e)),
            // A variable whose name itself contains dots or brackets.
            Err(_) => (path, Vec::new()),
        };
        if segs.is_empty() {
            match self.local_index(root) {
                Some(i) => self.locals[i].1 = value,
                None => self.env_set(root, value),
            }
            return Ok(());
        }
        match self.local_index(root) {
            Some(i) => set_in(&mut self.locals[i].1, &segs, value).map_err(|m| fail(function, m)),
            None => {
                let mut v = self.env_var(root).unwrap_or_default();
                set_in(&mut v, &segs, value).map_err(|m| fail(function, m))?;
                self.env_set(root, v);
                Ok(())
            }
        }
    }

    /// The current value of variable `path` for an in-place update
    /// (`append name=` …): a local is moved out (no copy — the caller writes
    /// it back), anything else is read (and charged) as usual.
    pub(super) fn take_for_update(&mut self, path: &str) -> R {
        if !path.contains(['.', '['])
            && let Some(i) = self.local_index(path)
        {
            return Ok(std::mem::take(&mut self.locals[i].1));
        }
        self.read(path)
    }
}

/// Deepest nesting of lists and maps a variable may hold when read: below
/// serde_json's recursion limit (128), so every value the engine persists can
/// be loaded again, and far from any stack limit when values are dropped or
/// compared.
pub const MAX_VALUE_DEPTH: usize = 100;

/// Budget units a copy of `v` costs: one per 16 list elements or map entries
/// and one per KiB of text. Walks iteratively and stops once `cap` is reached.
/// `Err(())` when the value nests deeper than [`MAX_VALUE_DEPTH`].
pub(super) fn weight(v: &Value, cap: u64) -> Result<u64, ()> {
    let (mut elements, mut bytes) = (0u64, 0u64);
    let mut stack = vec![(v, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::Null | Value::Int(_) | Value::Bool(_) => {}
            Value::Str(s) => bytes += s.len() as u64,
            Value::List(l) => {
                if depth >= MAX_VALUE_DEPTH {
                    return Err(());
                }
                elements += l.len() as u64;
                stack.extend(l.iter().map(|x| (x, depth + 1)));
            }
            Value::Map(m) => {
                if depth >= MAX_VALUE_DEPTH {
                    return Err(());
                }
                elements += m.len() as u64;
                for (k, x) in m {
                    bytes += k.len() as u64;
                    stack.push((x, depth + 1));
                }
            }
        }
        if elements / 16 + bytes / 1024 >= cap {
            break;
        }
    }
    Ok(elements / 16 + bytes / 1024)
}
