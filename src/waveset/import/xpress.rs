//! XPRESS and XML Object Language elements -> bpe expressions, and the slots
//! (`value=` attributes or XPRESS children) that hold one expression.

use crate::expr::{self, Call, Expr};
use crate::model::ExprText;

use super::super::xml::{Item, Tag};
use super::{Importer, Result, Several};

impl Importer<'_> {
    /// One XPRESS element (already started) as an expression.
    pub(super) fn xpress(&mut self, tag: Tag) -> Result<Expr> {
        match tag.name.as_str() {
            "String" | "Integer" | "Long" | "Boolean" => return self.xml_scalar(tag),
            "Map" => return self.xml_map(tag),
            _ => {}
        }
        let mut text = String::new();
        let mut text_offset = None;
        let mut args = Vec::new();
        loop {
            match self.cur.next()? {
                Item::Start(t) => args.push(self.xpress(t)?),
                Item::Text(s, o) => {
                    text_offset.get_or_insert(o);
                    text.push_str(&s);
                }
                Item::End => break,
                Item::Eof => return Err(self.unclosed()),
            }
        }
        let name = tag.name.as_str();
        let literal = matches!(name, "i" | "s" | "null") || (name == "ref" && args.is_empty());
        if literal && !tag.attrs.is_empty() {
            return Err(self.err(
                tag.offset,
                format!("attributes on <{name}> are not supported"),
            ));
        }
        let stray_text = |me: &Self| {
            me.err(
                text_offset.unwrap_or(tag.offset),
                format!("unexpected text inside <{name}> (literal text belongs in <s>, numbers in <i>, variable names in <ref>)"),
            )
        };
        match name {
            "s" | "i" | "null" if !args.is_empty() => {
                Err(self.err(tag.offset, format!("<{name}> cannot hold elements")))
            }
            "s" => Ok(Expr::Str(text)),
            "i" => text.trim().parse::<i64>().map(Expr::Int).map_err(|_| {
                self.err(
                    text_offset.unwrap_or(tag.offset),
                    format!("<i>{}</i> is not an integer", text.trim()),
                )
            }),
            "null" => {
                if text.trim().is_empty() {
                    Ok(Expr::Null)
                } else {
                    Err(stray_text(self))
                }
            }
            // An embedded JavaScript/BeanShell body, a <Date>20020911 09:15:00</Date>, or
            // the text of an element bpe does not know: kept verbatim as the one
            // string argument of the call; bpe never runs it (validation flags it).
            _ if args.is_empty() && super::super::export::keeps_text_body(name, &text) => {
                self.check_name_and_attrs(&tag)?;
                Ok(Expr::Call(Call {
                    name: tag.name,
                    attrs: tag.attrs,
                    args: if text.is_empty() {
                        Vec::new()
                    } else {
                        vec![Expr::Str(text)]
                    },
                }))
            }
            // `<expression>` wraps a value where an object is expected (an
            // `<Argument>`, a `<Rule>` body), `<o>` an XML object (pre-2.0 files):
            // the one child, several as a block.
            "expression" | "o" if tag.attrs.is_empty() => {
                if !text.trim().is_empty() {
                    return Err(stray_text(self));
                }
                if args.len() == 1 {
                    Ok(args.remove(0))
                } else {
                    Ok(Expr::Call(Call {
                        name: "block".to_string(),
                        attrs: Vec::new(),
                        args,
                    }))
                }
            }
            // XML Object Language list: a list that keeps null elements.
            "List" => {
                if !text.trim().is_empty() {
                    return Err(stray_text(self));
                }
                if !tag.attrs.is_empty() {
                    return Err(self.err(tag.offset, "attributes on <List> are not supported"));
                }
                Ok(Expr::Call(Call {
                    name: "array".to_string(),
                    attrs: Vec::new(),
                    args,
                }))
            }
            "rule" => {
                self.check_name_and_attrs(&tag)?;
                if !text.trim().is_empty() {
                    return Err(stray_text(self));
                }
                let args = args
                    .into_iter()
                    .map(|a| self.rule_argument_value(&tag, a))
                    .collect();
                Ok(Expr::Call(Call {
                    name: tag.name,
                    attrs: tag.attrs,
                    args,
                }))
            }
            "ref" if args.is_empty() => {
                let path = text.trim();
                if path.is_empty() {
                    Err(self.err(tag.offset, "<ref> names no variable"))
                } else if path.contains('}') {
                    Err(self.err(
                        tag.offset,
                        format!("variable name '{path}' cannot contain '}}'"),
                    ))
                } else {
                    Ok(Expr::Ref(path.to_string()))
                }
            }
            _ => {
                if !text.trim().is_empty() {
                    return Err(stray_text(self));
                }
                self.check_name_and_attrs(&tag)?;
                Ok(Expr::Call(Call {
                    name: tag.name,
                    attrs: tag.attrs,
                    args,
                }))
            }
        }
    }

    /// Element and attribute names must be ones the expression syntax can write.
    fn check_name_and_attrs(&self, tag: &Tag) -> Result<()> {
        let name = tag.name.as_str();
        if !expr::is_name(name) {
            return Err(self.err(
                tag.offset,
                format!(
                    "<{name}> is not a function name bpe can write ([A-Za-z_][A-Za-z0-9_.:-]*)"
                ),
            ));
        }
        if let Some((k, _)) = tag.attrs.iter().find(|(k, _)| !expr::is_name(k)) {
            return Err(self.err(
                tag.offset,
                format!("attribute name '{k}' on <{name}> is not supported"),
            ));
        }
        Ok(())
    }

    /// `<argument name='a' value='$(path)'/>` inside `<rule>`: the reference
    /// ("Basic Rule Call Syntax", Sun IdM 8.1 Deployment Reference) passes the value
    /// of the variable, so the attribute becomes the argument's expression child,
    /// exactly as for a workflow `<Argument value=>`. Other values stay literal.
    fn rule_argument_value(&mut self, rule: &Tag, arg: Expr) -> Expr {
        let Expr::Call(mut c) = arg else { return arg };
        if c.name != "argument" || !c.args.is_empty() {
            return Expr::Call(c);
        }
        let Some(i) = c
            .attrs
            .iter()
            .position(|(k, v)| k == "value" && v.contains("$("))
        else {
            return Expr::Call(c);
        };
        let (_, value) = c.attrs.remove(i);
        let fake = Tag {
            name: "argument".to_string(),
            attrs: Vec::new(),
            offset: rule.offset,
        };
        c.args.push(self.attr_expr(&fake, &value));
        Expr::Call(c)
    }

    /// XML Object Language scalars: `<String>` (text kept exactly), `<Integer>` and
    /// `<Long>` (integers), `<Boolean>` (the Boolean literal `true` / `false`).
    fn xml_scalar(&mut self, tag: Tag) -> Result<Expr> {
        if !tag.attrs.is_empty() {
            return Err(self.err(
                tag.offset,
                format!("attributes on <{}> are not supported", tag.name),
            ));
        }
        let text = self.text(&tag)?;
        let name = tag.name.as_str();
        match name {
            "Integer" | "Long" => text.trim().parse::<i64>().map(Expr::Int).map_err(|_| {
                self.err(
                    tag.offset,
                    format!("<{name}>{}</{name}> is not an integer", text.trim()),
                )
            }),
            // The Java Boolean (Table 6-1 of the reference pairs it with <i>1</i> / <i>0</i>,
            // which it equals); any text other than `true`, in any case, is false, as Java's
            // Boolean.valueOf reads it.
            "Boolean" => Ok(Expr::Bool(text.trim().eq_ignore_ascii_case("true"))),
            _ => Ok(Expr::Str(text)),
        }
    }

    /// XML Object Language map: `<Map><MapEntry key='k' value='v'/>…</Map>`, an
    /// entry's value given by `value=` (literal text) or one object/expression
    /// child; becomes `(map "k" v …)`.
    fn xml_map(&mut self, tag: Tag) -> Result<Expr> {
        if !tag.attrs.is_empty() {
            return Err(self.err(tag.offset, "attributes on <Map> are not supported"));
        }
        let mut args = Vec::new();
        self.children(&tag, |me, entry| {
            if entry.name != "MapEntry" {
                return Err(me.err(
                    entry.offset,
                    format!("<{}> in <Map>: expected <MapEntry key='…'>", entry.name),
                ));
            }
            // `name=` is the spelling of "Constructing Hash Maps" in the reference.
            me.check_attrs(&entry, &["key", "name", "value"]);
            let key = match entry.attr("key").or(entry.attr("name")) {
                Some(k) => k.to_string(),
                None => me.required(&entry, "key")?,
            };
            let mut values = Vec::new();
            me.children(&entry, |me, c| {
                values.push(me.xpress(c)?);
                Ok(())
            })?;
            let value = match (entry.attr("value"), values.len()) {
                (Some(_), n) if n > 0 => {
                    return Err(me.err(
                        entry.offset,
                        "<MapEntry> has both a value attribute and a value element",
                    ));
                }
                (Some(v), _) => Expr::Str(v.to_string()),
                (None, 0) => Expr::Null,
                (None, 1) => values.pop().unwrap_or(Expr::Null),
                (None, _) => {
                    return Err(me.err(entry.offset, "<MapEntry> holds several values"));
                }
            };
            args.push(Expr::Str(key));
            args.push(value);
            Ok(())
        })?;
        Ok(Expr::Call(Call {
            name: "map".to_string(),
            attrs: Vec::new(),
            args,
        }))
    }

    /// The expression text of one slot: a `value=`-style attribute or XPRESS children,
    /// printed canonically — or the container's `bpeSource` verbatim when it agrees
    /// with the XPRESS (that is how export keeps non-canonical or broken text exact).
    pub(super) fn slot(
        &mut self,
        container: &Tag,
        attr_value: Option<&str>,
        mut exprs: Vec<Expr>,
        several: Several,
    ) -> Result<Option<ExprText>> {
        let expr = match (attr_value, exprs.len()) {
            (Some(_), n) if n > 0 => {
                return Err(self.err(
                    container.offset,
                    format!(
                        "<{}> has both a value attribute and an expression",
                        container.name
                    ),
                ));
            }
            (Some(v), _) => Some(self.attr_expr(container, v)),
            (None, 0) => None,
            (None, 1) => exprs.pop(),
            (None, _) => match several {
                Several::Block => Some(Expr::Call(Call {
                    name: "block".to_string(),
                    attrs: Vec::new(),
                    args: exprs,
                })),
                Several::Error => {
                    return Err(self.err(
                        container.offset,
                        format!(
                            "<{}> holds several expressions; wrap them in <block>",
                            container.name
                        ),
                    ));
                }
            },
        };
        let printed = expr.as_ref().map(expr::print);
        let Some(source) = container.attr("bpeSource") else {
            return Ok(printed);
        };
        let source = source.to_string();
        match (&expr, expr::parse(&source)) {
            (None, Ok(_)) => Ok(Some(source)),
            (None, Err(e)) => {
                self.warn(
                    container.offset,
                    format!("expression text kept as written although it does not parse ({e})"),
                );
                Ok(Some(source))
            }
            (Some(x), Ok(parsed)) if *x == parsed => Ok(Some(source)),
            (Some(_), _) => {
                self.warn(
                    container.offset,
                    format!(
                        "bpeSource of <{}> disagrees with its XPRESS; the XPRESS was used",
                        container.name
                    ),
                );
                Ok(printed)
            }
        }
    }

    /// A `value=`/`name=` attribute: `$(path)` is a variable reference, text with
    /// embedded `$(path)` becomes a concat (with a warning), anything else a string.
    pub(super) fn attr_expr(&mut self, tag: &Tag, value: &str) -> Expr {
        let pieces = split_placeholders(value);
        match pieces.as_slice() {
            [] => Expr::Str(String::new()),
            [Piece::Text(t)] => Expr::Str(t.clone()),
            [Piece::Ref(r)] => Expr::Ref(r.clone()),
            _ => {
                self.warn(
                    tag.offset,
                    format!(
                        "value '{value}' of <{}> mixes text and $(...) references; imported as a concat",
                        tag.name
                    ),
                );
                Expr::Call(Call {
                    name: "concat".to_string(),
                    attrs: Vec::new(),
                    args: pieces
                        .into_iter()
                        .map(|p| match p {
                            Piece::Text(t) => Expr::Str(t),
                            Piece::Ref(r) => Expr::Ref(r),
                        })
                        .collect(),
                })
            }
        }
    }
}

enum Piece {
    Text(String),
    Ref(String),
}

/// Split `a $(b) c` into text and references. `$(` without a closing `)` or with
/// an empty name stays text.
fn split_placeholders(value: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("$(") {
        let after = &rest[start + 2..];
        match after.find(')') {
            Some(end) if end > 0 && !after[..end].contains("$(") => {
                text.push_str(&rest[..start]);
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Ref(after[..end].to_string()));
                rest = &after[end + 1..];
            }
            _ => {
                text.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}
