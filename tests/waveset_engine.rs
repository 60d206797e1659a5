//! Imported Waveset workflows run with DOMAIN.md semantics: transition conditions,
//! arithmetic coercion, loops, rules chosen at run time, manual actions with returns.

use std::collections::BTreeMap;
use std::time::Duration;

use bpe::engine::{Case, MemoryCatalog, Runtime, path_of, pin};
use bpe::expr::Value;
use bpe::model::InstanceStatus;
use bpe::services::{CallContext, CommandOutput, Effect, ServiceError, Services};
use bpe::waveset::{self, Imported};

/// Records calls; `echo` returns its `value` argument.
#[derive(Default)]
struct Recorder {
    calls: Vec<(String, BTreeMap<String, Value>)>,
    effects: Vec<Effect>,
}

impl Services for Recorder {
    fn call(
        &mut self,
        op: &str,
        args: &BTreeMap<String, Value>,
        _cx: &mut CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        self.calls.push((op.to_string(), args.clone()));
        match op {
            "echo" => Ok(args.get("value").cloned().unwrap_or_default()),
            other => Err(ServiceError::new(format!(
                "Unknown WorkflowServices op: {other}"
            ))),
        }
    }
    fn run_command(
        &mut self,
        _argv: &[String],
        _timeout: Duration,
        _cap: usize,
    ) -> Result<CommandOutput, ServiceError> {
        Err(ServiceError::new("commands are off in this test"))
    }
    fn effects(&self) -> &[Effect] {
        &self.effects
    }
}

struct World {
    services: Recorder,
    catalog: MemoryCatalog,
}

impl World {
    fn from_xml(xml: &str) -> World {
        let Imported {
            definitions, rules, ..
        } = waveset::import(xml).unwrap_or_else(|e| panic!("{e}"));
        World {
            services: Recorder::default(),
            catalog: MemoryCatalog::new(definitions, &rules),
        }
    }
    fn rt(&mut self) -> Runtime<'_> {
        Runtime {
            services: &mut self.services,
            catalog: &mut self.catalog,
        }
    }
    fn run(&mut self, name: &str, inputs: &[(&str, Value)]) -> Case {
        let inputs: BTreeMap<String, Value> = inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let def = bpe::engine::Catalog::resolve(&mut self.catalog, name)
            .unwrap()
            .1;
        let mut case = Case::start(&def, pin(&def), &inputs, "tester", &self.catalog);
        case.run(&mut self.rt());
        case
    }
}

fn var(case: &mut Case, name: &str) -> Value {
    case.instance()
        .variables
        .get(name)
        .cloned()
        .unwrap_or_default()
}

fn path(case: &mut Case) -> Vec<String> {
    path_of(&case.instance().history)
}

const ARITHMETIC: &str = r#"<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE TaskDefinition PUBLIC 'waveset.dtd' 'waveset.dtd'>
<TaskDefinition name='Arithmetic' id='#ID#TaskDefinition:Arithmetic'>
  <Extension>
    <WFProcess name='Arithmetic'>
      <Variable name='n' value='40'/>
      <Variable name='label'/>
      <Activity id='0' name='start'>
        <Transition to='Compute'/>
      </Activity>
      <Activity id='1' name='Compute'>
        <Action id='0'>
          <expression>
            <set name='n'>
              <add><ref>n</ref><i>1</i><s>1</s><null/></add>
            </set>
          </expression>
        </Action>
        <Transition to='Big'>
          <gt><ref>n</ref><i>41</i></gt>
        </Transition>
        <Transition to='Small'/>
      </Activity>
      <Activity id='2' name='Big'>
        <Action id='0'>
          <expression><set name='label'><s>big</s></set></expression>
        </Action>
        <Transition to='end'/>
      </Activity>
      <Activity id='3' name='Small'>
        <Transition to='end'/>
      </Activity>
      <Activity id='4' name='end'/>
    </WFProcess>
  </Extension>
</TaskDefinition>
"#;

#[test]
fn arithmetic_coerces_numeric_strings_and_the_first_true_transition_wins() {
    let mut world = World::from_xml(ARITHMETIC);
    let mut case = world.run("Arithmetic", &[]);
    assert_eq!(case.status(), InstanceStatus::Completed);
    // "40" + 1 + "1" + null = 42 (strings coerced, null ignored).
    assert_eq!(var(&mut case, "n"), Value::Int(42));
    assert_eq!(var(&mut case, "label"), Value::Str("big".into()));
    assert_eq!(path(&mut case), ["start", "Compute", "Big", "end"]);
}

const LOOP: &str = r#"<WFProcess name='Loop'>
  <Variable name='i' value='0'/>
  <Variable name='trail'><list/></Variable>
  <Activity name='start'><Transition to='Again'/></Activity>
  <Activity name='Again'>
    <Action>
      <expression>
        <block>
          <set name='i'><add><ref>i</ref><i>1</i></add></set>
          <set name='trail'><append><ref>trail</ref><ref>i</ref></append></set>
        </block>
      </expression>
    </Action>
    <Transition to='Again'><lt><ref>i</ref><i>5</i></lt></Transition>
    <Transition to='end'/>
  </Activity>
  <Activity name='end'/>
