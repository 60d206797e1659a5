//! [`Vars`]: the variables of one scope of a case (a frame's process variables, a
//! token's activity or action scope).
//!
//! The engine reads and writes variables on every step, so a scope is a vector of
//! `(name, value)` pairs kept sorted by name — not a `BTreeMap`, whose lookup
//! compares the name with every key on its way (a `memcmp` call each). A lookup in
//! a small scope (up to [`LINEAR_UP_TO`] names, the common case) scans the names
//! comparing lengths first, so it compares text with only the names of the same
//! length; a larger scope is searched by bisection. A lookup gives the variable's
//! index ([`Vars::slot`]), and an assignment to a variable found before writes at
//! that index ([`Vars::value_at_mut`]) without looking the name up again.
//!
//! Names set after every step (the `WF_ACTION_*` built-ins) are not looked up at
//! all once found: [`Vars::set_all`] keeps their slots in a [`Slots`] with the
//! scope's *layout*, a number that changes whenever a name is inserted or removed.
//!
//! Invariants: names are unique and in ascending order (so iterating, and the JSON
//! written, are exactly those of a `BTreeMap<String, Value>`, the form the state was
//! written in before); an index stays valid until a name is inserted or removed;
//! two scopes with the same non-zero layout have the same names at the same slots
//! (a layout is taken from a process-wide counter, and only a clone shares it).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::expr::Value;

/// Scopes with at most this many names are searched by a scan (lengths first).
pub const LINEAR_UP_TO: usize = 32;

/// The variables of one scope, sorted by name (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Vars {
    entries: Vec<(String, Value)>,
    /// Which names are where: 0 for no names, else a number no other set of
    /// names had (see the module documentation).
    layout: u64,
}

/// Equal when they hold the same variables (wherever their layouts came from).
impl PartialEq for Vars {
    fn eq(&self, other: &Vars) -> bool {
        self.entries == other.entries
    }
}

/// The last layout given out.
static LAYOUTS: AtomicU64 = AtomicU64::new(0);

/// The slots of `N` names in a scope of one layout ([`Vars::set_all`]).
#[derive(Debug, Clone, Copy)]
pub struct Slots<const N: usize> {
    layout: u64,
    at: [usize; N],
}

impl<const N: usize> Default for Slots<N> {
    fn default() -> Self {
        Slots {
            layout: 0,
            at: [0; N],
        }
    }
}

impl Vars {
    pub fn new() -> Vars {
        Vars::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The index of variable `name`, valid until a name is inserted or removed.
    #[inline]
    pub fn slot(&self, name: &str) -> Option<usize> {
        if self.entries.len() <= LINEAR_UP_TO {
            let (len, first) = (name.len(), name.as_bytes().first());
            self.entries.iter().position(|(k, _)| {
                k.len() == len && k.as_bytes().first() == first && {
                    probe::compared();
                    k.as_str() == name
                }
            })
        } else {
            self.entries
                .binary_search_by(|(k, _)| {
                    probe::compared();
                    k.as_str().cmp(name)
                })
                .ok()
        }
    }

    /// Where `name` is, or where it would be inserted.
    fn position(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    /// The names changed: a new layout (0 when there are none).
    fn relaid(&mut self) {
        self.layout = if self.entries.is_empty() {
            0
        } else {
            LAYOUTS.fetch_add(1, Ordering::Relaxed) + 1
        };
    }

    /// Set `names` to `values`; `slots` remembers where they are, so while the
    /// scope's names do not change no name is looked up.
    pub fn set_all<const N: usize>(
        &mut self,
        names: &[&str; N],
        values: [Value; N],
        slots: &mut Slots<N>,
    ) {
        if slots.layout != 0 && slots.layout == self.layout {
            for (&i, v) in slots.at.iter().zip(values) {
                self.entries[i].1 = v;
            }
            return;
        }
        for (name, v) in names.iter().zip(values) {
            self.set(name, v);
        }
        for (at, name) in slots.at.iter_mut().zip(names) {
            // Each was just set: it is there.
            *at = self.slot(name).unwrap_or_default();
        }
        slots.layout = self.layout;
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.slot(name).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.slot(name).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.slot(name).is_some()
    }

    /// The name and value at `slot` (from [`Vars::slot`]).
    pub fn entry_at(&self, slot: usize) -> (&str, &Value) {
        let (k, v) = &self.entries[slot];
        (k, v)
    }

    /// The value at `slot` (from [`Vars::slot`], with no insertion or removal since).
    pub fn value_at_mut(&mut self, slot: usize) -> &mut Value {
        &mut self.entries[slot].1
    }

    /// Set `name`, returning the value it replaced.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        match self.position(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (name, value));
                self.relaid();
                None
            }
        }
    }

    /// Set `name`; the name is copied only when the variable is new.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.slot(name) {
            Some(i) => self.entries[i].1 = value,
            None => {
                self.insert(name.to_string(), value);
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.slot(name)?;
        let (_, v) = self.entries.remove(i);
        self.relaid();
        Some(v)
    }

    /// Empty the scope (no work when it is empty already).
    pub fn clear(&mut self) {
        if !self.entries.is_empty() {
            self.entries.clear();
            self.relaid();
        }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
        self.relaid();
    }

    /// Names and values in name order.
    pub fn iter(&self) -> Iter<'_> {
        self.into_iter()
    }

    pub fn iter_mut(&mut self) -> IterMut<'_> {
        self.into_iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The same variables as a map.
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

