//! The evaluation trace: every sub-expression's value (or error, with its
//! position in the text it was parsed from) as a tree.
//!
//! The evaluator reports each node it evaluates to an optional [`Observer`]
//! (`eval_observed`, `eval_rule_observed`); without one it pays a single branch
//! per node. [`Trace`] is the observer that builds the tree. Positions come
//! from a [`SourceMap`]: texts parsed with [`crate::expr::parse_spanned`] and
//! registered with the tree they produced.
//!
//! Invariants:
//! - A trace holds at most its node limit ([`DEFAULT_TRACE_NODES`] unless
//!   chosen); nodes past it are counted in [`TraceTree::omitted`], never stored,
//!   so a runaway loop costs bounded memory. The stack of open nodes is bounded
//!   by the evaluator's depth limit.
//! - A [`SourceMap`] finds nodes by address: the trees registered with it must
//!   stay alive and in place while it is used (the caller owns them; a node that
//!   was not registered simply has no position).
//! - [`TraceTree::error_at`] is where the error that ended the evaluation
//!   started: the innermost node that failed with it (or its nearest
//!   registered ancestor).

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{Expr, Span};
use super::eval::{EvalError, trace_value};
use super::parse::line_column;
use super::print::{print, quote_string, reference_text};
use super::value::Value;

/// Nodes a [`Trace`] records unless told otherwise.
pub const DEFAULT_TRACE_NODES: usize = 5_000;

/// Longest label (the node's head) kept in a trace node.
const LABEL_CHARS: usize = 120;

/// Receives each node the evaluator evaluates, in evaluation order: `enter`
/// before its children, `leave` with its outcome after them.
pub trait Observer {
    fn enter(&mut self, node: &Expr);
    fn leave(&mut self, node: &Expr, outcome: Outcome<'_>);
}

/// How a node's evaluation ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Value(&'a Value),
    Error(&'a EvalError),
    /// A `break` leaving the node, with the break's value.
    Break(&'a Value),
}

/// A position in a named source text (the expression, a rule body, an argument default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// What the text is, e.g. `expression` or `rule 'Email Address'`.
    pub source: Arc<str>,
    /// 1-based line and column (in characters) of the node's start.
    pub line: usize,
    pub column: usize,
    /// The node's byte range in its text.
    pub span: Span,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}:{}", self.source, self.line, self.column)
    }
}

/// Where parsed nodes came from (see the module invariants).
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    sources: Vec<(Arc<str>, String)>,
    /// Node address -> (index into `sources`, byte range).
    nodes: HashMap<usize, (usize, Span)>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Register `root`, parsed from `text` by `parse_spanned` (which gave `spans`),
    /// at the address it will be evaluated from. Nodes beyond `spans` (a tree
    /// that does not match its text) stay without a position.
    pub fn add(&mut self, name: &str, text: &str, root: &Expr, spans: &[Span]) {
        let source = self.sources.len();
        self.sources.push((Arc::from(name), text.to_string()));
        let mut pending = vec![root];
        let mut i = 0;
        while let Some(node) = pending.pop() {
            let Some(span) = spans.get(i) else { break };
            i += 1;
            self.nodes
                .insert(node as *const Expr as usize, (source, *span));
            if let Expr::Call(c) = node {
                pending.extend(c.args.iter().rev());
            }
        }
    }

    /// The position of `node`, when it was registered.
    pub fn locate(&self, node: &Expr) -> Option<Location> {
        let (source, span) = *self.nodes.get(&(node as *const Expr as usize))?;
        let (name, text) = &self.sources[source];
        let (line, column) = line_column(text, span.start);
        Some(Location {
            source: name.clone(),
            line,
            column,
            span,
        })
    }
}

/// One evaluated node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceNode {
    /// Nesting level; the root is 0. Nodes are stored in pre-order, so a node's
    /// descendants are the nodes after it with a greater depth.
    pub depth: usize,
    /// The node's head: `(name attr="…")` for a call, `$path`, or the literal.
    pub label: String,
    pub at: Option<Location>,
    pub outcome: TraceOutcome,
}

/// A node's result, rendered (JSON, cut to a readable length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceOutcome {
    /// Still being evaluated (only seen when evaluation was cut short).
    Pending,
    Value(String),
    Error(String),
    Break(String),
}

/// The finished trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceTree {
    /// Pre-order, see [`TraceNode::depth`].
    pub nodes: Vec<TraceNode>,
    /// Nodes evaluated past the limit and not recorded.
    pub omitted: u64,
    /// Where the error that ended the evaluation started, if it failed.
    pub error_at: Option<Location>,
}

