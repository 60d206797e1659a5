//! Variable paths, as the Waveset reference documents them ("Path
//! Expressions", Sun Identity Manager 8.1 Deployment Reference,
//! <http://docs.oracle.com/cd/E19225-01/820-5821/6nh6l8up5/index.html>):
//!
//! | path                         | meaning                                                      |
//! |------------------------------|--------------------------------------------------------------|
//! | `address.street`             | attribute `street` of the map `address`                      |
//! | `children[#0].name`          | element 0 of the list (also written `children[0]`)           |
//! | `children[hannah].age`       | the first element whose `name` is `hannah`                   |
//! | `children[name==hannah].age` | the first element whose `name` is `hannah` (a single value)  |
//! | `accounts[type=vms].name`    | a **list**: `name` of every element whose `type` is `vms`    |
//!
//! On a map, `[key]` is the entry `key`. Invariants: a path has at most
//! [`MAX_PATH_SEGMENTS`] steps (a longer one is an error, never a deep
//! recursion); reading and writing walk iteratively (a `=` search recurses once
//! per `=` step, so at most [`MAX_PATH_SEGMENTS`] deep).

use super::value::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Most steps a path may have after its root: the same as the deepest value a
/// variable may hold ([`super::MAX_VALUE_DEPTH`]), since each step writes one
/// level deeper.
pub const MAX_PATH_SEGMENTS: usize = 100;
const _: () = assert!(MAX_PATH_SEGMENTS == super::MAX_VALUE_DEPTH);

/// Largest list index a write will create (extending with nulls).
pub(crate) const MAX_SET_INDEX: usize = 1_000_000;

/// One step of a variable path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg<'p> {
    /// `.key`, or `[key]` on a map; on a list, the element whose `name` is
    /// key (a key of digits, `.0`, is a position there).
    Key(&'p str),
    /// `[#n]` or `[n]`: list position.
    Index(usize),
    /// `[attr==value]` (`all: false`, the first match) or `[attr=value]`
    /// (`all: true`, every match: reading gives a list).
    Find {
        attr: &'p str,
        value: &'p str,
        all: bool,
    },
}

/// Why a path cannot be used; `offset` is the byte offset in the path text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub offset: usize,
    pub message: String,
    /// True when the path is well formed but has more than [`MAX_PATH_SEGMENTS`] steps.
    pub too_deep: bool,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.offset)
    }
}

fn malformed(offset: usize, message: impl Into<String>) -> PathError {
    PathError {
        offset,
        message: message.into(),
        too_deep: false,
    }
}

/// Split `root.key[#0].other` into its root and steps.
pub fn parse_path(path: &str) -> Result<(&str, Vec<Seg<'_>>), PathError> {
    let root_end = path.find(['.', '[']).unwrap_or(path.len());
    let root = &path[..root_end];
    if root.is_empty() {
        return Err(malformed(
            0,
            "the path has no variable name before its first step",
        ));
    }
    let mut segs = Vec::new();
    let mut at = root_end;
    while at < path.len() {
        if segs.len() == MAX_PATH_SEGMENTS {
            return Err(PathError {
                offset: at,
                message: format!("path has more than {MAX_PATH_SEGMENTS} steps"),
                too_deep: true,
            });
        }
        let rest = &path[at..];
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return Err(malformed(at + 1, "empty name after '.'"));
            }
            segs.push(Seg::Key(&after[..end]));
            at += 1 + end;
        } else if let Some(after) = rest.strip_prefix('[') {
            let Some(end) = after.find(']') else {
                return Err(malformed(at, "'[' without its ']'"));
            };
            segs.push(index_step(&after[..end], at + 1)?);
            at += end + 2;
            if at < path.len() && !path[at..].starts_with(['.', '[']) {
                return Err(malformed(at, "expected '.' or '[' after ']'"));
            }
        } else {
            return Err(malformed(at, "expected '.' or '['"));
        }
    }
    Ok((root, segs))
}

