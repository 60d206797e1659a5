//! Password hashing for `changePassword`: PBKDF2-HMAC-SHA256 with a random
//! 16-byte salt, stored as `pbkdf2-sha256$<iterations>$<salt-hex>$<hash-hex>`.
//! The clear text is never stored, logged or returned.
//!
//! PBKDF2 (RFC 8018) is written here over SHA-256's compression function with
//! the HMAC inner and outer states computed once per password: the generic
//! `pbkdf2` crate is monomorphised into this crate and runs 600 000 rounds in
//! seconds in debug builds; this runs them in well under one. The tests check
//! it against RFC 7914's vector and against the `pbkdf2` crate.

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

/// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
pub const PASSWORD_ITERATIONS: u32 = 600_000;

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A fresh salted hash of `password`.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| format!("no random salt available: {e}"))?;
    Ok(hash_with(password, &salt, PASSWORD_ITERATIONS))
}

fn hash_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let out = pbkdf2_sha256(password.as_bytes(), salt, iterations);
    format!("pbkdf2-sha256${iterations}${}${}", hex(salt), hex(&out))
}

const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// SHA-256 of `prefix_blocks` already-compressed 64-byte blocks (in `state`)
/// followed by `message`.
fn finish_sha256(mut state: [u32; 8], prefix_blocks: u64, message: &[u8]) -> [u8; 32] {
    let total_bits = (prefix_blocks * 64 + message.len() as u64) * 8;
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&total_bits.to_be_bytes());
    for block in padded.chunks_exact(64) {
        sha2::compress256(&mut state, &[*GenericArray::from_slice(block)]);
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output (one block).
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; HASH_LEN] {
    let mut key = [0u8; 64];
    if password.len() > 64 {
        key[..32].copy_from_slice(&Sha256::digest(password));
    } else {
        key[..password.len()].copy_from_slice(password);
    }
    let pad_state = |pad: u8| {
        let block: [u8; 64] = std::array::from_fn(|i| key[i] ^ pad);
        let mut state = SHA256_IV;
        sha2::compress256(&mut state, &[block.into()]);
        state
    };
    let (inner, outer) = (pad_state(0x36), pad_state(0x5c));
    let hmac = |message: &[u8]| finish_sha256(outer, 1, &finish_sha256(inner, 1, message));

    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let u1 = hmac(&first);

    // The rounds hash 32-byte messages after one 64-byte pad block: each is a
    // single padded block, built once; the loop works on words, not bytes.
    let mut block = [0u8; 64];
    block[32] = 0x80;
    block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
    let mut block = GenericArray::from(block);
    let mut u = words(&u1);
    let mut t = u;
    for _ in 1..iterations {
        put_words(&mut block, &u);
        let mut state = inner;
        sha2::compress256(&mut state, std::slice::from_ref(&block));
        put_words(&mut block, &state);
        u = outer;
        sha2::compress256(&mut u, std::slice::from_ref(&block));
        for i in 0..8 {
            t[i] ^= u[i];
        }
    }
    let mut out = [0u8; HASH_LEN];
    for (chunk, word) in out.chunks_exact_mut(4).zip(t) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn words(bytes: &[u8; 32]) -> [u32; 8] {
    std::array::from_fn(|i| {
        u32::from_be_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    })
}

/// Write 8 words big-endian into the first 32 bytes of `block`.
fn put_words(block: &mut [u8], words: &[u32; 8]) {
    for (i, w) in words.iter().enumerate() {
        block[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
    }
}

/// Whether `candidate` matches a stored hash (any iteration count); false for
/// anything that is not a well-formed hash.
pub fn verify_password(stored: &str, candidate: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [scheme, iterations, salt, hash] = parts.as_slice() else {
        return false;
    };
    if *scheme != "pbkdf2-sha256" {
        return false;
    }
    let (Ok(iterations), Some(salt), Some(expected)) =
        (iterations.parse::<u32>(), unhex(salt), unhex(hash))
    else {
        return false;
    };
    if iterations == 0 || expected.len() != HASH_LEN {
        return false;
    }
    let out = pbkdf2_sha256(candidate.as_bytes(), &salt, iterations);
    // Constant-time comparison.
    out.iter()
        .zip(&expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 7914 section 11 test vector for PBKDF2-HMAC-SHA256 (first 32 bytes).
        let h = hash_with("passwd", b"salt", 1);
        assert_eq!(
            h,
            "pbkdf2-sha256$1$73616c74$55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn agrees_with_the_pbkdf2_crate() {
        let long = "p".repeat(100);
        for (password, salt, rounds) in [
            ("", &b"salt"[..], 3),
            ("pw", &b""[..], 2),
            (
                long.as_str(),
                &b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"[..],
                5,
            ),
            ("Jürgen", &b"x"[..], 1000),
        ] {
            let mut expected = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, rounds, &mut expected);
            assert_eq!(pbkdf2_sha256(password.as_bytes(), salt, rounds), expected);
        }
    }

    #[test]
    fn verify_accepts_only_the_password() {
        let h = hash_with("s3cret!", b"0123456789abcdef", 10);
        assert!(verify_password(&h, "s3cret!"));
        assert!(!verify_password(&h, "s3cret"));
        assert!(!verify_password("sha256:x:y", "s3cret!"));
        assert!(!verify_password("pbkdf2-sha256$0$00$00", ""));
        assert!(!verify_password("pbkdf2-sha256$1$zz$00", ""));
    }

    #[test]
    fn salts_differ() {
        let a = hash_password("same").unwrap();
        let b = hash_password("same").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("pbkdf2-sha256$600000$"));
        assert!(!a.contains("same"));
    }
}
