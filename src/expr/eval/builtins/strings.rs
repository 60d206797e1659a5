//! Strings: joining, case, trimming, substrings, searching, splitting, padding.

use super::super::{Evaluator, Flow, MAX_TEXT_BYTES, R, fail, loose_eq, with_text};
use super::{Category::*, FunctionInfo, NONE, f};
use crate::expr::ast::Call;
use crate::expr::value::Value;

#[rustfmt::skip]
pub(super) const STRINGS: &[FunctionInfo] = &[
    f("concat", Strings, "(concat x…)", 0, None, NONE, NONE, "The arguments' text joined; null is empty, lists and maps as JSON.", |ev, c| ev.concat(c)),
    f("upcase", Strings, "(upcase s)", 1, Some(1), NONE, NONE, "Upper case.", |ev, c| ev.string_map(c, |s| s.to_uppercase())),
    f("downcase", Strings, "(downcase s)", 1, Some(1), NONE, NONE, "Lower case.", |ev, c| ev.string_map(c, |s| s.to_lowercase())),
    f("trim", Strings, "(trim s)", 1, Some(1), NONE, NONE, "Without leading and trailing whitespace.", |ev, c| ev.string_map(c, |s| s.trim().to_string())),
    f("ltrim", Strings, "(ltrim s)", 1, Some(1), NONE, NONE, "Without leading whitespace.", |ev, c| ev.string_map(c, |s| s.trim_start().to_string())),
    f("rtrim", Strings, "(rtrim s)", 1, Some(1), NONE, NONE, "Without trailing whitespace.", |ev, c| ev.string_map(c, |s| s.trim_end().to_string())),
    f("substr", Strings, "(substr s [start] [length]) | (substr s=\"start\" l=\"length\" s)", 1, Some(3), NONE, &["s", "l"], "Characters from start (0-based; child, else attribute s=, else 0), length of them (child, else l=) or to the end; clamped to the string.", |ev, c| ev.substr(c)),
    f("indexOf", Strings, "(indexOf s-or-list x [from])", 2, Some(3), NONE, NONE, "Character index of substring x in s, or index of element x in a list; -1 when absent.", |ev, c| ev.index_of(c)),
    f("length", Strings, "(length x)", 1, Some(1), NONE, NONE, "Characters of a string, elements of a list or map; 0 for null.", |ev, c| ev.length(c)),
    f("split", Strings, "(split s separator)", 2, Some(2), NONE, NONE, "List of the pieces of s between occurrences of separator.", |ev, c| ev.split(c)),
    f("pad", Strings, "(pad s length [char])", 2, Some(3), NONE, NONE, "s padded on the right with char (default space) to length characters.", |ev, c| ev.pad(c)),
    f("contains", Strings, "(contains s-or-list x)", 2, Some(2), NONE, NONE, "1 when the string contains the substring, the list the element (eq), or the map the key; else 0.", |ev, c| ev.contains(c)),
];

