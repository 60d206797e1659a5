//! User fields: which names are known fields, how a named value is set on a
//! user (and which names are refused), the map `getUser` returns, and how
//! `queryUsers` matches.

use crate::expr::Value;
use crate::model::User;

/// User fields that `updateUser`, `setProperty` and `checkinView` may set.
pub(super) const USER_TEXT_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "email",
    "department",
    "title",
    "manager",
    "employeeType",
    "endDate",
];

/// An account id is a safe identifier: an ASCII letter or digit, then letters,
/// digits, `.`, `_`, `-` or `@`; at most 64 characters.
pub(super) fn validate_account_id(id: &str) -> Result<(), String> {
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

pub(super) fn text_field_mut<'u>(user: &'u mut User, name: &str) -> Option<&'u mut String> {
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

pub(super) fn set_text_field(user: &mut User, name: &str, value: String) -> bool {
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
pub(super) fn set_field(user: &mut User, name: &str, value: &Value) -> Result<bool, String> {
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

pub(super) fn set_attribute(user: &mut User, name: &str, value: &Value) -> bool {
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
pub(super) fn user_map(user: &User) -> Value {
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

pub(super) fn text_field<'u>(user: &'u User, name: &str) -> Option<&'u str> {
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

pub(super) fn user_matches(user: &User, attribute: &str, wanted: &str) -> bool {
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
