use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

/// A fresh random-looking id `<prefix>-<16 hex>`, unique across processes.
pub fn new_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    format!("{prefix}-{:016x}", h.finish())
}

/// `sha256:<hex>` of a value's canonical JSON (serde field order, compact).
pub fn content_hash<T: serde::Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A file-name-safe slug of a human name: lowercase ASCII letters, digits and `-`.
/// Never empty, never `.`/`..`, never contains a path separator.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(100);
    if out.is_empty() {
        "unnamed".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_is_path_safe() {
        assert_eq!(slug("Onboard Employee"), "onboard-employee");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("..."), "unnamed");
        assert_eq!(slug("Create User 20080701"), "create-user-20080701");
    }

    #[test]
    fn ids_differ() {
        assert_ne!(new_id("td"), new_id("td"));
        assert!(new_id("ti").starts_with("ti-"));
    }

    #[test]
    fn hash_depends_on_content() {
        assert_ne!(content_hash(&vec![1]), content_hash(&vec![2]));
        assert_eq!(content_hash(&"a"), content_hash(&"a"));
    }
}