impl Evaluator<'_> {
    fn concat(&mut self, c: &Call) -> R {
        let mut out = String::new();
        for e in &c.args {
            match self.eval(e)? {
                Value::Null => {}
                Value::Str(s) => out.push_str(&s),
                other => out.push_str(&other.to_text()),
            }
            if out.len() > MAX_TEXT_BYTES {
                return Err(fail(
                    "concat",
                    format!("result longer than {} MiB", MAX_TEXT_BYTES >> 20),
                ));
            }
        }
        Ok(Value::Str(out))
    }

    fn string_map(&mut self, c: &Call, f: fn(&str) -> String) -> R {
        Ok(match self.eval(&c.args[0])? {
            Value::Null => Value::Null,
            v => Value::Str(with_text(&v, f)),
        })
    }

    fn substr(&mut self, c: &Call) -> R {
        let s = self.eval(&c.args[0])?;
        if s.is_null() {
            return Ok(Value::Null);
        }
        let start = self.position(c, 1, "s")?.unwrap_or(0).max(0) as usize;
        let len = self.position(c, 2, "l")?.map(|n| n.max(0) as usize);
        let out: String = with_text(&s, |s| {
            let it = s.chars().skip(start);
            match len {
                Some(n) => it.take(n).collect(),
                None => it.collect(),
            }
        });
        Ok(Value::Str(out))
    }

    /// The integer given as child `i`, else as attribute `attr` (the
    /// reference's `<substr s='3' l='4'>` form), else null.
    fn position(&mut self, c: &Call, i: usize, attr: &str) -> Result<Option<i64>, Flow> {
        let v = match (c.args.get(i), c.attr(attr)) {
            (Some(e), _) => self.eval(e)?,
            (None, Some(text)) => Value::Str(text.to_string()),
            (None, None) => return Ok(None),
        };
        self.int_of("substr", i + 1, &v)
    }

    fn index_of(&mut self, c: &Call) -> R {
        let hay = self.eval(&c.args[0])?;
        let needle = self.eval(&c.args[1])?;
        let from = match c.args.get(2) {
            Some(e) => {
                let v = self.eval(e)?;
                self.int_of("indexOf", 3, &v)?.unwrap_or(0).max(0) as usize
            }
            None => 0,
        };
        let idx = match &hay {
            Value::Null => -1,
            Value::List(items) => items
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, x)| loose_eq(x, &needle))
                .map_or(-1, |(i, _)| i as i64),
            other => with_text(other, |h| {
                with_text(&needle, |n| {
                    let byte_from = h.char_indices().nth(from).map(|(b, _)| b);
                    match byte_from {
                        Some(b) => h[b..]
                            .find(n)
                            .map_or(-1, |pos| (from + h[b..b + pos].chars().count()) as i64),
                        None if n.is_empty() && from == h.chars().count() => from as i64,
                        None => -1,
                    }
                })
            }),
        };
        Ok(Value::Int(idx))
    }

    fn length(&mut self, c: &Call) -> R {
        let n = match self.eval(&c.args[0])? {
            Value::Null => 0,
            Value::Str(s) => s.chars().count(),
            Value::List(l) => l.len(),
            Value::Map(m) => m.len(),
            Value::Int(i) => i.to_string().len(),
            Value::Bool(b) => b.to_string().len(),
        };
        Ok(Value::Int(n as i64))
    }

    fn split(&mut self, c: &Call) -> R {
        let s = self.eval(&c.args[0])?;
        let sep = self.eval(&c.args[1])?;
        if s.is_null() {
            return Ok(Value::List(Vec::new()));
        }
        let pieces = with_text(&s, |s| {
            with_text(&sep, |sep| {
                if sep.is_empty() {
                    s.chars().count()
                } else {
                    s.matches(sep).count() + 1
                }
            })
        });
        self.charge("split", pieces as u64 / 16)?;
        let parts = with_text(&s, |s| {
            with_text(&sep, |sep| {
                if s.is_empty() {
                    Vec::new()
                } else if sep.is_empty() {
                    s.chars().map(|ch| Value::Str(ch.to_string())).collect()
                } else {
                    s.split(sep).map(|p| Value::Str(p.to_string())).collect()
                }
            })
        });
        Ok(Value::List(parts))
    }

    fn pad(&mut self, c: &Call) -> R {
        let s = self.eval(&c.args[0])?;
        let len = self.eval(&c.args[1])?;
        let len = self.int_of("pad", 2, &len)?.unwrap_or(0).max(0) as usize;
        let fill = match c.args.get(2) {
            Some(e) => {
                let v = self.eval(e)?;
                let Some(ch) = with_text(&v, |t| t.chars().next()) else {
                    return Err(fail("pad", "the padding character is empty"));
                };
                ch
            }
            None => ' ',
        };
        let mut out = s.to_text();
        let have = out.chars().count();
        if len > 1_000_000 {
            return Err(fail("pad", format!("length {len} is too large")));
        }
        self.charge("pad", len.saturating_sub(have) as u64 / 64)?;
        for _ in have..len {
            out.push(fill);
        }
        Ok(Value::Str(out))
    }

    fn contains(&mut self, c: &Call) -> R {
        let hay = self.eval(&c.args[0])?;
        let needle = self.eval(&c.args[1])?;
        let found = match &hay {
            Value::Null => false,
            Value::List(items) => items.iter().any(|x| loose_eq(x, &needle)),
            Value::Map(m) => with_text(&needle, |k| m.contains_key(k)),
            other => with_text(other, |h| with_text(&needle, |n| h.contains(n))),
        };
        Ok(Value::from_bool(found))
    }
}
