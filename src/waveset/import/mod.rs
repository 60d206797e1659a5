//! Waveset XML -> bpe model objects. A recursive descent over [`Cursor`] items:
//! each function consumes exactly one element, up to and including its end tag.
//!
//! This file holds the importer's state, the generic element helpers and the document
//! and object dispatch; the elements themselves live by family: `definition` (TaskDefinition,
//! Process, Activity, Transition, Variable), `action` (every Action form), `objects`
//! (Rule, rule libraries, EmailTemplate) and `xpress` (XPRESS and XML Object Language).

use crate::model::{ExecMode, FORMAT_VERSION, TaskDefinition, new_id, slug};

use super::xml::{Cursor, Item, LineCursor, Tag};
use super::{ImportError, Imported, MAX_INPUT_BYTES, Warning, export::BPE_EXECUTOR};

type Result<T> = std::result::Result<T, ImportError>;

mod action;
mod definition;
mod objects;
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
}
