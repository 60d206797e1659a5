use std::collections::BTreeMap;
use std::fmt;

/// A runtime value. Null, integer 0 and the string "0" are false ("Zero
/// (<i>0</i> or <s>0</s>) and <null> are considered logically false",
/// reference "Logical Expressions"); everything else (including the strings
/// "false" and "") is true.
///
/// `Bool` is the Java `Boolean` Waveset hands to expressions (a JSON
/// `true`/`false` in instances and work items, `--set X=true`): it is as true
/// as it says, reads as the text "true"/"false" (Java `Boolean.toString`),
/// and counts as 1/0 where an integer is wanted (Table 6-1 of the reference
/// pairs `<Boolean>true</Boolean>` with `<i>1</i>`). Invariant: a JSON boolean
/// read with [`Value::from_json`] is written back as the same JSON boolean.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    #[default]
    Null,
    Int(i64),
    Bool(bool),
    Str(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    pub fn is_true(&self) -> bool {
        match self {
            Value::Null | Value::Int(0) => false,
            Value::Bool(b) => *b,
            Value::Str(s) => s != "0",
            _ => true,
        }
    }

    pub fn from_bool(b: bool) -> Value {
        Value::Int(b as i64)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Convert JSON into a value: booleans stay booleans, integral numbers
    /// integers, other numbers strings.
    pub fn from_json(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(f as i64),
                    _ => Value::Str(n.to_string()),
                },
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// The value as text, as `concat` sees it: null is empty, lists and maps as JSON.
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => s.clone(),
            other => other.to_json().to_string(),
        }
    }
}

impl fmt::Display for Value {
    /// Displays like JSON (strings quoted), for variables views and listings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Value::from_json(&serde_json::Value::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness() {
        assert!(!Value::Null.is_true());
        assert!(!Value::Int(0).is_true());
        assert!(Value::Int(-1).is_true());
        assert!(Value::Str("false".into()).is_true());
        assert!(!Value::Str("0".into()).is_true());
        assert!(Value::Str(" 0".into()).is_true());
        assert!(Value::Str(String::new()).is_true());
        assert!(Value::List(vec![]).is_true());
    }

    #[test]
    fn json_round_trip() {
        let j = serde_json::json!({"a": [1, "x", null], "b": true, "c": 1.5});
        let v = Value::from_json(&j);
        assert_eq!(
            v.to_json(),
            serde_json::json!({"a": [1, "x", null], "b": true, "c": "1.5"})
        );
    }

    #[test]
    fn booleans_are_true_as_they_say_and_read_as_java_prints_them() {
        assert!(Value::Bool(true).is_true());
        assert!(!Value::Bool(false).is_true());
        assert_eq!(Value::Bool(true).to_text(), "true");
        assert_eq!(Value::Bool(false).to_text(), "false");
        let v = Value::from_json(&serde_json::json!(false));
        assert_eq!(v, Value::Bool(false));
        assert_eq!(v.to_json(), serde_json::json!(false));
    }
}
