//! Waveset XML -> bpe model objects. A recursive descent over [`Cursor`] items:
//! each function consumes exactly one element, up to and including its end tag.

use crate::expr::{self, Expr};
use crate::model::{
    Action, ActionKind, Activity, Argument, CommandAction, EmailTemplate, ExecMode, ExprText,
    FORMAT_VERSION, ManualAction, Position, Process, Return, Rule, RuleArgument, RuleLibrary,
    TaskDefinition, Transition, Variable, WorkItemType, new_id, slug,
};

use super::xml::{Cursor, Item, LineCursor, Tag};
use super::{
    ImportError, Imported, MAX_INPUT_BYTES, WAVESET_EXECUTOR, Warning, export::BPE_EXECUTOR,
};

type Result<T> = std::result::Result<T, ImportError>;

mod xpress;

/// Repository bookkeeping attributes of Waveset objects that have no bpe meaning;
/// accepted without a warning (listed in docs/waveset.md).
const BOOKKEEPING_ATTRS: &[&str] = &[
    "creator",
    "createDate",
    "lastModifier",
    "lastModDate",
    "lastMod",
    "lock",
    "lockExpiration",
    "wstype",
    "visibility",
    "resultOption",
    "repoMod",
    "primaryObjectClass",
    "authType",
    "subtype",
    "title",
    "displayName",
    "xml:space",
];

/// Bookkeeping elements, skipped without a warning (listed in docs/waveset.md).
const BOOKKEEPING_ELEMENTS: &[&str] = &["MemberObjectGroups", "Organization"];

/// Import every object of a Waveset XML document.
///
/// Errors stop the import (malformed XML, an entity other than the five predefined
/// ones, a missing required attribute, an action bpe cannot represent, ...); what can
/// be skipped safely (form references, unknown object types in a `<Waveset>`, XML
/// comments, unknown attributes) becomes a [`Warning`].
pub fn import(xml: &str) -> std::result::Result<Imported, ImportError> {
    if xml.len() > MAX_INPUT_BYTES {
        return Err(ImportError {
            line: 0,
            column: 0,
            message: format!(
                "document is {} bytes; the import limit is {} bytes",
                xml.len(),
                MAX_INPUT_BYTES
            ),
        });
    }
    let src = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut imp = Importer {
        cur: Cursor::new(src),
        src,
        out: Imported::default(),
        lines: LineCursor::new(),
    };
    imp.document()?;
    if imp.cur.dropped_markup > 0 {
        let offset = imp.cur.first_dropped_markup.unwrap_or(0);
        let n = imp.cur.dropped_markup;
        imp.warn(
            offset,
            format!("{n} XML comment(s) / processing instruction(s) not imported (bpe has no place for them; use <Comments>)"),
        );
    }
    imp.out.warnings.sort_by_key(|w| (w.line, w.column));
    Ok(imp.out)
}

struct Importer<'a> {
    cur: Cursor<'a>,
    src: &'a str,
    out: Imported,
    /// Positions of warnings (many warnings must not each rescan the input).
    lines: LineCursor,
}

/// How several expressions in one slot combine.
#[derive(Clone, Copy, PartialEq)]
enum Several {
    Error,
    Block,
}

impl<'a> Importer<'a> {
    fn err(&self, offset: usize, message: impl Into<String>) -> ImportError {
        self.cur.error(offset, message)
    }

    fn warn(&mut self, offset: usize, message: impl Into<String>) {
        let (line, column) = self.lines.locate(self.src, offset);
        self.out.warnings.push(Warning {
            line,
            column,
            message: message.into(),
        });
    }

    fn unclosed(&self) -> ImportError {
        match self.cur.innermost() {
            Some((name, offset)) => self.err(
                self.src.len(),
                format!(
                    "unexpected end of file: <{name}> opened at {} is not closed",
                    {
                        let (l, c) = super::xml::line_column(self.src, offset);
                        format!("{l}:{c}")
                    }
                ),
            ),
            None => self.err(self.src.len(), "unexpected end of file"),
        }
    }

    // ---- generic element helpers -------------------------------------------------

    /// Visit the child elements of the element just started; whitespace is ignored,
    /// other text is an error.
    fn children(
        &mut self,
        parent: &Tag,
        mut f: impl FnMut(&mut Self, Tag) -> Result<()>,
    ) -> Result<()> {
        loop {
            match self.cur.next()? {
                Item::Start(t) => f(self, t)?,
                Item::End => return Ok(()),
                Item::Text(s, o) => {
                    if !s.trim().is_empty() {
                        return Err(self.err(
                            o + (s.len() - s.trim_start().len()),
                            format!("unexpected text in <{}>", parent.name),
                        ));
                    }
                }
                Item::Eof => return Err(self.unclosed()),
            }
        }
    }

