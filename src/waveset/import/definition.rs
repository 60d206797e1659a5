//! TaskDefinition, Process, Activity, Transition and Variable elements -> the bpe model.

use crate::model::{
    Activity, ExecMode, ExprText, FORMAT_VERSION, Position, Process, TaskDefinition, Transition,
    Variable,
};

use super::super::xml::Tag;
use super::super::{WAVESET_EXECUTOR, export::BPE_EXECUTOR};

use super::{BOOKKEEPING_ELEMENTS, Importer, Result, Several};

impl Importer<'_> {
    pub(super) fn task_definition(&mut self, tag: &Tag) -> Result<TaskDefinition> {
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

    pub(super) fn process(&mut self, tag: &Tag) -> Result<Process> {
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
    pub(super) fn assign_activity_ids(
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

    pub(super) fn activity(&mut self, tag: &Tag) -> Result<(Activity, Option<String>)> {
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

    pub(super) fn transition(&mut self, tag: &Tag) -> Result<Transition> {
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

    pub(super) fn variable(&mut self, tag: &Tag) -> Result<Variable> {
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
    pub(super) fn value_element(
        &mut self,
        tag: &Tag,
        value_attr: &str,
        known: &[&str],
    ) -> Result<ExprText> {
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
}