/// The [`Observer`] building a [`TraceTree`].
#[derive(Debug)]
pub struct Trace {
    map: SourceMap,
    limit: usize,
    nodes: Vec<TraceNode>,
    /// Open nodes: their index, or `None` when past the limit.
    stack: Vec<Option<usize>>,
    omitted: u64,
    /// An error is travelling up (no node has entered or succeeded since it started).
    error_open: bool,
    error_at: Option<Location>,
}

impl Trace {
    /// A trace locating nodes with `map`, recording at most `limit` nodes.
    pub fn new(map: SourceMap, limit: usize) -> Trace {
        Trace {
            map,
            limit,
            nodes: Vec::new(),
            stack: Vec::new(),
            omitted: 0,
            error_open: false,
            error_at: None,
        }
    }

    pub fn finish(self) -> TraceTree {
        TraceTree {
            nodes: self.nodes,
            omitted: self.omitted,
            error_at: if self.error_open { self.error_at } else { None },
        }
    }
}

impl Observer for Trace {
    fn enter(&mut self, node: &Expr) {
        self.error_open = false;
        self.error_at = None;
        if self.nodes.len() >= self.limit {
            self.omitted += 1;
            self.stack.push(None);
            return;
        }
        self.stack.push(Some(self.nodes.len()));
        self.nodes.push(TraceNode {
            depth: self.stack.len() - 1,
            label: label(node),
            at: self.map.locate(node),
            outcome: TraceOutcome::Pending,
        });
    }

    fn leave(&mut self, node: &Expr, outcome: Outcome<'_>) {
        let slot = self.stack.pop().flatten();
        let rendered = match outcome {
            Outcome::Value(v) => {
                self.error_open = false;
                self.error_at = None;
                TraceOutcome::Value(trace_value(v))
            }
            Outcome::Break(v) => {
                self.error_open = false;
                self.error_at = None;
                TraceOutcome::Break(trace_value(v))
            }
            Outcome::Error(e) => {
                if !self.error_open {
                    self.error_open = true;
                    self.error_at = None;
                }
                if self.error_at.is_none() {
                    self.error_at = self.map.locate(node);
                }
                TraceOutcome::Error(e.message.clone())
            }
        };
        if let Some(n) = slot.and_then(|i| self.nodes.get_mut(i)) {
            n.outcome = rendered;
        }
    }
}

