//! Structural checks of a TaskDefinition, and the walk that hands every
//! expression to `exprs` with the variables in scope there.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use super::exprs::{self, Scope};
use super::{Lint, RepoContext, Sink, Target};
use crate::model::{Action, ActionKind, Rule, TaskDefinition, Variable};
use crate::services::ops;

/// E014 when `name` holds a control character (or a bidirectional override).
pub(crate) fn check_name(name: &str, pointer: &str, target: Target, out: &mut Sink) {
    if let Some((at, c)) = crate::model::name_problem(name) {
        out.at(
            Lint::UnsafeName,
            pointer.to_string(),
            target,
            format!(
                "name \"{}\" contains {} at character {}; names may not contain control characters",
                crate::repo::bound_message(&crate::model::escape_name(name)),
                crate::model::describe_char(c),
                name[..at].chars().count() + 1
            ),
        );
    }
}

pub(crate) fn check(def: &TaskDefinition, ctx: &RepoContext, out: &mut Sink) {
    let process = &def.process;
    let acts = &process.activities;
    let act_ptr = |i: usize| format!("/process/activities/{i}");

    // Start and end.
    let starts: Vec<usize> = (0..acts.len()).filter(|&i| acts[i].is_start()).collect();
    let ends: Vec<usize> = (0..acts.len()).filter(|&i| acts[i].is_end()).collect();
    if starts.is_empty() {
        out.at(
            Lint::NoStart,
            "/process/activities".into(),
            Target::Definition,
            "no start activity (an activity named \"start\")".into(),
        );
    }
    for &i in starts.iter().skip(1) {
        out.at(
            Lint::MultipleStarts,
            format!("{}/name", act_ptr(i)),
            Target::Activity { activity: i },
            format!("more than one start activity ({} in all)", starts.len()),
        );
    }
    if ends.is_empty() {
        out.at(
            Lint::NoEnd,
            "/process/activities".into(),
            Target::Definition,
            "no end activity (an activity named \"end\")".into(),
        );
    }
    for &i in starts.iter().chain(&ends) {
        if !acts[i].actions.is_empty() {
            out.at(
                Lint::ActionsInStartOrEnd,
                format!("{}/actions", act_ptr(i)),
                Target::Activity { activity: i },
                format!(
                    "\"{}\" has {} action(s); start and end carry none (move them to an activity before)",
                    acts[i].name,
                    acts[i].actions.len()
                ),
            );
        }
    }

    // Names that would reach a terminal.
    for (i, a) in acts.iter().enumerate() {
        check_name(
            &a.name,
            &format!("{}/name", act_ptr(i)),
            Target::Activity { activity: i },
            out,
        );
    }

    // Duplicates.
    let mut seen_ids: HashMap<&str, usize> = HashMap::new();
    let mut seen_names: HashMap<&str, usize> = HashMap::new();
    for (i, a) in acts.iter().enumerate() {
        if let Some(&first) = seen_ids.get(a.id.as_str()) {
            out.at(
                Lint::DuplicateActivityId,
                format!("{}/id", act_ptr(i)),
                Target::Activity { activity: i },
                format!(
                    "duplicate activity id \"{}\" (also activity \"{}\")",
                    a.id, acts[first].name
                ),
            );
        } else {
            seen_ids.insert(&a.id, i);
        }
        if let Some(&first) = seen_names.get(a.name.as_str()) {
            out.at(
                Lint::DuplicateActivityName,
                format!("{}/name", act_ptr(i)),
                Target::Activity { activity: i },
                format!(
                    "duplicate activity name \"{}\" (first at activity {})",
                    a.name, first
                ),
            );
        } else {
            seen_names.insert(&a.name, i);
        }
    }

    // Transitions.
    for (i, a) in acts.iter().enumerate() {
        for (t, tr) in a.transitions.iter().enumerate() {
            if !seen_names.contains_key(tr.to.as_str()) {
                let hint = closest(&tr.to, acts.iter().map(|a| a.name.as_str()))
                    .map(|c| format!(" (did you mean \"{c}\"?)"))
                    .unwrap_or_default();
                out.at(
                    Lint::UnknownTarget,
                    format!("{}/transitions/{t}/to", act_ptr(i)),
                    Target::Transition {
                        activity: i,
                        transition: t,
                    },
                    format!("transition to unknown activity \"{}\"{hint}", tr.to),
                );
            }
        }
        if !a.is_end() && a.transitions.is_empty() {
            out.at(
                Lint::DeadEnd,
                format!("{}/name", act_ptr(i)),
                Target::Activity { activity: i },
                format!(
                    "\"{}\" has no transition and is not end: a case reaching it fails",
                    a.name
                ),
            );
        }
        if !a.is_end() && !a.and_split {
            let unconditional = a
                .transitions
                .iter()
                .position(|t| t.condition.as_deref().is_none_or(|c| c.trim().is_empty()));
            match unconditional {
                None if !a.transitions.is_empty() => {
                    let last = a.transitions.len() - 1;
                    out.at(
                        Lint::NoDefaultTransition,
                        format!("{}/transitions/{last}", act_ptr(i)),
                        Target::Transition {
                            activity: i,
                            transition: last,
                        },
                        format!(
                            "every transition of \"{}\" has a condition: when none holds the case fails (add an unconditional last transition)",
                            a.name
                        ),
                    );
                }
                Some(u) if u + 1 < a.transitions.len() => {
                    out.at(
                        Lint::UnreachableTransition,
                        format!("{}/transitions/{}", act_ptr(i), u + 1),
                        Target::Transition {
                            activity: i,
                            transition: u + 1,
                        },
                        format!(
                            "transition to \"{}\" is never taken: transition {} before it has no condition",
                            a.transitions[u + 1].to,
                            u
                        ),
                    );
                }
                _ => {}
            }
        }
    }

    // Reachability from the first start.
    if let Some(&start) = starts.first() {
        let mut reached = vec![false; acts.len()];
        let mut queue = VecDeque::from([start]);
        reached[start] = true;
        while let Some(i) = queue.pop_front() {
            for tr in &acts[i].transitions {
                if let Some(&j) = seen_names.get(tr.to.as_str())
                    && !reached[j]
                {
                    reached[j] = true;
                    queue.push_back(j);
                }
            }
        }
        for (i, a) in acts.iter().enumerate() {
            // A duplicate name cannot be targeted; E007 already covers it.
            if !reached[i] && seen_names.get(a.name.as_str()) == Some(&i) {
                out.at(
                    Lint::Unreachable,
                    format!("{}/name", act_ptr(i)),
                    Target::Activity { activity: i },
                    format!("\"{}\" cannot be reached from start", a.name),
                );
            }
        }
    }

    // Limits.
    let mut negative = |value: i64, pointer: String, target: Target, what: &str| {
        if value < 0 {
            out.at(
                Lint::NegativeLimit,
                pointer,
                target,
                format!("{what} is negative ({value})"),
            );
        }
    };
    negative(
        process.max_steps,
        "/process/maxSteps".into(),
        Target::Definition,
        "maxSteps",
    );
    negative(
        def.execution_limit,
        "/executionLimit".into(),
        Target::Definition,
        "executionLimit",
    );
    negative(
        def.progress_interval,
        "/progressInterval".into(),
        Target::Definition,
        "progressInterval",
    );
    for (i, a) in acts.iter().enumerate() {
        for (j, action) in a.actions.iter().enumerate() {
            let ptr = format!("{}/actions/{j}", act_ptr(i));
            let target = Target::Action {
                activity: i,
                action: j,
            };
            match &action.kind {
                ActionKind::Manual(m) => {
                    negative(m.timeout, format!("{ptr}/timeout"), target, "timeout")
                }
                ActionKind::Command(c) => {
                    negative(c.timeout, format!("{ptr}/timeout"), target, "timeout");
                    negative(
                        c.output_cap,
                        format!("{ptr}/outputCap"),
                        target,
                        "outputCap",
                    );
                }
                _ => {}
            }
        }
    }

    // Actions.
    for (i, a) in acts.iter().enumerate() {
        for (j, action) in a.actions.iter().enumerate() {
            check_action(def, ctx, i, j, action, out);
        }
    }

    check_expressions(def, ctx, out);
}

