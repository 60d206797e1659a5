//! Shared by the engine persistence tests: services that do nothing and a way
//! to write a TaskDefinition file.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use bpe::expr::Value;
use bpe::services::{CallContext, CommandOutput, Effect, ServiceError, Services};

#[derive(Default)]
pub struct NoServices(Vec<Effect>);

impl Services for NoServices {
    fn call(
        &mut self,
        op: &str,
        _args: &BTreeMap<String, Value>,
        _cx: &mut CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        Err(ServiceError::new(format!(
            "Unknown WorkflowServices op: {op}"
        )))
    }
    fn run_command(
        &mut self,
        _: &[String],
        _: Duration,
        _: usize,
    ) -> Result<CommandOutput, ServiceError> {
        Err(ServiceError::new("commands are disabled"))
    }
    fn effects(&self) -> &[Effect] {
        &self.0
    }
}

pub fn write_def(root: &Path, file: &str, def: serde_json::Value) {
    std::fs::create_dir_all(root.join("TaskDefinition")).unwrap();
    std::fs::write(
        root.join("TaskDefinition").join(file),
        serde_json::to_string_pretty(&def).unwrap(),
    )
    .unwrap();
}
