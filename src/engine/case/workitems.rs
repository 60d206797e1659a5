//! Work items: creating them for a manual action, completing, timing out and
//! forwarding them.

use chrono::{DateTime, Utc};

use super::{Case, EngineError, Event, Outcome, Runtime, now_text, visible};
use crate::engine::compile::CManual;
use crate::engine::limits::check_storable;
use crate::engine::state::{PendingItem, Phase};
use crate::expr::{self, Env, Value};
use crate::model::{FORMAT_VERSION, HistoryKind, InstanceStatus, WorkItem, new_id};

impl Case {
    pub(super) fn create_work_items(
        &mut self,
        fi: usize,
        ti: usize,
        index: usize,
        m: &CManual,
        rt: &mut Runtime<'_>,
    ) -> Result<(), String> {
        let mut owners = Vec::new();
        for o in &m.owners {
            let v = expr::eval(o, &mut self.env(fi, ti, &*rt.catalog))
                .map_err(|e| format!("owner: {e}"))?;
            match v {
                Value::List(l) => owners.extend(l.iter().map(Value::to_text)),
                Value::Null => {}
                other => owners.push(other.to_text()),
            }
        }
        owners.retain(|o| !o.trim().is_empty());
        if owners.is_empty() {
            return Err("manual action has no owner (the owner expressions gave nothing)".into());
        }
        let request = match &m.request {
            Some(e) => expr::eval(e, &mut self.env(fi, ti, &*rt.catalog))
                .map_err(|e| format!("request: {e}"))?
                .to_text(),
            None => String::new(),
        };
        let mut vars = visible(&self.state.frames, fi, Some(ti));
        if !m.exposed.is_empty() {
            vars.retain(|k, _| m.exposed.contains(k));
            for name in &m.exposed {
                vars.entry(name.clone()).or_insert(Value::Null);
            }
        }
        vars.retain(|k, _| !k.starts_with("WF_"));
        let transient = crate::engine::transient::names(&self.frame_def(fi).definition);
        self.secrets.learn(&transient, &self.state.frames[fi].vars);
        self.secrets.clear_vars(&transient, &mut vars);
        let now = Utc::now();
        let created = now_text(now);
        let timeout_at = (m.timeout_minutes > 0)
            .then(|| now_text(now + chrono::Duration::minutes(m.timeout_minutes)));
        let c = self.frame_def(fi);
        let ai = self.state.frames[fi].tokens[ti].activity;
        let act = &c.activities[ai];
        let mut pending = Vec::new();
        for owner in owners {
            let item = WorkItem {
                format_version: FORMAT_VERSION,
                id: new_id("wi"),
                instance: self.instance.id.clone(),
                definition: c.dref.clone(),
                activity: act.name.clone(),
                activity_id: act.id.clone(),
                action: index,
                owner: owner.clone(),
                item_type: m.item_type.clone(),
                request: request.clone(),
                description: m.description.clone(),
                created: created.clone(),
                timeout_at: timeout_at.clone(),
                variables: vars.clone(),
                editable_variables: m.editable.clone(),
                complete: false,
                decision: None,
                comment: String::new(),
                completed: None,
                forwarded: Vec::new(),
            };
            self.record(HistoryKind::WorkItemCreated {
                work_item: item.id.clone(),
                owner: owner.clone(),
            });
            pending.push(PendingItem {
                id: item.id.clone(),
                owner,
            });
            self.outbox.created.push(item);
        }
        self.state.frames[fi].tokens[ti].phase = Phase::Waiting {
            index,
            items: pending,
            timeout_at,
        };
        Ok(())
    }

    // ---------------------------------------------------------------- work items

    pub(super) fn find_item(&self, id: &str) -> Option<(usize, usize)> {
        for (fi, f) in self.state.frames.iter().enumerate() {
            for (ti, t) in f.tokens.iter().enumerate() {
                if let Phase::Waiting { items, .. } = &t.phase
                    && items.iter().any(|i| i.id == id)
                {
                    return Some((fi, ti));
                }
            }
        }
        None
    }

    /// Ids of the work items the case waits on.
    pub fn pending_items(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.state.frames {
            for t in &f.tokens {
                if let Phase::Waiting { items, .. } = &t.phase {
                    out.extend(items.iter().map(|i| i.id.clone()));
                }
            }
        }
        out
    }