fn check_action(
    def: &TaskDefinition,
    ctx: &RepoContext,
    i: usize,
    j: usize,
    action: &Action,
    out: &mut Sink,
) {
    let ptr = format!("/process/activities/{i}/actions/{j}");
    let target = Target::Action {
        activity: i,
        action: j,
    };
    match &action.kind {
        ActionKind::Service { op, arguments } => match ops::find(op) {
            None => {
                let hint = closest(op, ops::OPS.iter().map(|o| o.name))
                    .map(|c| format!(" (did you mean \"{c}\"?)"))
                    .unwrap_or_default();
                out.at(
                    Lint::UnknownServiceOp,
                    format!("{ptr}/op"),
                    target,
                    format!("unknown service op \"{op}\"{hint}"),
                );
            }
            Some(spec) => {
                for required in spec.required {
                    if !arguments.iter().any(|a| a.name == *required) {
                        out.at(
                            Lint::MissingServiceArgument,
                            format!("{ptr}/op"),
                            target,
                            format!("service op \"{op}\" is missing argument \"{required}\""),
                        );
                    }
                }
                if !spec.open {
                    for (k, arg) in arguments.iter().enumerate() {
                        let name = arg.name.as_str();
                        if spec.required.contains(&name) || spec.optional.contains(&name) {
                            continue;
                        }
                        let known = spec.required.iter().chain(spec.optional.iter()).copied();
                        let hint = closest(name, known)
                            .map(|c| format!(" (did you mean \"{c}\"?)"))
                            .unwrap_or_default();
                        out.at(
                            Lint::UnknownServiceArgument,
                            format!("{ptr}/arguments/{k}/name"),
                            target,
                            format!("service op \"{op}\" takes no argument \"{name}\"{hint}"),
                        );
                    }
                }
                if spec.name == "notify"
                    && let Some((k, arg)) = arguments
                        .iter()
                        .enumerate()
                        .find(|(_, a)| a.name == "template")
                    && let Ok(crate::expr::Expr::Str(name)) = crate::expr::parse(&arg.value)
                    && !ctx.email_templates.contains(&name)
                {
                    let hint = closest(&name, ctx.email_templates.iter().map(String::as_str))
                        .map(|c| format!(" (did you mean \"{c}\"?)"))
                        .unwrap_or_default();
                    out.at(
                        Lint::UnknownEmailTemplate,
                        format!("{ptr}/arguments/{k}/value"),
                        target,
                        format!("unknown EmailTemplate \"{name}\"{hint}"),
                    );
                }
            }
        },
        ActionKind::Subprocess { process, .. } => {
            if !ctx.definitions.contains_key(process)
                && *process != def.name
                && crate::services::ops::builtin_task_op(process).is_none()
            {
                let hint = closest(process, ctx.definitions.keys().map(String::as_str))
                    .map(|c| format!(" (did you mean \"{c}\"?)"))
                    .unwrap_or_default();
                out.at(
                    Lint::UnknownSubprocess,
                    format!("{ptr}/process"),
                    target,
                    format!("unknown subprocess \"{process}\"{hint}"),
                );
            } else if let Some(cycle) = call_cycle(def, process, ctx) {
                out.at(
                    Lint::SubprocessCycle,
                    format!("{ptr}/process"),
                    target,
                    format!("subprocess call cycle: {}", cycle.join(" -> ")),
                );
            }
        }
        ActionKind::Manual(m) => {
            if m.owners.iter().all(|o| o.trim().is_empty()) {
                out.at(
                    Lint::ManualWithoutOwner,
                    format!("{ptr}/owners"),
                    target,
                    "manual action has no owner".into(),
                );
            }
        }
        ActionKind::Unsupported { reason, .. } => out.at(
            Lint::Unsupported,
            format!("{ptr}/xml"),
            target,
            format!("bpe keeps this action verbatim but cannot run it: {reason}"),
        ),
        ActionKind::Expression { .. } | ActionKind::Command(_) => {}
    }
}

