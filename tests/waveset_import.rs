//! Import of hand-written Waveset documents (tests/fixtures/waveset/) and of small
//! inline documents, one construct at a time.

use bpe::model::{ActionKind, ExecMode, Position, WorkItemType};
use bpe::waveset::{self, Imported};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/waveset/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn import(xml: &str) -> Imported {
    waveset::import(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

fn process(body: &str) -> Imported {
    import(&format!("<WFProcess name='p'>{body}</WFProcess>"))
}

#[test]
fn task_definition_attributes_and_metadata() {
    let imported = import(&fixture("create-user.xml"));
    assert_eq!(imported.definitions.len(), 1);
    let def = &imported.definitions[0];
    assert_eq!(def.name, "Create User Approval");
    // '#ID#...' ids are kept in slug form.
    assert_eq!(def.id, "taskdefinition-create-user-approval");
    assert_eq!(
        def.description,
        "Creates a user after the manager approves."
    );
    assert_eq!(def.task_type, "Workflow");
    // The Waveset executor class maps to bpe's executor.
    assert_eq!(def.executor, "bpe.workflow");
    assert_eq!(def.exec_mode, ExecMode::Async);
    assert!(def.suspendable);
    assert!(!def.sync_control_allowed);
    assert_eq!(def.execution_limit, 3600);
    assert_eq!(def.result_limit, 86400);
    assert_eq!(def.progress_interval, 2000);
    assert_eq!(def.process.max_steps, 200);
    assert_eq!(
        def.process.comment,
        "Joiner flow: derive an account id, ask the manager, provision."
    );
}

#[test]
fn variables_flags_values_and_placeholders() {
    let imported = import(&fixture("create-user.xml"));
    let vars = &imported.definitions[0].process.variables;
    let v = |name: &str| vars.iter().find(|v| v.name == name).unwrap();
    assert!(v("firstName").input && !v("firstName").output);
    assert_eq!(v("firstName").value, None);
    assert_eq!(v("lastName").comment, "Family name as HR sent it.");
    assert_eq!(v("manager").value.as_deref(), Some("$defaultManager"));
    assert!(v("accountId").output);
    // A rule <argument value='$(firstName)'> is substituted like the child form: "Basic
    // Rule Call Syntax" (http://docs.oracle.com/cd/E19225-01/820-5821/bvblz/index.html).
    assert_eq!(
        v("accountId").value.as_deref(),
        Some(
            "(rule name=\"Derive Account Id\" (argument name=\"first\" $firstName) (argument name=\"last\" $lastName))"
        )
    );
    assert_eq!(v("approved").value.as_deref(), Some("\"false\""));
    assert_eq!(
        v("greeting").value.as_deref(),
        Some("(concat \"Hello \" $firstName \"!\")")
    );
    assert_eq!(v("attempts").value.as_deref(), Some("0"));
    assert!(v("shared").external);
    // Mixed text and $(...) is converted with a warning that points at the element.
    let w = imported
        .warnings
        .iter()
        .find(|w| w.message.contains("mixes text"))
        .unwrap();
    assert_eq!((w.line, w.column), (29, 7));
}

#[test]
fn activities_ids_flags_positions_comments() {
    let imported = import(&fixture("create-user.xml"));
    let p = &imported.definitions[0].process;
    let names: Vec<_> = p.activities.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "start",
            "Check Input",
            "Manager Approval",
            "Escalate",
            "Provision",
            "end"
        ]
    );
    let ids: Vec<_> = p.activities.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5"]);
    let a = |name: &str| p.activity(name).unwrap();
    assert_eq!(a("start").position, Some(Position { x: 1, y: 0 }));
    assert_eq!(a("Escalate").position, None);
    assert!(a("Escalate").and_join && !a("Escalate").and_split);
    assert!(a("Provision").and_split);
    assert_eq!(a("Check Input").comment, "Validate and count attempts.");
    assert_eq!(
        a("Check Input").variables[0].value.as_deref(),
        Some("\"  keep  spaces  \"")
    );
}

#[test]
fn transitions_with_conditions_and_comments() {
    let imported = import(&fixture("create-user.xml"));
    let p = &imported.definitions[0].process;
    let t = &p.activity("Check Input").unwrap().transitions;
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].to, "Manager Approval");
    assert_eq!(
        t[0].condition.as_deref(),
        Some("(and (notnull $firstName) (notnull $lastName))")
    );
    assert_eq!(t[0].comment, "both names given");
    assert_eq!(t[1].to, "end");
    assert_eq!(t[1].condition, None);
}

#[test]
fn expression_actions() {
    let imported = import(&fixture("create-user.xml"));
    let p = &imported.definitions[0].process;
    let actions = &p.activity("Check Input").unwrap().actions;
    assert_eq!(actions[0].name, "count");
    assert_eq!(
        actions[0].kind,
        ActionKind::Expression {
            expression: "(set name=\"attempts\" (add $attempts 1))".to_string()
        }
    );
    // Several expressions in one <expression> run in order: a block. Entities resolved.
    assert_eq!(
        actions[1].kind,
        ActionKind::Expression {
            expression: "(block (set name=\"scratch\" \"a & b < c AB\") $scratch)".to_string()
        }
    );
}

