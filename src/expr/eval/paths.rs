//! Variable paths: `name`, `a.b.c`, `list[0].x`, read and written through
//! the evaluator's locals or the [`Env`](super::Env).

use super::{Evaluator, Flow, R, fail, trace_value};
use crate::expr::value::Value;
use std::collections::BTreeMap;

impl Evaluator<'_> {
    /// Read a variable path (`name`, `a.b.c`, `list[0].x`) and charge the budget for the size of the copy,
    /// so values cannot grow exponentially (`(set name="l" (list $l $l))` in a
    /// loop) or nest without bound within one evaluation.
    pub(super) fn read(&mut self, path: &str) -> R {
        let v = self.read_path(path);
        match &v {
            Value::Null | Value::Int(_) => {}
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

    fn read_path(&self, path: &str) -> Value {
        if !path.contains(['.', '[']) {
            return self.root_value(path);
        }
        match split_path(path) {
            Some((root, segs)) if self.root_exists(root) => {
                let root_val = match self.local_index(root) {
                    Some(i) => return walk(&self.locals[i].1, &segs).cloned().unwrap_or_default(),
                    None => self.env.get_var(root).unwrap_or_default(),
                };
                walk(&root_val, &segs).cloned().unwrap_or_default()
            }
            // A variable whose name itself contains dots or brackets.
            _ => self.root_value(path),
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
        let (root, segs) = match split_path(path) {
            Some(parts) if !whole_exists => parts,
            _ => (path, Vec::new()),
        };
        if segs.is_empty() {
            match self.local_index(root) {
                Some(i) => self.locals[i].1 = value,
                None => self.env.set_var(root, value),
            }
            return Ok(());
        }
        match self.local_index(root) {
            Some(i) => set_in(function, &mut self.locals[i].1, &segs, value),
            None => {
                let mut v = self.env.get_var(root).unwrap_or_default();
                set_in(function, &mut v, &segs, value)?;
                self.env.set_var(root, v);
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

/// One step of a variable path.
#[derive(Debug, PartialEq, Eq)]
enum Seg<'p> {
    Key(&'p str),
    Index(usize),
}

/// `root.key[0].other` -> (root, [Key, Index, Key]); None when malformed.
fn split_path(path: &str) -> Option<(&str, Vec<Seg<'_>>)> {
    let root_end = path.find(['.', '[']).unwrap_or(path.len());
    let root = &path[..root_end];
    if root.is_empty() {
        return None;
    }
    let mut segs = Vec::new();
    let mut rest = &path[root_end..];
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            segs.push(Seg::Key(&after[..end]));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inner = &after[..end];
            if inner.is_empty() {
                return None;
            }
            segs.push(match inner.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(inner),
            });
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some((root, segs))
}

fn walk<'v>(mut v: &'v Value, segs: &[Seg<'_>]) -> Option<&'v Value> {
    for seg in segs {
        v = match (v, seg) {
            (Value::Map(m), Seg::Key(k)) => m.get(*k)?,
            (Value::Map(m), Seg::Index(i)) => m.get(&i.to_string())?,
            (Value::List(l), Seg::Index(i)) => l.get(*i)?,
            (Value::List(l), Seg::Key(k)) => l.get(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
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
            Value::Null | Value::Int(_) => {}
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

/// Largest list index `set` will create (extending with nulls).
pub(super) const MAX_SET_INDEX: usize = 1_000_000;

fn set_in(function: &str, target: &mut Value, segs: &[Seg<'_>], value: Value) -> Result<(), Flow> {
    let Some((seg, rest)) = segs.split_first() else {
        *target = value;
        return Ok(());
    };
    if target.is_null() {
        *target = match seg {
            Seg::Key(_) => Value::Map(BTreeMap::new()),
            Seg::Index(_) => Value::List(Vec::new()),
        };
    }
    let slot = match (target, seg) {
        (Value::Map(m), Seg::Key(k)) => m.entry((*k).to_string()).or_default(),
        (Value::Map(m), Seg::Index(i)) => m.entry(i.to_string()).or_default(),
        (Value::List(l), Seg::Index(i)) => {
            if *i > MAX_SET_INDEX {
                return Err(fail(function, format!("list index {i} is too large")));
            }
            if l.len() <= *i {
                l.resize(i + 1, Value::Null);
            }
            &mut l[*i]
        }
        (other, seg) => {
            let what = match seg {
                Seg::Key(k) => format!("key '{k}'"),
                Seg::Index(i) => format!("index {i}"),
            };
            return Err(fail(
                function,
                format!("cannot set {what} inside {}", trace_value(other)),
            ));
        }
    };
    set_in(function, slot, rest, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split() {
        assert_eq!(
            split_path("a.b[2].c"),
            Some(("a", vec![Seg::Key("b"), Seg::Index(2), Seg::Key("c")]))
        );
        assert_eq!(split_path("a[x]"), Some(("a", vec![Seg::Key("x")])));
        assert_eq!(split_path("a"), Some(("a", vec![])));
        assert_eq!(split_path(".a"), None);
        assert_eq!(split_path("a..b"), None);
        assert_eq!(split_path("a[1"), None);
        assert_eq!(split_path("a[]"), None);
        assert_eq!(split_path("a[1]x"), None);
    }
}
