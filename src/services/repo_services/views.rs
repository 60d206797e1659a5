//! Object locks and checked-out views (`lockObject`, `unlockObject`,
//! `checkoutView`, `checkinView`), and the write locks every store write
//! takes (see `services::write_lock` and docs/services.md, General rules).

use std::collections::BTreeMap;

use super::user_fields::{USER_TEXT_FIELDS, set_field, user_map};
use super::{DEFAULT_LOCK_MINUTES, RepoServices, VIEW_LOCK_MINUTES};
use crate::expr::Value;
use crate::services::args::Args;
use crate::services::write_lock::{self, WRITE_LOCK_WAIT, WriteGuard, WriteHolder};
use crate::services::{CallContext, ServiceError, locks};

impl RepoServices {
    /// Take the write lock of `object` (see `write_lock`); `None` in a dry run,
    /// which writes nothing.
    pub(super) fn write_guard(
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
    pub(super) fn check_view_lock(
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

    pub(super) fn lock_object(
        &mut self,
        a: &Args,
        cx: &CallContext<'_>,
    ) -> Result<Value, ServiceError> {
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
        let lock = self.take_lock(a, cx, &object, minutes)?;
        self.record(
            "lockObject",
            format!(
                "lock {object} for instance {} until {}",
                cx.instance_id, lock.expires
            ),
        );
        Ok(Value::Str(lock.expires))
    }

    pub(super) fn unlock_object(
        &mut self,
        a: &Args,
        cx: &CallContext<'_>,
    ) -> Result<Value, ServiceError> {
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

    /// Take (or renew) the view lock on `object` for the calling case; the
    /// caller holds the object's write lock.
    fn take_lock(
        &mut self,
        a: &Args,
        cx: &CallContext<'_>,
        object: &str,
        minutes: i64,
    ) -> Result<locks::ObjectLock, ServiceError> {
        locks::acquire(
            &mut self.store,
            object,
            cx.instance_id,
            cx.case_owner,
            cx.now,
            minutes,
        )
        .map_err(|e| a.err(e))
    }

    pub(super) fn checkout_view(
        &mut self,
        a: &Args,
        cx: &CallContext<'_>,
    ) -> Result<Value, ServiceError> {
        let account_id = a.text("accountId")?;
        let (_, user) = self.require_user(a, &account_id)?;
        let object = format!("User:{account_id}");
        let lock = self.take_lock(a, cx, &object, VIEW_LOCK_MINUTES)?;
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

    pub(super) fn checkin_view(
        &mut self,
        a: &Args,
        cx: &CallContext<'_>,
    ) -> Result<Value, ServiceError> {
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
}
