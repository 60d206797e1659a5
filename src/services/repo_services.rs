//! [`RepoServices`]: the built-in service ops against the repository's JSON
//! identity store (`User/`, `Role/`, `Policy/`, `EmailTemplate/`), its outbox,
//! audit log and object locks. Files are read fresh on every call, written
//! atomically, and in a dry run only recorded (see `store`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::args::Args;
use super::store::Store;
use super::write_lock::{self, WRITE_LOCK_WAIT, WriteGuard, WriteHolder};
use super::{CallContext, CommandOutput, Effect, ServiceError, Services, command, locks, notify};
use crate::expr::Value;
use crate::model::{
    Account, EmailTemplate, FORMAT_VERSION, Policy, RepositoryConfig, Role, User, new_id, slug,
};
use crate::repo::Versioned;

/// How the runner wants services to behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceOptions {
    /// Record every write as an effect and change nothing on disk.
    pub dry_run: bool,
    /// The runner's half of the command policy (`--allow-commands`).
    pub allow_commands: bool,
}

/// Minutes a checked-out view stays locked (the original's object lock expiry).
pub(crate) const VIEW_LOCK_MINUTES: i64 = 5;
/// Minutes an object lock lasts when `lockObject` names none.
pub(crate) const DEFAULT_LOCK_MINUTES: i64 = 5;

/// User fields that `updateUser`, `setProperty` and `checkinView` may set.
const USER_TEXT_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "email",
    "department",
    "title",
    "manager",
    "employeeType",
    "endDate",
];

/// The repository-backed implementation of [`Services`].
pub struct RepoServices {
    store: Store,
    config: RepositoryConfig,
    options: ServiceOptions,
    effects: Vec<Effect>,
}

impl RepoServices {
    pub fn new(root: &Path, config: &RepositoryConfig, options: ServiceOptions) -> RepoServices {
        RepoServices {
            store: Store::new(root, options.dry_run),
            config: config.clone(),
            options,
            effects: Vec::new(),
        }
    }

    pub fn options(&self) -> ServiceOptions {
        self.options
    }

    fn record(&mut self, op: &str, summary: String) {
        self.effects.push(Effect {
            op: op.to_string(),
            summary,
            applied: !self.options.dry_run,
        });
    }

    // ---- reading the store -------------------------------------------------

    fn parse<T: DeserializeOwned + Versioned>(rel: &Path, bytes: &[u8]) -> Result<T, ServiceError> {
        crate::repo::parse_bytes(bytes).map_err(|(line, col, msg)| {
            ServiceError::new(format!("{}:{line}:{col}: {msg}", rel.display()))
        })
    }

    /// Every parseable object of a directory. Broken files are skipped here;
    /// `bpe validate` reports them.
    fn all<T: DeserializeOwned + Versioned>(
        &self,
        dir: &str,
    ) -> Result<Vec<(PathBuf, T)>, ServiceError> {
        let mut out = Vec::new();
        for rel in self.store.list(dir, ".json")? {
            if let Some(bytes) = self.store.read(&rel)?
                && let Ok(value) = Self::parse::<T>(&rel, &bytes)
            {
                out.push((rel, value));
            }
        }
        Ok(out)
    }

    fn find_user(&self, account_id: &str) -> Result<Option<(PathBuf, User)>, ServiceError> {
        let rel = user_path(account_id);
        if let Some(bytes) = self.store.read(&rel)? {
            let user: User = Self::parse(&rel, &bytes)?;
            if user.account_id == account_id {
                return Ok(Some((rel, user)));
            }
        }
        // A file named otherwise (hand-written repositories). Only files that
        // mention the id at all are parsed: this runs for every absent user.
        let needle = serde_json::to_string(account_id).unwrap_or_default();
        for rel in self.store.list("User", ".json")? {
            let Some(bytes) = self.store.read(&rel)? else {
                continue;
            };
            let mentions = std::str::from_utf8(&bytes).is_ok_and(|t| t.contains(&needle));
            if mentions
                && let Ok(user) = Self::parse::<User>(&rel, &bytes)
                && user.account_id == account_id
            {
                return Ok(Some((rel, user)));
            }
        }
        Ok(None)
    }

    fn require_user(&self, a: &Args, account_id: &str) -> Result<(PathBuf, User), ServiceError> {
        self.find_user(account_id)?
            .ok_or_else(|| a.err(format_args!("no user '{account_id}'")))
    }