#[test]
fn manual_action_in_full() {
    let imported = import(&fixture("create-user.xml"));
    let p = &imported.definitions[0].process;
    let action = &p.activity("Manager Approval").unwrap().actions[0];
    assert_eq!(action.name, "approve");
    assert_eq!(action.comment, "The manager decides.");
    assert_eq!(action.variables[0].name, "APPROVAL");
    assert_eq!(action.returns[0].from, "APPROVAL");
    assert_eq!(action.returns[0].to, "approved");
    let ActionKind::Manual(m) = &action.kind else {
        panic!("{action:?}")
    };
    assert_eq!(m.owners, ["$manager", "(concat \"admin-\" $department)"]);
    assert_eq!(
        m.request.as_deref(),
        Some("(concat \"Approve \" $accountId)")
    );
    assert_eq!(m.description, "Please approve the new account.");
    assert_eq!(m.timeout, 180);
    assert_eq!(m.item_type, WorkItemType::Interaction);
    assert_eq!(m.exposed_variables, ["accountId", "APPROVAL"]);
    assert_eq!(m.editable_variables, ["APPROVAL"]);
    // The form reference is reported, with its position.
    let w = imported
        .warnings
        .iter()
        .find(|w| w.message.contains("<FormRef>"))
        .unwrap();
    assert_eq!(w.line, 79);
}

#[test]
fn service_subprocess_and_command_actions() {
    let imported = import(&fixture("create-user.xml"));
    let p = &imported.definitions[0].process;
    let sub = &p.activity("Escalate").unwrap().actions[0];
    let ActionKind::Subprocess { process, arguments } = &sub.kind else {
        panic!("{sub:?}")
    };
    assert_eq!(process, "Escalate Approval");
    assert_eq!(arguments[0].name, "subject");
    assert_eq!(arguments[0].value, "$accountId");
    assert_eq!(arguments[1].value, "2");
    assert_eq!(sub.returns[0].from, "decision");

    let actions = &p.activity("Provision").unwrap().actions;
    let ActionKind::Service { op, arguments } = &actions[0].kind else {
        panic!("{:?}", actions[0])
    };
    assert_eq!(op, "createUser");
    assert_eq!(actions[0].condition.as_deref(), Some("(isTrue $approved)"));
    let arg = |n: &str| {
        arguments
            .iter()
            .find(|a| a.name == n)
            .unwrap()
            .value
            .as_str()
    };
    assert_eq!(arg("accountId"), "$accountId");
    assert_eq!(arg("department"), "\"Engineering\"");
    assert!(arguments.iter().all(|a| a.name != "op"));
    // class= works like application=; action-local variables are kept.
    let ActionKind::Service { op, arguments } = &actions[1].kind else {
        panic!("{:?}", actions[1])
    };
    assert_eq!(op, "audit");
    assert_eq!(arguments[0].value, "\"user created\"");
    assert_eq!(actions[1].variables[0].name, "local");
    let ActionKind::Command(c) = &actions[2].kind else {
        panic!("{:?}", actions[2])
    };
    assert_eq!(
        c.argv,
        ["\"/usr/bin/logger\"", "(concat \"created \" $accountId)"]
    );
    assert_eq!((c.timeout, c.output_cap), (10, 1024));
    assert_eq!(c.exit_code_to.as_deref(), Some("rc"));
    assert_eq!(c.output_to.as_deref(), Some("out"));
}

#[test]
fn waveset_bundle_rules_templates_and_skipped_objects() {
    let imported = import(&fixture("bundle.xml"));
    assert_eq!(imported.rules.len(), 1);
    let rule = &imported.rules[0];
    assert_eq!(rule.name, "Derive Account Id");
    assert_eq!(rule.id, "rule-derive-account-id");
    assert_eq!(rule.arguments.len(), 2);
    assert_eq!(rule.arguments[0].value.as_deref(), Some("\"Ada\""));
    assert_eq!(rule.arguments[0].comment, "Given name.");
    assert_eq!(rule.arguments[1].value, None);
    assert_eq!(rule.body, "(downcase (concat (substr $first 0 1) $last))");

    assert_eq!(imported.email_templates.len(), 2);
    let t = &imported.email_templates[0];
    assert_eq!(t.name, "Account Created");
    assert_eq!(t.from, "idm@example.com");
    assert_eq!(t.to, "$(manager)@example.com");
    assert_eq!(t.subject, "Account $(accountId) created");
    assert_eq!(t.body, "Hello,\n\nthe account $(accountId) is ready.\n");
    assert_eq!(imported.email_templates[1].cc, "c@example.com");

    // A bare WFProcess inside <Waveset>; activities without ids get free integers.
    assert_eq!(imported.definitions.len(), 1);
    let def = &imported.definitions[0];
    assert_eq!(def.name, "Tiny");
    assert!(def.id.starts_with("td-"));
    let ids: Vec<_> = def
        .process
        .activities
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["1", "2", "0"]);

    let w = imported
        .warnings
        .iter()
        .find(|w| w.message.contains("UserForm"))
        .unwrap();
    assert_eq!(w.line, 44);
}

