//! bpe model objects -> Waveset XML that imports back to an identical object.
//!
//! Expressions are written as XPRESS; a simple string or `$name` reference goes into
//! the `value=`-style attribute Waveset authors use. Expression text that is not in
//! canonical form (or does not parse) also travels verbatim in a `bpeSource`
//! attribute of its container, so the round trip is exact.

use crate::expr::{self, Expr};
use crate::model::{
    Action, ActionKind, Activity, EmailTemplate, ExecMode, Rule, RuleLibrary, TaskDefinition,
    Variable, WorkItemType,
};

use super::{WAVESET_EXECUTOR, WORKFLOW_SERVICES};

/// bpe's own executor name (the model default); exported as the Waveset executor class.
pub(crate) const BPE_EXECUTOR: &str = "bpe.workflow";

const HEADER: &str = "<?xml version='1.0' encoding='UTF-8'?>\n";

/// A TaskDefinition as a Waveset `<TaskDefinition>` document.
pub fn export_definition(def: &TaskDefinition) -> String {
    let mut w = Writer::new("TaskDefinition");
    let executor = if def.executor == BPE_EXECUTOR {
        WAVESET_EXECUTOR.to_string()
    } else {
        def.executor.clone()
    };
    w.open(
        "TaskDefinition",
        vec![
            ("name", def.name.clone()),
            ("id", def.id.clone()),
            ("taskType", def.task_type.clone()),
            ("executor", executor),
            (
                "execMode",
                match def.exec_mode {
                    ExecMode::Sync => "sync",
                    ExecMode::Async => "async",
                }
                .to_string(),
            ),
            ("suspendable", def.suspendable.to_string()),
            ("syncControlAllowed", def.sync_control_allowed.to_string()),
            ("executionLimit", def.execution_limit.to_string()),
            ("resultLimit", def.result_limit.to_string()),
            ("visibility", "runschedule".to_string()),
            ("progressInterval", def.progress_interval.to_string()),
            ("resultTrace", def.result_trace.to_string()),
        ],
    );
    w.prose("Description", &def.description);
    w.open("Extension", vec![]);
    let process = &def.process;
    w.open(
        "WFProcess",
        vec![
            ("name", def.name.clone()),
            ("maxSteps", process.max_steps.to_string()),
        ],
    );
    w.prose("Comments", &process.comment);
    for v in &process.variables {
        w.variable(v);
    }
    for a in &process.activities {
        w.activity(a);
    }
    w.close("WFProcess");
    w.close("Extension");
    w.close("TaskDefinition");
    w.out
}

/// A Rule as a Waveset `<Rule>` document.
pub fn export_rule(rule: &Rule) -> String {
    let mut w = Writer::new("Rule");
    w.rule(rule);
    w.out
}

/// A rule library as a Waveset `<Configuration wstype='Library'>` document holding
/// `<Extension><Library>` with its rules.
pub fn export_library(lib: &RuleLibrary) -> String {
    let mut w = Writer::new("Configuration");
    w.open(
        "Configuration",
        vec![
            ("name", lib.name.clone()),
            ("id", lib.id.clone()),
            ("wstype", "Library".to_string()),
        ],
    );
    w.prose("Description", &lib.description);
    w.open("Extension", vec![]);
    w.open("Library", vec![]);
    for r in &lib.rules {
        w.rule(r);
    }
    w.close("Library");
    w.close("Extension");
    w.close("Configuration");
    w.out
}

impl Writer {
    fn rule(&mut self, rule: &Rule) {
        let w = self;
        let slot = Slot::of(&rule.body, None);
        let mut attrs = vec![("name", rule.name.clone()), ("id", rule.id.clone())];
        if rule.local_scope {
            attrs.push(("localScope", "true".to_string()));
        }
        attrs.extend(slot.attrs);
        w.open("Rule", attrs);
        w.prose("Description", &rule.description);
        for arg in &rule.arguments {
            let slot = arg.value.as_deref().map(|v| Slot::of(v, Some("value")));
            let mut attrs = vec![("name", arg.name.clone())];
            if arg.locked {
                attrs.push(("locked", "true".to_string()));
            }
            w.element_with_slot("RuleArgument", attrs, slot, |w| {
                w.prose("Comments", &arg.comment)
            });
        }
        if let Some(body) = &slot.expr {
            w.xpress(body);
        }
        w.close("Rule");
    }
}