pub type Iter<'a> = std::iter::Map<
    std::slice::Iter<'a, (String, Value)>,
    fn(&'a (String, Value)) -> (&'a String, &'a Value),
>;

pub type IterMut<'a> = std::iter::Map<
    std::slice::IterMut<'a, (String, Value)>,
    fn(&'a mut (String, Value)) -> (&'a String, &'a mut Value),
>;

impl<'a> IntoIterator for &'a Vars {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> IntoIterator for &'a mut Vars {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = IterMut<'a>;
    fn into_iter(self) -> IterMut<'a> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

impl IntoIterator for Vars {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl FromIterator<(String, Value)> for Vars {
    /// Later pairs win over earlier ones with the same name, as for a map.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Vars {
        let map: BTreeMap<String, Value> = iter.into_iter().collect();
        Vars::from(map)
    }
}

impl From<BTreeMap<String, Value>> for Vars {
    fn from(map: BTreeMap<String, Value>) -> Vars {
        let mut vars = Vars {
            entries: map.into_iter().collect(),
            layout: 0,
        };
        vars.relaid();
        vars
    }
}

impl std::ops::Index<&str> for Vars {
    type Output = Value;
    /// Panics when there is no such variable (as a map's index does).
    fn index(&self, name: &str) -> &Value {
        self.get(name)
            .unwrap_or_else(|| panic!("no variable '{name}'"))
    }
}

impl Serialize for Vars {
    /// As a JSON object, names in order: what a `BTreeMap` writes.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Vars {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Vars, D::Error> {
        BTreeMap::<String, Value>::deserialize(d).map(Vars::from)
    }
}

/// Counts the names [`Vars::slot`] compares as text, in unit tests (nothing in a
/// build without tests).
pub(crate) mod probe {
    #[cfg(test)]
    thread_local! {
        static COMPARED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    #[inline(always)]
    pub(crate) fn compared() {
        #[cfg(test)]
        COMPARED.with(|n| n.set(n.get() + 1));
    }

    /// Text comparisons made by this thread so far.
    #[cfg(test)]
    pub(crate) fn comparisons() -> u64 {
        COMPARED.with(std::cell::Cell::get)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &Vars) -> Vec<&str> {
        v.keys().map(String::as_str).collect()
    }

    #[test]
    fn names_stay_sorted_and_unique_and_slots_find_them() {
        let mut v = Vars::new();
        for (k, n) in [
            ("n", 1),
            ("WF_ACTION_RESULT", 2),
            ("m", 3),
            ("n", 4),
            ("limit", 5),
        ] {
            v.insert(k.to_string(), Value::Int(n));
        }
        assert_eq!(names(&v), ["WF_ACTION_RESULT", "limit", "m", "n"]);
        assert_eq!(v["n"], Value::Int(4));
        let i = v.slot("m").expect("m");
        *v.value_at_mut(i) = Value::Int(30);
        assert_eq!(v.get("m"), Some(&Value::Int(30)));
        assert_eq!(v.entry_at(i).0, "m");
        assert_eq!(v.slot("o"), None);
        assert_eq!(v.slot(""), None);
        v.set("a", Value::Null);
        assert_eq!(names(&v), ["WF_ACTION_RESULT", "a", "limit", "m", "n"]);
        assert_eq!(v.remove("limit"), Some(Value::Int(5)));
        assert_eq!(v.remove("limit"), None);
        assert_eq!(names(&v), ["WF_ACTION_RESULT", "a", "m", "n"]);
    }

    #[test]
    fn set_all_finds_the_names_once_and_again_only_after_the_names_changed() {
        const NAMES: [&str; 2] = ["b", "d"];
        let mut v = Vars::from(BTreeMap::from([
            ("a".to_string(), Value::Null),
            ("d".to_string(), Value::Null),
        ]));
        let mut slots = Slots::default();
        v.set_all(&NAMES, [Value::Int(1), Value::Int(2)], &mut slots);
        assert_eq!(names(&v), ["a", "b", "d"]);
        let before = probe::comparisons();
        v.set_all(&NAMES, [Value::Int(3), Value::Int(4)], &mut slots);
        assert_eq!(probe::comparisons(), before, "no name looked up");
        assert_eq!((&v["b"], &v["d"]), (&Value::Int(3), &Value::Int(4)));
        // A clone has the same names at the same slots.
        let mut copy = v.clone();
        copy.set_all(&NAMES, [Value::Int(5), Value::Int(6)], &mut slots);
        assert_eq!((&copy["b"], &copy["d"]), (&Value::Int(5), &Value::Int(6)));
        // A name inserted before them moves them: found again, not written blindly.
        v.set("c", Value::Null);
        v.set("aa", Value::Null);
        v.set_all(&NAMES, [Value::Int(7), Value::Int(8)], &mut slots);
        assert_eq!(names(&v), ["a", "aa", "b", "c", "d"]);
        assert_eq!(
            (&v["b"], &v["c"], &v["d"]),
            (&Value::Int(7), &Value::Null, &Value::Int(8))
        );
        // Another scope with the same names elsewhere is not mistaken for this one.
        let mut other = Vars::from(BTreeMap::from([("b".to_string(), Value::Null)]));
        other.set_all(&NAMES, [Value::Int(9), Value::Int(10)], &mut slots);
        assert_eq!(names(&other), ["b", "d"]);
        assert_eq!(
            (&other["b"], &other["d"]),
            (&Value::Int(9), &Value::Int(10))
        );
        assert_eq!(v["b"], Value::Int(7));
    }

    #[test]
    fn a_large_scope_is_searched_by_bisection_with_the_same_answers() {
        let mut v = Vars::new();
        for i in (0..200).rev() {
            v.set(&format!("v{i:03}"), Value::Int(i));
        }
        assert!(v.len() > LINEAR_UP_TO);
        for i in 0..200 {
            assert_eq!(v.get(&format!("v{i:03}")), Some(&Value::Int(i)));
        }
        assert_eq!(v.get("v200"), None);
        assert_eq!(v.get("v"), None);
        let sorted: Vec<String> = (0..200).map(|i| format!("v{i:03}")).collect();
        assert_eq!(v.keys().cloned().collect::<Vec<_>>(), sorted);
    }

    #[test]
    fn it_is_written_and_read_as_the_map_it_replaces() {
        let map = BTreeMap::from([
            ("b".to_string(), Value::Int(2)),
            ("a".to_string(), Value::Str("x".into())),
            ("WF_CASE_RESULT".to_string(), Value::Null),
        ]);
        let vars = Vars::from(map.clone());
        let text = serde_json::to_string(&vars).unwrap();
        assert_eq!(text, serde_json::to_string(&map).unwrap());
        let back: Vars = serde_json::from_str(&text).unwrap();
        assert_eq!(back, vars);
        assert_eq!(back.to_map(), map);
        // A repeated name: the last one wins, as for a map.
        let dup: Vars = serde_json::from_str(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(dup.len(), 1);
        assert_eq!(dup["a"], Value::Int(2));
    }
}
