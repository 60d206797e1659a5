//! notify and audit: mail rendered into `Outbox/`, lines appended to
//! `audit.jsonl` (see docs/services.md, Notify and Audit).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{RepoServices, is_secret_name, non_empty};
use crate::expr::Value;
use crate::model::{EmailTemplate, new_id};
use crate::services::args::Args;
use crate::services::{CallContext, ServiceError, notify};

/// A rendered message and what `notify` records about it.
struct Mail {
    text: String,
    subject: String,
    recipients: Vec<String>,
    message_id: String,
    /// `Outbox/<time>-<id>.eml`, relative to the root.
    path: PathBuf,
}

impl RepoServices {
    fn find_template(&self, a: &Args, name: &str) -> Result<EmailTemplate, ServiceError> {
        self.all::<EmailTemplate>("EmailTemplate")?
            .into_iter()
            .map(|(_, t)| t)
            .find(|t| t.name == name || t.id == name)
            .ok_or_else(|| a.err(format_args!("no EmailTemplate named '{name}'")))
    }

    /// Mailboxes from a recipient argument or rendered template text. A bare
    /// account id becomes that user's email, else `<id>@<mailDomain>`.
    fn mailboxes(
        &self,
        a: &Args,
        items: Vec<String>,
    ) -> Result<Vec<notify::Mailbox>, ServiceError> {
        let mut out = Vec::new();
        for item in items {
            for part in notify::split_list(&item) {
                let mut mailbox = notify::parse_mailbox(&part).map_err(|e| a.err(e))?;
                if !mailbox.address.contains('@') {
                    mailbox.address = self.address_of(a, &mailbox.address)?;
                }
                notify::validate_address(&mailbox.address).map_err(|e| a.err(e))?;
                out.push(mailbox);
            }
        }
        Ok(out)
    }

    fn address_of(&self, a: &Args, account_id: &str) -> Result<String, ServiceError> {
        if let Some((_, user)) = self.find_user(account_id)?
            && !user.email.is_empty()
        {
            return Ok(user.email);
        }
        let domain = &self.config.settings.mail_domain;
        if domain.is_empty() {
            return Err(a.err(format_args!(
                "invalid email address '{account_id}': no @, no user with that accountId and an email, \
                 and no settings.mailDomain"
            )));
        }
        Ok(format!("{account_id}@{domain}"))
    }

    fn recipients_arg(a: &Args, name: &str) -> Result<Option<Vec<String>>, ServiceError> {
        match a.value(name) {
            None => Ok(None),
            Some(Value::List(items)) => Ok(Some(
                items
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(Value::to_text)
                    .collect(),
            )),
            Some(Value::Str(s)) => Ok(Some(vec![s.clone()])),
            Some(_) => Err(a.err(format_args!(
                "argument '{name}' must be text or a list of addresses"
            ))),
        }
    }

    pub(super) fn notify(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
        let template_name = a.text("template")?;
        let template = self.find_template(a, &template_name)?;
        let mail = self.compose(a, &template, cx.variables, cx.instance_id, cx.now)?;
        self.store.write(&mail.path, mail.text.into_bytes())?;
        let recipients: Vec<&str> = mail.recipients.iter().map(String::as_str).collect();
        self.record(
            "notify",
            format!(
                "mail '{}' to {} ({})",
                mail.subject
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect::<String>(),
                recipients.join(", "),
                mail.path.display()
            ),
        );
        Ok(Value::Str(mail.message_id))
    }