/// An EmailTemplate as a Waveset `<Configuration wstype='EmailTemplate'>` document.
pub fn export_email_template(t: &EmailTemplate) -> String {
    let mut w = Writer::new("Configuration");
    w.open(
        "Configuration",
        vec![
            ("name", t.name.clone()),
            ("id", t.id.clone()),
            ("wstype", "EmailTemplate".to_string()),
        ],
    );
    w.open("Extension", vec![]);
    let mut attrs = vec![("fromAddress", t.from.clone())];
    if !t.to.is_empty() {
        attrs.push(("toAddress", t.to.clone()));
    }
    if !t.cc.is_empty() {
        attrs.push(("ccAddress", t.cc.clone()));
    }
    w.open("EmailTemplate", attrs);
    w.prose("Description", &t.description);
    w.text_element("subject", vec![], &t.subject);
    w.text_element("body", vec![], &t.body);
    w.close("EmailTemplate");
    w.close("Extension");
    w.close("Configuration");
    w.out
}

type Attrs = Vec<(&'static str, String)>;

/// How one expression is written: attributes for its container (a `value=`-style
/// attribute and/or `bpeSource`) and an XPRESS child.
struct Slot {
    attrs: Attrs,
    expr: Option<Expr>,
}

impl Slot {
    fn of(text: &str, value_attr: Option<&'static str>) -> Slot {
        match expr::parse(text) {
            Ok(e) if xpress_can_write(&e) => {
                let mut attrs = Vec::new();
                if expr::print(&e) != text {
                    attrs.push(("bpeSource", text.to_string()));
                }
                if let Some(key) = value_attr
                    && let Some(v) = as_attribute_value(&e)
                {
                    attrs.push((key, v));
                    return Slot { attrs, expr: None };
                }
                Slot {
                    attrs,
                    expr: Some(e),
                }
            }
            // Text that does not parse, or an AST that XPRESS cannot spell (a call
            // named like a literal element, e.g. `(i)`): verbatim only.
            _ => Slot {
                attrs: vec![("bpeSource", text.to_string())],
                expr: None,
            },
        }
    }
}

/// False when the XPRESS for `e` would read back as a different expression: a call
/// named `i`, `s` or `null`, or a `ref` call without arguments, looks like a literal;
/// a reference with surrounding whitespace would be trimmed.
fn xpress_can_write(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => {
            // `<expression>`, `<List>`, `<Map>`, `<String>`, `<Integer>`, … are read as
            // wrappers and XML objects, not as calls of those names.
            let literal_like = (literal_like(&c.name) && c.name != "ref")
                || (c.name == "ref" && c.args.is_empty());
            // A literal `$(` in a rule argument's value= would be read back as a reference.
            let substituted = c.name == "rule"
                && c.args.iter().any(|a| {
                    matches!(a, Expr::Call(arg) if arg.name == "argument"
                        && arg.attr("value").is_some_and(|v| v.contains("$(")))
                });
            !literal_like && !substituted && c.args.iter().all(xpress_can_write)
        }
        // `<ref>` text is trimmed on import.
        Expr::Ref(p) => !p.is_empty() && p.trim() == p,
        _ => true,
    }
}

/// `(script "body")`, `(Date "text")`, and `(name "text")` for a name that is not a
/// bpe function (an element bpe does not execute): written as
/// `<name>text</name>` and read back so, the text kept exactly.
fn is_text_body(c: &expr::Call) -> bool {
    matches!(c.args.as_slice(), [Expr::Str(t)] if keeps_text_body(&c.name, t))
}