    fn find_role(&self, name: &str) -> Result<Option<(PathBuf, Role)>, ServiceError> {
        Ok(self
            .all::<Role>("Role")?
            .into_iter()
            .find(|(_, r)| r.name == name))
    }

    fn require_role(&self, a: &Args, name: &str) -> Result<(PathBuf, Role), ServiceError> {
        self.find_role(name)?
            .ok_or_else(|| a.err(format_args!("unknown role '{name}'")))
    }

    fn save<T: serde::Serialize>(&mut self, rel: &Path, value: &T) -> Result<(), ServiceError> {
        self.store.write(rel, encode(rel, value)?)
    }

    // ---- write locks -------------------------------------------------------------

    /// Take the write lock of `object` (see `write_lock`); `None` in a dry run,
    /// which writes nothing.
    fn write_guard(
        &self,
        object: &str,
        cx: &CallContext<'_>,
    ) -> Result<Option<WriteGuard>, ServiceError> {
        if self.options.dry_run {
            return Ok(None);
        }
        let holder = WriteHolder {
            object: object.to_string(),
            instance: cx.instance_id.to_string(),
            owner: cx.case_owner.to_string(),
            pid: std::process::id(),
            host: crate::repo::lock::host_name(),
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        write_lock::acquire(self.store.root(), &holder, WRITE_LOCK_WAIT).map(Some)
    }

    /// Refuse when `User:<accountId>` is locked (lockObject / checkoutView) by
    /// another live case. Called under the user's write lock.
    fn check_view_lock(
        &self,
        a: &Args,
        account_id: &str,
        cx: &CallContext<'_>,
    ) -> Result<(), ServiceError> {
        let object = format!("User:{account_id}");
        if let Some(lock) = locks::read_lock(&self.store, &object)?
            && lock.instance != cx.instance_id
            && locks::is_live(&self.store, &lock, cx.now)
        {
            return Err(a.err(locks::held_error(&lock)));
        }
        Ok(())
    }

    // ---- user lifecycle ------------------------------------------------------

    fn create_user(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        validate_account_id(&account_id).map_err(|e| a.err(e))?;
        if let Some((path, existing)) = self.find_user(&account_id)? {
            return Err(a.err(format_args!(
                "user '{}' already exists ({})",
                existing.account_id,
                path.display()
            )));
        }
        let rel = user_path(&account_id);
        if let Some(bytes) = self.store.read(&rel)? {
            let other = Self::parse::<User>(&rel, &bytes)
                .map(|u| format!("user '{}'", u.account_id))
                .unwrap_or_else(|_| "an unreadable file".to_string());
            return Err(a.err(format_args!(
                "accountId '{account_id}' maps to {} which already holds {other}",
                rel.display()
            )));
        }
        let mut user = User {
            format_version: FORMAT_VERSION,
            account_id: account_id.clone(),
            ..Default::default()
        };
        for field in USER_TEXT_FIELDS {
            if let Some(v) = a.opt_text(field)? {
                set_text_field(&mut user, field, v);
            }
        }
        // Create-if-absent: another accountId with the same file name (another
        // write lock) may be racing for the file; exactly one of them wins.
        if !self.store.create_new(&rel, encode(&rel, &user)?)? {
            return Err(a.err(format_args!(
                "accountId '{account_id}' maps to {} which another run created just now",
                rel.display()
            )));
        }
        self.record(
            "createUser",
            format!("create user {account_id} ({})", rel.display()),
        );
        Ok(Value::Str(account_id))
    }

    fn update_user(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let (rel, mut user) = self.require_user(a, &account_id)?;
        let mut changed = Vec::new();
        for (name, value) in a.others(&["accountId"]) {
            if name == "attributes" {
                let Value::Map(m) = value else {
                    return Err(a.err("argument 'attributes' must be a map"));
                };
                for (k, v) in m {
                    if set_attribute(&mut user, k, v) {
                        changed.push(k.clone());
                    }
                }
            } else if set_field(&mut user, name, value).map_err(|e| a.err(e))? {
                changed.push(name.clone());
            }
        }
        if !changed.is_empty() {
            self.save(&rel, &user)?;
            self.record(
                "updateUser",
                format!("update user {account_id}: {}", changed.join(", ")),
            );
        }
        Ok(Value::Str(account_id))
    }

    fn get_user(&self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        Ok(match self.find_user(&account_id)? {
            Some((_, user)) => user_map(&user),
            None => Value::Null,
        })
    }

    fn query_users(&self, a: &Args) -> Result<Value, ServiceError> {
        let attribute = a.text("attribute")?;
        let wanted = a
            .value("value")
            .map(Value::to_text)
            .ok_or_else(|| a.err("missing required argument 'value'"))?;
        let mut ids: Vec<String> = self
            .all::<User>("User")?
            .into_iter()
            .map(|(_, u)| u)
            .filter(|u| user_matches(u, &attribute, &wanted))
            .map(|u| u.account_id)
            .collect();
        ids.sort();
        Ok(Value::List(ids.into_iter().map(Value::Str).collect()))
    }

    fn set_disabled(&mut self, a: &Args, disabled: bool) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let (rel, mut user) = self.require_user(a, &account_id)?;
        let before = user.clone();
        user.disabled = disabled;
        for account in &mut user.accounts {
            account.disabled = disabled;
        }
        if user != before {
            self.save(&rel, &user)?;
            let verb = if disabled { "disable" } else { "enable" };
            self.record(
                a.spec.name,
                format!(
                    "{verb} user {account_id} and {} account(s)",
                    user.accounts.len()
                ),
            );
        }
        Ok(Value::Str(account_id))
    }