    /// Apply a completed work item: copy back its editable variables (every exposed
    /// one when none are listed), set the case variables `decision` and `comment`,
    /// record the completion, and when no other item of the action is pending,
    /// finish the manual action (its result is the decision) and resume the case.
    pub fn complete_work_item(
        &mut self,
        item: &WorkItem,
        rt: &mut Runtime<'_>,
    ) -> Result<Vec<Event>, EngineError> {
        let (fi, ti) = self.find_item(&item.id).ok_or_else(|| {
            EngineError::new(format!(
                "instance {} is not waiting for work item {}",
                self.instance.id, item.id
            ))
        })?;
        let allowed: Vec<&String> = if item.editable_variables.is_empty() {
            item.variables.keys().collect()
        } else {
            item.editable_variables.iter().collect()
        };
        for name in &allowed {
            if let Some(v) = item.variables.get(*name) {
                check_storable(v).map_err(|why| {
                    EngineError::new(format!("work item {}: variable '{name}': {why}", item.id))
                })?;
            }
        }
        for name in allowed {
            if let Some(v) = item.variables.get(name) {
                self.env(fi, ti, &*rt.catalog).set_var(name, v.clone());
            }
        }
        let decision = item.decision.clone();
        let vars = &mut self.state.frames[fi].vars;
        vars.insert(
            "decision".into(),
            decision.clone().map(Value::Str).unwrap_or(Value::Null),
        );
        vars.insert("comment".into(), Value::Str(item.comment.clone()));
        self.record(HistoryKind::WorkItemCompleted {
            work_item: item.id.clone(),
            owner: item.owner.clone(),
            decision: decision.clone(),
            comment: item.comment.clone(),
            timed_out: false,
        });
        let mut ev = Vec::new();
        let done = {
            let t = &mut self.state.frames[fi].tokens[ti];
            match &mut t.phase {
                Phase::Waiting { index, items, .. } => {
                    items.retain(|i| i.id != item.id);
                    items.is_empty().then_some(*index)
                }
                _ => None,
            }
        };
        if let Some(index) = done {
            let o = Outcome::ok(decision.map(Value::Str).unwrap_or(Value::Null));
            self.complete_action(fi, ti, index, o, rt, &mut ev);
        }
        self.wake(&mut ev);
        self.flush_trace(&mut ev);
        Ok(ev)
    }

    /// Time out every waiting manual action whose deadline is at or before `now`:
    /// the action completes with `WF_ACTION_TIMEOUT` = 1 and the transitions decide.
    /// Returns the ids of the items that timed out.
    pub fn expire_due(
        &mut self,
        now: DateTime<Utc>,
        rt: &mut Runtime<'_>,
    ) -> (Vec<String>, Vec<Event>) {
        let mut expired = Vec::new();
        let mut ev = Vec::new();
        loop {
            let mut due = None;
            'outer: for (fi, f) in self.state.frames.iter().enumerate() {
                for (ti, t) in f.tokens.iter().enumerate() {
                    if let Phase::Waiting {
                        timeout_at: Some(at),
                        ..
                    } = &t.phase
                        && DateTime::parse_from_rfc3339(at)
                            .map(|d| d.with_timezone(&Utc) <= now)
                            .unwrap_or(false)
                    {
                        due = Some((fi, ti));
                        break 'outer;
                    }
                }
            }
            let Some((fi, ti)) = due else { break };
            let (index, items) = match &self.state.frames[fi].tokens[ti].phase {
                Phase::Waiting { index, items, .. } => (*index, items.clone()),
                _ => break,
            };
            for i in &items {
                self.record(HistoryKind::WorkItemCompleted {
                    work_item: i.id.clone(),
                    owner: i.owner.clone(),
                    decision: None,
                    comment: String::new(),
                    timed_out: true,
                });
                expired.push(i.id.clone());
            }
            let o = Outcome {
                timed_out: true,
                ..Outcome::ok(Value::Null)
            };
            self.complete_action(fi, ti, index, o, rt, &mut ev);
        }
        if !expired.is_empty() {
            self.wake(&mut ev);
        }
        self.flush_trace(&mut ev);
        (expired, ev)
    }

    /// Record that a pending work item now belongs to `to`.
    pub fn forward_work_item(
        &mut self,
        id: &str,
        to: &str,
        comment: &str,
    ) -> Result<(), EngineError> {
        let (fi, ti) = self.find_item(id).ok_or_else(|| {
            EngineError::new(format!(
                "instance {} is not waiting for work item {id}",
                self.instance.id
            ))
        })?;
        let mut from = String::new();
        if let Phase::Waiting { items, .. } = &mut self.state.frames[fi].tokens[ti].phase {
            for i in items.iter_mut().filter(|i| i.id == id) {
                from = std::mem::replace(&mut i.owner, to.to_string());
            }
        }
        self.record(HistoryKind::WorkItemForwarded {
            work_item: id.to_string(),
            from,
            to: to.to_string(),
            comment: comment.to_string(),
        });
        self.sync_instance();
        Ok(())
    }

    pub(super) fn wake(&mut self, ev: &mut Vec<Event>) {
        if self.instance.status == InstanceStatus::Suspended {
            self.instance.status = InstanceStatus::Running;
            self.record(HistoryKind::Resumed {});
            self.emit(ev, Event::Resumed);
        }
    }
}
