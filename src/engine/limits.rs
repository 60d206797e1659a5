//! What a case may hold: the bounds on values stored in case and work item
//! variables and on the depth of subprocess calls (`docs/engine.md`, "Limits").
//!
//! Invariant: every value the engine stores in a case (variables of any scope,
//! action results, work item variables coming back) passes [`check_storable`],
//! so an instance or work item file holding it stays under the JSON reader's
//! nesting limit and the size bound of [`crate::repo::MAX_FILE_BYTES`] is only
//! reached by many values, never by one. The walk is iterative and stops at
//! the first bound crossed.

use crate::expr::{MAX_VALUE_DEPTH, Value};

/// Largest value one variable may hold, measured as its compact JSON text.
pub const MAX_VALUE_BYTES: usize = 4 * 1024 * 1024;

/// Deepest chain of subprocess calls: the case's own process counts as frame 1,
/// so a process may call subprocesses nested 31 deep.
pub const MAX_SUBPROCESS_DEPTH: usize = 32;

/// History events a case holds (the most recent ones), unless its definition has
/// `resultTrace: true`; older ones are dropped and counted in `historyDropped`.
pub const HISTORY_KEEP: usize = 200;

/// `Ok` when `v` may be stored in a case: lists and maps nested at most
/// [`MAX_VALUE_DEPTH`] levels and at most [`MAX_VALUE_BYTES`] of JSON.
/// The error says which bound was crossed.
pub fn check_storable(v: &Value) -> Result<(), String> {
    // A scalar has no depth; within the byte bound it needs no walk (the walk
    // would give the same answer) and so no allocation.
    match v {
        Value::Null | Value::Bool(_) | Value::Int(_) => return Ok(()),
        Value::Str(s) if s.len() + 2 <= MAX_VALUE_BYTES => return Ok(()),
        _ => {}
    }
    let mut bytes = 0usize;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        bytes += match v {
            Value::Null | Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Int(i) => (i.unsigned_abs().checked_ilog10().unwrap_or(0) + 2) as usize,
            Value::Str(s) => s.len() + 2,
            Value::List(l) => {
                if depth >= MAX_VALUE_DEPTH {
                    return Err(too_deep());
                }
                stack.extend(l.iter().map(|x| (x, depth + 1)));
                2 + l.len()
            }
            Value::Map(m) => {
                if depth >= MAX_VALUE_DEPTH {
                    return Err(too_deep());
                }
                let mut keys = 0;
                for (k, x) in m {
                    keys += k.len() + 4;
                    stack.push((x, depth + 1));
                }
                2 + keys
            }
        };
        if bytes > MAX_VALUE_BYTES {
            return Err(format!(
                "value larger than {} MiB (the bound on one variable)",
                MAX_VALUE_BYTES >> 20
            ));
        }
    }
    Ok(())
}

fn too_deep() -> String {
    format!("lists or maps nested deeper than {MAX_VALUE_DEPTH} levels")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> Value {
        let mut v = Value::Int(7);
        for _ in 0..levels {
            v = Value::List(vec![v]);
        }
        v
    }

    #[test]
    fn depth_is_bounded_exactly_at_the_limit() {
        assert_eq!(check_storable(&nested(MAX_VALUE_DEPTH)), Ok(()));
        let err = check_storable(&nested(MAX_VALUE_DEPTH + 1)).unwrap_err();
        assert!(err.contains("nested deeper than 100 levels"), "{err}");
    }

    #[test]
    fn size_is_measured_as_json_text() {
        let just = Value::Str("x".repeat(MAX_VALUE_BYTES - 2));
        assert_eq!(check_storable(&just), Ok(()));
        let over = Value::List(vec![just, Value::Int(1)]);
        let err = check_storable(&over).unwrap_err();
        assert!(err.contains("larger than 4 MiB"), "{err}");
        // Many small elements count too: 1.5 million one-digit integers and their commas.
        let ints = Value::List(vec![Value::Int(5); 1_500_000]);
        assert!(check_storable(&ints).is_err());
    }
}