    fn delete_user(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let (rel, _) = self.require_user(a, &account_id)?;
        self.store.remove(&rel)?;
        self.record(
            "deleteUser",
            format!("delete user {account_id} ({})", rel.display()),
        );
        Ok(Value::Str(account_id))
    }

    fn set_property(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let name = a.text("name")?;
        let value = a.value("value").cloned().unwrap_or_default();
        let (rel, mut user) = self.require_user(a, &account_id)?;
        if set_field(&mut user, &name, &value).map_err(|e| a.err(e))? {
            self.save(&rel, &user)?;
            let shown = if is_secret_name(&name) {
                "[redacted]".to_string()
            } else {
                value.to_string()
            };
            self.record(
                "setProperty",
                format!("set {name} of user {account_id} to {shown}"),
            );
        }
        Ok(Value::Str(account_id))
    }

    fn remove_property(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let name = a.text("name")?;
        let (rel, mut user) = self.require_user(a, &account_id)?;
        if set_field(&mut user, &name, &Value::Null).map_err(|e| a.err(e))? {
            self.save(&rel, &user)?;
            self.record(
                "removeProperty",
                format!("remove {name} of user {account_id}"),
            );
            Ok(Value::Int(1))
        } else {
            Ok(Value::Int(0))
        }
    }

    fn transfer_ownership(
        &mut self,
        a: &Args,
        cx: &CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        let from = a.text("from")?;
        let to = a.text("to")?;
        if from == to {
            return Err(a.err(format_args!("'from' and 'to' are both '{from}'")));
        }
        self.require_user(a, &to)?;
        let mut moved = Vec::new();
        // Each object is re-read and changed under its own write lock.
        for (rel, role) in self.all::<Role>("Role")? {
            if role.owner != from {
                continue;
            }
            let _guard = self
                .write_guard(&format!("Role:{}", role.name), cx)
                .map_err(|e| a.err(e))?;
            let Some(bytes) = self.store.read(&rel)? else {
                continue;
            };
            let mut role: Role = Self::parse(&rel, &bytes)?;
            if role.owner == from {
                role.owner = to.clone();
                self.save(&rel, &role)?;
                self.record(
                    "transferOwnership",
                    format!("role {} owner {from} -> {to}", role.name),
                );
                moved.push(Value::Str(format!("Role:{}", role.name)));
            }
        }
        for (_, user) in self.all::<User>("User")? {
            // `to` does not become their own manager.
            if user.manager != from || user.account_id == to {
                continue;
            }
            let _guard = self
                .write_guard(&format!("User:{}", user.account_id), cx)
                .map_err(|e| a.err(e))?;
            if let Some((rel, mut user)) = self.find_user(&user.account_id)?
                && user.manager == from
            {
                user.manager = to.clone();
                self.save(&rel, &user)?;
                self.record(
                    "transferOwnership",
                    format!("user {} manager {from} -> {to}", user.account_id),
                );
                moved.push(Value::Str(format!("User:{}", user.account_id)));
            }
        }
        Ok(Value::List(moved))
    }