    /// The message `notify` would write for `template` with `variables` (as
    /// the `variables` argument) at `now`: the exact RFC 5322 text, CRLF line
    /// endings, for the template editor's preview. Reads the repository
    /// (users for bare account ids, settings) and writes nothing.
    pub fn preview_mail(
        &self,
        template: &EmailTemplate,
        variables: &BTreeMap<String, Value>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, ServiceError> {
        let spec = crate::services::ops::OPS
            .iter()
            .find(|o| o.name == "notify")
            .ok_or_else(|| ServiceError::new("notify: not in the op catalogue"))?;
        let map: BTreeMap<String, Value> = [
            ("template".to_string(), Value::Str(template.name.clone())),
            ("variables".to_string(), Value::Map(variables.clone())),
        ]
        .into_iter()
        .collect();
        let a = Args::new(spec, &map)?;
        let none = BTreeMap::new();
        Ok(self.compose(&a, template, &none, "preview", now)?.text)
    }

    /// Render `template` into a message: recipients from the arguments or the
    /// template, From from the template or the settings, placeholders from the
    /// `variables` argument, the other arguments, then the case's variables.
    fn compose(
        &self,
        a: &Args,
        template: &EmailTemplate,
        case_variables: &BTreeMap<String, Value>,
        instance_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Mail, ServiceError> {
        let empty = BTreeMap::new();
        let variables = match a.value("variables") {
            None => &empty,
            Some(Value::Map(m)) => m,
            Some(_) => return Err(a.err("argument 'variables' must be a map")),
        };
        let named: BTreeMap<String, Value> = a
            .others(&["template", "to", "cc", "variables"])
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let scopes = [variables, &named, case_variables];
        let render = |text: &str| notify::render_template(text, &scopes);

        let to_items = match Self::recipients_arg(a, "to")? {
            Some(items) => items,
            None => vec![render(&template.to)],
        };
        let cc_items = match Self::recipients_arg(a, "cc")? {
            Some(items) => items,
            None => vec![render(&template.cc)],
        };
        let to = self.mailboxes(a, to_items)?;
        let cc = self.mailboxes(a, cc_items)?;
        if to.is_empty() {
            return Err(a.err(format_args!(
                "no recipients (no 'to' argument and template '{}' has none)",
                template.name
            )));
        }
        let from_text = match render(&template.from) {
            t if !t.trim().is_empty() => t,
            _ if !self.config.settings.mail_from.is_empty() => {
                self.config.settings.mail_from.clone()
            }
            _ => format!(
                "bpe@{}",
                non_empty(&self.config.settings.mail_domain).unwrap_or("localhost")
            ),
        };
        let from = match self.mailboxes(a, vec![from_text])?.as_slice() {
            [one] => one.clone(),
            _ => return Err(a.err("the From address must be exactly one mailbox")),
        };
        let domain = non_empty(&self.config.settings.mail_domain)
            .map(str::to_string)
            .or_else(|| from.address.rsplit_once('@').map(|(_, d)| d.to_string()))
            .unwrap_or_else(|| "localhost".to_string());
        let id = new_id("msg");
        let message_id = format!("<{id}@{domain}>");
        let subject = render(&template.subject);
        let body = render(&template.body);
        let extra = [
            ("X-Bpe-Instance", instance_id.to_string()),
            ("X-Bpe-Template", template.name.clone()),
        ];
        let text = notify::build_message(&notify::Message {
            from: &from,
            to: &to,
            cc: &cc,
            subject: &subject,
            date: now,
            message_id: &message_id,
            body: &body,
            extra: &extra,
        });
        let path =
            PathBuf::from("Outbox").join(format!("{}-{id}.eml", now.format("%Y%m%dT%H%M%S")));
        Ok(Mail {
            text,
            subject,
            recipients: to.iter().chain(&cc).map(|m| m.address.clone()).collect(),
            message_id,
            path,
        })
    }

    pub(super) fn audit(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
        const RESERVED: &[&str] = &["timestamp", "instance", "caseOwner"];
        let event = a.text("event")?;
        let mut line = serde_json::Map::new();
        line.insert("timestamp".into(), cx.now.to_rfc3339().into());
        line.insert("instance".into(), cx.instance_id.into());
        line.insert("caseOwner".into(), cx.case_owner.into());
        line.insert("event".into(), event.clone().into());
        for name in ["subject", "detail"] {
            line.insert(
                name.into(),
                a.value(name).map(Value::to_json).unwrap_or_default(),
            );
        }
        for (name, value) in a.others(&["event", "subject", "detail"]) {
            if RESERVED.contains(&name.as_str()) {
                return Err(a.err(format_args!("argument '{name}' is reserved")));
            }
            let value = if is_secret_name(name) {
                serde_json::Value::String("[redacted]".into())
            } else {
                value.to_json()
            };
            line.insert(name.clone(), value);
        }
        let mut bytes = serde_json::to_vec(&serde_json::Value::Object(line))
            .map_err(|e| a.err(format_args!("cannot encode audit line: {e}")))?;
        bytes.push(b'\n');
        self.store.append(Path::new("audit.jsonl"), &bytes)?;
        let subject = a.value("subject").map(Value::to_text).unwrap_or_default();
        self.record(
            "audit",
            format!("audit {event} {subject}").trim_end().to_string(),
        );
        Ok(Value::Null)
    }
}
