//! The table of every function the evaluator knows, one entry per builtin:
//! name, family, signature and description (docs, completion), arity and
//! attributes (checked once, by [`FunctionInfo::check`], both by the evaluator
//! before it runs the builtin and by validation), and the implementation.
//!
//! Each family file (`strings.rs`, `lists.rs`, …) holds its entries next to
//! their implementations, as rhai keeps its packages apart from its engine;
//! this file assembles them. `docs/expressions.md` documents every entry (a
//! test keeps the two in step).

mod arithmetic;
mod control;
mod functions;
mod lists;
mod logic;
mod strings;
mod variables;

use super::{Evaluator, R};
use crate::expr::ast::Call;
use std::fmt;
use std::sync::LazyLock;

/// Broad family, for grouping in docs and completion lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Arithmetic,
    Comparison,
    Logic,
    Control,
    Variables,
    Strings,
    Lists,
    Functions,
}

/// A builtin's implementation. Runs after [`FunctionInfo::check`] passed.
pub(in crate::expr::eval) type Run = for<'a, 'b> fn(&'a mut Evaluator<'b>, &Call) -> R;

/// One known function.
#[derive(Clone, Copy)]
pub struct FunctionInfo {
    pub name: &'static str,
    pub category: Category,
    /// Usage summary in the text syntax, e.g. `(substr s start [length])`.
    pub signature: &'static str,
    /// Fewest child expressions accepted.
    pub min_args: usize,
    /// Most child expressions accepted (`None`: any number).
    pub max_args: Option<usize>,
    /// Attributes that must be present.
    pub required_attrs: &'static [&'static str],
    /// Attributes that may be present (including the required ones).
    pub attrs: &'static [&'static str],
    /// One-line description.
    pub description: &'static str,
    /// False for elements that only make sense inside a parent (`case` in
    /// `switch`, `argument` in `call`/`rule`, `defarg` in `defun`).
    pub standalone: bool,
    /// The elements a non-standalone element belongs in.
    pub parents: &'static [&'static str],
    pub(in crate::expr::eval) run: Run,
}

impl fmt::Debug for FunctionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionInfo")
            .field("name", &self.name)
            .field("category", &self.category)
            .field("signature", &self.signature)
            .field("min_args", &self.min_args)
            .field("max_args", &self.max_args)
            .field("required_attrs", &self.required_attrs)
            .field("attrs", &self.attrs)
            .field("standalone", &self.standalone)
            .field("parents", &self.parents)
            .finish_non_exhaustive()
    }
}

/// What is wrong with a call's shape, found from the table alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misuse {
    /// A required attribute is absent.
    MissingAttribute(&'static str),
    /// Too few or too many child expressions.
    Arity {
        min: usize,
        max: Option<usize>,
        got: usize,
    },
}

impl fmt::Display for Misuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misuse::MissingAttribute(a) => write!(f, "missing attribute {a}=\"…\""),
            Misuse::Arity { min, max, got } => {
                let expected = match max {
                    Some(m) if m == min => format!("{min}"),
                    Some(m) => format!("{min} to {m}"),
                    None => format!("at least {min}"),
                };
                write!(f, "expects {expected} argument(s), got {got}")
            }
        }
    }
}

impl FunctionInfo {
    /// Whether `c` has the attributes and number of children this entry
    /// requires. The one place arity and required attributes are checked.
    #[inline]
    pub fn check(&self, c: &Call) -> Result<(), Misuse> {
        for a in self.required_attrs {
            if c.attr(a).is_none() {
                return Err(Misuse::MissingAttribute(a));
            }
        }
        let got = c.args.len();
        if got < self.min_args || self.max_args.is_some_and(|m| got > m) {
            return Err(Misuse::Arity {
                min: self.min_args,
                max: self.max_args,
                got,
            });
        }
        Ok(())
    }
}

// A row constructor for the family tables: positional arguments keep each row short.
#[allow(clippy::too_many_arguments)]
const fn f(
    name: &'static str,
    category: Category,
    signature: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    required_attrs: &'static [&'static str],
    attrs: &'static [&'static str],
    description: &'static str,
    run: Run,
) -> FunctionInfo {
    FunctionInfo {
        name,
        category,
        signature,
        min_args,
        max_args,
        required_attrs,
        attrs,
        description,
        standalone: true,
        parents: &[],
        run,
    }
}

/// An element only valid inside one of `parents`.
const fn nested(parents: &'static [&'static str], info: FunctionInfo) -> FunctionInfo {
    FunctionInfo {
        standalone: false,
        parents,
        ..info
    }
}