    // ---- roles, accounts, policies ---------------------------------------------

    fn assign_role(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let role = a.text("role")?;
        let (rel, mut user) = self.require_user(a, &account_id)?;
        self.require_role(a, &role)?;
        if !user.roles.contains(&role) {
            user.roles.push(role.clone());
            self.save(&rel, &user)?;
            self.record(
                "assignRole",
                format!("assign role {role} to user {account_id}"),
            );
        }
        Ok(Value::Str(account_id))
    }

    fn revoke_role(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let role = a.opt_text("role")?;
        let (rel, mut user) = self.require_user(a, &account_id)?;
        let revoked: Vec<String> = match &role {
            Some(role) => {
                self.require_role(a, role)?;
                if user.roles.contains(role) {
                    vec![role.clone()]
                } else {
                    Vec::new()
                }
            }
            None => user.roles.clone(),
        };
        if !revoked.is_empty() {
            user.roles.retain(|r| !revoked.contains(r));
            self.save(&rel, &user)?;
            self.record(
                "revokeRole",
                format!(
                    "revoke role(s) {} from user {account_id}",
                    revoked.join(", ")
                ),
            );
        }
        Ok(Value::List(revoked.into_iter().map(Value::Str).collect()))
    }

    fn provision(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let (rel, mut user) = self.require_user(a, &account_id)?;
        let resources: Vec<String> = match a.opt_text("resource")? {
            Some(r) if r.trim().is_empty() => return Err(a.err("argument 'resource' is empty")),
            Some(r) => vec![r],
            None => {
                let mut out = Vec::new();
                for role_name in &user.roles {
                    let (_, role) = self.find_role(role_name)?.ok_or_else(|| {
                        a.err(format_args!(
                            "user '{account_id}' holds role '{role_name}' which has no Role file"
                        ))
                    })?;
                    for r in role.resources {
                        if !out.contains(&r) {
                            out.push(r);
                        }
                    }
                }
                out
            }
        };
        let mut created = Vec::new();
        for resource in resources {
            if !user.accounts.iter().any(|acc| acc.resource == resource) {
                user.accounts.push(Account {
                    resource: resource.clone(),
                    account_id: account_id.clone(),
                    disabled: user.disabled,
                });
                created.push(resource);
            }
        }
        if !created.is_empty() {
            self.save(&rel, &user)?;
            self.record(
                "provision",
                format!("provision user {account_id} on {}", created.join(", ")),
            );
        }
        Ok(Value::List(created.into_iter().map(Value::Str).collect()))
    }

