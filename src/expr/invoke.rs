//! The fixed registry of host functions reachable through `(invoke name="…" …)`.
//!
//! Deliberately small and side-effect free: no filesystem, network, process or
//! environment access. Dates are UTC; a date is written `YYYY-MM-DD`, a
//! timestamp RFC 3339 (`2026-11-27T14:05:00Z`).

use super::value::Value;
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use std::hash::{BuildHasher, Hasher};

/// One host function.
pub struct HostFunction {
    pub name: &'static str,
    /// Usage in the text syntax.
    pub signature: &'static str,
    pub min_args: usize,
    pub max_args: Option<usize>,
    pub description: &'static str,
    pub(crate) call: fn(&[Value]) -> Result<Value, String>,
}

impl std::fmt::Debug for HostFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostFunction")
            .field("name", &self.name)
            .field("signature", &self.signature)
            .finish()
    }
}

#[rustfmt::skip]
static HOST_FUNCTIONS: &[HostFunction] = &[
    HostFunction { name: "now", signature: "(invoke name=\"now\")", min_args: 0, max_args: Some(0),
        description: "The current UTC time as an RFC 3339 timestamp, e.g. \"2026-11-27T14:05:00Z\".", call: now },
    HostFunction { name: "today", signature: "(invoke name=\"today\")", min_args: 0, max_args: Some(0),
        description: "The current UTC date, e.g. \"2026-11-27\".", call: today },
    HostFunction { name: "formatDate", signature: "(invoke name=\"formatDate\" date pattern)", min_args: 2, max_args: Some(2),
        description: "Formats a date or timestamp with a strftime pattern (%Y %m %d %H %M %S %j %A …).", call: format_date },
    HostFunction { name: "addDays", signature: "(invoke name=\"addDays\" date days)", min_args: 2, max_args: Some(2),
        description: "The date or timestamp moved by a number of days (negative: earlier), in the same form.", call: add_days },
    HostFunction { name: "daysBetween", signature: "(invoke name=\"daysBetween\" from to)", min_args: 2, max_args: Some(2),
        description: "Whole days from the first date to the second (negative when earlier).", call: days_between },
    HostFunction { name: "isoWeek", signature: "(invoke name=\"isoWeek\" date)", min_args: 1, max_args: Some(1),
        description: "The ISO 8601 week number (1-53) of a date or timestamp.", call: iso_week },
    HostFunction { name: "uuid", signature: "(invoke name=\"uuid\")", min_args: 0, max_args: Some(0),
        description: "A new random (version 4 format) UUID string; unique, not for cryptographic use.", call: uuid },
    HostFunction { name: "sha256", signature: "(invoke name=\"sha256\" text)", min_args: 1, max_args: Some(1),
        description: "Lower-case hex SHA-256 of the text (UTF-8).", call: sha256 },
    HostFunction { name: "jsonEncode", signature: "(invoke name=\"jsonEncode\" value)", min_args: 1, max_args: Some(1),
        description: "The value as compact JSON text.", call: json_encode },
    HostFunction { name: "jsonDecode", signature: "(invoke name=\"jsonDecode\" text)", min_args: 1, max_args: Some(1),
        description: "Parses JSON text into a value (booleans stay booleans); invalid JSON is an error.", call: json_decode },
];

/// Every host function `invoke` can call.
pub fn host_functions() -> &'static [HostFunction] {
    HOST_FUNCTIONS
}

/// The host function named `name`, if registered.
pub fn host_function(name: &str) -> Option<&'static HostFunction> {
    HOST_FUNCTIONS.iter().find(|h| h.name == name)
}

fn now(_: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(
        Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    ))
}

fn today(_: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(Utc::now().date_naive().to_string()))
}

/// A parsed date argument, remembering whether it had a time part.
enum When {
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
}

impl When {
    fn datetime(&self) -> NaiveDateTime {
        match self {
            When::Date(d) => d.and_time(chrono::NaiveTime::MIN),
            When::Timestamp(t) => *t,
        }
    }
}

fn parse_when(v: &Value) -> Result<When, String> {
    let Value::Str(s) = v else {
        return Err(format!("expected a date string, got {v}"));
    };
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(When::Date(d));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(When::Timestamp(t.with_timezone(&Utc).naive_utc()));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(When::Timestamp(t));
        }
    }
    Err(format!(
        "\"{s}\" is not a date (YYYY-MM-DD) or RFC 3339 timestamp"
    ))
}

fn int_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("\"{s}\" is not an integer")),
        other => Err(format!("{other} is not an integer")),
    }
}