</WFProcess>"#;

#[test]
fn loops_run_until_their_condition_fails() {
    let mut world = World::from_xml(LOOP);
    let mut case = world.run("Loop", &[]);
    assert_eq!(case.status(), InstanceStatus::Completed);
    assert_eq!(var(&mut case, "i"), Value::Int(5));
    assert_eq!(
        path(&mut case),
        ["start", "Again", "Again", "Again", "Again", "Again", "end"]
    );
}

const RULES: &str = r#"<Waveset>
  <Rule name='Greeting Formal'>
    <RuleArgument name='who'/>
    <concat><s>Dear </s><ref>who</ref></concat>
  </Rule>
  <Rule name='Greeting Casual'>
    <RuleArgument name='who'/>
    <RuleArgument name='punct' value='!'/>
    <concat><s>Hi </s><ref>who</ref><ref>punct</ref></concat>
  </Rule>
  <WFProcess name='Greet'>
    <Variable name='style' input='true'/>
    <Variable name='name' input='true'/>
    <Variable name='greeting'/>
    <Activity name='start'><Transition to='Pick'/></Activity>
    <Activity name='Pick'>
      <Action>
        <expression>
          <set name='greeting'>
            <rule>
              <concat><s>Greeting </s><ref>style</ref></concat>
              <argument name='who' value='$(name)'/>
            </rule>
          </set>
        </expression>
      </Action>
      <Transition to='end'/>
    </Activity>
    <Activity name='end'/>
  </WFProcess>
</Waveset>"#;

#[test]
fn rules_are_chosen_at_run_time() {
    let mut world = World::from_xml(RULES);
    let mut case = world.run(
        "Greet",
        &[
            ("style", Value::Str("Casual".into())),
            ("name", Value::Str("Ada".into())),
        ],
    );
    assert_eq!(
        case.status(),
        InstanceStatus::Completed,
        "{:?}",
        case.instance().result
    );
    // `value='$(name)'` on a rule's <argument> passes the variable's value: "Basic Rule
    // Call Syntax", Sun IdM 8.1 Deployment Reference
    // (http://docs.oracle.com/cd/E19225-01/820-5821/bvblz/index.html).
    assert_eq!(var(&mut case, "greeting"), Value::Str("Hi Ada!".into()));
    let mut case = world.run(
        "Greet",
        &[
            ("style", Value::Str("Formal".into())),
            ("name", Value::Str("Ada".into())),
        ],
    );
    assert_eq!(var(&mut case, "greeting"), Value::Str("Dear Ada".into()));
}

const APPROVAL: &str = r#"<TaskDefinition name='Approve Access'>
  <Extension>
    <WFProcess name='Approve Access'>
      <Variable name='approver' input='true'/>
      <Variable name='approved' value='false'/>
      <Activity id='0' name='start'><Transition to='Ask'/></Activity>
      <Activity id='1' name='Ask'>
        <ManualAction id='0' name='approve' timeout='60'>
          <Owner name='$(approver)'/>
          <Variable name='APPROVAL' value='false'/>
          <ExposedVariables><List><String>APPROVAL</String></List></ExposedVariables>
          <EditableVariables><List><String>APPROVAL</String></List></EditableVariables>
          <Return from='APPROVAL' to='approved'/>
        </ManualAction>
        <Transition to='Escalate'><ref>WF_ACTION_TIMEOUT</ref></Transition>
        <Transition to='Grant'><eq><ref>approved</ref><s>true</s></eq></Transition>
        <Transition to='end'/>
      </Activity>
      <Activity id='2' name='Grant'>
        <Action id='0' application='com.waveset.session.WorkflowServices'>
          <Argument name='op' value='echo'/>
          <Argument name='value' value='$(approved)'/>
          <Return from='WF_ACTION_RESULT' to='granted'/>
        </Action>
        <Transition to='end'/>
      </Activity>
      <Activity id='3' name='Escalate'><Transition to='end'/></Activity>
      <Activity id='4' name='end'/>
    </WFProcess>
  </Extension>
</TaskDefinition>"#;

#[test]
fn manual_action_suspends_and_its_return_decides_the_transition() {
    let mut world = World::from_xml(APPROVAL);
    let mut case = world.run("Approve Access", &[("approver", Value::Str("boss".into()))]);
    assert_eq!(case.status(), InstanceStatus::Suspended);
    let mut item = case.take_outbox().created.remove(0);
    assert_eq!(item.owner, "boss");
    item.complete = true;
    item.decision = Some("approve".into());
    item.variables
        .insert("APPROVAL".into(), Value::Str("true".into()));
    case.complete_work_item(&item, &mut world.rt()).unwrap();
    case.run(&mut world.rt());
    assert_eq!(case.status(), InstanceStatus::Completed);
    assert_eq!(path(&mut case), ["start", "Ask", "Grant", "end"]);
    assert_eq!(var(&mut case, "approved"), Value::Str("true".into()));
    // The service action received the returned value through `value='$(approved)'`.
    let (op, args) = &world.services.calls[0];
    assert_eq!(op, "echo");
    assert_eq!(args.get("value"), Some(&Value::Str("true".into())));
}