    fn deprovision(&mut self, a: &Args) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let resource = a.opt_text("resource")?;
        let (rel, mut user) = self.require_user(a, &account_id)?;
        let removed: Vec<String> = user
            .accounts
            .iter()
            .filter(|acc| resource.as_ref().is_none_or(|r| &acc.resource == r))
            .map(|acc| acc.resource.clone())
            .collect();
        if !removed.is_empty() {
            user.accounts.retain(|acc| !removed.contains(&acc.resource));
            self.save(&rel, &user)?;
            self.record(
                "deprovision",
                format!("deprovision user {account_id} from {}", removed.join(", ")),
            );
        }
        Ok(Value::List(removed.into_iter().map(Value::Str).collect()))
    }

    fn check_sod(&self, a: &Args) -> Result<Value, ServiceError> {
        let mut held: BTreeSet<String> = BTreeSet::new();
        if let Some(account_id) = a.opt_text("accountId")? {
            let (_, user) = self.require_user(a, &account_id)?;
            held.extend(user.roles);
        }
        held.extend(a.opt_names("roles")?);
        let mut violations = Vec::new();
        for (_, policy) in self.all::<Policy>("Policy")? {
            for conflict in &policy.conflicts {
                if conflict.roles.is_empty() || !conflict.roles.iter().all(|r| held.contains(r)) {
                    continue;
                }
                let roles: Vec<String> = conflict.roles.iter().map(|r| format!("'{r}'")).collect();
                let mut text = format!(
                    "Policy '{}': roles {} may not be held together",
                    policy.name,
                    join_and(&roles)
                );
                if !conflict.reason.is_empty() {
                    text.push_str(&format!(" ({})", conflict.reason));
                }
                violations.push(Value::Str(text));
            }
        }
        Ok(if violations.is_empty() {
            Value::Null
        } else {
            Value::List(violations)
        })
    }

    // ---- password ----------------------------------------------------------------

    fn change_password(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        // Never echo the password back, not even in an error.
        let password = match a.value("password") {
            Some(Value::Str(s)) if !s.is_empty() => s.clone(),
            Some(Value::Int(i)) => i.to_string(),
            _ => return Err(a.err("argument 'password' must be non-empty text")),
        };
        // Hash first: the write lock is held only for the read-modify-write.
        let hash = super::hash_password(&password).map_err(|e| a.err(e))?;
        let _guard = self
            .write_guard(&format!("User:{account_id}"), cx)
            .map_err(|e| a.err(e))?;
        self.check_view_lock(a, &account_id, cx)?;
        let (rel, mut user) = self.require_user(a, &account_id)?;
        user.password_hash = hash;
        user.password_changed = cx.now.to_rfc3339();
        self.save(&rel, &user)?;
        self.record(
            "changePassword",
            format!("change password of user {account_id}"),
        );
        Ok(Value::Str(account_id))
    }

    // ---- notify and audit --------------------------------------------------------

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

    fn notify(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
        let template_name = a.text("template")?;
        let template = self.find_template(a, &template_name)?;
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
        let scopes = [variables, &named, cx.variables];
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
            ("X-Bpe-Instance", cx.instance_id.to_string()),
            ("X-Bpe-Template", template.name.clone()),
        ];
        let text = notify::build_message(&notify::Message {
            from: &from,
            to: &to,
            cc: &cc,
            subject: &subject,
            date: cx.now,
            message_id: &message_id,
            body: &body,
            extra: &extra,
        });
        let rel =
            PathBuf::from("Outbox").join(format!("{}-{id}.eml", cx.now.format("%Y%m%dT%H%M%S")));
        self.store.write(&rel, text.into_bytes())?;
        let recipients: Vec<&str> = to.iter().chain(&cc).map(|m| m.address.as_str()).collect();
        self.record(
            "notify",
            format!(
                "mail '{}' to {} ({})",
                subject
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect::<String>(),
                recipients.join(", "),
                rel.display()
            ),
        );
        Ok(Value::Str(message_id))
    }

    fn audit(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
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

    // ---- locks and views --------------------------------------------------------------

    fn lock_object(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
        let object = a.text("object")?;
        if object.trim().is_empty() {
            return Err(a.err("argument 'object' is empty"));
        }
        let minutes = a.opt_int("minutes")?.unwrap_or(DEFAULT_LOCK_MINUTES);
        if !(1..=7 * 24 * 60).contains(&minutes) {
            return Err(a.err(format_args!(
                "argument 'minutes' must be between 1 and 10080, not {minutes}"
            )));
        }
        let lock = locks::acquire(
            &mut self.store,
            &object,
            cx.instance_id,
            cx.case_owner,
            cx.now,
            minutes,
        )
        .map_err(|e| a.err(e))?;
        self.record(
            "lockObject",
            format!(
                "lock {object} for instance {} until {}",
                cx.instance_id, lock.expires
            ),
        );
        Ok(Value::Str(lock.expires))
    }

    fn unlock_object(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
        let object = a.text("object")?;
        let released = locks::release(&mut self.store, &object, cx.instance_id, cx.now)
            .map_err(|e| a.err(e))?;
        if released {
            self.record(
                "unlockObject",
                format!("unlock {object} held by instance {}", cx.instance_id),
            );
        }
        Ok(Value::from_bool(released))
    }

    fn checkout_view(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let (_, user) = self.require_user(a, &account_id)?;
        let object = format!("User:{account_id}");
        let lock = locks::acquire(
            &mut self.store,
            &object,
            cx.instance_id,
            cx.case_owner,
            cx.now,
            VIEW_LOCK_MINUTES,
        )
        .map_err(|e| a.err(e))?;
        self.record(
            "checkoutView",
            format!("check out view of {object} (locked until {})", lock.expires),
        );
        let Value::Map(mut view) = user_map(&user) else {
            return Err(a.err("user is not an object"));
        };
        let lock_info: BTreeMap<String, Value> = [
            ("object", lock.object),
            ("instance", lock.instance),
            ("expires", lock.expires),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::Str(v)))
        .collect();
        view.insert("viewLock".into(), Value::Map(lock_info));
        Ok(Value::Map(view))
    }

    fn checkin_view(&mut self, a: &Args, cx: &CallContext<'_>) -> Result<Value, ServiceError> {
        let Some(Value::Map(view)) = a.value("view") else {
            return Err(a.err("argument 'view' must be a map from checkoutView"));
        };
        let account_id = match view.get("accountId") {
            Some(Value::Str(s)) if !s.is_empty() => s.clone(),
            _ => return Err(a.err("the view has no accountId")),
        };
        let object = format!("User:{account_id}");
        match locks::read_lock(&self.store, &object)? {
            Some(lock) if lock.instance == cx.instance_id => {}
            Some(lock) => {
                return Err(a.err(format_args!(
                    "view of {object} is no longer checked out by this case: {}",
                    locks::held_error(&lock)
                )));
            }
            None => {
                // No lock: fine only while our view lock would still run.
                let expires = match view.get("viewLock") {
                    Some(Value::Map(l)) => l.get("expires").map(Value::to_text),
                    _ => None,
                };
                let still_valid = expires
                    .and_then(|e| chrono::DateTime::parse_from_rfc3339(&e).ok())
                    .is_some_and(|e| e > cx.now);
                if !still_valid {
                    return Err(a.err(format_args!(
                        "the view lock on {object} expired; check the view out again"
                    )));
                }
            }
        }
        let (rel, mut user) = self.require_user(a, &account_id)?;
        let mut changed = Vec::new();
        for field in USER_TEXT_FIELDS {
            if let Some(v) = view.get(*field)
                && set_field(&mut user, field, v).map_err(|e| a.err(e))?
            {
                changed.push(field.to_string());
            }
        }
        match view.get("attributes") {
            None | Some(Value::Null) => {}
            Some(Value::Map(m)) => {
                let new: serde_json::Map<String, serde_json::Value> =
                    m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
                if new != user.attributes {
                    user.attributes = new;
                    changed.push("attributes".into());
                }
            }
            Some(_) => return Err(a.err("the view's attributes must be a map")),
        }
        if !changed.is_empty() {
            self.save(&rel, &user)?;
        }
        locks::release(&mut self.store, &object, cx.instance_id, cx.now).map_err(|e| a.err(e))?;
        let what = if changed.is_empty() {
            "no changes".to_string()
        } else {
            changed.join(", ")
        };
        self.record(
            "checkinView",
            format!("check in view of {object} ({what}) and unlock"),
        );
        Ok(Value::Str(account_id))
    }

    // ---- task result helpers (change the case, not the store) ---------------------------

    fn result_op(&self, a: &Args, cx: &mut CallContext<'_>) -> Result<Value, ServiceError> {
        match a.spec.name {
            "addResult" => {
                let name = a.text("name")?;
                let value = a.value("value").cloned().unwrap_or_default();
                match cx.result.items.get_mut(&name) {
                    None => {
                        cx.result.items.insert(name, value);
                    }
                    Some(Value::List(items)) => items.push(value),
                    Some(existing) => {
                        let first = std::mem::take(existing);
                        *existing = Value::List(vec![first, value]);
                    }
                }
            }
            "setResult" => {
                let name = a.text("name")?;
                let value = a.value("value").cloned().unwrap_or_default();
                cx.result.items.insert(name, value);
            }
            "addResultError" => cx.result.errors.push(a.text("message")?),
            "addResultMessage" => cx.result.messages.push(a.text("message")?),
            "setResultLimit" => {
                let seconds = a
                    .opt_int("seconds")?
                    .ok_or_else(|| a.err("missing required argument 'seconds'"))?;
                cx.result.result_limit = Some(seconds);
            }
            "renameTask" => {
                let name = a.text("name")?;
                let name = name.trim();
                if name.is_empty() || name.chars().any(char::is_control) {
                    return Err(a.err("the new name must be non-empty, on one line"));
                }
                *cx.instance_name = name.to_string();
            }
            other => {
                return Err(ServiceError::new(format!(
                    "Unknown WorkflowServices op: {other}"
                )));
            }
        }
        Ok(Value::Null)
    }
}