/// The head of a node, cut to [`LABEL_CHARS`].
fn label(node: &Expr) -> String {
    let text = match node {
        Expr::Call(c) => {
            let mut s = format!("({}", c.name);
            for (k, v) in &c.attrs {
                s.push(' ');
                s.push_str(k);
                s.push('=');
                s.push_str(&quote_string(v));
            }
            if !c.args.is_empty() {
                s.push_str(" …");
            }
            s.push(')');
            s
        }
        Expr::Ref(path) => reference_text(path),
        Expr::Str(s) if s.len() > LABEL_CHARS * 4 => {
            let head: String = s.chars().take(LABEL_CHARS).collect();
            quote_string(&head)
        }
        other => print(other),
    };
    if text.chars().count() > LABEL_CHARS {
        let cut: String = text.chars().take(LABEL_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

impl TraceTree {
    /// The tree as nested JSON objects: `expr`, one of `value` / `error` /
    /// `break`, `at` (`source`, `line`, `column`) when known, `children`.
    pub fn to_json(&self) -> serde_json::Value {
        fn node_json(n: &TraceNode) -> serde_json::Map<String, serde_json::Value> {
            let mut o = serde_json::Map::new();
            o.insert("expr".into(), n.label.clone().into());
            match &n.outcome {
                TraceOutcome::Pending => {}
                TraceOutcome::Value(v) => {
                    o.insert("value".into(), v.clone().into());
                }
                TraceOutcome::Error(e) => {
                    o.insert("error".into(), e.clone().into());
                }
                TraceOutcome::Break(v) => {
                    o.insert("break".into(), v.clone().into());
                }
            }
            if let Some(at) = &n.at {
                o.insert("at".into(), location_json(at));
            }
            o
        }
        // Build bottom-up with a stack of open objects (no recursion).
        let mut roots = Vec::new();
        let mut open: Vec<(
            usize,
            serde_json::Map<String, serde_json::Value>,
            Vec<serde_json::Value>,
        )> = Vec::new();
        let close = |open: &mut Vec<(
            usize,
            serde_json::Map<String, serde_json::Value>,
            Vec<serde_json::Value>,
        )>,
                     roots: &mut Vec<serde_json::Value>| {
            if let Some((_, mut o, children)) = open.pop() {
                if !children.is_empty() {
                    o.insert("children".into(), children.into());
                }
                match open.last_mut() {
                    Some(parent) => parent.2.push(o.into()),
                    None => roots.push(o.into()),
                }
            }
        };
        for n in &self.nodes {
            while open.last().is_some_and(|(d, _, _)| *d >= n.depth) {
                close(&mut open, &mut roots);
            }
            open.push((n.depth, node_json(n), Vec::new()));
        }
        while !open.is_empty() {
            close(&mut open, &mut roots);
        }
        serde_json::json!({
            "nodes": roots,
            "omitted": self.omitted,
        })
    }

    /// Indices of the nodes shown when the nodes in `folded` hide their
    /// descendants (pre-order, so a folded node's subtree is skipped whole).
    pub fn visible(&self, folded: &std::collections::BTreeSet<usize>) -> Vec<usize> {
        let mut out = Vec::new();
        let mut hide_below: Option<usize> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(d) = hide_below {
                if n.depth > d {
                    continue;
                }
                hide_below = None;
            }
            out.push(i);
            if folded.contains(&i) {
                hide_below = Some(n.depth);
            }
        }
        out
    }

    /// True when node `i` has children.
    pub fn has_children(&self, i: usize) -> bool {
        let depth = self.nodes.get(i).map(|n| n.depth);
        matches!((depth, self.nodes.get(i + 1)), (Some(d), Some(next)) if next.depth > d)
    }
}

/// `{"source", "line", "column"}`.
pub fn location_json(at: &Location) -> serde_json::Value {
    serde_json::json!({
        "source": &*at.source,
        "line": at.line,
        "column": at.column,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{MapEnv, eval_observed, parse_spanned};

    fn traced(text: &str, limit: usize) -> (Result<Value, EvalError>, TraceTree) {
        let (expr, spans) = parse_spanned(text).unwrap();
        let mut map = SourceMap::new();
        map.add("expression", text, &expr, &spans);
        let mut trace = Trace::new(map, limit);
        let mut env = MapEnv::new().with_var("x", Value::Int(4));
        let r = eval_observed(&expr, &mut env, 1_000_000, &mut trace);
        (r, trace.finish())
    }

    #[test]
    fn every_sub_expression_has_its_value_and_position() {
        let (r, t) = traced("(add $x\n  (mult 2 3))", 100);
        assert_eq!(r.unwrap(), Value::Int(10));
        let rows: Vec<_> = t
            .nodes
            .iter()
            .map(|n| {
                let at = n.at.as_ref().unwrap();
                (
                    n.depth,
                    n.label.as_str(),
                    n.outcome.clone(),
                    at.line,
                    at.column,
                )
            })
            .collect();
        let v = |s: &str| TraceOutcome::Value(s.to_string());
        assert_eq!(
            rows,
            vec![
                (0, "(add …)", v("10"), 1, 1),
                (1, "$x", v("4"), 1, 6),
                (1, "(mult …)", v("6"), 2, 3),
                (2, "2", v("2"), 2, 9),
                (2, "3", v("3"), 2, 11),
            ]
        );
        assert_eq!(t.error_at, None);
    }

    #[test]
    fn an_error_is_located_where_it_started() {
        let (r, t) = traced("(block 1\n  (add 2 (nosuch 3)))", 100);
        assert!(r.unwrap_err().message.contains("nosuch"));
        let at = t.error_at.unwrap();
        assert_eq!((at.line, at.column), (2, 10));
        assert!(matches!(&t.nodes[0].outcome, TraceOutcome::Error(m) if m.contains("nosuch")));
    }

    #[test]
    fn the_limit_bounds_the_nodes_kept_and_counts_the_rest() {
        let (r, t) = traced(
            "(block (defvar name=\"i\" 0) (while (lt $i 50) (set name=\"i\" (add $i 1))) $i)",
            20,
        );
        assert_eq!(r.unwrap(), Value::Int(50));
        assert_eq!(t.nodes.len(), 20);
        assert!(t.omitted > 100, "omitted {}", t.omitted);
        assert_eq!(t.to_json()["omitted"], t.omitted);
    }

    #[test]
    fn folding_hides_a_subtree() {
        let (_, t) = traced("(add (mult 2 3) 1)", 100);
        let all = t.visible(&Default::default());
        assert_eq!(all, vec![0, 1, 2, 3, 4]);
        let folded = t.visible(&[1].into_iter().collect());
        assert_eq!(folded, vec![0, 1, 4]);
        assert!(t.has_children(1) && !t.has_children(2));
        let json = t.to_json();
        assert_eq!(json["nodes"][0]["children"][0]["children"][1]["value"], "3");
    }
}