/// Whether import keeps the text of an element named `name` as its one string
/// argument: any non-empty `<script>` body; the non-blank text of a `<Date>`; non-blank
/// text of an element that is neither a bpe function nor an XPRESS literal, wrapper or
/// XML object.
pub(crate) fn keeps_text_body(name: &str, text: &str) -> bool {
    if name == "script" {
        return !text.is_empty();
    }
    // A `<Date>` object: a bpe function only so that evaluating it fails clearly.
    if name == "Date" {
        return !text.trim().is_empty();
    }
    !literal_like(name) && !text.trim().is_empty() && expr::function(name).is_none()
}

/// Element names import reads as literals, wrappers or XML objects, not as calls.
fn literal_like(name: &str) -> bool {
    matches!(
        name,
        "i" | "s"
            | "null"
            | "ref"
            | "expression"
            | "o"
            | "List"
            | "Map"
            | "String"
            | "Integer"
            | "Long"
            | "Boolean"
    )
}

/// The Waveset attribute form of a string literal or a simple reference.
fn as_attribute_value(e: &Expr) -> Option<String> {
    match e {
        Expr::Str(s) if !s.contains("$(") => Some(s.clone()),
        Expr::Ref(p) if !p.is_empty() && !p.contains(')') && !p.contains("$(") && p.trim() == p => {
            Some(format!("$({p})"))
        }
        _ => None,
    }
}

struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn new(doctype: &str) -> Writer {
        let mut out = String::with_capacity(4096);
        out.push_str(HEADER);
        out.push_str(&format!(
            "<!DOCTYPE {doctype} PUBLIC 'waveset.dtd' 'waveset.dtd'>\n"
        ));
        Writer { out, depth: 0 }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &str, attrs: &Attrs) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("='");
            escape_attr(&mut self.out, v);
            self.out.push('\'');
        }
    }

    fn open(&mut self, name: &str, attrs: Attrs) {
        self.start_tag(name, &attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn empty(&mut self, name: &str, attrs: Attrs) {
        self.start_tag(name, &attrs);
        self.out.push_str("/>\n");
    }

    fn text_element(&mut self, name: &str, attrs: Attrs, text: &str) {
        self.start_tag(name, &attrs);
        self.out.push('>');
        escape_text(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<Comments>` / `<Description>`; surrounding whitespace survives via xml:space.
    fn prose(&mut self, name: &str, text: &str) {
        if text.is_empty() {
            return;
        }
        let attrs = if text.trim() != text {
            vec![("xml:space", "preserve".to_string())]
        } else {
            vec![]
        };
        self.text_element(name, attrs, text);
    }

    /// An element whose content is one expression slot plus other children.
    fn element_with_slot(
        &mut self,
        name: &str,
        mut attrs: Attrs,
        slot: Option<Slot>,
        children: impl FnOnce(&mut Writer),
    ) {
        let expr = match slot {
            Some(s) => {
                attrs.extend(s.attrs);
                s.expr
            }
            None => None,
        };
        let mut inner = Writer {
            out: String::new(),
            depth: self.depth + 1,
        };
        children(&mut inner);
        if let Some(e) = &expr {
            inner.xpress(e);
        }
        if inner.out.is_empty() {
            self.empty(name, attrs);
        } else {
            self.start_tag(name, &attrs);
            self.out.push_str(">\n");
            self.out.push_str(&inner.out);
            self.indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
    }

    fn xpress(&mut self, e: &Expr) {
        match e {
            Expr::Null => {
                self.indent();
                self.out.push_str("<null/>\n");
            }
            Expr::Int(n) => {
                self.indent();
                self.out.push_str(&format!("<i>{n}</i>\n"));
            }
            Expr::Bool(b) => {
                self.indent();
                self.out.push_str(&format!("<Boolean>{b}</Boolean>\n"));
            }
            Expr::Str(s) => self.text_element("s", vec![], s),
            Expr::Ref(p) => self.text_element("ref", vec![], p),
            // A script body (or the text of an element bpe does not execute) goes back
            // as the element's text, as imported.
            Expr::Call(c) if is_text_body(c) => {
                let Some(Expr::Str(body)) = c.args.first() else {
                    return;
                };
                self.call_start(c);
                self.out.push('>');
                escape_text(&mut self.out, body);
                self.out.push_str("</");
                self.out.push_str(&c.name);
                self.out.push_str(">\n");
            }
            Expr::Call(c) => {
                self.call_start(c);
                if c.args.is_empty() {
                    self.out.push_str("/>\n");
                    return;
                }
                self.out.push_str(">\n");
                self.depth += 1;
                for a in &c.args {
                    self.xpress(a);
                }
                self.close(&c.name);
            }
        }
    }

    /// `<name attr='…'…` of an XPRESS call (the tag is left open).
    fn call_start(&mut self, c: &expr::Call) {
        self.indent();
        self.out.push('<');
        self.out.push_str(&c.name);
        for (k, v) in &c.attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("='");
            escape_attr(&mut self.out, v);
            self.out.push('\'');
        }
    }

    fn variable(&mut self, v: &Variable) {
        let mut attrs = vec![("name", v.name.clone())];
        for (flag, key) in [
            (v.input, "input"),
            (v.output, "output"),
            (v.external, "external"),
            (v.transient, "transient"),
        ] {
            if flag {
                attrs.push((key, "true".to_string()));
            }
        }
        let slot = v.value.as_deref().map(|t| Slot::of(t, Some("value")));
        self.element_with_slot("Variable", attrs, slot, |w| w.prose("Comments", &v.comment));
    }

    fn activity(&mut self, a: &Activity) {
        let mut attrs = vec![("id", a.id.clone()), ("name", a.name.clone())];
        if a.and_split {
            attrs.push(("andSplit", "true".to_string()));
        }
        if a.and_join {
            attrs.push(("andJoin", "true".to_string()));
        }
        let has_children = !a.comment.is_empty()
            || !a.variables.is_empty()
            || !a.actions.is_empty()
            || !a.transitions.is_empty()
            || a.position.is_some();
        if !has_children {
            self.empty("Activity", attrs);
            return;
        }
        self.open("Activity", attrs);
        self.prose("Comments", &a.comment);
        for v in &a.variables {
            self.variable(v);
        }
        for (i, action) in a.actions.iter().enumerate() {
            self.action(i, action);
        }
        for t in &a.transitions {
            let slot = t.condition.as_deref().map(|c| Slot::of(c, None));
            self.element_with_slot("Transition", vec![("to", t.to.clone())], slot, |w| {
                w.prose("Comments", &t.comment)
            });
        }
        if let Some(p) = a.position {
            self.empty(
                "WorkflowEditor",
                vec![("x", p.x.to_string()), ("y", p.y.to_string())],
            );
        }
        self.close("Activity");
    }

    /// An action kept verbatim: its original element when that is one well-formed
    /// `<Action>`/`<ManualAction>`, else (hand-edited JSON) the text inside a
    /// `<bpeUnsupported>` child so the document stays readable.
    fn unsupported(&mut self, name: &str, reason: &str, xml: &str) {
        if super::xml::is_single_element(xml, &["Action", "ManualAction"]) {
            self.indent();
            self.out.push_str(xml.trim());
            self.out.push('\n');
            return;
        }
        let mut attrs = vec![];
        if !name.is_empty() {
            attrs.push(("name", name.to_string()));
        }
        self.open("Action", attrs);
        self.text_element("bpeUnsupported", vec![("reason", reason.to_string())], xml);
        self.close("Action");
    }

    fn action(&mut self, index: usize, action: &Action) {
        if let ActionKind::Unsupported { reason, xml } = &action.kind {
            self.unsupported(&action.name, reason, xml);
            return;
        }
        let mut attrs = vec![("id", index.to_string())];
        if !action.name.is_empty() {
            attrs.push(("name", action.name.clone()));
        }
        let element = match &action.kind {
            ActionKind::Manual(m) => {
                if m.timeout != 0 {
                    attrs.push(("timeout", m.timeout.to_string()));
                }
                match &m.item_type {
                    WorkItemType::Approval => {}
                    WorkItemType::Interaction => attrs.push(("itemType", "wizard".to_string())),
                    WorkItemType::Custom(s) => attrs.push(("itemType", s.clone())),
                }
                "ManualAction"
            }
            ActionKind::Service { .. } => {
                attrs.push(("application", WORKFLOW_SERVICES.to_string()));
                "Action"
            }
            ActionKind::Subprocess { process, .. } => {
                attrs.push(("process", process.clone()));
                "Action"
            }
            ActionKind::Expression { .. }
            | ActionKind::Command(_)
            | ActionKind::Unsupported { .. } => "Action",
        };
        self.open(element, attrs);
        self.prose("Comments", &action.comment);
        if let Some(c) = &action.condition {
            let slot = Slot::of(c, None);
            self.element_with_slot("Condition", vec![], Some(slot), |_| {});
        }
        for v in &action.variables {
            self.variable(v);
        }
        match &action.kind {
            ActionKind::Expression { expression } => {
                let slot = Slot::of(expression, None);
                self.element_with_slot("expression", vec![], Some(slot), |_| {});
            }
            ActionKind::Service { op, arguments } => {
                self.empty(
                    "Argument",
                    vec![("name", "op".to_string()), ("value", op.clone())],
                );
                for arg in arguments {
                    let slot = Slot::of(&arg.value, Some("value"));
                    self.element_with_slot(
                        "Argument",
                        vec![("name", arg.name.clone())],
                        Some(slot),
                        |_| {},
                    );
                }
            }
            ActionKind::Subprocess { arguments, .. } => {
                for arg in arguments {
                    let slot = Slot::of(&arg.value, Some("value"));
                    self.element_with_slot(
                        "Argument",
                        vec![("name", arg.name.clone())],
                        Some(slot),
                        |_| {},
                    );
                }
            }
            ActionKind::Manual(m) => {
                for owner in &m.owners {
                    let slot = Slot::of(owner, Some("name"));
                    self.element_with_slot("Owner", vec![], Some(slot), |_| {});
                }
                if let Some(r) = &m.request {
                    let slot = Slot::of(r, None);
                    self.element_with_slot("Request", vec![], Some(slot), |_| {});
                }
                self.prose("Description", &m.description);
                for (name, list) in [
                    ("ExposedVariables", &m.exposed_variables),
                    ("EditableVariables", &m.editable_variables),
                ] {
                    if list.is_empty() {
                        continue;
                    }
                    self.open(name, vec![]);
                    self.open("List", vec![]);
                    for n in list {
                        self.text_element("String", vec![], n);
                    }
                    self.close("List");
                    self.close(name);
                }
            }
            ActionKind::Unsupported { .. } => {}
            ActionKind::Command(c) => {
                let mut attrs = vec![
                    ("timeout", c.timeout.to_string()),
                    ("outputCap", c.output_cap.to_string()),
                ];
                if let Some(v) = &c.exit_code_to {
                    attrs.push(("exitCodeTo", v.clone()));
                }
                if let Some(v) = &c.output_to {
                    attrs.push(("outputTo", v.clone()));
                }
                if c.argv.is_empty() {
                    self.empty("Command", attrs);
                } else {
                    self.open("Command", attrs);
                    for a in &c.argv {
                        let slot = Slot::of(a, Some("value"));
                        self.element_with_slot("Arg", vec![], Some(slot), |_| {});
                    }
                    self.close("Command");
                }
            }
        }
        for r in &action.returns {
            self.empty(
                "Return",
                vec![("from", r.from.clone()), ("to", r.to.clone())],
            );
        }
        self.close(element);
    }
}

fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}