    /// Consume the rest of the element just started.
    fn skip(&mut self) -> Result<()> {
        let mut depth = 1usize;
        loop {
            match self.cur.next()? {
                Item::Start(_) => depth += 1,
                Item::End => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Item::Text(..) => {}
                Item::Eof => return Err(self.unclosed()),
            }
        }
    }

    fn skip_with_warning(&mut self, tag: &Tag, within: &str, why: &str) -> Result<()> {
        let named = tag
            .attr("name")
            .map(|n| format!(" name='{n}'"))
            .unwrap_or_default();
        self.warn(
            tag.offset,
            format!("skipped <{}{named}> in <{within}>: {why}", tag.name),
        );
        self.skip()
    }

    /// The text content of the element just started (child elements are an error).
    fn text(&mut self, tag: &Tag) -> Result<String> {
        let mut out = String::new();
        loop {
            match self.cur.next()? {
                Item::Text(s, _) => out.push_str(&s),
                Item::End => return Ok(out),
                Item::Start(t) => {
                    return Err(self.err(
                        t.offset,
                        format!(
                            "<{}> holds text, not elements (found <{}>)",
                            tag.name, t.name
                        ),
                    ));
                }
                Item::Eof => return Err(self.unclosed()),
            }
        }
    }

    /// Text of a `<Comments>`/`<Description>`: trimmed unless `xml:space='preserve'`.
    fn prose(&mut self, tag: &Tag) -> Result<String> {
        let text = self.text(tag)?;
        if tag.attr("xml:space") == Some("preserve") {
            Ok(text)
        } else {
            Ok(text.trim().to_string())
        }
    }