impl Services for RepoServices {
    fn call(
        &mut self,
        op: &str,
        args: &BTreeMap<String, Value>,
        cx: &mut CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        let spec = super::ops::find(op)
            .ok_or_else(|| ServiceError::new(format!("Unknown WorkflowServices op: {op}")))?;
        let a = Args::new(spec, args)?;
        // Every write is a read-modify-write under its object's write lock,
        // taken here for the whole op (transferOwnership and changePassword
        // take theirs inside: many objects; a slow hash first).
        let writes_user = matches!(spec.family, "user" | "role" | "password")
            && !matches!(
                op,
                "getUser" | "queryUsers" | "checkSoD" | "transferOwnership" | "changePassword"
            );
        let object = match op {
            _ if writes_user => a.opt_text("accountId")?.map(|id| format!("User:{id}")),
            "lockObject" | "unlockObject" => a.opt_text("object")?,
            "checkoutView" => a.opt_text("accountId")?.map(|id| format!("User:{id}")),
            "checkinView" => match a.value("view") {
                Some(Value::Map(view)) => view
                    .get("accountId")
                    .map(|id| format!("User:{}", id.to_text())),
                _ => None,
            },
            _ => None,
        };
        let _guard = match &object {
            Some(object) => self.write_guard(object, cx).map_err(|e| a.err(e))?,
            None => None,
        };
        if writes_user && let Some(account_id) = a.opt_text("accountId")? {
            // A user checked out (or locked) by another case is not changed under it.
            self.check_view_lock(&a, &account_id, cx)?;
        }
        match op {
            "createUser" => self.create_user(&a),
            "updateUser" => self.update_user(&a),
            "getUser" => self.get_user(&a),
            "queryUsers" => self.query_users(&a),
            "disableUser" => self.set_disabled(&a, true),
            "enableUser" => self.set_disabled(&a, false),
            "deleteUser" => self.delete_user(&a),
            "setProperty" => self.set_property(&a),
            "removeProperty" => self.remove_property(&a),
            "transferOwnership" => self.transfer_ownership(&a, cx),
            "assignRole" => self.assign_role(&a),
            "revokeRole" => self.revoke_role(&a),
            "provision" => self.provision(&a),
            "deprovision" => self.deprovision(&a),
            "checkSoD" => self.check_sod(&a),
            "changePassword" => self.change_password(&a, cx),
            "notify" => self.notify(&a, cx),
            "audit" => self.audit(&a, cx),
            "lockObject" => self.lock_object(&a, cx),
            "unlockObject" => self.unlock_object(&a, cx),
            "checkoutView" => self.checkout_view(&a, cx),
            "checkinView" => self.checkin_view(&a, cx),
            _ => self.result_op(&a, cx),
        }
    }