#[test]
fn ids_safe_kept_unsafe_slugged_duplicates_renewed() {
    let imported = import(
        "<Waveset>\
           <TaskDefinition name='a' id='td-0011aabb'><Extension><WFProcess name='a'/></Extension></TaskDefinition>\
           <TaskDefinition name='b' id='../../etc'><Extension><WFProcess name='b'/></Extension></TaskDefinition>\
           <TaskDefinition name='c' id='#ID#'><Extension><WFProcess name='c'/></Extension></TaskDefinition>\
         </Waveset>",
    );
    assert_eq!(imported.definitions[0].id, "td-0011aabb");
    assert_eq!(imported.definitions[1].id, "etc");
    assert!(imported.definitions[2].id.starts_with("td-"));

    let imported = process(
        "<Activity id='x' name='start'/><Activity id='x' name='end'/><Activity name='mid'/>",
    );
    let ids: Vec<_> = imported.definitions[0]
        .process
        .activities
        .iter()
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(ids, ["x", "0", "1"]);
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.message.contains("used twice"))
    );
}

#[test]
fn xpress_maps_one_to_one() {
    let imported = import(
        "<Rule name='r'>\
           <block name='b' trace='true'>\
             <null/><i> -7 </i><s></s><s> a\n b </s><ref> user.email </ref><ref>display name</ref>\
             <ref><concat><s>a</s><ref>b</ref></concat></ref>\
             <cond><eq><ref>x</ref><s>approve</s></eq><s>ok</s></cond>\
             <list/>\
           </block>\
         </Rule>",
    );
    assert_eq!(
        imported.rules[0].body,
        "(block name=\"b\" trace=\"true\" null -7 \"\" \" a\\n b \" $user.email ${display name} (ref (concat \"a\" $b)) (cond (eq $x \"approve\") \"ok\") (list))"
    );
}

#[test]
fn unknown_attributes_and_elements_warn_with_positions() {
    let imported = process(
        "\n<Activity name='start' hidden='true'>\n<Widget/>\n</Activity>\n<Activity name='end'/>",
    );
    let msgs: Vec<String> = imported.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("2:1: warning: attribute hidden")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("3:1: warning: skipped <Widget>")),
        "{msgs:?}"
    );
}

#[test]
fn comments_are_trimmed_unless_preserved() {
    let imported = process(
        "<Comments xml:space='preserve'>  kept  </Comments>\
         <Activity name='start'><Comments>\n   trimmed\n  </Comments></Activity>",
    );
    let p = &imported.definitions[0].process;
    assert_eq!(p.comment, "  kept  ");
    assert_eq!(p.activities[0].comment, "trimmed");
}

#[test]
fn unknown_op_imports_with_a_warning() {
    let imported = process(
        "<Activity name='a'><Action application='com.waveset.session.WorkflowServices'>\
           <Argument name='op' value='frobnicate'/></Action></Activity>",
    );
    let a = &imported.definitions[0].process.activities[0].actions[0];
    assert!(matches!(&a.kind, ActionKind::Service { op, .. } if op == "frobnicate"));
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.message.contains("frobnicate"))
    );
}

#[test]
fn doctype_and_bom_are_accepted() {
    let imported = import(
        "\u{feff}<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE Rule PUBLIC 'waveset.dtd' 'waveset.dtd'>\n<Rule name='r'><i>1</i></Rule>",
    );
    assert_eq!(imported.rules[0].body, "1");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
}

#[test]
fn transition_to_unknown_activity_warns_at_the_activity() {
    let imported = process("\n<Activity name='start'><Transition to='nowhere'/></Activity>");
    let w = imported
        .warnings
        .iter()
        .find(|w| w.message.contains("'nowhere'"))
        .unwrap();
    assert_eq!((w.line, w.column), (2, 1));
}

#[test]
fn crlf_line_ends_read_as_lf_but_escaped_cr_survives() {
    let imported = import("<Rule name='r'>\r\n  <s>a\r\nb\rc&#13;d</s>\r\n</Rule>\r\n");
    assert_eq!(imported.rules[0].body, "\"a\\nb\\nc\\rd\"");
    let imported = import("<Rule name='r'><argument value='x\r\ny'/></Rule>");
    assert_eq!(imported.rules[0].body, "(argument value=\"x\\ny\")");
}

#[test]
fn duplicate_ids_and_unknown_targets_are_warned_at_their_activity() {
    let imported = process(
        "<Activity id='7' name='start'><Transition to='a'/></Activity>\n\
         <Activity id='7' name='a'><Transition to='nowhere'/><Transition to='end'/></Activity>\n\
         <Activity id='7' name='end'/>",
    );
    let msgs: Vec<String> = imported.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "2:1: warning: activity id '7' is used twice; a new id was generated",
            "2:1: warning: activity 'a' has a transition to 'nowhere', which is not an activity of this process",
            "3:1: warning: activity id '7' is used twice; a new id was generated",
        ]
    );
    let ids: Vec<_> = imported.definitions[0]
        .process
        .activities
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["7", "0", "1"]);
}
