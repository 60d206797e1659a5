//! Action elements (automatic, manual, subprocess, command, notify) -> bpe actions.

use crate::expr::{self, Expr};
use crate::model::{
    Action, ActionKind, Argument, CommandAction, ManualAction, Return, WorkItemType,
};

use super::super::xml::Tag;

use super::{Importer, Result, Several};

impl Importer<'_> {
    pub(super) fn action(&mut self, tag: &Tag, manual: bool) -> Result<Action> {
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

    pub(super) fn command(&mut self, tag: &Tag) -> Result<CommandAction> {
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
    pub(super) fn name_list(&mut self, tag: &Tag) -> Result<Vec<String>> {
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
}