/// The shortest call path from `def` through `callee` back to `def`, if any.
fn call_cycle(def: &TaskDefinition, callee: &str, ctx: &RepoContext) -> Option<Vec<String>> {
    if callee == def.name {
        return Some(vec![def.name.clone(), def.name.clone()]);
    }
    // Breadth-first over the call graph, with this definition's edges as edited.
    let mut parent: HashMap<&str, &str> = HashMap::new();
    let mut queue = VecDeque::from([callee]);
    parent.insert(callee, def.name.as_str());
    while let Some(name) = queue.pop_front() {
        let Some(calls) = ctx.definitions.get(name) else {
            continue;
        };
        for next in calls {
            if *next == def.name {
                let mut path = vec![def.name.clone()];
                let mut at = name;
                let mut back = vec![at.to_string()];
                while let Some(&p) = parent.get(at) {
                    if p == def.name {
                        break;
                    }
                    back.push(p.to_string());
                    at = p;
                }
                back.reverse();
                path.extend(back);
                path.push(def.name.clone());
                return Some(path);
            }
            if !parent.contains_key(next.as_str()) {
                parent.insert(next, name);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Names every expression of the definition may read without declaring them
/// in its own scope: built-ins, case variables and variables assigned
/// anywhere (a `set`, a `Return to`, a command's output variables create them).
fn case_names(def: &TaskDefinition) -> HashSet<String> {
    let mut names: HashSet<String> = exprs::BUILTINS.iter().map(|s| s.to_string()).collect();
    names.extend(def.process.variables.iter().map(|v| v.name.clone()));
    let mut add_root = |path: &str| {
        names.insert(exprs::root_name(path).to_string());
    };
    for a in &def.process.activities {
        for action in &a.actions {
            for r in &action.returns {
                add_root(&r.to);
            }
            if let ActionKind::Command(c) = &action.kind {
                for v in c.exit_code_to.iter().chain(&c.output_to) {
                    add_root(v);
                }
            }
        }
    }
    let mut assigned = BTreeSet::new();
    for_each_expr(def, &mut |_, text, _| {
        exprs::collect_set_targets(text, &mut assigned)
    });
    names.extend(assigned);
    names
}

/// Which variables an expression location sees.
#[derive(Clone, Copy)]
enum Where {
    Case,
    Activity(usize),
    Action(usize, usize),
}

/// Every expression of the definition: (pointer, text, where).
fn for_each_expr(def: &TaskDefinition, f: &mut dyn FnMut(String, &str, Where)) {
    let vars = |f: &mut dyn FnMut(String, &str, Where), base: &str, vs: &[Variable], w: Where| {
        for (k, v) in vs.iter().enumerate() {
            if let Some(value) = &v.value {
                f(format!("{base}/variables/{k}/value"), value, w);
            }
        }
    };
    vars(f, "/process", &def.process.variables, Where::Case);
    for (i, a) in def.process.activities.iter().enumerate() {
        let ap = format!("/process/activities/{i}");
        vars(f, &ap, &a.variables, Where::Activity(i));
        for (j, action) in a.actions.iter().enumerate() {
            let p = format!("{ap}/actions/{j}");
            let w = Where::Action(i, j);
            if let Some(c) = &action.condition {
                f(format!("{p}/condition"), c, w);
            }
            vars(f, &p, &action.variables, w);
            match &action.kind {
                ActionKind::Expression { expression } => {
                    f(format!("{p}/expression"), expression, w)
                }
                ActionKind::Service { arguments, .. }
                | ActionKind::Subprocess { arguments, .. } => {
                    for (k, arg) in arguments.iter().enumerate() {
                        f(format!("{p}/arguments/{k}/value"), &arg.value, w);
                    }
                }
                ActionKind::Manual(m) => {
                    for (k, o) in m.owners.iter().enumerate() {
                        f(format!("{p}/owners/{k}"), o, w);
                    }
                    if let Some(r) = &m.request {
                        f(format!("{p}/request"), r, w);
                    }
                }
                ActionKind::Command(c) => {
                    for (k, arg) in c.argv.iter().enumerate() {
                        f(format!("{p}/argv/{k}"), arg, w);
                    }
                }
                ActionKind::Unsupported { .. } => {}
            }
        }
        for (t, tr) in a.transitions.iter().enumerate() {
            if let Some(c) = &tr.condition {
                f(
                    format!("{ap}/transitions/{t}/condition"),
                    c,
                    Where::Activity(i),
                );
            }
        }
    }
}

fn check_expressions(def: &TaskDefinition, ctx: &RepoContext, out: &mut Sink) {
    let case = case_names(def);
    let acts = &def.process.activities;

    // Shadowing (information).
    let case_vars: HashSet<&str> = def
        .process
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    for (i, a) in acts.iter().enumerate() {
        let shadow = |out: &mut Sink, base: String, vs: &[Variable], target: Target| {
            for (k, v) in vs.iter().enumerate() {
                if case_vars.contains(v.name.as_str()) && !v.external {
                    out.at(
                        Lint::ShadowedVariable,
                        format!("{base}/variables/{k}/name"),
                        target,
                        format!(
                            "variable \"{}\" shadows the case variable of that name",
                            v.name
                        ),
                    );
                }
            }
        };
        shadow(
            out,
            format!("/process/activities/{i}"),
            &a.variables,
            Target::Activity { activity: i },
        );
        for (j, action) in a.actions.iter().enumerate() {
            shadow(
                out,
                format!("/process/activities/{i}/actions/{j}"),
                &action.variables,
                Target::Action {
                    activity: i,
                    action: j,
                },
            );
        }
    }

    for_each_expr(def, &mut |pointer, text, w| {
        let mut local: Vec<String> = Vec::new();
        let target = match w {
            Where::Case => Target::Definition,
            Where::Activity(i) => {
                local.extend(acts[i].variables.iter().map(|v| v.name.clone()));
                if pointer.contains("/transitions/") {
                    let t = pointer
                        .rsplit('/')
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    Target::Transition {
                        activity: i,
                        transition: t,
                    }
                } else {
                    Target::Activity { activity: i }
                }
            }
            Where::Action(i, j) => {
                local.extend(acts[i].variables.iter().map(|v| v.name.clone()));
                local.extend(acts[i].actions[j].variables.iter().map(|v| v.name.clone()));
                Target::Action {
                    activity: i,
                    action: j,
                }
            }
        };
        let scope = Scope {
            known: &case,
            what: "declared",
        };
        exprs::check(text, &pointer, target, &scope, local, ctx, out);
    });
}

/// A Rule: its body and argument defaults, with the arguments in scope.
/// Check one rule; `prefix` is its JSON pointer in the file (empty for a
/// `Rule/` file, `/rules/N` inside a rule library).
pub(crate) fn check_rule(rule: &Rule, prefix: &str, ctx: &RepoContext, out: &mut Sink) {
    let mut known: HashSet<String> = exprs::BUILTINS.iter().map(|s| s.to_string()).collect();
    known.extend(rule.arguments.iter().map(|a| a.name.clone()));
    let mut assigned = BTreeSet::new();
    exprs::collect_set_targets(&rule.body, &mut assigned);
    known.extend(assigned);
    let scope = Scope {
        known: &known,
        what: "an argument of this rule",
    };
    for (k, a) in rule.arguments.iter().enumerate() {
        if let Some(v) = &a.value {
            exprs::check(
                v,
                &format!("{prefix}/arguments/{k}/value"),
                Target::File,
                &scope,
                Vec::new(),
                ctx,
                out,
            );
        }
    }
    exprs::check(
        &rule.body,
        &format!("{prefix}/body"),
        Target::File,
        &scope,
        Vec::new(),
        ctx,
        out,
    );
}

/// The candidate nearest to `name` by edit distance, when close enough to be a typo
/// (bounded in length: see [`crate::repo::closest`]).
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    crate::repo::closest(name, candidates)
}
