//! The expression AST mirrors XPRESS XML one to one: every element is a [`Call`]
//! with its attributes (in document order) and children; the three elements
//! with text content (`<i>`, `<s>`, `<ref>`) and `<null/>` have their own variants.
//!
//! | text          | XPRESS                          |
//! |---------------|---------------------------------|
//! | `42`          | `<i>42</i>`                     |
//! | `"a b"`       | `<s>a b</s>`                    |
//! | `null`        | `<null/>`                       |
//! | `true`/`false`| `<Boolean>true</Boolean>`       |
//! | `$user.email` | `<ref>user.email</ref>`         |
//! | `${odd name}` | `<ref>odd name</ref>`           |
//! | `(add $x 1)`  | `<add><ref>x</ref><i>1</i></add>` |
//! | `(set name="x" 1)` | `<set name='x'><i>1</i></set>` |

/// Byte range in the source text (start inclusive, end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `<null/>`
    Null,
    /// `<i>n</i>`
    Int(i64),
    /// `<Boolean>true</Boolean>` / `<Boolean>false</Boolean>` (XML Object Language):
    /// the Java Boolean, text `true` / `false`.
    Bool(bool),
    /// `<s>text</s>`
    Str(String),
    /// `<ref>path</ref>`: a literal variable path (dotted / indexed).
    Ref(String),
    /// Any other element.
    Call(Call),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Element (function) name, e.g. `add`, `cond`, `rule`.
    pub name: String,
    /// Attributes in document order; values are literal strings.
    pub attrs: Vec<(String, String)>,
    pub args: Vec<Expr>,
}

impl Call {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