fn format_date(args: &[Value]) -> Result<Value, String> {
    let when = parse_when(&args[0])?;
    let Value::Str(pattern) = &args[1] else {
        return Err("the pattern must be a string".into());
    };
    let items: Vec<Item<'_>> = StrftimeItems::new(pattern).collect();
    // An invalid specifier would make formatting fail (chrono panics on
    // Display of an Item::Error), so reject it up front.
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(format!("invalid date pattern \"{pattern}\""));
    }
    let dt = when.datetime().and_utc();
    let mut out = String::new();
    use std::fmt::Write;
    write!(out, "{}", dt.format_with_items(items.into_iter()))
        .map_err(|_| format!("pattern \"{pattern}\" cannot format this date"))?;
    Ok(Value::Str(out))
}

fn add_days(args: &[Value]) -> Result<Value, String> {
    let when = parse_when(&args[0])?;
    let days = int_arg(&args[1])?;
    let delta = Duration::try_days(days).ok_or("day count out of range")?;
    Ok(Value::Str(match when {
        When::Date(d) => d
            .checked_add_signed(delta)
            .ok_or("date out of range")?
            .to_string(),
        When::Timestamp(t) => t
            .checked_add_signed(delta)
            .ok_or("date out of range")?
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    }))
}

fn days_between(args: &[Value]) -> Result<Value, String> {
    let a = parse_when(&args[0])?.datetime();
    let b = parse_when(&args[1])?.datetime();
    Ok(Value::Int((b - a).num_days()))
}

fn iso_week(args: &[Value]) -> Result<Value, String> {
    let d = parse_when(&args[0])?.datetime().date();
    Ok(Value::Int(d.iso_week().week() as i64))
}

fn uuid(_: &[Value]) -> Result<Value, String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded randomly per process; mixing in time and a counter
    // makes successive ids distinct.
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Value::Str(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )))
}

fn sha256(args: &[Value]) -> Result<Value, String> {
    let text = args[0].to_text();
    let digest = Sha256::digest(text.as_bytes());
    Ok(Value::Str(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

fn json_encode(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Str(args[0].to_json().to_string()))
}

fn json_decode(args: &[Value]) -> Result<Value, String> {
    let Value::Str(s) = &args[0] else {
        return Err(format!("expected JSON text, got {}", args[0]));
    };
    serde_json::from_str::<serde_json::Value>(s)
        .map(|j| Value::from_json(&j))
        .map_err(|e| format!("invalid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn dates() {
        assert_eq!(
            format_date(&[s("2026-11-27"), s("%d.%m.%Y")]).unwrap(),
            s("27.11.2026")
        );
        assert_eq!(
            format_date(&[s("2026-11-27T14:05:09+01:00"), s("%H:%M:%S")]).unwrap(),
            s("13:05:09")
        );
        assert!(format_date(&[s("2026-11-27"), s("%Q")]).is_err());
        assert!(format_date(&[s("27/11/2026"), s("%Y")]).is_err());
        assert_eq!(
            add_days(&[s("2026-12-30"), Value::Int(3)]).unwrap(),
            s("2027-01-02")
        );
        assert_eq!(
            add_days(&[s("2026-03-01T10:00:00Z"), s("-1")]).unwrap(),
            s("2026-02-28T10:00:00Z")
        );
        assert!(add_days(&[s("2026-03-01"), Value::Int(i64::MAX)]).is_err());
        assert_eq!(
            days_between(&[s("2026-01-01"), s("2026-03-01")]).unwrap(),
            Value::Int(59)
        );
        assert_eq!(iso_week(&[s("2026-01-01")]).unwrap(), Value::Int(1));
        assert_eq!(iso_week(&[s("2027-01-01")]).unwrap(), Value::Int(53));
        let Value::Str(n) = now(&[]).unwrap() else {
            panic!()
        };
        assert!(parse_when(&Value::Str(n)).is_ok());
        let Value::Str(t) = today(&[]).unwrap() else {
            panic!()
        };
        assert!(matches!(parse_when(&Value::Str(t)), Ok(When::Date(_))));
    }

    #[test]
    fn ids_and_hashes() {
        let Value::Str(a) = uuid(&[]).unwrap() else {
            panic!()
        };
        let Value::Str(b) = uuid(&[]).unwrap() else {
            panic!()
        };
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert_eq!(
            sha256(&[s("abc")]).unwrap(),
            s("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }

    #[test]
    fn json() {
        let v = json_decode(&[s(r#"{"a":[1,true,null]}"#)]).unwrap();
        assert_eq!(json_encode(&[v]).unwrap(), s(r#"{"a":[1,true,null]}"#));
        assert!(json_decode(&[s("{")]).is_err());
        assert!(json_decode(&[Value::Int(1)]).is_err());
    }
}
