//! Lists and maps: construction, in-place updates (`name=`), filtering, access.

use super::super::{Evaluator, Flow, R, coerce_int, fail, trace_value, with_text};
use super::{Category::*, FunctionInfo, Misuse, NAME, NONE, f};
use crate::expr::ast::{Call, Expr};
use crate::expr::path::MAX_SET_INDEX;
use crate::expr::value::Value;
use std::collections::BTreeMap;

#[rustfmt::skip]
pub(super) const LISTS: &[FunctionInfo] = &[
    f("list", Lists, "(list x…)", 0, None, NONE, NONE, "A list of the non-null arguments.", |ev, c| ev.list(c, false)),
    f("array", Lists, "(array x…)", 0, None, NONE, NONE, "A list of the arguments, nulls kept.", |ev, c| ev.list(c, true)),
    f("map", Lists, "(map key value …)", 0, None, NONE, NONE, "A map built from alternating keys and values.", |ev, c| ev.map(c)),
    f("append", Lists, "(append list x…) | (append name=\"v\" x…)", 0, None, NONE, NAME, "A copy of list with the non-null elements added; with name= appends to that variable in place.", |ev, c| ev.append(c, false)),
    f("appendAll", Lists, "(appendAll list other…) | (appendAll name=\"v\" other…)", 0, None, NONE, NAME, "A copy of list with every element of the other lists added; with name= in place.", |ev, c| ev.append(c, true)),
    f("filterdup", Lists, "(filterdup list) | (filterdup name=\"v\")", 0, Some(1), NONE, NAME, "The list without duplicates, first occurrences kept; with name= the variable's list in place.", |ev, c| ev.filter_list(c, true)),
    f("filternull", Lists, "(filternull list) | (filternull name=\"v\")", 0, Some(1), NONE, NAME, "The list without null elements; with name= the variable's list in place.", |ev, c| ev.filter_list(c, false)),
    f("get", Lists, "(get list-or-map index-or-key)", 2, Some(2), NONE, NONE, "Element at the 0-based index of a list, or value of a map key; null when absent.", |ev, c| ev.get(c)),
    f("setlist", Lists, "(setlist list index value) | (setlist name=\"v\" index value)", 2, Some(3), NONE, NAME, "A copy of list with the element at index replaced (extended with nulls as needed); with name= in place.", |ev, c| ev.setlist(c)),
    f("putmap", Lists, "(putmap map key value) | (putmap name=\"v\" key value)", 2, Some(3), NONE, NAME, "A copy of map with key set to value; with name= in place.", |ev, c| ev.putmap(c)),
];

/// The finer arity check of the update forms, whose count depends on `name=`.
fn arity(c: &Call, min: usize, max: Option<usize>) -> Result<(), Flow> {
    let got = c.args.len();
    if got < min || max.is_some_and(|m| got > m) {
        return Err(fail(&c.name, Misuse::Arity { min, max, got }));
    }
    Ok(())
}

