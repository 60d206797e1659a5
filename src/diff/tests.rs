use super::*;
use crate::model::TaskDefinition;

fn def(json: serde_json::Value) -> TaskDefinition {
    serde_json::from_value(json).unwrap()
}

fn base() -> serde_json::Value {
    serde_json::json!({
        "formatVersion": 1, "id": "td-1", "name": "W",
        "process": {
            "variables": [{"name": "a", "value": "1"}, {"name": "b"}],
            "activities": [
                {"id": "0", "name": "start", "transitions": [{"to": "Ask"}]},
                {"id": "1", "name": "Ask", "actions": [
                    {"kind": "expression", "expression": "(set name=\"x\" 1)"},
                    {"kind": "manual", "name": "Decide", "owners": ["$manager"]}
                 ],
                 "transitions": [
                    {"to": "Yes", "condition": "(eq $decision \"approve\")"},
                    {"to": "end"}
                 ]},
                {"id": "2", "name": "Yes", "transitions": [{"to": "end"}]},
                {"id": "3", "name": "end"}
            ]
        }
    })
}

#[test]
fn a_definition_against_itself_is_empty() {
    let d = def(base());
    assert!(diff(&d, &d).is_empty());
}

#[test]
fn a_renamed_activity_is_one_rename_and_its_incoming_transitions_are_unchanged() {
    let old = def(base());
    let mut j = base();
    j["process"]["activities"][2]["name"] = "Approved".into();
    j["process"]["activities"][1]["transitions"][0]["to"] = "Approved".into();
    let d = diff(&old, &def(j));
    assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
    let c = &d.changes[0];
    assert_eq!(
        (c.change, c.object),
        (ChangeKind::Renamed, Object::Activity)
    );
    assert_eq!(c.at.activity_id.as_deref(), Some("2"));
    assert_eq!(
        (c.old.as_deref(), c.new.as_deref()),
        (Some("Yes"), Some("Approved"))
    );
}

#[test]
fn an_inserted_action_is_one_addition_and_the_others_stay_paired() {
    let old = def(base());
    let mut j = base();
    let acts = j["process"]["activities"][1]["actions"]
        .as_array_mut()
        .unwrap();
    acts.insert(0, serde_json::json!({"kind": "service", "op": "audit"}));
    let d = diff(&old, &def(j));
    assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
    assert_eq!(d.changes[0].change, ChangeKind::Added);
    assert_eq!(d.changes[0].at.action, Some(0));
    assert_eq!(d.changes[0].new.as_deref(), Some("service"));
}

#[test]
fn a_changed_owner_expression_names_the_list_entry() {
    let old = def(base());
    let mut j = base();
    j["process"]["activities"][1]["actions"][1]["owners"][0] = "$approver".into();
    let d = diff(&old, &def(j));
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].field.as_deref(), Some("owners[0]"));
    assert_eq!(d.changes[0].at.action_name.as_deref(), Some("Decide"));
    assert_eq!(d.changes[0].expression[0].new, "$approver");
}

#[test]
fn a_variable_renamed_in_place_is_a_rename_and_a_moved_one_is_not() {
    let old = def(base());
    let mut j = base();
    j["process"]["variables"][1]["name"] = "c".into();
    let d = diff(&old, &def(j));
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].change, ChangeKind::Renamed);
    assert_eq!(d.changes[0].old.as_deref(), Some("b"));

    let mut j = base();
    j["process"]["variables"] = serde_json::json!([{"name": "z"}, {"name": "a", "value": "1"}]);
    let kinds: Vec<ChangeKind> = diff(&old, &def(j))
        .changes
        .iter()
        .map(|c| c.change)
        .collect();
    assert_eq!(kinds, vec![ChangeKind::Added, ChangeKind::Removed]);
}

#[test]
fn swapped_transitions_are_an_order_change() {
    let old = def(base());
    let mut j = base();
    j["process"]["activities"][1]["transitions"]
        .as_array_mut()
        .unwrap()
        .reverse();
    let d = diff(&old, &def(j));
    assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
    assert_eq!(d.changes[0].field.as_deref(), Some("transitionOrder"));
    assert_eq!(d.changes[0].old.as_deref(), Some("Yes, end"));
    assert_eq!(d.changes[0].new.as_deref(), Some("end, Yes"));
}

#[test]
fn the_text_form_escapes_names_and_shows_sub_expressions() {
    let old = def(base());
    let mut j = base();
    j["process"]["activities"][1]["name"] = "Ask\u{1b}[2J".into();
    j["process"]["activities"][0]["transitions"][0]["to"] = "Ask\u{1b}[2J".into();
    j["process"]["activities"][1]["transitions"][0]["condition"] =
        "(eq $decision \"approved\")".into();
    let text = render_text(&diff(&old, &def(j)));
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(
        text.contains("at eq[2]: \"approve\" -> \"approved\""),
        "{text}"
    );
}

#[test]
fn align_pairs_in_order_between_anchors() {
    let j = |v: &[i64]| v.iter().map(|n| serde_json::json!(n)).collect::<Vec<_>>();
    assert_eq!(
        align(&j(&[1, 2, 3]), &j(&[1, 9, 3])),
        vec![(0, 0), (1, 1), (2, 2)]
    );
    assert_eq!(align(&j(&[1, 3]), &j(&[1, 2, 3])), vec![(0, 0), (1, 2)]);
    assert_eq!(align(&j(&[5, 6]), &j(&[])), vec![]);
}