/// The step written between brackets, starting at byte `offset` of the path.
fn index_step(inner: &str, offset: usize) -> Result<Seg<'_>, PathError> {
    if inner.is_empty() {
        return Err(malformed(offset, "empty index '[]'"));
    }
    if let Some(n) = inner.strip_prefix('#') {
        return n
            .parse::<usize>()
            .map(Seg::Index)
            .map_err(|_| malformed(offset, format!("'[#{n}]' is not a list position")));
    }
    if inner.bytes().all(|b| b.is_ascii_digit()) {
        return inner
            .parse::<usize>()
            .map(Seg::Index)
            .map_err(|_| malformed(offset, format!("list position {inner} is too large")));
    }
    if let Some(eq) = inner.find('=') {
        let attr = &inner[..eq];
        let (value, all) = match inner[eq + 1..].strip_prefix('=') {
            Some(v) => (v, false),
            None => (&inner[eq + 1..], true),
        };
        if attr.is_empty() {
            return Err(malformed(offset, "no attribute name before '='"));
        }
        return Ok(Seg::Find { attr, value, all });
    }
    Ok(Seg::Key(inner))
}

/// Whether list element `e` has attribute `attr` whose text is `value`.
fn matches(e: &Value, attr: &str, value: &str) -> bool {
    match e {
        Value::Map(m) => m.get(attr).is_some_and(|v| match v {
            Value::Str(s) => s == value,
            other => other.to_text() == value,
        }),
        _ => false,
    }
}

