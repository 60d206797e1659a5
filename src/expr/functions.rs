//! The table of every function the evaluator knows: validation uses it for
//! "unknown function" and arity checks, `docs/expressions.md` documents each one
//! (a test keeps the two in step), editors use it for completion.

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

/// One known function.
#[derive(Debug, Clone, Copy)]
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
}

// A row constructor for the table below: positional arguments keep each row on one line.
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
    }
}

const fn nested(info: FunctionInfo) -> FunctionInfo {
    FunctionInfo {
        standalone: false,
        ..info
    }
}

use Category::*;

const NONE: &[&str] = &[];
const NAME: &[&str] = &["name"];

#[rustfmt::skip]
static FUNCTIONS: &[FunctionInfo] = &[
    // Arithmetic
    f("add", Arithmetic, "(add n…)", 0, None, NONE, NONE, "Sum of the arguments as integers; null arguments are ignored."),
    f("sub", Arithmetic, "(sub n…)", 0, None, NONE, NONE, "First argument minus the others, left to right."),
    f("mult", Arithmetic, "(mult n…)", 0, None, NONE, NONE, "Product of the arguments, left to right."),
    f("div", Arithmetic, "(div n…)", 0, None, NONE, NONE, "Integer division left to right, truncating toward zero; dividing by zero is an error."),
    f("mod", Arithmetic, "(mod n…)", 0, None, NONE, NONE, "Remainder left to right (sign of the dividend); modulo zero is an error."),
    // Comparison
    f("eq", Comparison, "(eq a b)", 2, Some(2), NONE, NONE, "1 when b, coerced to the type of a, equals a; else 0."),
    f("neq", Comparison, "(neq a b)", 2, Some(2), NONE, NONE, "Negation of eq."),
    f("cmp", Comparison, "(cmp a b)", 2, Some(2), NONE, NONE, "Compares the arguments as strings: -1, 0 or 1."),
    f("gt", Comparison, "(gt a b)", 2, Some(2), NONE, NONE, "1 when a > b as integers; else 0."),
    f("lt", Comparison, "(lt a b)", 2, Some(2), NONE, NONE, "1 when a < b as integers; else 0."),
    f("gte", Comparison, "(gte a b)", 2, Some(2), NONE, NONE, "1 when a >= b as integers; else 0."),
    f("lte", Comparison, "(lte a b)", 2, Some(2), NONE, NONE, "1 when a <= b as integers; else 0."),
    // Logic
    f("and", Logic, "(and x…)", 0, None, NONE, NONE, "0 at the first false argument (the rest are not evaluated), else the last value; (and) is 1."),
    f("or", Logic, "(or x…)", 0, None, NONE, NONE, "The first true argument (the rest are not evaluated), else 0."),
    f("not", Logic, "(not x)", 1, Some(1), NONE, NONE, "1 when x is false (null or 0), else 0."),
    f("isnull", Logic, "(isnull x)", 1, Some(1), NONE, NONE, "1 when x is null, else 0."),
    f("notnull", Logic, "(notnull x)", 1, Some(1), NONE, NONE, "1 when x is not null, else 0."),
    f("isTrue", Logic, "(isTrue x)", 1, Some(1), NONE, NONE, "1 when x is a boolean-like true: non-zero integer or numeric string, or the string \"true\" in any case."),
    f("isFalse", Logic, "(isFalse x)", 1, Some(1), NONE, NONE, "Negation of isTrue: 1 for null, 0, \"0\", \"false\" and any other non-true value."),
    f("select", Logic, "(select x…)", 0, None, NONE, NONE, "The first non-null argument (the rest are not evaluated), else null."),
    // Control
    f("cond", Control, "(cond test then [else])", 2, Some(3), NONE, NONE, "then when test is true, else the else branch (null when absent)."),
    f("switch", Control, "(switch value (case match body…)… (case default=\"true\" body…))", 1, None, NONE, NONE, "Evaluates the body of the first case whose match equals value (as eq), else the default case, else null."),
    nested(f("case", Control, "(case match body…) | (case default=\"true\" body…)", 0, None, NONE, &["default"], "One branch of a switch; its value is its last body expression.")),
    f("block", Control, "(block [name=\"b\"] [trace=\"true\"] x…)", 0, None, NONE, &["name", "trace"], "Evaluates the children in order and returns the last value; trace=\"true\" traces every call inside."),
    f("dolist", Control, "(dolist name=\"el\" list body…)", 1, None, NAME, NAME, "Runs the body once per element (bound to name); returns the list of each pass's last value."),
    f("while", Control, "(while test body…)", 1, None, NONE, &["name"], "Repeats the body while test is true (tested first); returns the last body value, or null."),
    f("break", Control, "(break [name=\"b\"] [value])", 0, Some(1), NONE, NAME, "Leaves the innermost (or the named) block, dolist, while, and or or, which then returns value."),
    // Variables
    f("ref", Variables, "(ref name-expr)", 1, Some(1), NONE, NONE, "Reads the variable whose (dotted/indexed) path is the computed string."),
    f("set", Variables, "(set name=\"path\" value)", 0, Some(1), NAME, NAME, "Assigns the value to the variable or path; returns null."),
    f("defvar", Variables, "(defvar name=\"v\" [value])", 0, Some(1), NAME, NAME, "Declares a variable local to the enclosing expression (block, dolist, while, rule or function body); returns null."),
    // Strings
    f("concat", Strings, "(concat x…)", 0, None, NONE, NONE, "The arguments' text joined; null is empty, lists and maps as JSON."),
    f("upcase", Strings, "(upcase s)", 1, Some(1), NONE, NONE, "Upper case."),
    f("downcase", Strings, "(downcase s)", 1, Some(1), NONE, NONE, "Lower case."),
    f("trim", Strings, "(trim s)", 1, Some(1), NONE, NONE, "Without leading and trailing whitespace."),
    f("ltrim", Strings, "(ltrim s)", 1, Some(1), NONE, NONE, "Without leading whitespace."),
    f("rtrim", Strings, "(rtrim s)", 1, Some(1), NONE, NONE, "Without trailing whitespace."),
    f("substr", Strings, "(substr s start [length])", 2, Some(3), NONE, NONE, "Characters from start (0-based), length of them or to the end; clamped to the string."),
    f("indexOf", Strings, "(indexOf s-or-list x [from])", 2, Some(3), NONE, NONE, "Character index of substring x in s, or index of element x in a list; -1 when absent."),
    f("length", Strings, "(length x)", 1, Some(1), NONE, NONE, "Characters of a string, elements of a list or map; 0 for null."),
    f("split", Strings, "(split s separator)", 2, Some(2), NONE, NONE, "List of the pieces of s between occurrences of separator."),
    f("pad", Strings, "(pad s length [char])", 2, Some(3), NONE, NONE, "s padded on the right with char (default space) to length characters."),
    f("contains", Strings, "(contains s-or-list x)", 2, Some(2), NONE, NONE, "1 when the string contains the substring, the list the element (eq), or the map the key; else 0."),
    // Lists
    f("list", Lists, "(list x…)", 0, None, NONE, NONE, "A list of the non-null arguments."),
    f("array", Lists, "(array x…)", 0, None, NONE, NONE, "A list of the arguments, nulls kept."),
    f("map", Lists, "(map key value …)", 0, None, NONE, NONE, "A map built from alternating keys and values."),
    f("append", Lists, "(append list x…) | (append name=\"v\" x…)", 0, None, NONE, NAME, "A copy of list with the non-null elements added; with name= appends to that variable in place."),
    f("appendAll", Lists, "(appendAll list other…) | (appendAll name=\"v\" other…)", 0, None, NONE, NAME, "A copy of list with every element of the other lists added; with name= in place."),
    f("filterdup", Lists, "(filterdup list)", 1, Some(1), NONE, NONE, "The list without duplicates, first occurrences kept."),
    f("filternull", Lists, "(filternull list)", 1, Some(1), NONE, NONE, "The list without null elements."),
    f("get", Lists, "(get list-or-map index-or-key)", 2, Some(2), NONE, NONE, "Element at the 0-based index of a list, or value of a map key; null when absent."),
    f("setlist", Lists, "(setlist list index value) | (setlist name=\"v\" index value)", 2, Some(3), NONE, NAME, "A copy of list with the element at index replaced (extended with nulls as needed); with name= in place."),
    f("putmap", Lists, "(putmap map key value) | (putmap name=\"v\" key value)", 2, Some(3), NONE, NAME, "A copy of map with key set to value; with name= in place."),
    // Functions
    f("defun", Functions, "(defun name=\"f\" (defarg name=\"a\" [default])… body…)", 0, None, NAME, NAME, "Defines a function local to the enclosing expression; returns null."),
    nested(f("defarg", Functions, "(defarg name=\"a\" [default])", 0, Some(1), NAME, NAME, "A parameter of defun, with an optional default value.")),
    f("call", Functions, "(call name=\"f\" (argument name=\"a\" …)…)", 0, None, NAME, NAME, "Calls a function defined with defun, passing named arguments."),
    nested(f("argument", Functions, "(argument name=\"a\" value=\"text\") | (argument name=\"a\" expr)", 0, Some(1), NAME, &["name", "value"], "A named argument of call or rule: a literal value= or one child expression.")),
    f("rule", Functions, "(rule name=\"R\" (argument …)…) | (rule name-expr (argument …)…)", 0, None, NONE, NAME, "Runs the repository rule named by name= (or by the first non-argument child), with the arguments as locals."),
    f("invoke", Functions, "(invoke name=\"host.fn\" x…)", 0, None, NAME, NAME, "Calls a host function from the fixed registry (see the invoke table)."),
    f("script", Functions, "(script …)", 0, None, NONE, &["lang", "language"], "Not supported: embedded JavaScript/BeanShell is refused with an error."),
];

/// Every function the evaluator knows, grouped by category.
pub fn functions() -> &'static [FunctionInfo] {
    FUNCTIONS
}

/// The entry for `name` (case-sensitive, as XPRESS element names are).
pub fn function(name: &str) -> Option<&'static FunctionInfo> {
    FUNCTIONS.iter().find(|f| f.name == name)
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
            assert!(super::super::parse::is_name(f.name), "{}", f.name);
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
        }
        assert!(function("add").is_some());
        assert!(function("Add").is_none());
        assert!(!function("case").unwrap().standalone);
    }
}