impl Evaluator<'_> {
    fn list(&mut self, c: &Call, keep_nulls: bool) -> R {
        let mut out = Vec::with_capacity(c.args.len());
        for e in &c.args {
            let v = self.eval(e)?;
            if keep_nulls || !v.is_null() {
                out.push(v);
            }
        }
        Ok(Value::List(out))
    }

    fn map(&mut self, c: &Call) -> R {
        if !c.args.len().is_multiple_of(2) {
            return Err(fail(
                "map",
                format!("expects key/value pairs, got {} arguments", c.args.len()),
            ));
        }
        let mut out = BTreeMap::new();
        for pair in c.args.chunks(2) {
            let k = self.eval(&pair[0])?;
            let v = self.eval(&pair[1])?;
            // "If any key expression evaluates to null, the entry is ignored"
            // (Defining Map Objects with XML Object Syntax and XPRESS, bvbyu).
            if !k.is_null() {
                out.insert(k.to_text(), v);
            }
        }
        Ok(Value::Map(out))
    }

    /// Evaluate all of `exprs` in order.
    fn eval_all(&mut self, exprs: &[Expr]) -> Result<Vec<Value>, Flow> {
        let mut out = Vec::with_capacity(exprs.len());
        for e in exprs {
            out.push(self.eval(e)?);
        }
        Ok(out)
    }

    /// The base value and the other arguments of a list/map update form:
    /// with `name=` the arguments are evaluated first, then the variable is
    /// taken for an in-place update; without, the first argument is the base.
    fn update_operands(
        &mut self,
        c: &Call,
        extra: Option<usize>,
    ) -> Result<(Value, Vec<Value>), Flow> {
        match c.attr("name") {
            Some(name) => {
                if let Some(n) = extra {
                    arity(c, n, Some(n))?;
                }
                let rest = self.eval_all(&c.args)?;
                Ok((self.take_for_update(name)?, rest))
            }
            None => {
                match extra {
                    Some(n) => arity(c, n + 1, Some(n + 1))?,
                    None => arity(c, 1, None)?,
                }
                let base = self.eval(&c.args[0])?;
                Ok((base, self.eval_all(&c.args[1..])?))
            }
        }
    }

    /// Return the updated value, or store it into the `name=` variable and return null.
    fn update_result(&mut self, c: &Call, v: Value) -> R {
        match c.attr("name") {
            Some(name) => {
                self.write_path(&c.name, name, v)?;
                Ok(Value::Null)
            }
            None => Ok(v),
        }
    }

    /// `putmap` / `setlist`: as [`Self::update_result`], and when the object is
    /// given as a variable reference (`(putmap $userView "k" "v")`, the reference's
    /// `<putmap><ref>userView</ref>…`), the variable is updated too, as the Java
    /// object it names is in Waveset ("Assigns map elements to an object"); the
    /// updated value is returned.
    fn update_object(&mut self, c: &Call, v: Value) -> R {
        if c.attr("name").is_none()
            && let Some(Expr::Ref(path)) = c.args.first()
        {
            self.write_path(&c.name, path, v.clone())?;
            return Ok(v);
        }
        self.update_result(c, v)
    }

    /// `(append list x…)` / `(appendAll list other…)`, or with `name=` in place.
    fn append(&mut self, c: &Call, all: bool) -> R {
        let (base, rest) = self.update_operands(c, None)?;
        let mut items = match base {
            Value::Null => Vec::new(),
            Value::List(l) => l,
            scalar => vec![scalar],
        };
        for v in rest {
            match v {
                Value::Null => {}
                Value::List(l) if all => items.extend(l),
                v => items.push(v),
            }
        }
        self.update_result(c, Value::List(items))
    }

    /// `(filterdup list)` / `(filternull list)`, or with `name=` (and no
    /// child) the variable's list filtered in place.
    fn filter_list(&mut self, c: &Call, dups: bool) -> R {
        let base = match c.attr("name") {
            Some(name) => {
                arity(c, 0, Some(0))?;
                self.take_for_update(name)?
            }
            None => {
                arity(c, 1, Some(1))?;
                self.eval(&c.args[0])?
            }
        };
        let filtered = match base {
            Value::Null => Ok(Value::Null),
            Value::List(l) => {
                let mut out: Vec<Value> = Vec::with_capacity(l.len());
                for v in l {
                    if dups {
                        // Quadratic: charge one unit per 64 comparisons.
                        self.charge(&c.name, out.len() as u64 / 64)?;
                    }
                    let keep = if dups {
                        !out.contains(&v)
                    } else {
                        !v.is_null()
                    };
                    if keep {
                        out.push(v);
                    }
                }
                Ok(Value::List(out))
            }
            other => Err(fail(
                &c.name,
                format!("expects a list, got {}", trace_value(&other)),
            )),
        }?;
        self.update_result(c, filtered)
    }

    fn get(&mut self, c: &Call) -> R {
        let container = self.eval(&c.args[0])?;
        let key = self.eval(&c.args[1])?;
        Ok(match container {
            Value::List(mut l) => match coerce_int(&key).flatten() {
                Some(i) if i >= 0 && (i as usize) < l.len() => l.swap_remove(i as usize),
                _ => Value::Null,
            },
            Value::Map(mut m) => with_text(&key, |k| m.remove(k)).unwrap_or_default(),
            _ => Value::Null,
        })
    }

    fn setlist(&mut self, c: &Call) -> R {
        let (base, rest) = self.update_operands(c, Some(2))?;
        let mut items = match base {
            Value::Null => Vec::new(),
            Value::List(l) => l,
            other => {
                return Err(fail(
                    "setlist",
                    format!("expects a list, got {}", trace_value(&other)),
                ));
            }
        };
        let [idx, v]: [Value; 2] = rest
            .try_into()
            .map_err(|_| fail("setlist", "expects an index and a value"))?;
        let idx = match self.int_of("setlist", 2, &idx)? {
            Some(i) if (0..=MAX_SET_INDEX as i64).contains(&i) => i as usize,
            _ => return Err(fail("setlist", format!("bad index {}", trace_value(&idx)))),
        };
        self.charge("setlist", (idx.saturating_sub(items.len()) / 16) as u64)?;
        if items.len() <= idx {
            items.resize(idx + 1, Value::Null);
        }
        items[idx] = v;
        self.update_object(c, Value::List(items))
    }

    fn putmap(&mut self, c: &Call) -> R {
        let (base, rest) = self.update_operands(c, Some(2))?;
        let mut map = match base {
            Value::Null => BTreeMap::new(),
            Value::Map(m) => m,
            other => {
                return Err(fail(
                    "putmap",
                    format!("expects a map, got {}", trace_value(&other)),
                ));
            }
        };
        let [k, v]: [Value; 2] = rest
            .try_into()
            .map_err(|_| fail("putmap", "expects a key and a value"))?;
        if k.is_null() {
            return Err(fail("putmap", "the key is null"));
        }
        map.insert(k.to_text(), v);
        self.update_object(c, Value::Map(map))
    }
}