    fn check_attrs(&mut self, tag: &Tag, known: &[&str]) {
        let unknown: Vec<String> = tag
            .attrs
            .iter()
            .filter(|(k, _)| {
                !known.contains(&k.as_str()) && !BOOKKEEPING_ATTRS.contains(&k.as_str())
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in unknown {
            self.warn(
                tag.offset,
                format!(
                    "attribute {k} of <{}> is not supported and was ignored",
                    tag.name
                ),
            );
        }
    }

    fn required(&self, tag: &Tag, key: &str) -> Result<String> {
        match tag.attr(key) {
            Some(v) if !v.trim().is_empty() => Ok(v.to_string()),
            _ => Err(self.err(
                tag.offset,
                format!("<{}> needs a non-empty {key} attribute", tag.name),
            )),
        }
    }

    fn flag(&mut self, tag: &Tag, key: &str, default: bool) -> bool {
        match tag.attr(key) {
            None => default,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                let v = v.to_string();
                self.warn(
                    tag.offset,
                    format!(
                        "{key}='{v}' on <{}> is not true or false; using {default}",
                        tag.name
                    ),
                );
                default
            }
        }
    }

    fn int(&self, tag: &Tag, key: &str) -> Result<Option<i64>> {
        match tag.attr(key) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                self.err(
                    tag.offset,
                    format!("{key}='{v}' on <{}> is not an integer", tag.name),
                )
            }),
        }
    }

    // ---- documents and objects -----------------------------------------------------

    fn document(&mut self) -> Result<()> {
        let mut seen_root = false;
        loop {
            match self.cur.next()? {
                Item::Start(tag) => {
                    if seen_root {
                        return Err(self.err(
                            tag.offset,
                            "a second root element: wrap several objects in <Waveset>",
                        ));
                    }
                    seen_root = true;
                    self.root(tag)?;
                }
                Item::Text(s, o) => {
                    if !s.trim().is_empty() {
                        return Err(self.err(o, "text outside the root element"));
                    }
                }
                Item::End => return Err(self.err(0, "unexpected end tag")),
                Item::Eof => {
                    if !seen_root {
                        return Err(self.err(self.src.len(), "the document holds no element"));
                    }
                    return Ok(());
                }
            }
        }
    }

    fn root(&mut self, tag: Tag) -> Result<()> {
        if tag.name == "Waveset" {
            self.check_attrs(&tag, &[]);
            return self.children(&tag, |me, child| {
                if !me.object(&child)? {
                    me.skip_with_warning(
                        &child,
                        "Waveset",
                        "bpe imports TaskDefinition, WFProcess, Rule and EmailTemplate objects",
                    )?;
                }
                Ok(())
            });
        }
        if self.object(&tag)? {
            Ok(())
        } else {
            Err(self.err(
                tag.offset,
                format!(
                    "<{}> is not an object bpe imports (expected Waveset, TaskDefinition, WFProcess, Rule, EmailTemplate or Configuration wstype='EmailTemplate')",
                    tag.name
                ),
            ))
        }
    }

    /// Import one object; false (nothing consumed) when the element is not one.
    fn object(&mut self, tag: &Tag) -> Result<bool> {
        match tag.name.as_str() {
            "TaskDefinition" => {
                let def = self.task_definition(tag)?;
                self.out.definitions.push(def);
            }
            "WFProcess" => {
                let name = self.required(tag, "name")?;
                let id = self.object_id(tag, "td");
                let process = self.process(tag)?;
                self.out.definitions.push(TaskDefinition {
                    format_version: FORMAT_VERSION,
                    id,
                    name,
                    description: String::new(),
                    task_type: "Workflow".to_string(),
                    executor: BPE_EXECUTOR.to_string(),
                    exec_mode: ExecMode::Sync,
                    suspendable: true,
                    sync_control_allowed: true,
                    execution_limit: 0,
                    result_limit: 0,
                    progress_interval: crate::model::DEFAULT_PROGRESS_INTERVAL_MS,
                    result_trace: false,
                    process,
                });
            }
            "Rule" => {
                let rule = self.rule(tag)?;
                self.out.rules.push(rule);
            }
            "EmailTemplate" => {
                let t = self.email_template(tag, None)?;
                self.out.email_templates.push(t);
            }
            "Configuration" if tag.attr("wstype") == Some("EmailTemplate") => {
                let mut found = None;
                self.children(tag, |me, child| {
                    if child.name == "Extension" {
                        me.children(&child, |me, inner| {
                            if inner.name == "EmailTemplate" && found.is_none() {
                                found = Some(me.email_template(&inner, Some(tag))?);
                                Ok(())
                            } else {
                                me.skip_with_warning(
                                    &inner,
                                    "Extension",
                                    "not part of an email template",
                                )
                            }
                        })
                    } else if BOOKKEEPING_ELEMENTS.contains(&child.name.as_str()) {
                        me.skip()
                    } else {
                        me.skip_with_warning(
                            &child,
                            "Configuration",
                            "not part of an email template",
                        )
                    }
                })?;
                match found {
                    Some(t) => self.out.email_templates.push(t),
                    None => {
                        return Err(self.err(
                            tag.offset,
                            "<Configuration wstype='EmailTemplate'> holds no <Extension><EmailTemplate>",
                        ));
                    }
                }
            }
            "Configuration" if matches!(tag.attr("wstype"), None | Some("Library")) => {
                if let Some(lib) = self.library(tag)? {
                    self.out.libraries.push(lib);
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `<Configuration name= wstype='Library'><Extension><Library><Rule>…` (the
    /// rule library form of "Invoking Rules in a Library", Sun IdM 8.1 Deployment
    /// Reference). None, with a warning, for a Configuration holding no Library.
    fn library(&mut self, tag: &Tag) -> Result<Option<RuleLibrary>> {
        self.check_attrs(tag, &["name", "id"]);
        let name = self.required(tag, "name")?;
        let id = self.object_id(tag, "lib");
        let mut description = String::new();
        let mut rules: Option<Vec<Rule>> = None;
        self.children(tag, |me, child| match child.name.as_str() {
            "Description" | "Comments" => {
                description = me.prose(&child)?;
                Ok(())
            }
            "Extension" => me.children(&child, |me, inner| {
                if inner.name != "Library" || rules.is_some() {
                    return me.skip_with_warning(&inner, "Extension", "not part of a rule library");
                }
                me.check_attrs(&inner, &[]);
                let mut list = Vec::new();
                me.children(&inner, |me, r| {
                    if r.name == "Rule" {
                        let rule = me.rule(&r)?;
                        if list.iter().any(|x: &Rule| x.name == rule.name) {
                            return Err(me.err(
                                r.offset,
                                format!("a second rule named '{}' in library '{name}' (rule names in a library must be unique)", rule.name),
                            ));
                        }
                        list.push(rule);
                        Ok(())
                    } else {
                        me.skip_with_warning(&r, "Library", "a library holds <Rule> elements")
                    }
                })?;
                rules = Some(list);
                Ok(())
            }),
            n if BOOKKEEPING_ELEMENTS.contains(&n) => me.skip(),
            _ => me.skip_with_warning(&child, "Configuration", "not part of a rule library"),
        })?;
        let Some(rules) = rules else {
            self.warn(
                tag.offset,
                format!("<Configuration name='{name}'> holds no <Extension><Library>: bpe imports rule libraries and email templates only; skipped"),
            );
            return Ok(None);
        };
        Ok(Some(RuleLibrary {
            format_version: FORMAT_VERSION,
            id,
            name,
            description,
            rules,
        }))
    }

    /// The object's id: a Waveset id kept when it is safe (`[A-Za-z0-9][A-Za-z0-9_.-]*`),
    /// `#ID#...` ids in slug form, a fresh id otherwise.
    fn object_id(&mut self, tag: &Tag, prefix: &str) -> String {
        let Some(raw) = tag.attr("id").map(str::trim) else {
            return new_id(prefix);
        };
        let safe = !raw.is_empty()
            && raw.len() <= 100
            && !raw.contains("..")
            && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if safe {
            return raw.to_string();
        }
        let rest = raw.strip_prefix("#ID#").unwrap_or(raw);
        let s = slug(rest);
        if rest.trim().is_empty() || s == "unnamed" {
            return new_id(prefix);
        }
        s
    }

    fn task_definition(&mut self, tag: &Tag) -> Result<TaskDefinition> {
        self.check_attrs(
            tag,
            &[
                "name",
                "id",
                "taskType",
                "executor",
                "execMode",
                "suspendable",
                "syncControlAllowed",
                "executionLimit",
                "execLimit",
                "resultLimit",
                "progressInterval",
                "resultTrace",
            ],
        );
        let name = self.required(tag, "name")?;
        let id = self.object_id(tag, "td");
        let exec_mode = match tag.attr("execMode") {
            None | Some("sync") => ExecMode::Sync,
            Some("async") => ExecMode::Async,
            Some(other) if other.starts_with("async") => {
                let other = other.to_string();
                self.warn(tag.offset, format!("execMode='{other}' imported as async"));
                ExecMode::Async
            }
            Some(other) => {
                return Err(self.err(
                    tag.offset,
                    format!("execMode='{other}' is not sync or async"),
                ));
            }
        };
        let executor = match tag.attr("executor") {
            None | Some(WAVESET_EXECUTOR) => BPE_EXECUTOR.to_string(),
            Some(e) => e.to_string(),
        };
        let execution_limit = match self.int(tag, "executionLimit")? {
            Some(n) => n,
            None => self.int(tag, "execLimit")?.unwrap_or(0),
        };
        let mut def = TaskDefinition {
            format_version: FORMAT_VERSION,
            id,
            name,
            description: String::new(),
            task_type: tag.attr("taskType").unwrap_or("Workflow").to_string(),
            executor,
            exec_mode,
            suspendable: self.flag(tag, "suspendable", true),
            sync_control_allowed: self.flag(tag, "syncControlAllowed", true),
            execution_limit,
            result_limit: self.int(tag, "resultLimit")?.unwrap_or(0),
            progress_interval: self
                .int(tag, "progressInterval")?
                .unwrap_or(crate::model::DEFAULT_PROGRESS_INTERVAL_MS),
            result_trace: self.flag(tag, "resultTrace", false),
            process: Process::default(),
        };
        let mut process = None;
        let mut comments = None;
        self.children(tag, |me, child| match child.name.as_str() {
            "Extension" => me.children(&child, |me, inner| {
                if inner.name == "WFProcess" {
                    if process.is_some() {
                        return Err(me.err(inner.offset, "a second <WFProcess> in one TaskDefinition"));
                    }
                    if let Some(n) = inner.attr("name")
                        && n != def.name
                    {
                        let n = n.to_string();
                        me.warn(
                            inner.offset,
                            format!("WFProcess name '{n}' differs from the TaskDefinition name; the TaskDefinition name is used"),
                        );
                    }
                    process = Some(me.process(&inner)?);
                    Ok(())
                } else {
                    me.skip_with_warning(&inner, "Extension", "only a WFProcess is imported here")
                }
            }),
            "Description" => {
                def.description = me.prose(&child)?;
                Ok(())
            }
            "Comments" => {
                comments = Some((me.prose(&child)?, child.offset));
                Ok(())
            }
            n if BOOKKEEPING_ELEMENTS.contains(&n) => me.skip(),
            _ => me.skip_with_warning(&child, "TaskDefinition", "not supported by bpe"),
        })?;
        if let Some((c, offset)) = comments {
            if def.description.is_empty() {
                def.description = c;
            } else {
                self.warn(
                    offset,
                    "<Comments> ignored: the TaskDefinition already has a <Description>",
                );
            }
        }
        def.process = process.ok_or_else(|| {
            self.err(
                tag.offset,
                format!(
                    "TaskDefinition '{}' has no <Extension><WFProcess>",
                    def.name
                ),
            )
        })?;
        Ok(def)
    }

    fn process(&mut self, tag: &Tag) -> Result<Process> {
        self.check_attrs(tag, &["name", "id", "maxSteps"]);
        let mut process = Process {
            max_steps: self.int(tag, "maxSteps")?.unwrap_or(0),
            ..Process::default()
        };
        let mut raw_ids: Vec<(Option<String>, usize)> = Vec::new();
        // Names seen so far: a scan of the activities per activity is quadratic.
        let mut names: std::collections::HashSet<String> = std::collections::HashSet::new();
        self.children(tag, |me, child| {
            match child.name.as_str() {
                "Comments" => process.comment = me.prose(&child)?,
                "Variable" => process.variables.push(me.variable(&child)?),
                "Activity" => {
                    let (activity, raw_id) = me.activity(&child)?;
                    if !names.insert(activity.name.clone()) {
                        return Err(me.err(
                            child.offset,
                            format!("a second activity named '{}'", activity.name),
                        ));
                    }
                    raw_ids.push((raw_id, child.offset));
                    process.activities.push(activity);
                }
                "WorkflowEditor" => me.skip()?,
                _ => me.skip_with_warning(&child, "WFProcess", "not supported by bpe")?,
            }
            Ok(())
        })?;
        let offsets: Vec<usize> = raw_ids.iter().map(|(_, o)| *o).collect();
        self.assign_activity_ids(&mut process, raw_ids);
        for (a, offset) in process.activities.iter().zip(offsets) {
            for t in &a.transitions {
                if !names.contains(&t.to) {
                    self.warn(
                        offset,
                        format!(
                            "activity '{}' has a transition to '{}', which is not an activity of this process",
                            a.name, t.to
                        ),
                    );
                }
            }
        }
        Ok(process)
    }

    /// Keep the Waveset ids (unique, non-empty); give the others the smallest free
    /// integer, Waveset style.
    fn assign_activity_ids(
        &mut self,
        process: &mut Process,
        raw_ids: Vec<(Option<String>, usize)>,
    ) {
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut keep = Vec::with_capacity(raw_ids.len());
        for (raw, offset) in &raw_ids {
            match raw {
                Some(id) if !id.is_empty() && !taken.contains(id) => {
                    taken.insert(id.clone());
                    keep.push(true);
                }
                Some(id) if !id.is_empty() => {
                    let id = id.clone();
                    self.warn(
                        *offset,
                        format!("activity id '{id}' is used twice; a new id was generated"),
                    );
                    keep.push(false);
                }
                _ => keep.push(false),
            }
        }
        let mut next = 0usize;
        for (i, activity) in process.activities.iter_mut().enumerate() {
            if keep[i] {
                if let Some(id) = &raw_ids[i].0 {
                    activity.id = id.clone();
                }
                continue;
            }
            while taken.contains(&next.to_string()) {
                next += 1;
            }
            activity.id = next.to_string();
            taken.insert(activity.id.clone());
        }
    }

    fn activity(&mut self, tag: &Tag) -> Result<(Activity, Option<String>)> {
        self.check_attrs(tag, &["id", "name", "andSplit", "andJoin"]);
        let mut activity = Activity {
            name: self.required(tag, "name")?,
            and_split: self.flag(tag, "andSplit", false),
            and_join: self.flag(tag, "andJoin", false),
            ..Activity::default()
        };
        let raw_id = tag.attr("id").map(|s| s.trim().to_string());
        self.children(tag, |me, child| {
            match child.name.as_str() {
                "Comments" => activity.comment = me.prose(&child)?,
                "Variable" => activity.variables.push(me.variable(&child)?),
                "Action" => activity.actions.push(me.action(&child, false)?),
                "ManualAction" => activity.actions.push(me.action(&child, true)?),
                "Transition" => activity.transitions.push(me.transition(&child)?),
                "WorkflowEditor" | "Position" => {
                    let x = me.int(&child, "x")?;
                    let y = me.int(&child, "y")?;
                    if let (Some(x), Some(y)) = (x, y) {
                        let fit = |n: i64| i32::try_from(n).ok();
                        match (fit(x), fit(y)) {
                            (Some(x), Some(y)) => activity.position = Some(Position { x, y }),
                            _ => me.warn(child.offset, "editor position out of range; ignored"),
                        }
                    }
                    me.skip()?;
                }
                _ => me.skip_with_warning(&child, "Activity", "not supported by bpe")?,
            }
            Ok(())
        })?;
        Ok((activity, raw_id))
    }

    fn transition(&mut self, tag: &Tag) -> Result<Transition> {
        self.check_attrs(tag, &["to", "bpeSource"]);
        let to = self.required(tag, "to")?;
        let mut comment = String::new();
        let mut exprs = Vec::new();
        self.children(tag, |me, child| {
            match child.name.as_str() {
                "Comments" => comment = me.prose(&child)?,
                "WorkflowEditor" => me.skip()?,
                _ => exprs.push(me.xpress(child)?),
            }
            Ok(())
        })?;
        let condition = self.slot(tag, None, exprs, Several::Error)?;
        Ok(Transition {
            to,
            condition,
            comment,
        })
    }

    fn variable(&mut self, tag: &Tag) -> Result<Variable> {
        self.check_attrs(
            tag,
            &[
                "name",
                "value",
                "input",
                "output",
                "external",
                "transient",
                "bpeSource",
            ],
        );
        let name = self.required(tag, "name")?;
        let mut comment = String::new();
        let mut exprs = Vec::new();
        self.children(tag, |me, child| {
            match child.name.as_str() {
                "Comments" => comment = me.prose(&child)?,
                _ => exprs.push(me.xpress(child)?),
            }
            Ok(())
        })?;
        let value = self.slot(tag, tag.attr("value"), exprs, Several::Error)?;
        Ok(Variable {
            name,
            value,
            input: self.flag(tag, "input", false),
            output: self.flag(tag, "output", false),
            external: self.flag(tag, "external", false),
            transient: self.flag(tag, "transient", false),
            comment,
        })
    }

    /// `<Argument name= value=>` / `<Arg>` / `<Owner name=>`: one expression, from the
    /// value attribute or an XPRESS child.
    fn value_element(&mut self, tag: &Tag, value_attr: &str, known: &[&str]) -> Result<ExprText> {
        self.check_attrs(tag, known);
        let mut exprs = Vec::new();
        self.children(tag, |me, child| {
            exprs.push(me.xpress(child)?);
            Ok(())
        })?;
        Ok(self
            .slot(tag, tag.attr(value_attr), exprs, Several::Error)?
            .unwrap_or_else(|| "null".to_string()))
    }

    fn action(&mut self, tag: &Tag, manual: bool) -> Result<Action> {
        if manual {
            self.check_attrs(tag, &["id", "name", "timeout", "itemType", "description"]);
        } else {
            self.check_attrs(tag, &["id", "name", "application", "class", "process"]);
        }
        let mut action = Action {
            name: tag.attr("name").unwrap_or("").to_string(),
            condition: None,
            variables: Vec::new(),
            returns: Vec::new(),
            comment: String::new(),
            kind: ActionKind::default(),
        };
        let mut arguments: Vec<(Argument, usize)> = Vec::new();
        let mut expressions: Option<(Vec<Expr>, Tag)> = None;
        let mut command: Option<CommandAction> = None;
        let mut manual_action = ManualAction {
            description: tag.attr("description").unwrap_or("").to_string(),
            timeout: self.int(tag, "timeout")?.unwrap_or(0),
            item_type: match tag.attr("itemType") {
                None | Some("approval") => WorkItemType::Approval,
                Some("wizard") => WorkItemType::Interaction,
                Some(other) => WorkItemType::Custom(other.to_string()),
            },
            ..ManualAction::default()
        };
        let element = tag.name.clone();
        let mut unsupported: Option<String> = None;
        let mut verbatim: Option<(String, String)> = None;
        self.children(tag, |me, child| {
            match (child.name.as_str(), manual) {
                ("Comments", _) => action.comment = me.prose(&child)?,
                ("Condition", _) => {
                    me.check_attrs(&child, &["bpeSource"]);
                    let mut exprs = Vec::new();
                    me.children(&child, |me, c| {
                        exprs.push(me.xpress(c)?);
                        Ok(())
                    })?;
                    action.condition = me.slot(&child, None, exprs, Several::Error)?;
                    if action.condition.is_none() {
                        return Err(me.err(child.offset, "<Condition> holds no expression"));
                    }
                }
                ("Variable", _) => action.variables.push(me.variable(&child)?),
                ("Return", _) => {
                    me.check_attrs(&child, &["from", "to"]);
                    let from = me.required(&child, "from")?;
                    let to = me.required(&child, "to")?;
                    me.skip()?;
                    action.returns.push(Return { from, to });
                }
                ("WorkflowEditor", _) => me.skip()?,
                ("Argument", false) => {
                    let name = me.required(&child, "name")?;
                    let value =
                        me.value_element(&child, "value", &["name", "value", "bpeSource"])?;
                    arguments.push((Argument { name, value }, child.offset));
                }
                ("expression", false) => {
                    if expressions.is_some() {
                        return Err(me.err(child.offset, "a second <expression> in one action"));
                    }
                    me.check_attrs(&child, &["bpeSource"]);
                    let mut exprs = Vec::new();
                    me.children(&child, |me, c| {
                        exprs.push(me.xpress(c)?);
                        Ok(())
                    })?;
                    expressions = Some((exprs, child));
                }
                ("Command", false) => {
                    if command.is_some() {
                        return Err(me.err(child.offset, "a second <Command> in one action"));
                    }
                    command = Some(me.command(&child)?);
                }
                ("Owner", true) => {
                    let owner = me.value_element(&child, "name", &["name", "bpeSource"])?;
                    manual_action.owners.push(owner);
                }
                ("Request", true) => {
                    me.check_attrs(&child, &["bpeSource"]);
                    let mut exprs = Vec::new();
                    me.children(&child, |me, c| {
                        exprs.push(me.xpress(c)?);
                        Ok(())
                    })?;
                    manual_action.request = me.slot(&child, None, exprs, Several::Error)?;
                }
                ("Description", true) => manual_action.description = me.prose(&child)?,
                ("ExposedVariables", true) => {
                    manual_action.exposed_variables = me.name_list(&child)?
                }
                ("EditableVariables", true) => {
                    manual_action.editable_variables = me.name_list(&child)?
                }
                ("FormRef" | "Form" | "ReportTitle" | "ObjectRef", true) => me.skip_with_warning(
                    &child,
                    "ManualAction",
                    "bpe work items have no forms; the owner edits the editable variables",
                )?,
                ("bpeUnsupported", _) => {
                    let reason = child.attr("reason").unwrap_or("").to_string();
                    verbatim = Some((reason, me.text(&child)?));
                }
                (other, _) => {
                    if unsupported.is_none() {
                        unsupported = Some(if other.eq_ignore_ascii_case("script") {
                            format!("<{other}> (an embedded script) inside <{element}> is not executed by bpe")
                        } else {
                            format!("<{other}> inside <{element}> is not something bpe executes")
                        });
                    }
                    me.skip()?;
                }
            }
            Ok(())
        })?;

        let application = tag.attr("application").or(tag.attr("class"));
        if let Some(app) = application
            && !manual
            && !app.ends_with("WorkflowServices")
            && unsupported.is_none()
        {
            unsupported = Some(format!(
                "application '{app}' is a Java class bpe does not run (bpe runs WorkflowServices ops)"
            ));
        }
        // Export's fallback for verbatim XML that is not one well-formed element.
        let kept = match (verbatim, unsupported) {
            (Some((reason, xml)), _) => Some((reason, xml)),
            (None, Some(reason)) => {
                let xml = self.cur.slice(tag.offset, self.cur.position()).to_string();
                self.warn(
                    tag.offset,
                    format!("{reason}; the action is kept verbatim and fails if it runs"),
                );
                Some((reason, xml))
            }
            (None, None) => None,
        };
        if let Some((reason, xml)) = kept {
            return Ok(Action {
                name: action.name,
                condition: None,
                variables: Vec::new(),
                returns: Vec::new(),
                comment: String::new(),
                kind: ActionKind::Unsupported { reason, xml },
            });
        }

        if manual {
            action.kind = ActionKind::Manual(manual_action);
            return Ok(action);
        }

        let process = tag.attr("process").map(str::to_string);
        let application = application.map(str::to_string);
        let kinds = [
            process.is_some(),
            application.is_some(),
            expressions.is_some(),
            command.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if kinds > 1 {
            return Err(self.err(
                tag.offset,
                "an <Action> may hold only one of process=, application=/class=, <expression> and <Command>",
            ));
        }
        let no_arguments =
            |me: &Self, what: &str, arguments: &[(Argument, usize)]| match arguments.first() {
                Some((_, offset)) => {
                    Err(me.err(*offset, format!("<Argument> is not allowed in {what}")))
                }
                None => Ok(()),
            };
        action.kind = if let Some(process) = process {
            ActionKind::Subprocess {
                process,
                arguments: arguments.into_iter().map(|(a, _)| a).collect(),
            }
        } else if application.is_some() {
            let mut op = None;
            let mut rest = Vec::new();
            for (arg, offset) in arguments {
                if arg.name == "op" && op.is_none() {
                    match expr::parse(&arg.value) {
                        Ok(Expr::Str(s)) => op = Some(s),
                        _ => {
                            return Err(self.err(
                                offset,
                                "the op argument must be a literal (value='opName')",
                            ));
                        }
                    }
                } else {
                    rest.push(arg);
                }
            }
            let Some(op) = op else {
                return Err(self.err(
                    tag.offset,
                    "a WorkflowServices action needs <Argument name='op' value='...'/>",
                ));
            };
            if crate::services::ops::find(&op).is_none() {
                self.warn(
                    tag.offset,
                    format!("service op '{op}' is not one bpe provides (it fails at run time with \"Unknown WorkflowServices op\")"),
                );
            }
            ActionKind::Service {
                op,
                arguments: rest,
            }
        } else if let Some((exprs, etag)) = expressions {
            no_arguments(self, "an expression action", &arguments)?;
            let expression = self
                .slot(&etag, None, exprs, Several::Block)?
                .unwrap_or_else(|| "null".to_string());
            ActionKind::Expression { expression }
        } else if let Some(command) = command {
            no_arguments(self, "a command action", &arguments)?;
            ActionKind::Command(command)
        } else {
            no_arguments(
                self,
                "an action without application= or process=",
                &arguments,
            )?;
            self.warn(
                tag.offset,
                "action has no expression, application, process or command; imported as the expression null",
            );
            ActionKind::Expression {
                expression: "null".to_string(),
            }
        };
        Ok(action)
    }

    fn command(&mut self, tag: &Tag) -> Result<CommandAction> {
        self.check_attrs(tag, &["timeout", "outputCap", "exitCodeTo", "outputTo"]);
        let mut argv = Vec::new();
        self.children(tag, |me, child| {
            if child.name == "Arg" {
                argv.push(me.value_element(&child, "value", &["value", "bpeSource"])?);
                Ok(())
            } else {
                Err(me.err(
                    child.offset,
                    format!(
                        "<{}> is not supported inside <Command> (use <Arg>)",
                        child.name
                    ),
                ))
            }
        })?;
        Ok(CommandAction {
            argv,
            timeout: self.int(tag, "timeout")?.unwrap_or(30),
            output_cap: self.int(tag, "outputCap")?.unwrap_or(65536),
            exit_code_to: tag.attr("exitCodeTo").map(str::to_string),
            output_to: tag.attr("outputTo").map(str::to_string),
        })
    }

    /// `<ExposedVariables><List><String>a</String>...</List></ExposedVariables>`.
    fn name_list(&mut self, tag: &Tag) -> Result<Vec<String>> {
        let mut names = Vec::new();
        fn strings(me: &mut Importer<'_>, parent: &Tag, names: &mut Vec<String>) -> Result<()> {
            me.children(parent, |me, child| match child.name.as_str() {
                "String" => {
                    let s = me.text(&child)?.trim().to_string();
                    names.push(s);
                    Ok(())
                }
                "List" => strings(me, &child, names),
                other => Err(me.err(
                    child.offset,
                    format!(
                        "<{other}> in <{}>: expected <List><String>name</String>...</List>",
                        parent.name
                    ),
                )),
            })
        }
        strings(self, tag, &mut names)?;
        Ok(names)
    }

    fn rule(&mut self, tag: &Tag) -> Result<Rule> {
        self.check_attrs(tag, &["name", "id", "localScope", "bpeSource"]);
        let name = self.required(tag, "name")?;
        let id = self.object_id(tag, "rule");
        let local_scope = self.flag(tag, "localScope", false);
        let mut description = String::new();
        let mut comments = None;
        let mut arguments = Vec::new();
        let mut exprs = Vec::new();
        self.children(tag, |me, child| {
            match child.name.as_str() {
                "Description" => description = me.prose(&child)?,
                "Comments" => comments = Some(me.prose(&child)?),
                "RuleArgument" => {
                    me.check_attrs(&child, &["name", "value", "locked", "bpeSource"]);
                    let locked = me.flag(&child, "locked", false);
                    let name = me.required(&child, "name")?;
                    let mut comment = String::new();
                    let mut exprs = Vec::new();
                    me.children(&child, |me, c| {
                        if c.name == "Comments" {
                            comment = me.prose(&c)?;
                        } else {
                            exprs.push(me.xpress(c)?);
                        }
                        Ok(())
                    })?;
                    let value = me.slot(&child, child.attr("value"), exprs, Several::Error)?;
                    arguments.push(RuleArgument {
                        name,
                        value,
                        comment,
                        locked,
                    });
                }
                n if BOOKKEEPING_ELEMENTS.contains(&n) => me.skip()?,
                _ => exprs.push(me.xpress(child)?),
            }
            Ok(())
        })?;
        if description.is_empty() {
            description = comments.unwrap_or_default();
        }
        let body = match self.slot(tag, None, exprs, Several::Error)? {
            Some(b) => b,
            None => {
                self.warn(
                    tag.offset,
                    format!("rule '{name}' has no body; imported as null"),
                );
                "null".to_string()
            }
        };
        Ok(Rule {
            format_version: FORMAT_VERSION,
            id,
            name,
            description,
            arguments,
            local_scope,
            body,
        })
    }

    fn email_template(&mut self, tag: &Tag, wrapper: Option<&Tag>) -> Result<EmailTemplate> {
        self.check_attrs(
            tag,
            &["name", "id", "fromAddress", "toAddress", "ccAddress"],
        );
        let name = match (tag.attr("name"), wrapper) {
            (Some(n), _) if !n.trim().is_empty() => n.to_string(),
            (_, Some(w)) => self.required(w, "name")?,
            _ => self.required(tag, "name")?,
        };
        let id = match (tag.attr("id"), wrapper) {
            (None, Some(w)) => self.object_id(w, "et"),
            _ => self.object_id(tag, "et"),
        };
        let mut t = EmailTemplate {
            format_version: FORMAT_VERSION,
            id,
            name,
            description: String::new(),
            from: tag.attr("fromAddress").unwrap_or("").to_string(),
            to: tag.attr("toAddress").unwrap_or("").to_string(),
            cc: tag.attr("ccAddress").unwrap_or("").to_string(),
            subject: String::new(),
            body: String::new(),
        };
        self.children(tag, |me, child| {
            match child.name.as_str() {
                "subject" | "Subject" => t.subject = me.text(&child)?,
                "body" | "Body" => t.body = me.text(&child)?,
                "Description" | "Comments" => t.description = me.prose(&child)?,
                _ => me.skip_with_warning(&child, "EmailTemplate", "not supported by bpe")?,
            }
            Ok(())
        })?;
        Ok(t)
    }
}
