//! Rules, rule libraries (Configuration objects with a Library) and email templates.

use crate::model::{EmailTemplate, FORMAT_VERSION, Rule, RuleArgument, RuleLibrary};

use super::super::xml::Tag;

use super::{BOOKKEEPING_ELEMENTS, Importer, Result, Several};

impl Importer<'_> {
    /// `<Configuration name= wstype='Library'><Extension><Library><Rule>…` (the
    /// rule library form of "Invoking Rules in a Library", Sun IdM 8.1 Deployment
    /// Reference). None, with a warning, for a Configuration holding no Library.
    pub(super) fn library(&mut self, tag: &Tag) -> Result<Option<RuleLibrary>> {
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

    pub(super) fn rule(&mut self, tag: &Tag) -> Result<Rule> {
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

    pub(super) fn email_template(
        &mut self,
        tag: &Tag,
        wrapper: Option<&Tag>,
    ) -> Result<EmailTemplate> {
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