    fn run_command(
        &mut self,
        argv: &[String],
        timeout: Duration,
        output_cap: usize,
    ) -> Result<CommandOutput, ServiceError> {
        command::command_allowed(
            &self.config.settings.commands,
            self.options.allow_commands,
            argv,
        )
        .map_err(|e| ServiceError::new(e.to_string()))?;
        let shown = argv.join(" ");
        if self.options.dry_run {
            self.record("command", format!("run {shown} (not run: dry run)"));
            return Ok(CommandOutput {
                exit_code: 0,
                stdout: String::new(),
                stderr: String::new(),
                timed_out: false,
                truncated: false,
            });
        }
        let output = command::run(argv, self.store.root(), timeout, output_cap)?;
        let outcome = if output.timed_out {
            format!("killed after {} ms", timeout.as_millis())
        } else {
            format!("exit {}", output.exit_code)
        };
        self.record("command", format!("run {shown}: {outcome}"));
        Ok(output)
    }

    fn effects(&self) -> &[Effect] {
        &self.effects
    }
}

// ---- helpers -------------------------------------------------------------------------

fn encode<T: serde::Serialize>(rel: &Path, value: &T) -> Result<Vec<u8>, ServiceError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| ServiceError::new(format!("cannot encode {}: {e}", rel.display())))?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn user_path(account_id: &str) -> PathBuf {
    PathBuf::from("User").join(format!("{}.json", slug(account_id)))
}

fn non_empty(s: &str) -> Option<&str> {
    if s.trim().is_empty() { None } else { Some(s) }
}

/// An account id is a safe identifier: an ASCII letter or digit, then letters,
/// digits, `.`, `_`, `-` or `@`; at most 64 characters.
fn validate_account_id(id: &str) -> Result<(), String> {
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if first_ok && rest_ok && id.len() <= 64 {
        Ok(())
    } else {
        Err(format!(
            "invalid accountId '{}': use a letter or digit, then letters, digits, '.', '_', '-' or '@' (at most 64)",
            id.escape_debug()
        ))
    }
}

fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("password") || n.contains("secret") || n.contains("token")
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn text_field_mut<'u>(user: &'u mut User, name: &str) -> Option<&'u mut String> {
    Some(match name {
        "firstName" => &mut user.first_name,
        "lastName" => &mut user.last_name,
        "email" => &mut user.email,
        "department" => &mut user.department,
        "title" => &mut user.title,
        "manager" => &mut user.manager,
        "employeeType" => &mut user.employee_type,
        "endDate" => &mut user.end_date,
        _ => return None,
    })
}

fn set_text_field(user: &mut User, name: &str, value: String) -> bool {
    match text_field_mut(user, name) {
        Some(field) if *field != value => {
            *field = value;
            true
        }
        _ => false,
    }
}

/// Set a known field or an extra attribute; null clears or removes. `true`
/// when something changed. Fields with their own op are refused.
fn set_field(user: &mut User, name: &str, value: &Value) -> Result<bool, String> {
    let own_op = match name {
        "accountId" => Some("createUser/deleteUser (the account id names the user)"),
        "password" | "passwordHash" | "passwordChanged" => Some("changePassword"),
        "roles" => Some("assignRole/revokeRole"),
        "accounts" => Some("provision/deprovision"),
        "disabled" => Some("disableUser/enableUser"),
        "formatVersion" | "attributes" | "viewLock" => Some("nothing: it is not an attribute"),
        _ => None,
    };
    if let Some(op) = own_op {
        return Err(format!("'{name}' cannot be set here; use {op}"));
    }
    if USER_TEXT_FIELDS.contains(&name) {
        let text = match value {
            Value::Null | Value::Str(_) | Value::Int(_) => value.to_text(),
            _ => return Err(format!("'{name}' must be text")),
        };
        return Ok(set_text_field(user, name, text));
    }
    if name.is_empty() {
        return Err("an attribute name is empty".to_string());
    }
    Ok(set_attribute(user, name, value))
}

fn set_attribute(user: &mut User, name: &str, value: &Value) -> bool {
    if value.is_null() {
        return user.attributes.remove(name).is_some();
    }
    let json = value.to_json();
    if user.attributes.get(name) == Some(&json) {
        return false;
    }
    user.attributes.insert(name.to_string(), json);
    true
}

/// A user as a map, without the password hash; every field present (text
/// fields and `passwordChanged` empty when unset, lists, flags and the
/// attribute map empty).
fn user_map(user: &User) -> Value {
    let mut json = serde_json::to_value(user).unwrap_or_default();
    if let Some(obj) = json.as_object_mut() {
        obj.remove("passwordHash");
        obj.remove("formatVersion");
        obj.entry("disabled").or_insert(false.into());
        obj.entry("roles").or_insert(serde_json::json!([]));
        obj.entry("accounts").or_insert(serde_json::json!([]));
        obj.entry("attributes").or_insert(serde_json::json!({}));
        for field in USER_TEXT_FIELDS.iter().chain(&["passwordChanged"]) {
            obj.entry(*field).or_insert("".into());
        }
    }
    Value::from_json(&json)
}

fn text_field<'u>(user: &'u User, name: &str) -> Option<&'u str> {
    Some(match name {
        "firstName" => &user.first_name,
        "lastName" => &user.last_name,
        "email" => &user.email,
        "department" => &user.department,
        "title" => &user.title,
        "manager" => &user.manager,
        "employeeType" => &user.employee_type,
        "endDate" => &user.end_date,
        _ => return None,
    })
}

fn user_matches(user: &User, attribute: &str, wanted: &str) -> bool {
    if let Some(field) = text_field(user, attribute) {
        return field == wanted;
    }
    match attribute {
        "accountId" => user.account_id == wanted,
        "role" | "roles" => user.roles.iter().any(|r| r == wanted),
        "resource" | "accounts" => user.accounts.iter().any(|a| a.resource == wanted),
        "disabled" => Value::from_bool(user.disabled).to_text() == wanted,
        _ => match user.attributes.get(attribute).map(Value::from_json) {
            Some(Value::List(items)) => items.iter().any(|v| v.to_text() == wanted),
            Some(v) => v.to_text() == wanted,
            None => false,
        },
    }
}