const NONE: &[&str] = &[];
const NAME: &[&str] = &["name"];

/// The implementation of an element that is only valid inside a parent.
fn misplaced(_: &mut Evaluator<'_>, c: &Call) -> R {
    let parents = lookup(&c.name).map_or(&[][..], |i| i.parents);
    Err(super::fail(
        &c.name,
        format!("only valid as a child of ({} …)", parents.join(" …) or (")),
    ))
}

/// The family tables, in documentation order.
const FAMILIES: &[&[FunctionInfo]] = &[
    arithmetic::ARITHMETIC,
    arithmetic::COMPARISON,
    logic::LOGIC,
    control::CONTROL,
    variables::VARIABLES,
    strings::STRINGS,
    lists::LISTS,
    functions::FUNCTIONS,
];

struct Table {
    all: Vec<FunctionInfo>,
    /// Indexes into `all`, bucketed by [`bucket`] of the name: the evaluator
    /// looks up every call it runs, so the lookup is a hash and (nearly
    /// always) one string comparison.
    buckets: Vec<Vec<u16>>,
}

const BUCKETS: usize = 256;

/// A cheap hash of a function name: its length and first and last bytes
/// (distinct for almost all of the table's names).
#[inline]
fn bucket(name: &str) -> usize {
    let b = name.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => {
            (b.len().wrapping_mul(31) ^ (first as usize).wrapping_mul(7) ^ (last as usize) << 1)
                % BUCKETS
        }
        _ => 0,
    }
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let all: Vec<FunctionInfo> = FAMILIES.iter().flat_map(|f| f.iter().copied()).collect();
    let mut buckets = vec![Vec::new(); BUCKETS];
    for (i, info) in all.iter().enumerate() {
        buckets[bucket(info.name)].push(i as u16);
    }
    Table { all, buckets }
});

/// Every function the evaluator knows, grouped by category.
pub fn functions() -> &'static [FunctionInfo] {
    &TABLE.all
}

/// The entry for `name` (case-sensitive, as XPRESS element names are).
pub fn function(name: &str) -> Option<&'static FunctionInfo> {
    lookup(name)
}

#[inline]
pub(in crate::expr::eval) fn lookup(name: &str) -> Option<&'static FunctionInfo> {
    let t: &'static Table = &TABLE;
    t.buckets[bucket(name)]
        .iter()
        .map(|&i| &t.all[i as usize])
        .find(|info| info.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_valid() {
        let mut names: Vec<_> = functions().iter().map(|f| f.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate function names");
        for f in functions() {
            assert!(crate::expr::is_name(f.name), "{}", f.name);
            assert!(
                f.signature.starts_with(&format!("({}", f.name)),
                "{}",
                f.name
            );
            for a in f.required_attrs {
                assert!(f.attrs.contains(a), "{}: {a}", f.name);
            }
            if let Some(max) = f.max_args {
                assert!(f.min_args <= max, "{}", f.name);
            }
            assert_eq!(f.standalone, f.parents.is_empty(), "{}", f.name);
        }
        assert!(function("add").is_some());
        assert!(function("Add").is_none());
        assert!(!function("case").unwrap().standalone);
        assert_eq!(function("argument").unwrap().parents, ["call", "rule"]);
        assert!(function("").is_none());
        let longest = TABLE.buckets.iter().map(Vec::len).max().unwrap();
        assert!(longest <= 3, "a lookup bucket holds {longest} names");
    }

    #[test]
    fn check_reports_arity_and_attributes() {
        let call = |src: &str| match crate::expr::parse(src).unwrap() {
            crate::expr::Expr::Call(c) => c,
            other => panic!("{other:?}"),
        };
        let cmp = function("cmp").unwrap();
        assert_eq!(
            cmp.check(&call("(cmp 1)")).unwrap_err().to_string(),
            "expects 2 argument(s), got 1"
        );
        assert!(cmp.check(&call("(cmp 1 2)")).is_ok());
        let eq = function("eq").unwrap();
        assert_eq!(
            eq.check(&call("(eq 1)")).unwrap_err().to_string(),
            "expects at least 2 argument(s), got 1"
        );
        assert!(eq.check(&call("(eq 1 2 3)")).is_ok());
        let set = function("set").unwrap();
        assert_eq!(
            set.check(&call("(set 1)")),
            Err(Misuse::MissingAttribute("name"))
        );
        let cond = function("cond").unwrap();
        assert_eq!(
            cond.check(&call("(cond 1 2 3 4)")).unwrap_err().to_string(),
            "expects 2 to 3 argument(s), got 4"
        );
    }
}
