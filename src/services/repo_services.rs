//! [`RepoServices`]: the built-in service ops against the repository's JSON
//! identity store (`User/`, `Role/`, `Policy/`, `EmailTemplate/`), its outbox,
//! audit log and object locks. Files are read fresh on every call (or, for a
//! launch, from a read cache used only while their directory is unchanged and
//! never under a write lock: `read_cache`), written atomically, and in a dry run
//! only recorded (see `store`).
//!
//! Invariant: every write of a user, role or view lock is a read-modify-write
//! under that object's write lock (`write_lock`, taken in `call` or, for
//! changePassword and transferOwnership, inside the op), so concurrent runs
//! never lose each other's changes; createUser creates its file only if absent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::args::Args;
use super::read_cache::ReadCache;
use super::store::Store;
use super::{CallContext, CommandOutput, Effect, ServiceError, Services, command};
use crate::expr::Value;
use crate::model::{Account, FORMAT_VERSION, Policy, RepositoryConfig, Role, User, slug};
use crate::repo::Versioned;

mod mail;
mod user_fields;
mod views;

use user_fields::{
    USER_TEXT_FIELDS, set_attribute, set_field, set_text_field, user_map, user_matches,
    validate_account_id,
};

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

    /// Answer reads of `User/`, `Role/`, `Policy/` and `EmailTemplate/` from
    /// `cache`, shared by the cases of a launch (see `services::read_cache`).
    pub fn with_read_cache(mut self, cache: Arc<ReadCache>) -> RepoServices {
        self.store.set_cache(cache);
        self
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
        for (rel, bytes) in self.store.read_all(dir, ".json")? {
            if let Ok(value) = Self::parse::<T>(&rel, &bytes) {
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
        for (rel, bytes) in self.store.read_all("User", ".json")? {
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

    /// A check that found conflicts goes to the case journal (`crate::journal`),
    /// through the store, so a dry run journals nothing. The workflow is left empty:
    /// the journal's reader knows it from the case's other events.
    fn journal_sod(
        &mut self,
        a: &Args,
        found: &Value,
        cx: &CallContext<'_>,
    ) -> Result<(), ServiceError> {
        let Value::List(violations) = found else {
            return Ok(());
        };
        let record = crate::journal::Record::new(
            cx.now,
            cx.instance_id,
            crate::journal::Workflow {
                id: String::new(),
                name: String::new(),
            },
            crate::journal::Event::SodViolation {
                account: a.opt_text("accountId")?.unwrap_or_default(),
                violations: violations.iter().map(Value::to_text).collect(),
            },
        );
        self.store.append(&record.file(), &record.line())
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

    /// Run the op `a` names (arguments checked, write lock held by the caller).
    fn dispatch(
        &mut self,
        op: &str,
        a: &Args,
        writes_user: bool,
        cx: &mut CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        if writes_user && let Some(account_id) = a.opt_text("accountId")? {
            // A user checked out (or locked) by another case is not changed under it.
            self.check_view_lock(a, &account_id, cx)?;
        }
        match op {
            "createUser" => self.create_user(a),
            "updateUser" => self.update_user(a),
            "getUser" => self.get_user(a),
            "queryUsers" => self.query_users(a),
            "disableUser" => self.set_disabled(a, true),
            "enableUser" => self.set_disabled(a, false),
            "deleteUser" => self.delete_user(a),
            "setProperty" => self.set_property(a),
            "removeProperty" => self.remove_property(a),
            "transferOwnership" => self.transfer_ownership(a, cx),
            "assignRole" => self.assign_role(a),
            "revokeRole" => self.revoke_role(a),
            "provision" => self.provision(a),
            "deprovision" => self.deprovision(a),
            "checkSoD" => {
                let found = self.check_sod(a)?;
                self.journal_sod(a, &found, cx)?;
                Ok(found)
            }
            "changePassword" => self.change_password(a, cx),
            "notify" => self.notify(a, cx),
            "audit" => self.audit(a, cx),
            "lockObject" => self.lock_object(a, cx),
            "unlockObject" => self.unlock_object(a, cx),
            "checkoutView" => self.checkout_view(a, cx),
            "checkinView" => self.checkin_view(a, cx),
            _ => self.result_op(a, cx),
        }
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
        // A read-modify-write re-reads from disk, never from the read cache.
        let writes = object.is_some() || matches!(op, "transferOwnership" | "changePassword");
        self.store.set_fresh(writes);
        let result = self.dispatch(op, &a, writes_user, cx);
        self.store.set_fresh(false);
        result
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