/// Built-In Workflow Variables (Sun Identity Manager Deployment Reference, 820-5821/bvacx):
/// "A built-in variable that will be set to true if the previously executed action timed
/// out" (WF_ACTION_TIMEOUT). A Java
/// Boolean, so `<eq><ref>WF_ACTION_TIMEOUT</ref><s>true</s></eq>` (the form
/// tests/fixtures/waveset/create-user.xml uses) holds after a timeout, and the plain
/// `<ref>` form holds too; the other two flags are `false`.
#[test]
fn wf_action_timeout_is_the_boolean_true_and_equals_the_string_true() {
    for condition in [
        "<eq><ref>WF_ACTION_TIMEOUT</ref><s>true</s></eq>",
        "<ref>WF_ACTION_TIMEOUT</ref>",
    ] {
        let xml = APPROVAL.replace("<ref>WF_ACTION_TIMEOUT</ref>", condition);
        let mut world = World::from_xml(&xml);
        let mut case = world.run("Approve Access", &[("approver", Value::Str("boss".into()))]);
        assert_eq!(case.status(), InstanceStatus::Suspended);
        let later = chrono::Utc::now() + chrono::Duration::hours(2);
        let (expired, _) = case.expire_due(later, &mut world.rt());
        assert_eq!(expired.len(), 1, "{condition}");
        case.run(&mut world.rt());
        assert_eq!(
            path(&mut case),
            ["start", "Ask", "Escalate", "end"],
            "{condition}"
        );
        assert_eq!(var(&mut case, "WF_ACTION_TIMEOUT"), Value::Bool(true));
        assert_eq!(var(&mut case, "WF_ACTION_ERROR"), Value::Bool(false));
        assert_eq!(var(&mut case, "WF_ACTION_SUPPRESSED"), Value::Bool(false));
    }
}

const POSITIONAL: &str = r#"<Waveset>
  <Rule name='generateEmail'>
    <RuleArgument name='firstname'/>
    <RuleArgument name='domain' value='example.com' locked='true'/>
    <RuleArgument name='lastname'/>
    <concat><ref>firstname</ref><s>.</s><ref>lastname</ref><s>@</s><ref>domain</ref></concat>
  </Rule>
  <TaskDefinition name='Positional'>
    <Extension>
      <WFProcess name='Positional'>
        <Variable name='last' value='Doe'/>
        <Variable name='plain'/>
        <Variable name='mixed'/>
        <Variable name='computed'/>
        <Variable name='tooMany'/>
        <Activity id='0' name='start'><Transition to='Call'/></Activity>
        <Activity id='1' name='Call'>
          <Action id='0'>
            <expression>
              <block>
                <set name='plain'><rule name='generateEmail'><s>jane</s><ref>last</ref></rule></set>
                <set name='mixed'>
                  <rule name='generateEmail'><s>john</s><argument name='lastname' value='Roe'/></rule>
                </set>
                <set name='computed'>
                  <rule><concat><s>generate</s><s>Email</s></concat><s>ann</s><s>Lee</s></rule>
                </set>
              </block>
            </expression>
          </Action>
          <Action id='1'>
            <expression>
              <rule name='generateEmail'><s>a</s><s>b</s><s>c</s></rule>
            </expression>
          </Action>
          <Action id='2'>
            <expression><set name='tooMany'><ref>WF_ACTION_RESULT</ref></set></expression>
          </Action>
          <Transition to='end'/>
        </Activity>
        <Activity id='2' name='end'/>
      </WFProcess>
    </Extension>
  </TaskDefinition>
</Waveset>"#;

/// Positional rule calls. The reference's rule calls ("Basic Rule Call Syntax",
/// 820-5821/bvblz) pass `<argument name=…>`s, and "Declaring a Rule with Arguments"
/// (820-5821/bvblv) declares them in order with `<RuleArgument>`; "Using Locked
/// Arguments" (821-0378/6nlef5inc, Example 4-26): a locked argument's value "will always
/// be" its default "even if the caller tries passing a value". bpe binds plain children of
/// `<rule>` to the declared arguments in order, skipping locked ones (they are not
/// parameters), next to named `<argument>`s, as `call` binds a defun's defargs.
#[test]
fn positional_rule_arguments_bind_to_the_unlocked_arguments_in_order() {
    let mut world = World::from_xml(POSITIONAL);
    let mut case = world.run("Positional", &[]);
    assert_eq!(case.status(), InstanceStatus::Completed);
    assert_eq!(
        var(&mut case, "plain"),
        Value::Str("jane.Doe@example.com".into())
    );
    assert_eq!(
        var(&mut case, "mixed"),
        Value::Str("john.Roe@example.com".into())
    );
    assert_eq!(
        var(&mut case, "computed"),
        Value::Str("ann.Lee@example.com".into())
    );
    let err = var(&mut case, "tooMany").to_text();
    assert!(
        err.contains("rule 'generateEmail' takes 2 argument(s), got 3 positional"),
        "{err}"
    );
}
