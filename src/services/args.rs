//! Reading the named arguments of one service call, with errors that name the
//! op and the argument.

use std::collections::BTreeMap;

use super::ServiceError;
use super::ops::OpSpec;
use crate::expr::Value;

pub(crate) struct Args<'a> {
    pub spec: &'static OpSpec,
    pub map: &'a BTreeMap<String, Value>,
}

impl<'a> Args<'a> {
    /// Check the call against the catalogue: every required argument present
    /// (null counts as missing) and, for closed ops, no unknown argument.
    pub fn new(
        spec: &'static OpSpec,
        map: &'a BTreeMap<String, Value>,
    ) -> Result<Args<'a>, ServiceError> {
        for name in spec.required {
            if map.get(*name).is_none_or(Value::is_null) {
                return Err(ServiceError::new(format!(
                    "{}: missing required argument '{name}'",
                    spec.name
                )));
            }
        }
        if !spec.open {
            for name in map.keys() {
                let known = spec.required.contains(&name.as_str())
                    || spec.optional.contains(&name.as_str());
                if !known {
                    let mut all: Vec<&str> = spec.required.to_vec();
                    all.extend_from_slice(spec.optional);
                    return Err(ServiceError::new(format!(
                        "{}: unknown argument '{name}' (takes: {})",
                        spec.name,
                        all.join(", ")
                    )));
                }
            }
        }
        Ok(Args { spec, map })
    }

    pub fn err(&self, message: impl std::fmt::Display) -> ServiceError {
        ServiceError::new(format!("{}: {message}", self.spec.name))
    }

    /// A present, non-null argument.
    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required argument as text (integers are accepted and printed).
    pub fn text(&self, name: &str) -> Result<String, ServiceError> {
        match self.value(name) {
            None => Err(self.err(format_args!("missing required argument '{name}'"))),
            Some(v) => self.as_text(name, v),
        }
    }

    /// An optional argument as text.
    pub fn opt_text(&self, name: &str) -> Result<Option<String>, ServiceError> {
        self.value(name).map(|v| self.as_text(name, v)).transpose()
    }

    fn as_text(&self, name: &str, v: &Value) -> Result<String, ServiceError> {
        match v {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            _ => Err(self.err(format_args!("argument '{name}' must be text"))),
        }
    }

    /// An optional argument as an integer (numeric strings are coerced, as in XPRESS).
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, ServiceError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(*i)),
            Some(Value::Str(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.err(format_args!("argument '{name}' must be an integer"))),
            Some(_) => Err(self.err(format_args!("argument '{name}' must be an integer"))),
        }
    }

    /// An optional list of names: a list of texts, or one text with names
    /// separated by commas.
    pub fn opt_names(&self, name: &str) -> Result<Vec<String>, ServiceError> {
        match self.value(name) {
            None => Ok(Vec::new()),
            Some(Value::List(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::Null => {}
                        Value::Str(_) | Value::Int(_) => out.push(item.to_text()),
                        _ => {
                            return Err(
                                self.err(format_args!("argument '{name}' must be a list of names"))
                            );
                        }
                    }
                }
                Ok(out)
            }
            Some(Value::Str(s)) => Ok(s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()),
            Some(_) => Err(self.err(format_args!("argument '{name}' must be a list of names"))),
        }
    }

    /// The arguments not in `except`, in name order.
    pub fn others(&self, except: &[&str]) -> impl Iterator<Item = (&'a String, &'a Value)> {
        let except: Vec<String> = except.iter().map(|s| s.to_string()).collect();
        self.map.iter().filter(move |(k, _)| !except.contains(k))
    }
}