/// The value at `segs` below `v`; `None` when some step finds nothing.
/// A `[attr=value]` step gives the list of what the rest of the path finds
/// in every matching element (elements where it finds nothing are left out).
pub fn walk(v: &Value, segs: &[Seg<'_>]) -> Option<Value> {
    let mut cur = v;
    for (i, seg) in segs.iter().enumerate() {
        cur = match (cur, seg) {
            (Value::Map(m), Seg::Key(k)) => m.get(*k)?,
            (Value::Map(m), Seg::Index(n)) => m.get(&n.to_string())?,
            (Value::List(l), Seg::Index(n)) => l.get(*n)?,
            (Value::List(l), Seg::Key(k)) => match k.parse::<usize>() {
                Ok(n) => l.get(n)?,
                Err(_) => l.iter().find(|e| matches(e, "name", k))?,
            },
            (Value::List(l), Seg::Find { attr, value, all }) => {
                if *all {
                    let rest = &segs[i + 1..];
                    let found = l
                        .iter()
                        .filter(|e| matches(e, attr, value))
                        .filter_map(|e| walk(e, rest))
                        .collect();
                    return Some(Value::List(found));
                }
                l.iter().find(|e| matches(e, attr, value))?
            }
            _ => return None,
        };
    }
    Some(cur.clone())
}

/// Assign `value` at `segs` below `target`, creating maps (for names) and
/// lists (for positions and searches) where the path finds null. A search
/// that finds no element appends one holding the searched attribute
/// (`[hannah]` appends `{"name": "hannah"}`); `[attr=value]` writes into
/// every matching element.
pub fn set_in(target: &mut Value, segs: &[Seg<'_>], value: Value) -> Result<(), String> {
    let mut cur = target;
    for (i, seg) in segs.iter().enumerate() {
        if cur.is_null() {
            *cur = match seg {
                Seg::Key(_) => Value::Map(BTreeMap::new()),
                Seg::Index(_) | Seg::Find { .. } => Value::List(Vec::new()),
            };
        }
        cur = match (cur, seg) {
            (Value::Map(m), Seg::Key(k)) => m.entry((*k).to_string()).or_default(),
            (Value::Map(m), Seg::Index(n)) => m.entry(n.to_string()).or_default(),
            (Value::List(l), Seg::Index(n)) => list_slot(l, *n)?,
            (Value::List(l), Seg::Key(k)) => match k.parse::<usize>() {
                Ok(n) => list_slot(l, n)?,
                Err(_) => find_or_append(l, "name", k),
            },
            (
                Value::List(l),
                Seg::Find {
                    attr,
                    value: v,
                    all,
                },
            ) => {
                if *all {
                    let rest = &segs[i + 1..];
                    let mut any = false;
                    for e in l.iter_mut().filter(|e| matches(e, attr, v)) {
                        set_in(e, rest, value.clone())?;
                        any = true;
                    }
                    if !any {
                        set_in(find_or_append(l, attr, v), rest, value)?;
                    }
                    return Ok(());
                }
                find_or_append(l, attr, v)
            }
            (other, seg) => {
                let what = match seg {
                    Seg::Key(k) => format!("key '{k}'"),
                    Seg::Index(n) => format!("index {n}"),
                    Seg::Find { attr, value, .. } => format!("element [{attr}={value}]"),
                };
                let mut shown = other.to_string();
                if shown.chars().count() > 60 {
                    shown = shown.chars().take(60).chain(['…']).collect();
                }
                return Err(format!("cannot set {what} inside {shown}"));
            }
        };
    }
    *cur = value;
    Ok(())
}

/// Element `n` of `l`, extending it with nulls as needed.
fn list_slot(l: &mut Vec<Value>, n: usize) -> Result<&mut Value, String> {
    if n > MAX_SET_INDEX {
        return Err(format!("list index {n} is too large"));
    }
    if l.len() <= n {
        l.resize(n + 1, Value::Null);
    }
    Ok(&mut l[n])
}

/// The first element of `l` whose `attr` is `value`, or a new one appended.
fn find_or_append<'l>(l: &'l mut Vec<Value>, attr: &str, value: &str) -> &'l mut Value {
    let i = match l.iter().position(|e| matches(e, attr, value)) {
        Some(i) => i,
        None => {
            let mut m = BTreeMap::new();
            m.insert(attr.to_string(), Value::Str(value.to_string()));
            l.push(Value::Map(m));
            l.len() - 1
        }
    };
    &mut l[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split() {
        assert_eq!(
            parse_path("a.b[2].c"),
            Ok(("a", vec![Seg::Key("b"), Seg::Index(2), Seg::Key("c")]))
        );
        assert_eq!(parse_path("a[#3]"), Ok(("a", vec![Seg::Index(3)])));
        assert_eq!(parse_path("a[x]"), Ok(("a", vec![Seg::Key("x")])));
        assert_eq!(
            parse_path("a[type=vms].n"),
            Ok((
                "a",
                vec![
                    Seg::Find {
                        attr: "type",
                        value: "vms",
                        all: true
                    },
                    Seg::Key("n")
                ]
            ))
        );
        assert_eq!(
            parse_path("a[name==h]"),
            Ok((
                "a",
                vec![Seg::Find {
                    attr: "name",
                    value: "h",
                    all: false
                }]
            ))
        );
        assert_eq!(parse_path("a"), Ok(("a", vec![])));
        for (bad, offset) in [
            (".a", 0),
            ("a..b", 2),
            ("a[1", 1),
            ("a[]", 2),
            ("a[1]x", 4),
            ("a[#x]", 2),
            ("a[=v]", 2),
        ] {
            let e = parse_path(bad).unwrap_err();
            assert_eq!(e.offset, offset, "{bad}: {e}");
            assert!(!e.too_deep);
        }
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!("a{}", ".b".repeat(MAX_PATH_SEGMENTS));
        assert_eq!(parse_path(&ok).unwrap().1.len(), MAX_PATH_SEGMENTS);
        let deep = format!("a{}", ".b".repeat(11_000));
        let e = parse_path(&deep).unwrap_err();
        assert!(e.too_deep);
        assert_eq!(e.offset, 1 + 2 * MAX_PATH_SEGMENTS);
    }
}
